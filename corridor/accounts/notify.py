"""Optional e-mail notice for alerts (duress sign-in, seal, missed check-in).

Off unless `CORRIDOR_ALERT_EMAILS` lists addresses (kept in the environment, not in
the database). Sent through Django's e-mail backend to a local SMTP relay
(`EMAIL_HOST`, `EMAIL_PORT`), after the alert's transaction commits, from a
background thread: a slow relay never shows in a response's timing (a duress
sign-in must answer like any other). The message is the same whatever happened and
carries no name, no case, no kind of event: only that something needs attention and
that the reader should sign in. Mail servers and mailboxes are outside Corridor's
protection, so they learn no more than that.
"""

from __future__ import annotations

import logging
import threading

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

log = logging.getLogger("corridor.notify")


def _send(recipients: list[str]) -> None:
    # Both languages: the relay does not know who reads which.
    parts = []
    for lang, _name in settings.LANGUAGES:
        with translation.override(lang):
            parts.append((_("Corridor: something needs you"),
                          _("Something in Corridor needs your attention. Please sign in. "
                            "This message says nothing more on purpose.")))
    subject = " / ".join(dict.fromkeys(p[0] for p in parts))
    body = "\n\n".join(p[1] for p in parts) + "\n"
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients, fail_silently=False)
    except Exception as exc:  # noqa: BLE001 -- a notice must never break or delay the alert itself
        log.error("alert e-mail not sent: %s", exc.__class__.__name__)


_threads: list[threading.Thread] = []


def alert_email() -> None:
    """Queue the notice to run once the current transaction commits (at once if none)."""
    recipients = list(getattr(settings, "CORRIDOR_ALERT_EMAILS", []) or [])
    if not recipients:
        return

    def go() -> None:
        thread = threading.Thread(target=_send, args=(recipients,), name="alert-email", daemon=True)
        _threads.append(thread)
        thread.start()

    transaction.on_commit(go)


def wait_for_sent(timeout: float = 10.0) -> None:
    """Join the notices sent so far (tests, and `corridor` commands before exiting)."""
    while _threads:
        _threads.pop().join(timeout)
