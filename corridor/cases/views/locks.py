"""The duress locks page: one person asks to unlock, a different person approves or
cancels. The coerced account never reaches it (its sessions are the decoy)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from corridor.accounts.permissions import Perm
from corridor.cases.selectors import get_lock_for_user, locks_for_user
from corridor.cases.services import locks as services
from corridor.web.decorators import require_perm


@require_GET
@require_perm(Perm.CASE_UNLOCK)
def lock_list(request: HttpRequest) -> HttpResponse:
    return render(request, "cases/locks.html", {"locks": locks_for_user(request.user)})


def _step(request: HttpRequest, pk, service, done: str) -> HttpResponse:
    lock = get_lock_for_user(request.user, pk)
    try:
        service(actor=request.user, lock=lock)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, done)
    return redirect("cases:locks")


@require_POST
@require_perm(Perm.CASE_UNLOCK)
def lock_request(request: HttpRequest, pk) -> HttpResponse:
    return _step(request, pk, services.case_unlock_request,
                 _("Unlock requested. A different coordinator or administrator must approve it."))


@require_POST
@require_perm(Perm.CASE_UNLOCK)
def lock_approve(request: HttpRequest, pk) -> HttpResponse:
    return _step(request, pk, services.case_unlock_approve, _("The cases are unlocked."))


@require_POST
@require_perm(Perm.CASE_UNLOCK)
def lock_cancel(request: HttpRequest, pk) -> HttpResponse:
    return _step(request, pk, services.case_unlock_cancel, _("The unlock request was cancelled; the cases stay locked."))
