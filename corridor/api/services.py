"""Writes of the API app: making and revoking personal tokens (both audited)."""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from corridor.accounts.permissions import Perm
from corridor.api import scopes, tokens
from corridor.api.events import ApiEvent
from corridor.api.models import ApiToken
from corridor.audit.services import record

LIFETIMES_DAYS = (7, 30, 90)


def token_create(*, actor, name: str, scope: list[str], write: bool, days: int) -> tuple[ApiToken, str]:
    """A new token for `actor`; returns it with its secret, which is never stored."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the token a name, so you know later what uses it.")})
    if int(days) not in LIFETIMES_DAYS:
        raise ValidationError({"days": _("Choose how long the token lasts.")})
    offered = {perm.value for perm, _label, _w in scopes.offered(actor)}
    chosen = sorted(set(scope))
    if not chosen or not set(chosen) <= offered:
        raise ValidationError({"scope": _("Choose what the token may do, from what your role allows.")})
    if not write and not (set(chosen) & {p.value for p in scopes.READ}):
        raise ValidationError({"scope": _("A read-only token needs at least one reading permission.")})
    secret = tokens.new_secret()
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=actor, organisation_id=actor.organisation_id, name=name[:80],
            prefix=secret[:tokens.PREFIX_SHOWN], digest=tokens.digest(secret), scopes=chosen,
            write=bool(write), expires=timezone.now() + timedelta(days=int(days)),
        )
        record(ApiEvent.TOKEN_CREATED, actor=actor, organisation=str(actor.organisation_id), obj=token,
               scopes=chosen, write=bool(write), days=int(days))
    return token, secret


def token_revoke(*, actor, token: ApiToken) -> ApiToken:
    """The owner, or an administrator of the same organisation, ends a token at once."""
    mine = token.user_id == actor.pk
    if not mine and not (actor.can(Perm.MANAGE_USERS) and token.organisation_id == actor.organisation_id):
        raise Http404
    with transaction.atomic():
        fresh = ApiToken.objects.select_for_update().get(pk=token.pk)
        if fresh.revoked is not None:
            return fresh
        fresh.revoked = timezone.now()
        fresh.revoked_by = actor
        fresh.save(update_fields=["revoked", "revoked_by"])
        record(ApiEvent.TOKEN_REVOKED, actor=actor, organisation=str(fresh.organisation_id), obj=fresh,
               owner=str(fresh.user_id), by_admin=not mine)
    token.revoked, token.revoked_by = fresh.revoked, fresh.revoked_by
    return fresh


def token_touch(token: ApiToken) -> None:
    """Remember the day a token was last used (once a day, not per request)."""
    today = timezone.localdate()
    if token.last_used != today:
        ApiToken.objects.filter(pk=token.pk).update(last_used=today)
        token.last_used = today
