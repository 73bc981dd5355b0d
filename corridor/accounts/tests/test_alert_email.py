"""Alert notices reach a real SMTP server on loopback, and say nothing but "sign in"."""

from __future__ import annotations

import socket
import time
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from corridor.accounts import duress, notify
from corridor.accounts.tests.test_duress import DURESS, _case, _sign_in
from corridor.accounts.tests.test_login import PASSWORD

pytestmark = pytest.mark.django_db


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Sink:
    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 -- aiosmtpd's hook name
        self.messages.append(envelope)
        return "250 OK"

    def wait(self, count: int, timeout: float = 10.0) -> list:
        notify.wait_for_sent(timeout)
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.messages


@pytest.fixture
def smtp(settings):
    from aiosmtpd.controller import Controller

    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.CORRIDOR_ALERT_EMAILS = ["duty@example.org", "second@example.org"]
    yield sink
    controller.stop()


def _assert_says_nothing(envelope, *secrets: str) -> str:
    import email
    import email.policy

    message = email.message_from_bytes(envelope.content, policy=email.policy.default)
    body = message.get_content()
    for secret in ("duress", "принужд", "seal", "опечат", "check-in", *secrets):
        assert secret.lower() not in (str(message["Subject"]) + body).lower(), secret
    assert "Please sign in" in body and "войдите" in body.lower()
    return body


def test_a_duress_sign_in_mails_the_duty_addresses_with_nothing_in_it(smtp, cast, django_capture_on_commit_callbacks):
    duress.duress_passphrase_set(actor=cast.alice, user=cast.alice, passphrase=DURESS)
    with django_capture_on_commit_callbacks(execute=True):
        _, done = _sign_in(Client(), "alice", DURESS, cast.alice)
    assert done.status_code == 302
    (envelope,) = smtp.wait(1)
    assert sorted(envelope.rcpt_tos) == ["duty@example.org", "second@example.org"]
    _assert_says_nothing(envelope, "alice", "Alice", cast.org.name, str(cast.alice.pk))


def test_a_normal_sign_in_mails_nobody(smtp, cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _sign_in(Client(), "alice", PASSWORD, cast.alice)
    assert smtp.wait(1, timeout=0.5) == []


def test_a_seal_and_a_missed_check_in_are_mailed_too(smtp, cast, fresh_agent, django_capture_on_commit_callbacks):
    from corridor.cases.services import alerts_sweep
    from corridor.crypto.seal_signal import seal_everywhere

    case = _case(cast)
    type(case).objects.filter(pk=case.pk).update(next_checkin_due=timezone.now() - timedelta(days=2))
    with django_capture_on_commit_callbacks(execute=True):
        assert alerts_sweep()
    with django_capture_on_commit_callbacks(execute=True):
        seal_everywhere(actor="system:test", reason="test", via="cli")
    messages = smtp.wait(2)
    assert len(messages) == 2
    for envelope in messages:
        _assert_says_nothing(envelope, case.code, "Иван")


def test_a_relay_that_is_down_does_not_stop_the_sign_in(settings, cast, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", _free_port()  # nobody listens
    settings.CORRIDOR_ALERT_EMAILS = ["duty@example.org"]
    duress.duress_passphrase_set(actor=cast.alice, user=cast.alice, passphrase=DURESS)
    forced = Client()
    with django_capture_on_commit_callbacks(execute=True):
        _, done = _sign_in(forced, "alice", DURESS, cast.alice)
    notify.wait_for_sent()
    assert done.status_code == 302 and forced.get("/staff/").status_code == 200
