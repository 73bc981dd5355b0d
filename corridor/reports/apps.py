from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from corridor.accounts.permissions import Perm


class ReportsConfig(AppConfig):
    name = "corridor.reports"
    label = "reports"
    verbose_name = _("Reports")

    nav = [(_("Transparency"), "reports:index", Perm.STATISTICS)]
    dashboard_panels = [("reports/panel.html", Perm.STATISTICS, "corridor.reports.selectors.dashboard_panel")]

    def ready(self) -> None:
        from corridor.reports import events  # noqa: F401  (registers audit codes)
