from __future__ import annotations

from django.conf import settings

from corridor.accounts.duress import is_decoy
from corridor.web.registry import nav_for


def corridor(request) -> dict:
    user = getattr(request, "user", None)
    staff = bool(user and user.is_authenticated and request.path.startswith("/staff/"))
    return {
        "nav_items": nav_for(user) if staff else [],
        # A duress session must not learn that its own sign-in sealed the server.
        "server_sealed": staff and not is_decoy(request) and _sealed(),
        "is_demo": settings.DEMO,
        "languages": settings.LANGUAGES,
    }


def _sealed() -> bool:
    from corridor.crypto.keys import is_sealed

    return is_sealed()
