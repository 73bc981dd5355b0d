"""Reads of the exposure app and its access functions (404 for missing and not yours)."""

from __future__ import annotations

from django.http import Http404

from corridor.accounts.permissions import Perm
from corridor.crypto.keys import preload
from corridor.exposure.models import ExposureAlert, ExposureImport, ExposureMatch, Provocateur


def get_import_for_user(user, import_id) -> ExposureImport:
    if not user.can(Perm.EXPOSURE_IMPORT):
        raise Http404
    try:
        return ExposureImport.objects.select_related("data_key", "actor").get(
            pk=import_id, organisation=user.organisation_id)
    except (ExposureImport.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def imports_for_user(user, limit: int = 50) -> list[ExposureImport]:
    if not user.can(Perm.EXPOSURE_IMPORT):
        raise Http404
    rows = list(ExposureImport.objects.filter(organisation=user.organisation_id).select_related("data_key", "actor")
                [:limit])
    preload([r.data_key for r in rows])
    return rows


def matches_for(imp: ExposureImport) -> dict[str, list[ExposureMatch]]:
    rows = list(imp.matches.select_related("person", "contact", "provocateur__data_key"))
    case_model = None
    out: dict[str, list[ExposureMatch]] = {"person": [], "contact": [], "provocateur": []}
    for m in rows:
        out[m.target].append(m)
    if out["person"]:
        from django.apps import apps

        case_model = apps.get_model("cases", "Case")
        workers = {}
        for person_id, code, worker in case_model.objects.filter(
            person_id__in=[m.person_id for m in out["person"]], closed__isnull=True
        ).values_list("person_id", "code", "worker__display_name"):
            workers.setdefault(person_id, []).append((code, worker or ""))
        for m in out["person"]:
            m.cases = workers.get(m.person_id, [])
    preload([m.provocateur.data_key for m in out["provocateur"]])
    return out


def provocateurs_for_user(user, limit: int = 500) -> list[Provocateur]:
    if not user.can(Perm.EXPOSURE_IMPORT):
        raise Http404
    rows = list(Provocateur.objects.filter(organisation=user.organisation_id).select_related("data_key", "added_by")
                [:limit])
    preload([r.data_key for r in rows])
    return rows


def get_provocateur_for_user(user, provocateur_id) -> Provocateur:
    if not user.can(Perm.TRIAGE_DECIDE):
        raise Http404
    try:
        return Provocateur.objects.get(pk=provocateur_id, organisation=user.organisation_id)
    except (Provocateur.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def get_alert_for_user(user, alert_id) -> ExposureAlert:
    try:
        return ExposureAlert.objects.get(pk=alert_id, recipient=user)
    except (ExposureAlert.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def alerts_panel(request) -> dict | None:
    """The signed-in user's unacknowledged exposure alerts (no panel if none)."""
    alerts = list(ExposureAlert.objects.filter(recipient=request.user, acknowledged__isnull=True)
                  .select_related("match__person", "match__contact", "match__source")[:20])
    if not alerts:
        return None
    return {"alerts": alerts}
