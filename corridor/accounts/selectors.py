from __future__ import annotations

from django.http import Http404

from corridor.accounts.models import User
from corridor.accounts.permissions import Perm


def get_user_for_admin(actor: User, user_id) -> User:
    """The one way views reach another account: same organisation, admin only.
    Missing and not-yours look the same (404)."""
    if not actor.can(Perm.MANAGE_USERS):
        raise Http404
    try:
        return User.objects.select_related("organisation").get(pk=user_id, organisation=actor.organisation_id)
    except (User.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def users_for_admin(actor: User):
    if not actor.can(Perm.MANAGE_USERS):
        raise Http404
    return User.objects.filter(organisation=actor.organisation_id).order_by("username")
