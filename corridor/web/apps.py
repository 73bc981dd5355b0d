from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from corridor.accounts.permissions import Perm


class WebConfig(AppConfig):
    name = "corridor.web"
    label = "web"
    periodic = ["corridor.web.retention.periodic"]
    nav = [
        (_("Dashboard"), "web:dashboard", None),
        (_("Users"), "accounts:user_list", Perm.MANAGE_USERS),
        (_("Keys"), "web:keys", Perm.SEAL),
        (_("Retention"), "web:retention", Perm.SEAL),
        (_("Audit log"), "audit:log", Perm.VIEW_AUDIT),
    ]

    def ready(self) -> None:
        from corridor.web import checks  # noqa: F401 - registers the deployment checks
