"""Every kind of bad input gets a clear message in the person's language, and
nothing is half-stored: no contact row, no file on disk, no temporary left."""

from __future__ import annotations

import pytest

from corridor.intake.models import Attachment, Contact, Message
from corridor.intake.tests.conftest import JPEG, PDF, ZIP, submit, token_from, upload

pytestmark = pytest.mark.django_db


def _nothing_stored(settings) -> None:
    assert Contact.objects.count() == 0 and Message.objects.count() == 0 and Attachment.objects.count() == 0
    files = [p for p in (settings.CORRIDOR_BLOB_DIR).rglob("*") if p.is_file()]
    assert files == []


def _refused(response, fragment: str) -> str:
    body = response.content.decode()
    assert response.status_code in (400, 413), response.status_code
    assert fragment in body, body[body.find('role="alert"') - 200:][:1500]
    return body


def test_empty_text_is_refused(public, org, settings):
    _refused(submit(public, what="   \n  "), "напишите хотя бы несколько слов")
    _nothing_stored(settings)


def test_oversized_text_is_refused_and_kept_for_the_person(public, org, settings):
    body = _refused(submit(public, what="а" * 20_001), "Текст слишком длинный")
    assert "20 001" in body
    _nothing_stored(settings)


def test_text_of_exactly_the_limit_is_accepted(public, org):
    assert submit(public, what="я" * 20_000).status_code == 200


def test_binary_text_is_refused(public, org, settings):
    _refused(submit(public, what="PK\x03\x04\x00\x00binary"), "невозможно прочитать")
    _nothing_stored(settings)


def test_wrongly_encoded_bytes_are_refused(public, org, settings):
    token = token_from(public.get("/"))
    body = (b"what=" + "Помогите".encode("cp1251") + b"&urgency=3&token=" + token.encode())
    response = public.post("/?lang=ru", body, content_type="application/x-www-form-urlencoded")
    _refused(response, "неправильной кодировке")
    _nothing_stored(settings)


def test_mojibake_is_refused(public, org, settings):
    mojibake = "Помогите, меня задержали".encode().decode("cp1252", errors="ignore")
    _refused(submit(public, what=mojibake), "неправильной кодировке")
    _nothing_stored(settings)


def test_too_many_files_are_refused(public, org, settings):
    files = [upload(f"p{i}.jpg", JPEG) for i in range(6)]
    _refused(submit(public, files=files), "не больше 5 файлов")
    _nothing_stored(settings)


def test_a_too_large_file_is_refused_while_it_streams(public, org, settings):
    settings.CORRIDOR_INTAKE_MAX_FILE_BYTES = 100_000
    big = JPEG + b"\x00" * 200_000
    _refused(submit(public, files=[upload("big.jpg", big)]), "больше 97,7")
    _nothing_stored(settings)


def test_too_many_bytes_in_total_are_refused(public, org, settings):
    settings.CORRIDOR_INTAKE_MAX_FILE_BYTES = 100_000
    settings.CORRIDOR_INTAKE_MAX_TOTAL_BYTES = 150_000
    files = [upload(f"p{i}.jpg", JPEG + b"\x00" * 60_000) for i in range(3)]
    _refused(submit(public, files=files), "Все файлы вместе")
    _nothing_stored(settings)


def test_a_huge_request_is_refused_from_its_header_without_reading_it(public, org, settings):
    from django.test import RequestFactory

    from corridor.intake.views.public import intake_form

    request = RequestFactory().post("/?lang=ru", data=b"", content_type="multipart/form-data; boundary=x")
    request.META["CONTENT_LENGTH"] = str(10**10)
    request.LANGUAGE_CODE = "ru"

    class Exploding:
        def read(self, *a):
            raise AssertionError("the body must not be read")

        readline = read

    request._stream = Exploding()
    response = intake_form(request)
    assert response.status_code == 413
    assert "намного больше, чем мы принимаем" in response.content.decode()
    _nothing_stored(settings)


def test_archives_are_refused(public, org, settings):
    _refused(submit(public, files=[upload("photos.zip", ZIP)]), "Архивы мы не принимаем")
    _refused(submit(public, files=[upload("photo.jpg", ZIP)]), "Архивы мы не принимаем")
    _nothing_stored(settings)


def test_content_contradicting_the_extension_is_refused(public, org, settings):
    _refused(submit(public, files=[upload("photo.jpg", PDF)]), "не то, что написано в его названии")
    _nothing_stored(settings)


def test_unsupported_kinds_are_refused(public, org, settings):
    _refused(submit(public, files=[upload("run.exe", b"MZ\x90\x00")]), "мы не принимаем")
    _refused(submit(public, files=[upload("x.jpg", b"#!/bin/sh\nrm -rf /\n")]), "не то, что написано")
    _nothing_stored(settings)


def test_an_empty_file_is_refused(public, org, settings):
    _refused(submit(public, files=[upload("empty.pdf", b"")]), "пустой")
    _nothing_stored(settings)


def test_one_bad_file_among_good_ones_stores_nothing(public, org, settings):
    _refused(submit(public, files=[upload("a.jpg", JPEG), upload("b.pdf", PDF), upload("c.zip", ZIP)]), "Файл 3")
    _nothing_stored(settings)


@pytest.mark.parametrize("name", ["../../../../tmp/evil.jpg", "..\\..\\windows\\evil.jpg", "/etc/cron.d/x.jpg",
                                  "photo.jpg\x00.exe"])
def test_path_traversal_names_never_reach_the_file_system(public, org, settings, tmp_path, name):
    response = submit(public, files=[upload(name, JPEG)])
    assert response.status_code in (200, 400)
    blob_dir = settings.CORRIDOR_BLOB_DIR / "intake"
    for path in settings.CORRIDOR_BLOB_DIR.rglob("*"):
        assert path.resolve().is_relative_to(settings.CORRIDOR_BLOB_DIR.resolve())
        assert "evil" not in path.name and "cron" not in path.name
    if response.status_code == 200:
        stored = Attachment.objects.get()
        assert len(stored.blob) == 40 and (blob_dir / stored.blob).exists()
        assert oct((blob_dir / stored.blob).stat().st_mode & 0o777) == "0o600"
    assert not (tmp_path.parent / "evil.jpg").exists()


def test_messages_are_in_english_with_lang_en(public, org):
    response = submit(public, what="", lang="en")
    assert "Please write a few words" in response.content.decode()


def test_a_broken_multipart_body_gets_a_message(public, org, settings):
    token = token_from(public.get("/"))
    body = (b"--xyz\r\nContent-Disposition: form-data; name=\"token\"\r\n\r\n" + token.encode() +
            b"\r\n--xyz\r\nContent-Disposition: form-data; name=\"files\"; filename=\"a.jpg\"\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\n!!!not base64!!!")
    response = public.post("/?lang=ru", body, content_type="multipart/form-data; boundary=xyz")
    assert response.status_code == 400
    _nothing_stored(settings)


def test_no_temporary_is_left_after_a_refused_upload(public, org, settings):
    settings.CORRIDOR_INTAKE_MAX_FILE_BYTES = 70_000
    submit(public, files=[upload("a.jpg", JPEG + b"\x00" * 300_000)])
    tmp = settings.CORRIDOR_BLOB_DIR / "intake" / "tmp"
    assert list(tmp.iterdir()) == []
