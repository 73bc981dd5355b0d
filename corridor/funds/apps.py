from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from corridor.accounts.permissions import Perm


class FundsConfig(AppConfig):
    name = "corridor.funds"
    label = "funds"
    verbose_name = _("Funds")

    nav = [(_("Funds"), "funds:index", Perm.FUNDS_VIEW)]
    dashboard_panels = [("funds/panel.html", Perm.FUNDS_VIEW, "corridor.funds.selectors.dashboard_panel")]

    def ready(self) -> None:
        from corridor.funds import events  # noqa: F401  (registers audit codes)
