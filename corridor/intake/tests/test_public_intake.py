from __future__ import annotations

import pytest
from django.db import connection

from corridor.intake.models import Attachment, Contact, FormNonce, Message, Receipt
from corridor.intake.tests.conftest import (
    JPEG,
    PDF,
    look_up,
    receipt_from,
    submit,
    token_from,
    upload,
    write_again,
)

pytestmark = pytest.mark.django_db


def test_the_form_is_russian_by_default_and_english_on_request(public, org):
    ru = public.get("/")
    assert ru.status_code == 200
    assert "Что случилось?" in ru.content.decode()
    assert ru["Content-Language"] == "ru"
    en = public.get("/?lang=en")
    assert "What happened?" in en.content.decode()
    assert 'action="/?lang=en"' in en.content.decode()


def test_every_public_page_has_a_quick_exit_that_needs_no_javascript(public, org):
    receipt = receipt_from(submit(public))
    pages = [public.get("/"), public.get("/receipt/"), public.get("/safety/"), submit(public),
             look_up(public, receipt, lang=None)]
    for page in pages:
        body = page.content.decode()
        assert 'class="quick-exit" href="https://' in body
        assert "<script>" not in body and "style=" not in body  # CSP: no inline code or styles


def test_it_stores_a_sealed_submission_and_gives_a_receipt(public, org):
    response = submit(public, what="Меня держат в подвале", files=[upload("photo.jpg", JPEG), upload("a.pdf", PDF)])
    assert response.status_code == 200, response.content.decode()
    receipt = receipt_from(response)
    assert receipt.startswith("+7 9") and "доб." in receipt
    contact = Contact.objects.get()
    assert contact.data_key_id is None and contact.awaiting_reply
    message = Message.objects.get()
    assert message.sealed and message.body is None
    assert Attachment.objects.count() == 2
    assert Receipt.objects.count() == 1


def test_it_sets_no_cookie_and_creates_no_session(public, org):
    from django.contrib.sessions.models import Session

    responses = [public.get("/"), submit(public), public.get("/receipt/"), public.get("/?lang=en")]
    for response in responses:
        assert not response.cookies, response.cookies
        assert "Set-Cookie" not in response.headers
    assert not public.cookies
    assert Session.objects.count() == 0


def test_public_intake_works_while_the_agent_is_sealed(public, org, fresh_agent, settings):
    # The organisation was created under the session agent; sealing a fresh one
    # shows that intake needs no agent at all.
    fresh_agent.agent.seal()
    response = submit(public, what="пишу, пока сервер запечатан")
    assert response.status_code == 200
    assert Contact.objects.count() == 1 and Message.objects.get().sealed
    follow = write_again(public, receipt_from(response), "и ещё раз")
    assert follow.status_code == 200
    assert Message.objects.count() == 2


def test_a_raw_dump_of_the_database_holds_none_of_the_submitted_text(public, org, settings):
    canaries = ["канарейка-подвал-7731", "canary-where-9921", "canary-reach-4410", "канарейка-ответ-5519"]
    response = submit(public, what=canaries[0], where=canaries[1], reach=canaries[2],
                      files=[upload("p.jpg", JPEG + canaries[0].encode())])
    write_again(public, receipt_from(response), canaries[3])
    dump = _dump_everything()
    for canary in canaries:
        assert canary.encode() not in dump
        assert canary.encode().hex().encode() not in dump.lower()
    for path in settings.CORRIDOR_BLOB_DIR.rglob("*"):
        if path.is_file():
            assert canaries[0].encode() not in path.read_bytes()


def _dump_everything() -> bytes:
    chunks = [line.encode() for line in connection.connection.iterdump()] if connection.vendor == "sqlite" else []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT * FROM "{table}"')
            for row in cursor.fetchall():
                for value in row:
                    chunks.append(bytes(value) if isinstance(value, (bytes, memoryview)) else str(value).encode())
    return b"\n".join(chunks)


def test_a_reloaded_confirmation_page_does_not_store_twice(public, org):
    token = token_from(public.get("/"))
    first = submit(public, token=token)
    again = submit(public, token=token)
    assert first.status_code == 200 and again.status_code == 200
    assert "уже" in again.content.decode()
    assert Contact.objects.count() == 1 and FormNonce.objects.count() == 1


def test_a_forged_token_is_refused_cheaply(public, org):
    response = submit(public, what="спам", token="forged")
    assert response.status_code == 400
    assert "не с нашей страницы" in response.content.decode()
    assert 'name="what"' not in response.content.decode()
    assert Contact.objects.count() == 0


def test_an_expired_form_keeps_the_text_and_stores_nothing(public, org, monkeypatch):
    from corridor.intake.views import public as views

    token = token_from(public.get("/"))
    monkeypatch.setattr(views, "TOKEN_AGE", -1)
    response = submit(public, what="мой текст остаётся", token=token)
    assert response.status_code == 400
    body = response.content.decode()
    assert "мой текст остаётся" in body and "форма устарела" in body
    assert Contact.objects.count() == 0


def test_each_form_gets_its_own_token(public, org):
    assert token_from(public.get("/")) != token_from(public.get("/"))


def test_a_cross_site_post_is_refused(public, org):
    token = token_from(public.get("/"))
    response = public.post("/?lang=ru", {"what": "x", "urgency": "1", "token": token},
                           headers={"Origin": "https://evil.example"})
    assert response.status_code == 403
    assert Contact.objects.count() == 0


def test_our_own_post_with_origin_null_is_accepted(public, org):
    token = token_from(public.get("/"))
    response = public.post("/?lang=ru", {"what": "помогите", "urgency": "2", "token": token},
                           headers={"Origin": "null"})
    assert response.status_code == 200 and Contact.objects.count() == 1


def test_the_receipt_page_says_when_it_expires(public, org, settings):
    settings.CORRIDOR_RECEIPT_EXPIRY_DAYS = 30
    body = submit(public).content.decode()
    assert "30" in body


def test_nothing_about_the_sender_is_stored(public, org):
    submit(public, headers={"User-Agent": "Canary-Agent/1.0"}, REMOTE_ADDR="203.0.113.77")
    dump = _dump_everything()
    assert b"Canary-Agent" not in dump and b"203.0.113.77" not in dump
