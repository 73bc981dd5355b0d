"""Sessions in the database whose sliding expiry is written at most once a minute.

The idle timeout slides: every request moves the session's expiry to now +
`SESSION_COOKIE_AGE`. Saving that on every request costs an UPDATE and an fsync'd
COMMIT per page view. Here an unchanged session is saved only when its stored
expiry would move by more than `SLIDE_SECONDS`, so a signed-in person clicking
through pages writes once a minute instead of on every click. The idle timeout
is never longer than configured: at worst the stored expiry is up to a minute
earlier than a save on every request would have made it (the session ends after
29 to 30 minutes of idleness instead of exactly 30). The absolute timeout
(`SessionPolicyMiddleware`) reads the sign-in time kept inside the session and is
not affected.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.sessions.backends import db
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware

SLIDE_SECONDS = 60


class SessionStore(db.SessionStore):
    stored_expiry = None

    def _get_session_from_db(self):
        s = super()._get_session_from_db()
        self.stored_expiry = s.expire_date if s is not None else None
        return s

    def save(self, must_create: bool = False) -> None:
        super().save(must_create=must_create)
        self.stored_expiry = self.get_expiry_date()

    def expiry_is_stale(self) -> bool:
        """Whether the expiry a save would write now is over a minute later than the stored one."""
        if self.stored_expiry is None or self.session_key is None:
            return False
        return self.get_expiry_date() - self.stored_expiry > timedelta(seconds=SLIDE_SECONDS)


class SessionMiddleware(DjangoSessionMiddleware):
    """Django's, with `SESSION_SAVE_EVERY_REQUEST` off and the expiry slid here."""

    def process_response(self, request, response):
        session = getattr(request, "session", None)
        if (session is not None and not session.modified and getattr(session, "expiry_is_stale", None)
                and session.session_key and not session.is_empty() and session.expiry_is_stale()):
            session.modified = True
        return super().process_response(request, response)
