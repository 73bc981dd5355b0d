"""Reads of the API app, and the access function for tokens."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from corridor.accounts.models import User
from corridor.accounts.permissions import Perm
from corridor.api import scopes, tokens
from corridor.api.models import ApiToken


def tokens_of(user) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("-created")


def tokens_for_admin(user) -> QuerySet[ApiToken]:
    if not user.can(Perm.MANAGE_USERS):
        raise Http404
    return ApiToken.objects.filter(organisation_id=user.organisation_id).select_related("user").order_by("-created")


def get_token_for_user(user, token_id) -> ApiToken:
    """The user's own token, or (for an administrator) any of the organisation's."""
    try:
        token = ApiToken.objects.select_related("user").get(pk=uuid.UUID(str(token_id)))
    except (ApiToken.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if token.user_id == user.pk:
        return token
    if user.can(Perm.MANAGE_USERS) and token.organisation_id == user.organisation_id:
        return token
    raise Http404


def user_for_secret(secret: str) -> tuple[User, ApiToken] | None:
    """The owner of a live token, with the token's scope set on it; None otherwise.

    Revoked, expired, unknown, and owned by a deactivated account all look the same.
    """
    if not tokens.looks_like_token(secret):
        return None
    token = (ApiToken.objects.select_related("user", "user__organisation")
             .filter(digest=tokens.digest(secret)).first())
    if token is None or token.revoked is not None or token.expires <= timezone.now():
        return None
    user = token.user
    if not user.is_active or user.organisation_id != token.organisation_id:
        return None
    user.token_scope = scopes.effective(token.scopes, user.role, write=token.write)
    user.api_token = token
    return user, token
