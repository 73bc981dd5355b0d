"""Duress sign-in: a second passphrase that signs in to an empty-looking workspace.

A staff member detained at a checkpoint and forced to sign in types their duress
passphrase instead of their password, then the usual code. Everything looks like a
normal sign-in (same pages, same status codes, the same time: both passphrases are
checked on every attempt and both sign-in steps are padded to a floor), but:

- the session is a *decoy*: `DecoyWorkspaceMiddleware` answers every staff page with
  an empty dashboard or an empty page, so no view that reads case data ever runs;
- at the same moment the server is sealed everywhere (`CORRIDOR_DURESS_ACTION=seal`)
  or this account is restricted (`restrict`, the default): its other sessions end and
  every later sign-in of the account, with the real password too, lands in the decoy
  until an administrator lifts the restriction;
- in `restrict` mode every case the account could open is locked in the same
  transaction (corridor/cases/services/locks.py): nobody opens it until one person
  asks and a second approves at /staff/cases/locks/; the coerced account is told
  nothing (its pages are the decoy, its API tokens get "not found");
- an alert is raised for administrators (audit page, `corridor status`) and shown to
  the organisation's coordinators and administrators on their dashboard; the audit
  log gets `DURESS_SIGN_IN`, which the decoy session can never display.

The flag that makes a session a decoy lives only in the server-side session row, never
in the cookie. Limits are in docs/threat-model.md (*Duress sign-in*).
"""

from __future__ import annotations

import functools
import logging
import math
import time
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.password_validation import validate_password
from django.db import models, transaction
from django.db.models import F
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.translation import gettext as _

from corridor.audit.events import CoreEvent
from corridor.audit.services import record

log = logging.getLogger("corridor.duress")
SESSION_FLAG = "duress"
PENDING_FLAG = "pending_duress"
ACTIONS = ("restrict", "seal")


class DuressError(ValueError):
    """A user-correctable problem; the message is translatable and safe to show."""


class DuressPassphrase(models.Model):
    """One staff member's duress passphrase (Argon2id, like the password) and whether
    the account is restricted after a duress sign-in."""

    user = models.OneToOneField("accounts.User", on_delete=models.CASCADE, related_name="duress")
    passphrase = models.CharField(max_length=256, blank=True)
    changed = models.DateTimeField(default=timezone.now)
    # Set by a duress sign-in in "restrict" mode: every sign-in of this account is a decoy.
    restricted = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "accounts"


@functools.cache
def _dummy_hash() -> str:
    # Checked when a user has no duress passphrase, so every attempt costs two hashes.
    return make_password("no duress passphrase is set for this account")


def _row(user) -> DuressPassphrase | None:
    return DuressPassphrase.objects.filter(user_id=user.pk).first()


def password_kind(user, password: str) -> str | None:
    """"normal", "duress" or None. Always two Argon2 checks, whichever matches."""
    row = _row(user)
    normal = user.check_password(password)
    duress = check_password(password, row.passphrase if row and row.passphrase else _dummy_hash())
    if not user.is_active:
        return None
    if normal:
        return "normal"
    return "duress" if duress and row and row.passphrase else None


def unknown_user_cost(password: str) -> None:
    """What an unknown name costs: the same two hashes as a real one."""
    make_password(password)
    check_password(password, _dummy_hash())


def check_sign_in(username: str, password: str):
    """(user, is_duress) for a right password or duress passphrase, else (None, False)."""
    from corridor.accounts.services import user_by_username

    user = user_by_username(username)
    if user is None:
        unknown_user_cost(password)
        return None, False
    kind = password_kind(user, password)
    if kind is None:
        return None, False
    return user, kind == "duress"


def is_restricted(user) -> bool:
    return DuressPassphrase.objects.filter(user_id=user.pk, restricted__isnull=False).exists()


def is_decoy(request) -> bool:
    session = getattr(request, "session", None)
    return bool(session is not None and session.get(SESSION_FLAG))


