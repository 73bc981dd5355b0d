from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from corridor.accounts.permissions import Perm


class ExposureConfig(AppConfig):
    name = "corridor.exposure"
    label = "exposure"
    verbose_name = _("Exposure")
    nav = [
        (_("Exposure"), "exposure:imports", Perm.EXPOSURE_IMPORT),
    ]
    # Every role with a dashboard may receive alerts about their own people; the
    # context function returns None (no panel) when there is nothing to show.
    dashboard_panels = [
        ("exposure/panel_alerts.html", Perm.DASHBOARD, "corridor.exposure.selectors.alerts_panel"),
    ]

    def ready(self) -> None:
        from corridor.exposure import events  # noqa: F401  (registers audit codes)
