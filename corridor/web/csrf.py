"""CSRF protection that works with `Referrer-Policy: no-referrer`.

With that policy, browsers send `Origin: null` on same-origin form posts and no
Referer at all, so Django's origin check would refuse every form. We keep the
policy (it stops URLs with case codes leaking anywhere) and accept `Origin: null`
only when the browser's Fetch Metadata says the request came from our own origin
(`Sec-Fetch-Site: same-origin`, sent by Chromium and Firefox/Tor Browser, and not
settable by a page). The CSRF token is still checked, the cookies are
SameSite=Strict, and behind TLS the CSRF cookie is `__Host-` so no subdomain can
plant one.
"""

from __future__ import annotations

from django.middleware.csrf import CsrfViewMiddleware
from django.utils.decorators import decorator_from_middleware


class CorridorCsrfViewMiddleware(CsrfViewMiddleware):
    def _origin_verified(self, request) -> bool:
        if request.META.get("HTTP_ORIGIN") == "null":
            return request.META.get("HTTP_SEC_FETCH_SITE") == "same-origin"
        return super()._origin_verified(request)


# Django's `csrf_protect` decorator wraps the stock middleware, which refuses the
# `Origin: null` our policy makes browsers send: views that must install their own
# upload handlers before the body is read (and so are `csrf_exempt`) check CSRF
# with this one instead, the same class the site runs as middleware.
site_csrf_protect = decorator_from_middleware(CorridorCsrfViewMiddleware)