def action() -> str:
    value = getattr(settings, "CORRIDOR_DURESS_ACTION", "restrict")
    return value if value in ACTIONS else "restrict"


# --- services ---------------------------------------------------------------------
def duress_passphrase_set(*, actor, user, passphrase: str) -> None:
    if user.check_password(passphrase):
        raise DuressError(_("The duress passphrase must differ from your password."))
    validate_password(passphrase, user)
    with transaction.atomic():
        DuressPassphrase.objects.update_or_create(
            user=user, defaults={"passphrase": make_password(passphrase), "changed": timezone.now()})
        record(CoreEvent.DURESS_PASSPHRASE_SET, actor=actor, organisation=str(user.organisation_id), obj=user)


def duress_passphrase_remove(*, actor, user) -> None:
    with transaction.atomic():
        DuressPassphrase.objects.filter(user=user).update(passphrase="", changed=timezone.now())
        record(CoreEvent.DURESS_PASSPHRASE_REMOVED, actor=actor, organisation=str(user.organisation_id), obj=user)


def refuse_as_password(user, password: str) -> None:
    """A new password may not be the duress passphrase (it would never sign in normally)."""
    row = _row(user)
    if row and row.passphrase and check_password(password, row.passphrase):
        raise DuressError(_("Your password must differ from your duress passphrase."))


def duress_sign_in(*, user, via: str) -> str:
    """React to a sign-in under duress; returns the action taken. Called once the
    second factor has been checked, before the decoy session starts."""
    from corridor.audit.models import AuditAlert
    from corridor.cases.services.locks import active_lock_exists, cases_lock_for_duress

    chosen = "restricted" if via == "restricted_account" else action()
    with transaction.atomic():
        if chosen == "restrict":
            DuressPassphrase.objects.update_or_create(user=user, defaults={"restricted": timezone.now()})
            # Every other session of this account ends; the decoy gets the new epoch.
            _users().filter(pk=user.pk).update(session_epoch=F("session_epoch") + 1)
            user.refresh_from_db(fields=["session_epoch"])
        if chosen == "restrict" or (chosen == "restricted" and not active_lock_exists(user)):
            # A restricted account signing in again is duress again: if its cases
            # were unlocked meanwhile, they are locked again.
            cases_lock_for_duress(user=user)
        AuditAlert.objects.create(kind=AuditAlert.Kind.DURESS, message=(
            f"{user.username} ({user.role}) signed in under duress ({via}); action: {chosen}. "
            "Check on them through another channel; the session they see is empty."))
        record(CoreEvent.DURESS_SIGN_IN, actor=user, organisation=str(user.organisation_id), obj=user,
               via=via, action=chosen)
        from corridor.accounts.notify import alert_email

        alert_email()
    log.warning("duress sign-in by %s: %s", user.principal, chosen)
    if chosen == "seal":
        from corridor.crypto.seal_signal import seal_everywhere
        from corridor.keyd.errors import KeydError

        try:
            seal_everywhere(actor="system:duress", organisation=user.organisation, via="duress",
                            reason="duress sign-in")
        except KeydError as exc:  # the agent is down: it holds no keys; the other hosts were told
            log.error("duress seal: local agent unreachable (%s)", exc.__class__.__name__)
    return chosen


def duress_restriction_lift(*, actor, user) -> None:
    if user.pk == getattr(actor, "pk", None):
        raise DuressError(_("Another administrator must lift a restriction on your own account."))
    with transaction.atomic():
        changed = DuressPassphrase.objects.filter(user=user, restricted__isnull=False).update(restricted=None)
        if not changed:
            raise DuressError(_("This account is not restricted."))
        _users().filter(pk=user.pk).update(session_epoch=F("session_epoch") + 1)
        record(CoreEvent.DURESS_RESTRICTION_LIFTED, actor=actor, organisation=str(user.organisation_id), obj=user)


# --- what colleagues see ------------------------------------------------------------
PANEL_DAYS = 7


