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
