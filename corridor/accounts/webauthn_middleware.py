from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from corridor.accounts.middleware import LOGIN_PATHS, STAFF_PREFIX
from corridor.accounts.webauthn_models import WebAuthnCredential

# Session flag: this session has passed the requirement check.
CHECKED = "webauthn_policy_checked"


class SecurityKeyRequiredMiddleware:
    """Roles that must use a security key (SecurityKeyRequirement).

    A session verified by a key passes without a query; any other is checked once. A session verified by a code,
    for someone whose role needs a key:
    - who has a key: ends, whichever path signed it in (the code page refuses the
      code, but the locked-name path takes password and code together); otherwise a
      phished code would still open the account;
    - who has none yet: may only register one (and sign out) until they do. That first
      registration is the one moment a phished code still counts (docs/threat-model.md).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path
        user = getattr(request, "user", None)
        if (path.startswith(STAFF_PREFIX) and not path.startswith(LOGIN_PATHS) and user is not None
                and user.is_authenticated and not request.session.get(CHECKED)
                and user.is_verified()):
            from corridor.accounts.webauthn_selectors import usable_keys
            from corridor.accounts.webauthn_services import key_required

            # Decided once per session, at its first page: a requirement set later
            # applies from the next sign-in, and pages pay no query for it.
            if isinstance(user.otp_device, WebAuthnCredential) or not key_required(user):
                request.session[CHECKED] = True
            elif usable_keys(user).exists():
                logout(request)
                messages.info(request, _("Your role signs in with a security key. Please sign in with it."))
                return redirect(settings.LOGIN_URL)
            else:
                allowed = (reverse("accounts:webauthn_keys"), reverse("accounts:webauthn_register"),
                           reverse("accounts:logout"), reverse("web:set_language"))
                if path not in allowed:
                    messages.info(request, _("Your role must sign in with a security key. Register one to continue."))
                    return redirect("accounts:webauthn_keys")
        return self.get_response(request)
