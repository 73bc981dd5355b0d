"""Error pages: 403, 404 and 500 in the shell the person was using, in their
language, with a way back.

Staff pages keep the staff shell (navigation, the language switch). A case that was
handed over to another organisation says so to the staff of the sending side who
may see referrals, instead of a bare "not found". Public pages keep the public
shell with its quick exit. The 500 page never needs the database: if the shell
cannot be drawn (the database is gone), a self-contained page is sent.
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string

logger = logging.getLogger("corridor.web")

STAFF_PREFIX = "/staff/"


def _staff(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    return request.path.startswith(STAFF_PREFIX) and bool(user is not None and user.is_authenticated)


def _public_context(request: HttpRequest) -> dict:
    from corridor.intake import conf

    lang = getattr(request, "LANGUAGE_CODE", "ru")
    return {"lang": lang, "other_lang": "en" if lang == "ru" else "ru", "exit_url": conf.quick_exit_url(),
            "keep_page": True}


def _page(request: HttpRequest, status: int, context: dict | None = None) -> HttpResponse:
    context = {"status": status, **(context or {})}
    if _staff(request):
        return render(request, "web/error.html", context, status=status)
    return render(request, "web/error_public.html", {**_public_context(request), **context}, status=status)


def transferred_case(request: HttpRequest):
    """The referral that took the case this URL names away from the reader's
    organisation, if the reader may see referrals (coordinators); else None, and
    the page stays a plain "not found"."""
    from corridor.accounts.permissions import Perm

    match = getattr(request, "resolver_match", None)
    code = (match.kwargs.get("code") if match else None) or ""
    if not code or not match or match.namespace != "cases" or not request.user.can(Perm.CASE_REFER):
        return None
    from corridor.audit.models import AuditEntry
    from corridor.cases.events import CaseEvent
    from corridor.cases.models import Referral

    # Indexed columns only; the referral's id is in the entry's parsed data.
    entry = (AuditEntry.objects.filter(code=CaseEvent.CASE_TRANSFERRED_OUT, organisation=str(request.user.organisation_id),
                                       object_type="cases.case", object_id=str(code).upper())
             .order_by("-seq").first())
    referral_id = entry.data.get("referral") if entry is not None else None
    if not referral_id:
        return None
    return (Referral.objects.select_related("to_org")
            .filter(pk=referral_id, from_org_id=request.user.organisation_id).first())


def not_found(request: HttpRequest, exception=None) -> HttpResponse:
    context: dict = {}
    if _staff(request):
        try:
            context["referral"] = transferred_case(request)
            context["old_code"] = str(request.resolver_match.kwargs.get("code", "")).upper() if context["referral"] else ""
        except Exception:  # the explanation is a courtesy; a plain 404 must still be shown
            logger.exception("transferred-case lookup failed")
    return _page(request, 404, context)


def forbidden(request: HttpRequest, exception=None) -> HttpResponse:
    return _page(request, 403)


def server_error(request: HttpRequest) -> HttpResponse:
    try:
        return _page(request, 500)
    except Exception:
        logger.exception("error page could not be drawn")
        body = render_to_string("web/error_bare.html", {"status": 500})
        return HttpResponse(body, status=500)
