from __future__ import annotations

import base64
import io
import time

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login

from corridor.accounts import duress, services, totp_store, views_webauthn, webauthn_services
from corridor.accounts.forms import (
    CodeForm,
    DuressForm,
    LoginForm,
    OrganisationTimeZoneForm,
    OwnTimeZoneForm,
    PasswordChangeForm,
    UserCreateForm,
    UserEditForm,
)
from corridor.accounts.models import User
from corridor.accounts.permissions import Perm
from corridor.accounts.selectors import get_user_for_admin, users_for_admin
from corridor.accounts.timezones import zone_name_for, zone_name_for_organisation
from corridor.web.decorators import require_perm

PENDING_SECONDS = 300
GENERIC_FAILURE = gettext_lazy(
    "The username, password or code is not right, or the account is locked for a while."
)


BOTH_NEEDED = gettext_lazy(
    "After several failed attempts this sign-in needs the password and the six-digit code together."
)


@login_not_required
@require_http_methods(["GET", "POST"])
@duress.padded
def login_view(request: HttpRequest) -> HttpResponse:
    form = LoginForm(request.POST or None)
    _remember_chosen_language(request)
    show_code = False
    if request.method == "POST" and form.is_valid():
        username, password = form.cleaned_data["username"], form.cleaned_data["password"]
        code = form.cleaned_data.get("code") or ""
        if code:
            both = services.login_with_both(username, password, code)
            if both is not None:
                user, device, under_duress = both
                if under_duress:
                    request.session[duress.PENDING_FLAG] = True  # carried through the key step
                # A role that needs a security key still touches it after both proofs.
                return (views_webauthn.key_step_after_both(request, user, username)
                        or _complete_login(request, user, device, username, under_duress=under_duress))
            services.login_failed(username, services.user_by_username(username))
            form.add_error(None, GENERIC_FAILURE)
            show_code = services.login_locked(username)
        elif services.login_locked(username):
            form.add_error(None, BOTH_NEEDED)
            show_code = True
        else:
            # Both the password and the duress passphrase are checked, every time.
            user, under_duress = duress.check_sign_in(username, password)
            if user is None:
                services.login_failed(username, services.user_by_username(username))
                form.add_error(None, GENERIC_FAILURE)
                show_code = services.login_locked(username)
            else:
                request.session.cycle_key()
                request.session["pending_uid"] = str(user.pk)
                request.session["pending_name"] = username
                request.session["pending_at"] = time.time()
                request.session[duress.PENDING_FLAG] = under_duress
                return redirect("accounts:code")
    if not show_code:
        del form.fields["code"]
    return render(request, "accounts/login.html", {"form": form})


PENDING_KEYS = ("pending_uid", "pending_name", "pending_at", duress.PENDING_FLAG)
CHOSEN_LANGUAGE = "chosen_language"


def _remember_chosen_language(request: HttpRequest) -> None:
    """A language picked on the sign-in page (its `?lang=` links) carries through the
    code step into the staff pages and becomes the account's preference."""
    lang = request.GET.get("lang")
    if request.method == "POST" and lang in dict(settings.LANGUAGES):
        request.session[CHOSEN_LANGUAGE] = lang
        request.session["django_language"] = lang


def _complete_login(request: HttpRequest, user: User, device, username: str, *,
                    under_duress: bool = False) -> HttpResponse:
    # Any second factor (a code, a security key) completes a sign-in begun with the
    # duress passphrase as a duress sign-in.
    under_duress = under_duress or bool(request.session.get(duress.PENDING_FLAG))
    for key in PENDING_KEYS:
        request.session.pop(key, None)
    decoy = under_duress or duress.is_restricted(user)
    if decoy:
        duress.duress_sign_in(user=user, via="passphrase" if under_duress else "restricted_account")
    login(request, user, backend="corridor.accounts.backends.ThrottledBackend")
    otp_login(request, device)
    request.session["auth_time"] = time.time()
    request.session["epoch"] = user.session_epoch
    chosen = request.session.pop(CHOSEN_LANGUAGE, None)
    if chosen and chosen != user.language:
        services.user_set_language(user=user, language=chosen)
    request.session["django_language"] = user.language
    if decoy:
        # Server-side only (database sessions): the browser cannot tell.
        request.session[duress.SESSION_FLAG] = True
    services.login_succeeded(username, user, audit=not decoy)
    return redirect("web:dashboard")


