"""Refuse NUL characters anywhere in an API request before it reaches a query.

PostgreSQL text cannot hold U+0000, so a NUL in a query parameter or a JSON string
would reach the database as a DataError (a 500). The pages' forms already refuse it
(Django's ProhibitNullCharactersValidator); the API's typed parameters do not, so
this one check covers every operation, present and future.
"""

from __future__ import annotations

from django.http import JsonResponse

PREFIX = "/api/"


class RefuseNulMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(PREFIX) and _has_nul(request):
            return JsonResponse({"detail": "nul_character"}, status=400)
        return self.get_response(request)


def _has_nul(request) -> bool:
    if "\x00" in request.path:
        return True
    for key, values in request.GET.lists():
        if "\x00" in key or any("\x00" in v for v in values):
            return True
    if request.method in ("POST", "PUT", "PATCH"):
        body = request.body
        return b"\x00" in body or b"\\u0000" in body.lower()
    return False
