from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "corridor.api"
    label = "api"
    verbose_name = _("API")

    # Every role may make tokens for what its own role allows (see scopes.py).
    nav = [(_("API tokens"), "api_tokens:list", None)]

    def ready(self) -> None:
        from corridor.api import events  # noqa: F401  (registers audit codes)
