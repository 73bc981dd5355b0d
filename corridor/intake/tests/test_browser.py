"""The public intake in Chromium with JavaScript disabled (Tor Browser "Safest"):
write, get a receipt, come back, read a reply, answer it, in both languages.
Screenshots go to test-artifacts/screenshots/intake-*.png."""

from __future__ import annotations

import pytest

from corridor.intake.models import Contact, Message
from corridor.intake.services import messages_open, reply_send

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXT = {
    "ru": {"what": "Меня ищут после задержания друга. Боюсь выходить из дома.", "where": "Грозный",
           "reach": "Signal, после 22:00", "reply": "Мы получили ваше сообщение. Вы сейчас в безопасности?",
           "answer": "Да, я у знакомых до пятницы.", "sent": "Ваше сообщение отправлено"},
    "en": {"what": "They are looking for me since my friend was detained.", "where": "Grozny",
           "reach": "Signal, after 10 pm", "reply": "We have your message. Are you safe right now?",
           "answer": "Yes, with friends until Friday.", "sent": "Your message was sent"},
}


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_the_whole_journey_without_javascript(browser, screenshot, cast, lang):
    t = TEXT[lang]
    page = browser(javascript=False)
    page.set_viewport_size({"width": 412, "height": 915})  # a cheap Android phone
    page.goto(f"/?lang={lang}")
    screenshot(page, f"intake-{lang}-1-form")
    page.fill("#id_what", t["what"])
    page.fill("#id_where", t["where"])
    page.check("input[name=urgency][value='3']")
    page.fill("#id_reach", t["reach"])
    page.click("button[type=submit]")
    receipt = page.inner_text("#receipt").strip()
    assert receipt.startswith("+7 9")
    screenshot(page, f"intake-{lang}-2-receipt")

    messages_open(actor=cast.operator, organisation=cast.org)
    contact = Contact.objects.get()
    assert contact.summary["where"] == t["where"]
    reply_send(actor=cast.operator, contact=contact, text=t["reply"])

    page.goto(f"/receipt/?lang={lang}")
    screenshot(page, f"intake-{lang}-3-return")
    page.fill("#id_receipt", receipt.replace(" ", "").replace("-", ""))
    page.click("button[type=submit]")
    assert t["reply"] in page.inner_text("main")
    screenshot(page, f"intake-{lang}-4-reply")
    page.fill("#id_text", t["answer"])
    page.click("button[type=submit]")
    assert t["sent"] in page.inner_text("main")
    screenshot(page, f"intake-{lang}-5-answered")

    messages_open(actor=cast.operator, organisation=cast.org)
    bodies = [m.body for m in Message.objects.filter(direction="in").select_related("contact__data_key")]
    assert any(b.get("text") == t["answer"] for b in bodies)
    assert page.context.cookies() == []


def test_errors_are_shown_in_the_persons_language_without_javascript(browser, screenshot, cast):
    page = browser(javascript=False)
    page.set_viewport_size({"width": 412, "height": 915})
    page.goto("/?lang=en")
    page.fill("#id_what", "x" * 10)
    page.set_input_files("#id_files", files=[{"name": "photos.zip", "mimeType": "application/zip",
                                               "buffer": b"PK\x03\x04" + b"\x00" * 64}])
    page.check("input[name=urgency][value='1']")
    page.click("button[type=submit]")
    assert "archive" in page.inner_text("main")
    screenshot(page, "intake-en-6-refused-archive")
    assert Contact.objects.count() == 0


def test_quick_exit_without_javascript_is_a_plain_link(browser, cast, settings):
    settings.CORRIDOR_QUICK_EXIT_URL = "about:blank"
    page = browser(javascript=False)
    page.goto("/")
    link = page.locator("a.quick-exit")
    assert link.is_visible()
    assert link.get_attribute("href") == "about:blank"
