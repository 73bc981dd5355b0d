from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.utils import timezone

from corridor.crypto.context import acting_as

STAFF_PREFIX = "/staff/"
LOGIN_PATHS = ("/staff/login/",)


class SessionPolicyMiddleware:
    """Absolute session lifetime and "end all my sessions" (the epoch check).

    The idle timeout is the cookie/session age, renewed on each request. The
    absolute limit counts from the moment of login and is never renewed.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            started = request.session.get("auth_time", 0)
            epoch = request.session.get("epoch")
            if time.time() - started > settings.SESSION_ABSOLUTE_SECONDS or epoch != user.session_epoch:
                logout(request)
                return redirect(settings.LOGIN_URL)
            with acting_as(user.keyd_principal):
                return self.get_response(request)
        with acting_as("system:web"):
            return self.get_response(request)


class TimeZoneMiddleware:
    """Pages and forms of a signed-in person use their zone (their own choice, else
    their organisation's); everyone else sees UTC unless a view says otherwise (the
    public thread uses the organisation's zone). Stored times stay UTC."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from corridor.accounts.timezones import zone_name_for

        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            with timezone.override(zone_name_for(user)):
                return self.get_response(request)
        return self.get_response(request)


class StaffOnlyWithSecondFactorMiddleware:
    """Every staff page needs a password *and* a verified TOTP code in this session."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(STAFF_PREFIX) and not request.path.startswith(LOGIN_PATHS):
            user = request.user
            if user.is_authenticated and not user.is_verified():
                logout(request)
                return redirect(settings.LOGIN_URL)
        return self.get_response(request)
