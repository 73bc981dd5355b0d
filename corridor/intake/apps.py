from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from corridor.accounts.permissions import Perm


class IntakeConfig(AppConfig):
    name = "corridor.intake"
    label = "intake"
    verbose_name = _("Intake")
    nav = [
        (_("Triage"), "intake:queue", Perm.TRIAGE),
        (_("Record a contact"), "intake:record", Perm.INTAKE_RECORD),
    ]
    dashboard_panels = [
        ("intake/panel_queue.html", Perm.TRIAGE, "corridor.intake.selectors.queue_panel"),
    ]
    # Run from `corridor serve`'s once-a-minute ticker.
    periodic = ["corridor.intake.services.housekeeping.periodic"]

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from corridor.intake import events  # noqa: F401  (registers audit codes)
        from corridor.intake.selectors import forget_public_organisation

        for signal in (post_save, post_delete):
            signal.connect(forget_public_organisation, sender="accounts.Organisation",
                           dispatch_uid=f"intake-forget-org-{signal is post_save}")
