"""Bearer-token authentication for /api/v1/, and the read-only rule.

A request is authenticated by `Authorization: Bearer crd_…` only; a staff session
cookie is ignored here, so no page can be made to call the API with a signed-in
browser's cookies (and CSRF does not arise). The token's owner becomes the actor
of every service, with `token_scope` narrowing the role (see scopes.py), and the
key agent counts the request's unwraps against the owner's own principal: the
same per-minute ceiling as the pages.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from ninja.security import HttpBearer

from corridor.api.selectors import user_for_secret
from corridor.api.services import token_touch
from corridor.crypto.context import act_within_request

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
# POST operations that change no record of their own and so need no write token:
# a break-glass reason opens a case for reading (it is logged as break-glass).
READING_POSTS = frozenset({"case_break_glass"})


class ReadOnlyToken(Exception):
    """A read-only token tried to change something."""


class TokenAuth(HttpBearer):
    def authenticate(self, request, token: str):
        found = user_for_secret(token)
        if found is None:
            return None
        user, api_token = found
        if request.method not in SAFE_METHODS and not api_token.write:
            url_name = getattr(getattr(request, "resolver_match", None), "url_name", "")
            if url_name not in READING_POSTS:
                raise ReadOnlyToken
        request.user = user
        # Messages (a service's refusal) in the owner's language, unless ?lang= says otherwise.
        if "lang" not in request.GET and user.language in dict(settings.LANGUAGES):
            translation.activate(user.language)
        act_within_request(user.keyd_principal)
        token_touch(api_token)
        return user
