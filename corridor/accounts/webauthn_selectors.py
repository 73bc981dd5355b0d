"""Reads for security keys: the owner's own keys, and the compliance view for
administrators, which counts keys and never shows their ids or public keys."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q
from django.http import Http404

from corridor.accounts.models import User
from corridor.accounts.permissions import Perm
from corridor.accounts.webauthn_models import SecurityKeyRequirement, WebAuthnCredential


def keys_for_owner(user: User):
    return WebAuthnCredential.objects.filter(user=user).order_by("created")


def get_key_for_owner(user: User, key_id) -> WebAuthnCredential:
    """Only the owner reaches a key; someone else's and a missing one are both 404."""
    try:
        return WebAuthnCredential.objects.get(public_id=key_id, user=user)
    except (WebAuthnCredential.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def usable_keys(user: User):
    return WebAuthnCredential.objects.filter(user=user, confirmed=True, clone_suspected=False)


def required_roles(organisation_id) -> set[str]:
    return set(SecurityKeyRequirement.objects.filter(organisation_id=organisation_id).values_list("role", flat=True))


@dataclass(frozen=True)
class Compliance:
    user: User
    keys: int
    required: bool

    @property
    def complies(self) -> bool:
        return self.keys > 0 or not self.required


def compliance_for_admin(actor: User) -> list[Compliance]:
    """Each active account of the organisation: how many usable keys, whether its role
    needs one. One query for the accounts with their counts."""
    if not actor.can(Perm.MANAGE_USERS):
        raise Http404
    required = required_roles(actor.organisation_id)
    users = (User.objects.filter(organisation=actor.organisation_id, is_active=True)
             .annotate(key_count=Count("webauthncredential", filter=Q(webauthncredential__confirmed=True,
                                                                    webauthncredential__clone_suspected=False)))
             .order_by("role", "username"))
    return [Compliance(user=u, keys=u.key_count, required=u.role in required) for u in users]
