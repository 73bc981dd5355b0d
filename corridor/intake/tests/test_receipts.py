from __future__ import annotations

import math
from datetime import timedelta

import pytest
from django.utils import timezone

from corridor.intake import receipts, sealing
from corridor.intake.models import Contact, Message, Receipt, ReceiptThrottle
from corridor.intake.services import messages_open, reply_send
from corridor.intake.services.housekeeping import receipts_expire
from corridor.intake.services.public import ReceiptRefused, receipt_verify
from corridor.intake.tests.conftest import look_up, receipt_from, submit, token_from, write_again

pytestmark = pytest.mark.django_db


def test_a_receipt_has_at_least_64_bits_and_looks_like_phone_numbers():
    assert receipts.DIGITS * math.log2(10) >= 64
    digits = receipts.generate()
    text = receipts.display(digits)
    assert text.startswith("+7 9") and text.count("+7 9") == 2 and text.endswith(digits[-3:])
    assert receipts.parse(text) == digits


@pytest.mark.parametrize("written", [
    "+7 9{a} {b}-{c}-{d}, +7 9{e} {f}-{g}-{h} доб. {x}",
    "8 (9{a}) {b} {c} {d}  8 (9{e}) {f}{g}{h} ext {x}",
    "9{a}{b}{c}{d}9{e}{f}{g}{h}{x}",
    "+79{a}{b}{c}{d} / 79{e}{f}{g}{h} — {x}",
])
def test_a_receipt_can_be_typed_in_many_ways(written):
    d = receipts.generate()
    parts = dict(a=d[0:2], b=d[2:5], c=d[5:7], d=d[7:9], e=d[9:11], f=d[11:14], g=d[14:16], h=d[16:18], x=d[18:21])
    assert receipts.parse(written.format(**parts)) == d


@pytest.mark.parametrize("junk", ["", "+7 912 345-67-89", "hello", "1" * 40, "+7 912 345-67-89, +7 987 654-32-10"])
def test_junk_is_not_a_receipt(junk):
    assert receipts.parse(junk) is None


def test_only_a_hash_of_the_receipt_is_stored(public, org):
    receipt = receipt_from(submit(public))
    digits = receipts.parse(receipt)
    row = Receipt.objects.get()
    stored = b"".join(bytes(v) for v in (row.lookup, row.salt, row.verifier, row.reply_public_key))
    assert digits.encode() not in stored and len(bytes(row.lookup)) == 3


def test_the_person_reads_a_staff_reply_and_writes_again(public, cast, org):
    receipt = receipt_from(submit(public, what="первое сообщение"))
    messages_open(actor=cast.operator, organisation=org)
    contact = Contact.objects.get()
    reply_send(actor=cast.operator, contact=contact, text="Мы получили. Напишите, где вы.")
    page = look_up(public, receipt)
    assert page.status_code == 200
    assert "Мы получили. Напишите, где вы." in page.content.decode()
    assert "первое сообщение" not in page.content.decode()  # their own words are not shown back
    answer = write_again(public, receipt, "Я в Грозном")
    assert answer.status_code == 200 and "Ваше сообщение отправлено" in answer.content.decode()
    assert Message.objects.filter(direction="in").count() == 2
    messages_open(actor=cast.operator, organisation=org)
    texts = [m.body.get("text") for m in Message.objects.filter(direction="in").select_related("contact")]
    assert "Я в Грозном" in texts
    assert not public.cookies


def test_replies_are_unreadable_without_the_receipt(public, cast, org):
    receipt = receipt_from(submit(public))
    messages_open(actor=cast.operator, organisation=org)
    contact = Contact.objects.get()
    reply = reply_send(actor=cast.operator, contact=contact, text="секретный-ответ-2231")
    raw = bytes(Message.objects.get(pk=reply.pk).reply)
    assert b"2231" not in raw
    # Not with another receipt's key, nor with the organisation's intake key.
    other = receipts.derive(receipts.generate(), bytes(contact.receipt.salt), time_cost=1, memory_cost=64)
    with pytest.raises(sealing.SealingError):
        sealing.open_reply(other.private_key, contact_id=contact.pk, message_id=reply.pk, sealed=raw)
    from corridor.crypto.context import current_principal
    from corridor.crypto.keys import keyd
    from corridor.keyd.errors import KeydError

    dk = org.intake_private_key
    with pytest.raises(KeydError):
        keyd().hpke_open(current_principal(), (bytes(dk.wrapped), dk.wrap_ad(), dk.root_version), raw,
                         sealing.reply_info(contact.pk, reply.pk))
    # The right receipt opens it.
    opened = receipt_verify(text=receipt)
    assert sealing.open_reply(opened.derived.private_key, contact_id=contact.pk, message_id=reply.pk,
                              sealed=raw) == {"text": "секретный-ответ-2231"}


