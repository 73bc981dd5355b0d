from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HousingConfig(AppConfig):
    name = "corridor.housing"
    label = "housing"
    verbose_name = _("Safe housing")

    def ready(self) -> None:
        from corridor.accounts.permissions import Perm
        from corridor.housing import events  # noqa: F401  (registers audit codes)

        self.nav = [(_("Safe houses"), "housing:list", Perm.HOUSING_VIEW)]
        self.dashboard_panels = [
            ("housing/panels/occupancy.html", Perm.HOUSING_VIEW, "corridor.housing.panels.occupancy"),
        ]
