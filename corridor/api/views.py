"""Staff pages for personal API tokens: make one (shown once), revoke, and the
administrators' list of the organisation's tokens."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from corridor.accounts.permissions import Perm
from corridor.api import scopes, selectors, services
from corridor.api.forms import TokenCreateForm
from corridor.web.decorators import require_perm


def _labels() -> dict[str, str]:
    return {perm.value: str(label) for perm, label in scopes.ALL.items()}


@require_http_methods(["GET", "POST"])
def token_list(request: HttpRequest) -> HttpResponse:
    form = TokenCreateForm(request.POST or None, user=request.user)
    created = secret = None
    if request.method == "POST" and form.is_valid():
        try:
            created, secret = services.token_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            form = TokenCreateForm(user=request.user)
    return render(request, "api/tokens.html", {
        "form": form, "tokens": selectors.tokens_of(request.user), "created": created, "secret": secret,
        "labels": _labels(), "offered": bool(scopes.offered(request.user)),
        "perms_manage_users": request.user.can(Perm.MANAGE_USERS),
    }, status=400 if form.errors else 200)


@require_POST
def token_revoke(request: HttpRequest, token_id) -> HttpResponse:
    token = selectors.get_token_for_user(request.user, token_id)
    services.token_revoke(actor=request.user, token=token)
    messages.success(request, _("The token was revoked. It no longer works."))
    if token.user_id != request.user.pk:
        return redirect("api_tokens:all")
    return redirect("api_tokens:list")


@require_perm(Perm.MANAGE_USERS)
def token_admin_list(request: HttpRequest) -> HttpResponse:
    return render(request, "api/tokens_admin.html", {"tokens": selectors.tokens_for_admin(request.user),
                                                     "labels": _labels()})