def test_a_moved_reply_does_not_open(public, cast, org):
    r1 = receipt_from(submit(public))
    receipt_from(submit(public))
    messages_open(actor=cast.operator, organisation=org)
    first, second = Contact.objects.order_by("received")
    reply = reply_send(actor=cast.operator, contact=second, text="для второго")
    Message.objects.filter(pk=reply.pk).update(contact=first)
    page = look_up(public, r1, lang=None)
    assert "для второго" not in page.content.decode()


def _wrong_on_a_live_tag(public):
    """A wrong receipt whose lookup tag has a live receipt behind it (so it costs
    Argon2): another person's receipt row is given the wrong guess's tag."""
    receipt = receipt_from(submit(public))
    other = receipt_from(submit(public))
    digits = receipts.parse(receipt)
    wrong = digits[:-1] + str((int(digits[-1]) + 1) % 10)
    Receipt.objects.filter(lookup=receipts.lookup_tag(receipts.parse(other))).update(lookup=receipts.lookup_tag(wrong))
    return receipt, wrong


def test_wrong_receipts_are_throttled_per_lookup_tag(public, org, settings):
    receipt, wrong = _wrong_on_a_live_tag(public)
    for _ in range(settings_failures()):
        with pytest.raises(ReceiptRefused) as exc:
            receipt_verify(text=receipts.display(wrong))
        assert exc.value.code == "unknown"
    with pytest.raises(ReceiptRefused) as exc:
        receipt_verify(text=receipts.display(wrong))
    assert exc.value.code == "locked"
    # The right receipt is still fine (another tag), and the page explains the lock.
    assert receipt_verify(text=receipt).receipt.contact_id
    page = look_up(public, receipts.display(wrong), lang=None)
    assert page.status_code == 429 and "подождите" in page.content.decode()
    assert not ReceiptThrottle.objects.filter(key__contains="203.0.113").exists()


def settings_failures() -> int:
    from corridor.intake import conf

    return conf.receipt_lock_failures()


def test_a_flood_of_wrong_receipts_does_not_stop_real_ones(public, org, monkeypatch):
    """300 random receipts in a few seconds used to pause every lookup for 10 minutes.
    Now a guess on an empty tag costs no Argon2 and writes nothing."""
    real = [receipt_from(submit(public)) for _ in range(3)]
    runs = []
    derive = receipts.derive
    monkeypatch.setattr(receipts, "derive", lambda *a, **k: runs.append(1) or derive(*a, **k))
    opened = 0
    for i in range(3000):
        with pytest.raises(ReceiptRefused) as exc:
            receipt_verify(text=receipts.display(receipts.generate()))
        assert exc.value.code == "unknown"
        if i % 30 == 0:
            opened += bool(receipt_verify(text=real[i % 3]).receipt.pk)
    assert opened == 100  # every real lookup during the flood
    assert len(runs) <= 100 + 2  # Argon2 only for the real ones (and a 3-in-16M chance per guess)
    assert ReceiptThrottle.objects.count() == 0
    # Over HTTP as well: real holders get their page, junk gets 400, nothing 429.
    token = token_from(public.get("/receipt/"))  # Django does not count uses: the front does
    statuses = [public.post("/receipt/", {"token": token, "receipt": receipts.display(receipts.generate())}).status_code
                for _ in range(300)]
    assert set(statuses) == {400}
    assert look_up(public, real[0], lang=None).status_code == 200


