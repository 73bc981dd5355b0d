from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvidenceConfig(AppConfig):
    name = "corridor.evidence"
    label = "evidence"
    verbose_name = _("Evidence")

    def ready(self) -> None:
        from corridor.accounts.permissions import Perm
        from corridor.evidence import events  # noqa: F401  (registers audit codes)

        self.nav = [
            (_("Evidence"), "evidence:index", Perm.EVIDENCE_VIEW),
            (_("Evidence exports"), "evidence:bundle_list", Perm.EVIDENCE_APPROVE_EXPORT),
            (_("Violation statistics"), "evidence:aggregate", Perm.STATISTICS),
        ]
        self.periodic = ["corridor.evidence.sweep.sweep_orphans"]
        self.dashboard_panels = [
            ("evidence/panel_deadlines.html", Perm.EVIDENCE_VIEW, "corridor.evidence.panels.deadlines"),
            ("evidence/panel_exports.html", Perm.EVIDENCE_APPROVE_EXPORT, "corridor.evidence.panels.exports"),
        ]