def _pending_user(request: HttpRequest) -> User | None:
    uid = request.session.get("pending_uid")
    if not uid or time.time() - request.session.get("pending_at", 0) > PENDING_SECONDS:
        return None
    return User.objects.filter(pk=uid, is_active=True).first()


def _qr_svg(uri: str) -> str:
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


@login_not_required
@require_http_methods(["GET", "POST"])
@duress.padded
def code_view(request: HttpRequest) -> HttpResponse:
    user = _pending_user(request)
    if user is None:
        messages.info(request, _("Please sign in again."))
        return redirect("accounts:login")
    device = services.totp_device(user)
    username = request.session.get("pending_name", user.username)
    form = CodeForm(request.POST or None)
    # "Use a security key" beside the code (views_webauthn); key_only when the role needs one.
    key_context = views_webauthn.second_factor_context(request, user)
    if request.method == "POST" and form.is_valid():
        if services.login_locked(username):
            for key in PENDING_KEYS:
                request.session.pop(key, None)
            messages.info(request, BOTH_NEEDED)
            return redirect("accounts:login")
        if key_context.get("key_only"):
            webauthn_services.code_refused_key_required(user=user)
            form.add_error(None, views_webauthn.KEY_REQUIRED)
        elif services.totp_verify(user=user, device=device, code=form.cleaned_data["code"]):
            return _complete_login(request, user, device, username,
                                   under_duress=bool(request.session.get(duress.PENDING_FLAG)))
        else:
            services.login_failed(username, user)
            form.add_error(None, GENERIC_FAILURE)
    context = {"form": form, "enrol": not device.confirmed, **key_context}
    if not device.confirmed:
        context["qr"] = _qr_svg(totp_store.config_url(device))
        context["secret"] = totp_store.secret_b32(device)
    return render(request, "accounts/code.html", context)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("accounts:login")


def security_context(request: HttpRequest, *, decoy: bool = False, form=None, duress_form=None,
                     zone_form=None) -> dict:
    """The security page's context; a duress session sees it as if nothing were set."""
    from corridor.accounts.forms import PasswordConfirmForm
    from corridor.accounts.recovery import unused_count

    row = None if decoy else duress.DuressPassphrase.objects.filter(user_id=request.user.pk).first()
    return {"form": form or PasswordChangeForm(), "duress_form": duress_form or DuressForm(prefix="duress"),
            "duress_set": bool(row and row.passphrase), "duress_changed": row.changed if row else None,
            "codes_form": PasswordConfirmForm(prefix="codes"), "replace_form": PasswordConfirmForm(prefix="replace"),
            "codes_left": None if decoy else unused_count(request.user),
            "zone_form": zone_form or _own_zone_form(request)}