def test_argon2_runs_one_at_a_time_per_process(public, org, monkeypatch):
    import threading
    import time as _time

    real = receipt_from(submit(public))
    active, peak = [0], [0]
    lock = threading.Lock()
    derive = receipts.derive

    def slow(*a, **k):
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        _time.sleep(0.02)
        try:
            return derive(*a, **k)
        finally:
            with lock:
                active[0] -= 1

    monkeypatch.setattr(receipts, "derive", slow)
    from corridor.intake.services import public as public_services

    rows = list(Receipt.objects.all())
    monkeypatch.setattr(public_services.Receipt.objects, "filter", lambda *a, **k: _Rows(rows))
    threads = [threading.Thread(target=lambda: _try(real)) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert peak[0] == 1


class _Rows(list):
    def select_related(self, *a):
        return self

    def update(self, **k):
        return 1


def _try(text):
    try:
        receipt_verify(text=text)
    except Exception:  # noqa: BLE001 -- the database is not shared with these threads
        pass


def test_text_that_cannot_be_a_receipt_costs_no_argon2_and_is_not_counted(public, org, monkeypatch):
    calls = []
    monkeypatch.setattr(receipts, "derive", lambda *a, **k: calls.append(1))
    for junk in ["hello", "x" * 500, "+7 912"]:
        with pytest.raises(ReceiptRefused) as exc:
            receipt_verify(text=junk)
        assert exc.value.code == "format"
    assert calls == [] and ReceiptThrottle.objects.count() == 0


def test_receipts_expire_after_inactivity_and_take_the_replies_with_them(public, cast, org, settings):
    settings.CORRIDOR_RECEIPT_EXPIRY_DAYS = 10
    receipt = receipt_from(submit(public))
    messages_open(actor=cast.operator, organisation=org)
    reply_send(actor=cast.operator, contact=Contact.objects.get(), text="ответ")
    Receipt.objects.update(last_used=timezone.now() - timedelta(days=11))
    with pytest.raises(ReceiptRefused):
        receipt_verify(text=receipt)
    assert receipts_expire() == 1
    assert Receipt.objects.count() == 0
    assert Message.objects.get(direction="out").reply is None


def test_each_visit_extends_the_receipt(public, org, settings):
    settings.CORRIDOR_RECEIPT_EXPIRY_DAYS = 10
    receipt = receipt_from(submit(public))
    Receipt.objects.update(last_used=timezone.now() - timedelta(days=9))
    receipt_verify(text=receipt)
    assert Receipt.objects.get().last_used > timezone.now() - timedelta(minutes=1)
    assert receipts_expire() == 0


def test_a_lookup_not_from_our_page_is_refused_before_any_lookup(public, org, monkeypatch):
    """The receipt page carries a signed token first; a post without one (or with a
    forged one) never reaches the receipt table, and says so in the person's language."""
    receipt = receipt_from(submit(public))
    looked = []
    monkeypatch.setattr(receipts, "lookup_tag", lambda digits: looked.append(digits) or b"\0\0\0")
    token = token_from(public.get("/receipt/?lang=en"))
    for data in ({"receipt": receipt}, {"token": token[:-3] + "AAA", "receipt": receipt},
                 {"token": "", "receipt": receipt}):
        page = public.post("/receipt/?lang=en", data)
        assert page.status_code == 400 and "did not come from our own page" in page.content.decode()
        assert page["Corridor-Refusal"] == "foreign"
        assert 'href="/receipt/?lang=en">Open the receipt page again' in page.content.decode()
        page = public.post("/receipt/write/?lang=en", {**data, "text": "again"})
        assert page.status_code == 400 and "did not come from our own page" in page.content.decode()
    assert looked == []


def test_the_receipt_page_token_cannot_submit_the_intake_form(public, org):
    token = token_from(public.get("/receipt/"))
    assert token != token_from(public.get("/receipt/"))  # a fresh one on every load
    page = submit(public, token=token)
    assert page.status_code == 400 and Contact.objects.count() == 0


def test_an_old_receipt_page_still_opens_the_receipt(public, org, monkeypatch):
    """A page left open for days carries an old token: the lookup still answers."""
    import time as _time

    receipt = receipt_from(submit(public))
    now = _time.time()
    monkeypatch.setattr(_time, "time", lambda: now - 30 * 24 * 3600)
    token = token_from(public.get("/receipt/?lang=ru"))
    monkeypatch.setattr(_time, "time", lambda: now)
    assert public.post("/receipt/?lang=ru", {"token": token, "receipt": receipt}).status_code == 200
