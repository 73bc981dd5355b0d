from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "corridor.audit"
    label = "audit"
    # Shown to partner witnesses each tick; an offline one is simply retried.
    periodic = ["corridor.audit.witnesses.push_latest"]