@require_http_methods(["GET", "POST"])
def security_view(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not request.user.check_password(form.cleaned_data["current"]):
            form.add_error("current", _("This is not your current password."))
        else:
            try:
                duress.refuse_as_password(request.user, form.cleaned_data["new"])
                services.user_set_password(actor=request.user, user=request.user, password=form.cleaned_data["new"])
            except duress.DuressError as exc:
                form.add_error("new", str(exc))
            except Exception as exc:  # ValidationError from the password validators
                for message in getattr(exc, "messages", [str(exc)]):
                    form.add_error("new", message)
            else:
                messages.success(request, _("Password changed. Please sign in again."))
                return redirect("accounts:login")
    return render(request, "accounts/security.html", security_context(request, form=form))


@require_POST
def duress_set_view(request: HttpRequest) -> HttpResponse:
    form = DuressForm(request.POST, prefix="duress")
    if form.is_valid():
        if not request.user.check_password(form.cleaned_data["current"]):
            form.add_error("current", _("This is not your current password."))
        else:
            try:
                duress.duress_passphrase_set(actor=request.user, user=request.user,
                                             passphrase=form.cleaned_data["passphrase"])
            except duress.DuressError as exc:
                form.add_error("passphrase", str(exc))
            except Exception as exc:  # ValidationError from the password validators
                for message in getattr(exc, "messages", [str(exc)]):
                    form.add_error("passphrase", message)
            else:
                messages.success(request, _("Duress passphrase saved."))
                return redirect("accounts:security")
    return render(request, "accounts/security.html", security_context(request, duress_form=form))


@require_POST
def duress_remove_view(request: HttpRequest) -> HttpResponse:
    duress.duress_passphrase_remove(actor=request.user, user=request.user)
    messages.success(request, _("Duress passphrase removed."))
    return redirect("accounts:security")


def _own_zone_form(request: HttpRequest, data=None) -> OwnTimeZoneForm:
    return OwnTimeZoneForm(data, initial={"time_zone": request.user.time_zone},
                           organisation_zone=zone_name_for_organisation(request.user.organisation))


@require_POST
def own_time_zone_view(request: HttpRequest) -> HttpResponse:
    form = _own_zone_form(request, request.POST)
    if form.is_valid():
        services.user_set_time_zone(actor=request.user, user=request.user, time_zone=form.cleaned_data["time_zone"])
        messages.success(request, _("Time zone saved. Times are now shown in %(zone)s.")
                         % {"zone": zone_name_for(request.user).replace("_", " ")})
        return redirect("accounts:security")
    return render(request, "accounts/security.html", security_context(request, zone_form=form), status=400)


@require_POST
def end_sessions_view(request: HttpRequest) -> HttpResponse:
    services.end_all_sessions(actor=request.user, user=request.user)
    logout(request)
    messages.success(request, _("All your sessions have ended, this one included."))
    return redirect("accounts:login")


@require_perm(Perm.MANAGE_USERS)
def user_list(request: HttpRequest) -> HttpResponse:
    users = users_for_admin(request.user)
    zone_form = OrganisationTimeZoneForm(initial={"time_zone": request.user.organisation.time_zone})
    return render(request, "accounts/user_list.html", {"users": users, "zone_form": zone_form})


@require_perm(Perm.MANAGE_USERS)
@require_POST
def organisation_time_zone_view(request: HttpRequest) -> HttpResponse:
    form = OrganisationTimeZoneForm(request.POST)
    if form.is_valid():
        services.organisation_set_time_zone(actor=request.user, organisation=request.user.organisation,
                                            time_zone=form.cleaned_data["time_zone"])
        messages.success(request, _("The organisation's time zone is now %(zone)s.")
                         % {"zone": form.cleaned_data["time_zone"].replace("_", " ")})
        return redirect("accounts:user_list")
    return render(request, "accounts/user_list.html", {"users": users_for_admin(request.user), "zone_form": form},
                  status=400)


@require_perm(Perm.MANAGE_USERS)
@require_http_methods(["GET", "POST"])
def user_create(request: HttpRequest) -> HttpResponse:
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user, _device = services.user_create(
                actor=request.user, organisation=request.user.organisation, **form.cleaned_data
            )
        except services.AccountError as exc:
            form.add_error(None, str(exc))
        except Exception as exc:
            for message in getattr(exc, "messages", [str(exc)]):
                form.add_error("password", message)
        else:
            messages.success(request, _("Account created. The person sets up their authenticator at first sign-in."))
            return redirect("accounts:user_detail", user_id=user.pk)
    return render(request, "accounts/user_form.html", {"form": form, "creating": True})


@require_perm(Perm.MANAGE_USERS)
@require_http_methods(["GET", "POST"])
def user_detail(request: HttpRequest, user_id) -> HttpResponse:
    target = get_user_for_admin(request.user, user_id)
    initial = {"display_name": target.display_name, "role": target.role, "is_active": target.is_active}
    form = UserEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_update(actor=request.user, user=target, **form.cleaned_data)
        except services.AccountError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Saved."))
            return redirect("accounts:user_detail", user_id=target.pk)
    from corridor.accounts.recovery_views import reset_context

    return render(request, "accounts/user_form.html", {"form": form, "target": target,
                                                       "restricted": duress.is_restricted(target),
                                                       **reset_context(request.user, target)})


@require_perm(Perm.MANAGE_USERS)
@require_POST
def user_duress_lift(request: HttpRequest, user_id) -> HttpResponse:
    target = get_user_for_admin(request.user, user_id)
    try:
        duress.duress_restriction_lift(actor=request.user, user=target)
    except duress.DuressError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The restriction is lifted; the person signs in normally again."))
    return redirect(reverse("accounts:user_detail", args=[target.pk]))


@require_perm(Perm.MANAGE_USERS)
@require_POST
def user_reset_totp(request: HttpRequest, user_id) -> HttpResponse:
    """Ask for a second-factor reset; another administrator must approve it."""
    from corridor.accounts import recovery

    target = get_user_for_admin(request.user, user_id)
    try:
        recovery.factor_reset_request(actor=request.user, user=target)
    except recovery.RecoveryError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Reset requested. A second administrator must approve it."))
    return redirect(reverse("accounts:user_detail", args=[target.pk]))
