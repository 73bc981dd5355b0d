"""Security-key pages: the owner's keys (register, remove after re-authentication),
sign-in with a key as the second factor, and the administrators' requirement by role.

Every page is server-rendered; the one script (accounts/webauthn.js) reads the
ceremony options from the form's data-options attribute and posts the response back
in a hidden field, so nothing inline is needed under the CSP.
"""

from __future__ import annotations

import time

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_POST

from corridor.accounts import duress, services
from corridor.accounts import webauthn_ceremony as ceremony
from corridor.accounts import webauthn_selectors as selectors
from corridor.accounts import webauthn_services as keys
from corridor.accounts.permissions import Perm, Role
from corridor.accounts.selectors import get_user_for_admin
from corridor.accounts.webauthn_ceremony import CeremonyRefused
from corridor.accounts.webauthn_forms import (
    KeyRegisterForm,
    KeyRemoveCodeForm,
    KeyRequirementForm,
    KeyResponseForm,
)
from corridor.accounts.webauthn_middleware import CHECKED
from corridor.accounts.webauthn_models import WebAuthnChallenge
from corridor.web.decorators import require_perm

Purpose = WebAuthnChallenge.Purpose
SESSION_KEYS = {Purpose.REGISTER: "webauthn_register", Purpose.SIGN_IN: "webauthn_sign_in",
                Purpose.REAUTH: "webauthn_reauth"}
# Set when password and code were proved together during a lock (key_step_after_both).
PAST_LOCK = "webauthn_past_lock"
KEY_REFUSED = gettext_lazy("The security key's answer was not accepted. Try again, or use another key.")
NO_ANSWER = gettext_lazy("No answer came from a security key. Try again, or type the code.")
NO_KEY_ANSWER = gettext_lazy("No answer came from a security key, so nothing was added. Try again.")
CODE_LOCKED = gettext_lazy("Too many wrong codes for now. Wait a while and try again.")
KEY_REQUIRED = gettext_lazy("Your role signs in with a security key; the code from the app is not enough.")


def _challenge(request: HttpRequest, user, purpose: str) -> bytes:
    challenge = keys.challenge_issue(user=user, purpose=purpose)
    request.session[SESSION_KEYS[purpose]] = str(challenge.pk)
    return bytes(challenge.challenge)


def _spent_challenge_id(request: HttpRequest, purpose: str):
    return request.session.pop(SESSION_KEYS[purpose], None)


# --- second factor at sign-in ------------------------------------------------------
def second_factor_context(request: HttpRequest, user) -> dict:
    """What the code page adds: a "use a security key" form when the person has one,
    and whether the code alone is refused because their role needs a key."""
    usable = list(selectors.usable_keys(user))
    if not usable:
        return {}
    options = ceremony.authentication_options(challenge=_challenge(request, user, Purpose.SIGN_IN), allowed=usable)
    return {"webauthn_options": options, "webauthn_form": KeyResponseForm(), "key_only": keys.key_required(user)}


def key_step_after_both(request: HttpRequest, user, username: str) -> HttpResponse | None:
    """While a name is locked, sign-in takes password and code together. For someone
    whose role needs a key and who has one, those two earn only the key step, which then
    runs despite the lock: the lock bounds guessing, and each try here already cost a
    right code, so a lock never keeps the owner out and a phished code still opens nothing."""
    if not (keys.key_required(user) and selectors.usable_keys(user).exists()):
        return None
    request.session.cycle_key()
    request.session.update({"pending_uid": str(user.pk), "pending_name": username, "pending_at": time.time(),
                            PAST_LOCK: str(user.pk)})
    return redirect("accounts:code")


@login_not_required
@require_POST
@duress.padded  # a duress passphrase may be completed with a key: same padding as a code
def sign_in_view(request: HttpRequest) -> HttpResponse:
    from corridor.accounts.views import BOTH_NEEDED, _complete_login, _pending_user

    user = _pending_user(request)
    if user is None:
        messages.info(request, _("Please sign in again."))
        return redirect("accounts:login")
    username = request.session.get("pending_name", user.username)
    if services.login_locked(username) and request.session.get(PAST_LOCK) != str(user.pk):
        for name in ("pending_uid", "pending_name", "pending_at"):
            request.session.pop(name, None)
        messages.info(request, BOTH_NEEDED)
        return redirect("accounts:login")
    form = KeyResponseForm(request.POST)
    response_json = form.cleaned_data["credential"] if form.is_valid() else ""
    if not response_json:
        # Nothing from a key at all (no JavaScript, or the dialog was closed): no attempt.
        messages.info(request, NO_ANSWER)
        return redirect("accounts:code")
    try:
        credential = keys.webauthn_sign_in(
            user=user, challenge_id=_spent_challenge_id(request, Purpose.SIGN_IN), response_json=response_json
        )
    except CeremonyRefused:
        services.login_failed(username, user)
        messages.error(request, KEY_REFUSED)
        return redirect("accounts:code")
    request.session.pop(PAST_LOCK, None)
    return _complete_login(request, user, credential, username)


