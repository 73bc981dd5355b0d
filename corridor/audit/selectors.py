from __future__ import annotations

from corridor.audit.models import AuditEntry


def entries_for_auditor(user, *, code: int | None = None):
    """Auditors and administrators see their organisation's entries and the
    installation-wide ones (key events), never another organisation's."""
    from django.db.models import Q

    qs = AuditEntry.objects.filter(Q(organisation=str(user.organisation_id)) | Q(organisation=""))
    if code:
        qs = qs.filter(code=code)
    return qs.order_by("-seq")


def open_alerts(limit: int = 20):
    """Alerts about the log's integrity that nobody has acknowledged yet, newest first."""
    from corridor.audit.models import AuditAlert

    return list(AuditAlert.objects.filter(acknowledged=None)[:limit])
