from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "corridor.cases"
    label = "cases"
    verbose_name = _("Cases")

    def ready(self) -> None:
        from corridor.accounts.permissions import Perm
        from corridor.cases import events  # noqa: F401  (registers audit codes)

        self.nav = [
            (_("Cases"), "cases:list", Perm.CASE_VIEW_ASSIGNED),
            (_("Board"), "cases:dashboard", Perm.CASE_VIEW_ALL),
            (_("Countries"), "cases:countries", Perm.CASE_VIEW_ASSIGNED),
            (_("Partners"), "cases:partners", Perm.MANAGE_USERS),
        ]
        self.dashboard_panels = [
            ("cases/panels/my_work.html", Perm.CASE_VIEW_ASSIGNED, "corridor.cases.panels.my_work"),
            ("cases/panels/pipeline.html", Perm.CASE_VIEW_ALL, "corridor.cases.panels.pipeline_panel"),
            ("cases/panels/open_case.html", Perm.CASE_BREAK_GLASS, "corridor.cases.panels.open_case"),
            ("cases/panels/locks.html", Perm.CASE_UNLOCK, "corridor.cases.panels.locks_panel"),
        ]
        # Once a minute under `corridor serve`: raise alerts for missed check-ins.
        self.periodic = ["corridor.cases.services.safety.alerts_sweep"]
