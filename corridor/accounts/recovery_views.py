"""Views for recovery codes, the two-administrator reset and replacing one's authenticator."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login

from corridor.accounts import duress, recovery, services, totp_store
from corridor.accounts.forms import CodeForm, PasswordConfirmForm, RecoveryCodeForm
from corridor.accounts.permissions import Perm
from corridor.web.decorators import require_perm


def get_reset_for_admin(actor, reset_id) -> recovery.FactorResetRequest:
    """A reset request of the administrator's own organisation; otherwise 404."""
    if not actor.can(Perm.MANAGE_USERS):
        raise Http404
    reset = recovery.FactorResetRequest.objects.select_related("user", "requested_by").filter(
        pk=reset_id, user__organisation=actor.organisation_id).first()
    if reset is None:
        raise Http404
    return reset


# --- signing in with a recovery code ---------------------------------------------------
@login_not_required
@require_http_methods(["GET", "POST"])
@duress.padded
def recovery_login_view(request: HttpRequest) -> HttpResponse:
    from corridor.accounts.views import BOTH_NEEDED, GENERIC_FAILURE, PENDING_KEYS, _pending_user

    user = _pending_user(request)
    if user is None:
        messages.info(request, _("Please sign in again."))
        return redirect("accounts:login")
    username = request.session.get("pending_name", user.username)
    form = RecoveryCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if services.login_locked(username):
            for key in PENDING_KEYS:
                request.session.pop(key, None)
            messages.info(request, BOTH_NEEDED)
            return redirect("accounts:login")
        if recovery.recovery_code_use(user=user, code=form.cleaned_data["code"]):
            recovery.enrol_fresh_totp(user)
            messages.info(request, _("Recovery code accepted. Set up your authenticator app now: "
                                     "the old one no longer works."))
            return redirect("accounts:code")
        services.login_failed(username, user)
        form.add_error(None, GENERIC_FAILURE)
    return render(request, "accounts/recovery_login.html", {"form": form})


# --- the person's own security page --------------------------------------------------------
@require_POST
def recovery_codes_view(request: HttpRequest) -> HttpResponse:
    form = PasswordConfirmForm(request.POST, prefix="codes")
    if form.is_valid() and request.user.check_password(form.cleaned_data["current"]):
        codes = recovery.recovery_codes_issue(actor=request.user, user=request.user)
        return render(request, "accounts/recovery_codes.html", {"codes": codes})
    messages.error(request, _("This is not your current password."))
    return redirect(reverse("accounts:security") + "#recovery")


@require_POST
def totp_replace_start_view(request: HttpRequest) -> HttpResponse:
    form = PasswordConfirmForm(request.POST, prefix="replace")
    if form.is_valid() and request.user.check_password(form.cleaned_data["current"]):
        recovery.totp_replacement_start(user=request.user)
        return redirect("accounts:totp_replace")
    messages.error(request, _("This is not your current password."))
    return redirect(reverse("accounts:security") + "#authenticator")


@require_http_methods(["GET", "POST"])
def totp_replace_view(request: HttpRequest) -> HttpResponse:
    from corridor.accounts.views import _qr_svg

    device = recovery.totp_replacement(request.user)
    if device is None:
        return redirect("accounts:security")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        confirmed = recovery.totp_replacement_confirm(user=request.user, code=form.cleaned_data["code"])
        if confirmed is not None:
            otp_login(request, confirmed)
            request.session["epoch"] = request.user.session_epoch
            messages.success(request, _("Your new authenticator app is set up; the old one no longer works."))
            return redirect("accounts:security")
        form.add_error("code", _("This code is not right. Check the time on your phone and try the next one."))
    return render(request, "accounts/totp_replace.html", {
        "form": form, "qr": _qr_svg(totp_store.config_url(device)), "secret": totp_store.secret_b32(device)})


# --- administrators: a reset needs two ---------------------------------------------------------
@require_perm(Perm.MANAGE_USERS)
@require_POST
def factor_reset_approve_view(request: HttpRequest, reset_id) -> HttpResponse:
    reset = get_reset_for_admin(request.user, reset_id)
    try:
        recovery.factor_reset_approve(actor=request.user, reset=reset)
    except recovery.RecoveryError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The second factor was reset; the person enrols a new one at next sign-in."))
    return redirect("accounts:user_detail", user_id=reset.user_id)


@require_perm(Perm.MANAGE_USERS)
@require_POST
def factor_reset_cancel_view(request: HttpRequest, reset_id) -> HttpResponse:
    reset = get_reset_for_admin(request.user, reset_id)
    try:
        recovery.factor_reset_cancel(actor=request.user, reset=reset)
    except recovery.RecoveryError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The reset request is cancelled."))
    return redirect("accounts:user_detail", user_id=reset.user_id)


def reset_context(actor, target) -> dict:
    reset = recovery.open_reset(target)
    return {"reset": reset, "may_approve": bool(reset and actor.pk not in (reset.requested_by_id, target.pk))}

