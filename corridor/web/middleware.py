from __future__ import annotations

from django.conf import settings
from django.shortcuts import render
from django.utils import translation

from corridor.keyd.errors import KeydUnavailable, Sealed

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
        if isinstance(exception, (Sealed, KeydUnavailable)):
            return render(request, "web/sealed.html", {"unavailable": isinstance(exception, KeydUnavailable)},
                          status=503)
        return None
