"""The web's side of the unwrap ceiling (policy in corridor/keyd/policy.py).

- keyd's "ceiling_warn" notice: an audit entry and a warning in the error log, for
  administrators; the request itself goes on.
- keyd's "suspended" refusal: the account is deactivated, its sessions end, and the
  user sees a page saying why. Nobody else is affected.
"""

from __future__ import annotations

import logging

from django.contrib.auth import logout
from django.shortcuts import render

log = logging.getLogger("corridor.ceiling")


def on_notice(notice: str, principal: str) -> None:
    if notice != "ceiling_warn":
        return
    log.warning("unwrap ceiling warning: %s is opening unusually many distinct keys", principal.partition(";")[0])
    try:
        from corridor.accounts.services import ceiling_warning_record

        ceiling_warning_record(principal=principal)
    except Exception:  # the warning must never break the page it rides on
        log.exception("could not audit an unwrap ceiling warning")


def suspended_response(request, exception):
    from corridor.accounts.services import user_suspend_for_unwraps

    user = getattr(request, "user", None)
    if getattr(user, "is_authenticated", False):
        log.warning("unwrap ceiling: %s suspended", user.principal)
        if user.is_active:
            user_suspend_for_unwraps(user=user, reason=str(exception)[:200])
        logout(request)
    return render(request, "web/suspended.html", status=403)