# --- the owner's keys ---------------------------------------------------------------
def _keys_page(request: HttpRequest, form: KeyRegisterForm, status: int = 200) -> HttpResponse:
    user = request.user
    owned = list(selectors.keys_for_owner(user))
    options = ceremony.registration_options(user=user, challenge=_challenge(request, user, Purpose.REGISTER),
                                            existing=owned)
    return render(request, "accounts/webauthn_keys.html", {
        "keys": owned, "form": form, "options": options, "required": keys.key_required(user),
        "current_device": getattr(request.user, "otp_device", None),
    }, status=status)


@require_http_methods(["GET"])
def keys_view(request: HttpRequest) -> HttpResponse:
    return _keys_page(request, KeyRegisterForm())


@require_POST
def register_view(request: HttpRequest) -> HttpResponse:
    form = KeyRegisterForm(request.POST)
    if form.is_valid() and not form.cleaned_data["credential"]:
        form.add_error(None, NO_KEY_ANSWER)
    elif form.is_valid():
        try:
            keys.webauthn_credential_register(
                actor=request.user, challenge_id=_spent_challenge_id(request, Purpose.REGISTER),
                response_json=form.cleaned_data["credential"], name=form.cleaned_data["name"],
            )
        except CeremonyRefused:
            form.add_error(None, _("The key's answer was not accepted, so it was not added. Try again."))
        except services.AccountError as exc:
            form.add_error(None, str(exc))
        else:
            # A person made to register one may carry on in this session.
            request.session[CHECKED] = True
            messages.success(request, _("Security key added. You can now sign in with it instead of the code."))
            return redirect("accounts:webauthn_keys")
    return _keys_page(request, form, status=400)


@require_http_methods(["GET", "POST"])
def remove_view(request: HttpRequest, key_id) -> HttpResponse:
    """Removing a key needs a fresh proof with another factor: the code from the app,
    or another key touched now. A stolen open session alone cannot strip a key."""
    user = request.user
    credential = selectors.get_key_for_owner(user, key_id)
    code_form = KeyRemoveCodeForm(request.POST if "code" in request.POST else None)
    refused = ""
    if request.method == "POST":
        proof = ""
        if "credential" in request.POST:
            try:
                keys.webauthn_reauthenticate(
                    user=user, challenge_id=_spent_challenge_id(request, Purpose.REAUTH),
                    response_json=request.POST.get("credential", ""), excluding=credential,
                )
                proof = "key"
            except CeremonyRefused:
                refused = str(KEY_REFUSED)
        elif code_form.is_valid():
            if services.login_locked(user.username):
                refused = str(CODE_LOCKED)
            elif services.totp_verify(user=user, device=services.totp_device(user), code=code_form.cleaned_data["code"]):
                proof = "totp"
            else:
                services.login_failed(user.username, user)
                code_form.add_error(None, _("That code is not right."))
        if proof:
            try:
                keys.webauthn_credential_remove(actor=user, credential=credential, proof=proof)
            except services.AccountError as exc:
                refused = str(exc)
            else:
                messages.success(request, _("The key was removed."))
                return redirect("accounts:webauthn_keys")
    others = [k for k in selectors.usable_keys(user) if k.pk != credential.pk]
    options = (ceremony.authentication_options(challenge=_challenge(request, user, Purpose.REAUTH), allowed=others)
               if others else "")
    return render(request, "accounts/webauthn_remove.html", {
        "key": credential, "code_form": code_form, "options": options, "key_form": KeyResponseForm(),
        "refused": refused,
    }, status=400 if request.method == "POST" else 200)


# --- administrators -------------------------------------------------------------------
@require_perm(Perm.MANAGE_USERS)
@require_http_methods(["GET", "POST"])
def requirements_view(request: HttpRequest) -> HttpResponse:
    org = request.user.organisation
    form = KeyRequirementForm(request.POST or None,
                              initial={"roles": sorted(selectors.required_roles(org.pk))})
    if request.method == "POST" and form.is_valid():
        keys.security_key_requirement_set(actor=request.user, organisation=org, roles=form.cleaned_data["roles"])
        messages.success(request, _("Saved. People in these roles register a key at their next sign-in."))
        return redirect("accounts:webauthn_requirements")
    rows = selectors.compliance_for_admin(request.user)
    return render(request, "accounts/webauthn_requirements.html", {
        "form": form, "rows": rows, "missing": sum(1 for r in rows if not r.complies), "roles": Role,
    })


@require_perm(Perm.MANAGE_USERS)
@require_POST
def admin_remove_view(request: HttpRequest, user_id) -> HttpResponse:
    target = get_user_for_admin(request.user, user_id)
    removed = keys.webauthn_keys_remove_by_admin(actor=request.user, user=target)
    messages.success(request, ngettext(
        "%(count)s security key removed. The person signs in with their code and registers a new key.",
        "%(count)s security keys removed. The person signs in with their code and registers a new key.",
        removed) % {"count": removed})
    return redirect("accounts:webauthn_requirements")
