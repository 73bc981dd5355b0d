from __future__ import annotations

from django.conf import settings
from django.shortcuts import render
from django.utils import translation

from corridor.keyd.errors import CeilingTripped, KeydUnavailable, PrincipalSuspended, Sealed

PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=(), interest-cohort=(), browsing-topics=()"
)


class SecurityHeadersMiddleware:
    """Headers Django does not set itself. Every HTML page is `no-store`: staff pages
    hold case data, and public pages must leave nothing in a searched phone's cache."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        response.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        response.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        response.setdefault("Referrer-Policy", "no-referrer")
        response.setdefault("X-Content-Type-Options", "nosniff")
        if not request.path.startswith(settings.STATIC_URL):
            response["Cache-Control"] = "no-store, max-age=0"
            response["Pragma"] = "no-cache"
        return response


class LanguageMiddleware:
    """Language without tracking: staff use their saved preference; the public pages
    read `?lang=` (carried in their links and forms) and default to Russian, so no
    cookie is needed before someone submits anything."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        languages = dict(settings.LANGUAGES)
        # Only the query string: touching request.POST here would parse uploads before
        # a view can install its streaming upload handlers. Public forms post to
        # "?lang=xx".
        lang = request.GET.get("lang")
        if lang not in languages:
            lang = None
        if lang is None and request.path.startswith("/staff/"):
            lang = request.session.get("django_language")
        if lang not in languages:
            lang = settings.LANGUAGE_CODE
        translation.activate(lang)
        request.LANGUAGE_CODE = lang
        response = self.get_response(request)
        response.setdefault("Content-Language", lang)
        translation.deactivate()
        return response


class SealedMiddleware:
    """A sealed agent turns every decrypting page into a clear explanation (503)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, PrincipalSuspended):
            from corridor.web.ceiling import suspended_response

            return suspended_response(request, exception)
        if isinstance(exception, CeilingTripped):
            _record_ceiling(request)
        if isinstance(exception, (Sealed, KeydUnavailable, CeilingTripped)):
            user = getattr(request, "user", None)
            staff = request.path.startswith("/staff/") and bool(user is not None and user.is_authenticated)
            return render(request, "web/sealed.html", {"unavailable": isinstance(exception, KeydUnavailable),
                                                       "base_template": "web/staff_base.html" if staff else ""},
                          status=503)
        return None


def _record_ceiling(request) -> None:
    """The agent sealed itself because this user unwrapped too many keys: keep it in
    the audit log (in its own transaction; the request's own work is abandoned)."""
    from django.db import transaction

    from corridor.audit.events import CoreEvent
    from corridor.audit.services import record

    user = getattr(request, "user", None)
    with transaction.atomic():
        record(CoreEvent.UNWRAP_CEILING_TRIPPED, actor=user if getattr(user, "is_authenticated", False) else None,
               path_name=getattr(getattr(request, "resolver_match", None), "view_name", "") or "")


class KeepTypedWorkMiddleware:
    """A staff form posted after the session expired is kept (encrypted, see
    `corridor.web.kept`) and offered back after signing in, instead of vanishing.

    Sits just before `LoginRequiredMiddleware`, which then sends the person to sign
    in. Also forgets the kept post once it has been posted again successfully."""

    PUBLIC = ("/staff/login/", "/staff/logout/", "/staff/language/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from corridor.web import kept

        if request.method != "POST" or not request.path.startswith("/staff/") or request.path.startswith(self.PUBLIC):
            return self.get_response(request)
        authenticated = getattr(request, "user", None) is not None and request.user.is_authenticated
        if not authenticated:
            try:
                small = int(request.META.get("CONTENT_LENGTH") or 0) <= kept.MAX_BODY
            except ValueError:
                small = False
            response = self.get_response(request)
            if small and response.status_code in (301, 302) and "/staff/login/" in response.get("Location", ""):
                kept.keep(request, response)
            return response
        response = self.get_response(request)
        entry = request.session.get(kept.SESSION_FIELD) if hasattr(request, "session") else None
        if entry and entry.get("path") == request.path and response.status_code < 400:
            kept.forget(request, response)
        return response
