"""/api/v1/: the API's own views. None of them uses the staff session; each
token-protected operation authenticates its bearer token itself (auth.py), so the
sign-in middleware lets them through."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.urls import URLPattern, URLResolver

from corridor.api.api import api


def _open(patterns):
    for p in patterns:
        if isinstance(p, URLResolver):
            _open(p.url_patterns)
        elif isinstance(p, URLPattern):
            p.callback = login_not_required(p.callback)
    return patterns


urlpatterns = _open(api.urls[0])
app_name = api.urls[2]  # "api": the namespace ninja reverses its own views in