def panel(request):
    """Recent duress sign-ins in the viewer's organisation, for coordinators and
    administrators (never the person concerned, never a decoy session)."""
    from corridor.accounts.models import User
    from corridor.accounts.permissions import Role
    from corridor.audit.models import AuditEntry

    user = request.user
    if is_decoy(request) or user.role not in (Role.COORDINATOR, Role.ADMIN):
        return None
    since = int((timezone.now() - timedelta(days=PANEL_DAYS)).timestamp() * 1_000_000)
    entries = list(AuditEntry.objects.filter(code=CoreEvent.DURESS_SIGN_IN, organisation=str(user.organisation_id),
                                             ts_us__gte=since).exclude(object_id=str(user.pk)).order_by("-seq")[:20])
    if not entries:
        return None
    people = User.objects.in_bulk([e.object_id for e in entries])
    from datetime import UTC, datetime

    rows = [{"user": people.get(_uuid(e.object_id)), "at": datetime.fromtimestamp(e.ts_us / 1e6, tz=UTC),
             "action": e.data.get("action", "")} for e in entries]
    return {"rows": rows, "restricted": {r["user"].pk for r in rows if r["user"] and is_restricted(r["user"])}}


def _uuid(value: str):
    import uuid

    try:
        return uuid.UUID(value)
    except ValueError:
        return None


# --- timing -----------------------------------------------------------------------------
PADDED_FLAG = "_corridor_signin_padded"


def padded(view):
    """Marks a sign-in step: every POST to it takes at least CORRIDOR_SIGNIN_FLOOR_SECONDS,
    so the duress reaction (alert, audit, case lock, seal) is not visible in the response
    time. The padding itself is done by SignInPaddingMiddleware, the outermost layer, so
    what runs after the view (the session save, the commit of its writes, the response
    headers) is inside the padded time too: a decoy session's larger session row once
    showed as a steady 0.2 ms difference over fifty tries."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method == "POST":
            setattr(request, PADDED_FLAG, True)
        return view(request, *args, **kwargs)

    return wrapper


class SignInPaddingMiddleware:
    """First in MIDDLEWARE: pads a marked sign-in POST from the moment the request
    entered Django to the moment the whole response is ready."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.monotonic()
        try:
            return self.get_response(request)
        finally:
            floor = settings.CORRIDOR_SIGNIN_FLOOR_SECONDS
            if floor > 0 and getattr(request, PADDED_FLAG, False):
                took = time.monotonic() - started
                # A step slower than the floor (a loaded server) ends on the next
                # multiple of it, so the few milliseconds of a duress reaction do
                # not show as a spread of exact durations above the floor.
                time.sleep(math.ceil(took / floor) * floor - took)


# --- the decoy workspace -------------------------------------------------------------
PASS_THROUGH = {"accounts:logout", "accounts:end_sessions", "web:set_language", "accounts:login", "accounts:code"}


class DecoyWorkspaceMiddleware:
    """In a duress session no staff view runs: the dashboard is the empty dashboard of
    a role with nothing assigned, every other page an empty page, every form "saved"."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith("/staff/") or not is_decoy(request):
            return self.get_response(request)
        try:
            match = resolve(request.path)
        except Resolver404:
            return self.get_response(request)  # the usual 404
        name = match.view_name
        if name in PASS_THROUGH:
            return self.get_response(request)
        if match.kwargs:
            # One named object (a case, a file): what an account that may not see it gets.
            from django.http import Http404

            raise Http404
        if request.method == "POST":
            messages.success(request, _("Saved."))
            return redirect(request.path)
        if name == "web:dashboard":
            return render(request, "web/dashboard.html", {"panels": [], "kept": None})
        if name == "accounts:security":
            from corridor.accounts.views import security_context

            return render(request, "accounts/security.html", security_context(request, decoy=True))
        from corridor.web.registry import nav_for

        title = next((item["label"] for item in nav_for(request.user) if item["name"] == name), "")
        return render(request, "accounts/decoy_empty.html", {"title": title})


def _users():
    from corridor.accounts.models import User

    return User.objects
