"""Locked cases answer 403 before any case view runs.

Sits after `DecoyWorkspaceMiddleware`: a decoy session never gets here, so the
coerced account never sees the locked page. For everyone else, a URL under
/staff/cases/<code>/ that names a locked case is refused up front (no view, no
side effect), and `CaseLocked` raised by `get_case_for_user` from any other page
(housing, intake) is drawn the same way.
"""

from __future__ import annotations

import re

from django.shortcuts import render
from django.urls import Resolver404, resolve

from corridor.accounts.permissions import Perm
from corridor.cases.urls import CaseCode


def locked_response(request, code: str):
    return render(request, "cases/locked.html",
                  {"code": code, "can_unlock": request.user.can(Perm.CASE_UNLOCK)}, status=403)


class CaseLockedMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        code = self._case_code(request)
        if code:
            from corridor.accounts.duress import is_restricted
            from corridor.cases.models import Case
            from corridor.cases.selectors import locked_expr

            row = (Case.objects.filter(organisation_id=request.user.organisation_id, code=code)
                   .annotate(locked=locked_expr()).values_list("locked", flat=True).first())
            # A restricted account (outside its decoy, e.g. a test client) gets the
            # view's own 404, never the word "locked".
            if row and not is_restricted(request.user):
                return locked_response(request, code)
        return self.get_response(request)

    @staticmethod
    def _case_code(request) -> str:
        if not request.path_info.startswith("/staff/cases/"):
            return ""
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return ""
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return ""
        code = str(match.kwargs.get("code") or "")
        if match.namespace != "cases" or not re.fullmatch(CaseCode.regex, code):
            return ""  # not a case URL (a country's code, a lock's id)
        return code.upper()

    def process_exception(self, request, exception):
        from corridor.cases.selectors import CaseLocked

        if isinstance(exception, CaseLocked):
            return locked_response(request, exception.code)
        return None
