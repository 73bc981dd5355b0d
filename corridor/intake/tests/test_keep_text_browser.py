"""Nothing typed is lost: a public submission over the size limits shows the form
again with the story in it and a clear message, with JavaScript on and off."""

from __future__ import annotations

import pytest

from corridor.intake.models import Contact, Message

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STORY = "Меня ищут после задержания друга. Я у знакомых, выходить боюсь. Пишу один раз, сил мало."


@pytest.mark.parametrize("javascript", [False, True])
def test_a_50_mb_video_keeps_the_story_and_says_what_to_do(browser, cast, tmp_path, screenshot, javascript, settings):
    video = tmp_path / "видео.mp4"
    with video.open("wb") as out:
        out.truncate(50 * 1024 * 1024)
    page = browser(javascript=javascript)
    page.goto("/?lang=ru")
    page.fill("#id_what", STORY)
    page.fill("#id_where", "Грозный")
    page.check("input[name=urgency][value='3']")
    page.set_input_files("input[type=file]", str(video))
    with page.expect_navigation(timeout=60_000):
        page.click("button[type=submit]")
    assert page.input_value("#id_what") == STORY
    assert page.input_value("#id_where") == "Грозный"
    assert page.is_checked("input[name=urgency][value='3']")
    alert = page.inner_text("[role=alert]")
    assert "больше" in alert and "Ваш текст" in alert
    assert not Contact.objects.exists() and not Message.objects.exists()
    assert not any(p.is_file() for p in settings.CORRIDOR_BLOB_DIR.rglob("*")) if settings.CORRIDOR_BLOB_DIR.exists() \
        else True
    screenshot(page, f"intake-too-large-kept-{'js' if javascript else 'nojs'}")
    # And sending it again without the file works.
    page.set_input_files("input[type=file]", [])
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert page.locator("#receipt").count() == 1
    assert Contact.objects.count() == 1
