from __future__ import annotations

from datetime import UTC, datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from corridor.accounts.permissions import Perm
from corridor.audit import events
from corridor.audit.forms import AcknowledgeAlertForm
from corridor.audit.selectors import entries_for_auditor, open_alerts
from corridor.audit.services import AlertError, acknowledge_alert, latest_checkpoint
from corridor.web.decorators import require_perm
from corridor.web.keyset import keyset_page


@require_perm(Perm.VIEW_AUDIT)
def log(request: HttpRequest) -> HttpResponse:
    try:
        code = int(request.GET.get("code", "") or 0)
    except ValueError:
        code = 0
    cp = latest_checkpoint()
    page = keyset_page(entries_for_auditor(request.user, code=code or None), ["-seq"], request)
    rows = [
        {
            "seq": e.seq, "when": datetime.fromtimestamp(e.ts_us / 1e6, tz=UTC), "event": events.label(e.code),
            "code": e.code, "actor": e.actor, "object": f"{e.object_type} {e.object_id}".strip(), "data": e.data,
        }
        for e in page.object_list
    ]
    return render(request, "audit/log.html", {"page": page, "rows": rows, "code": code,
                                              "checkpoint": cp, "alerts": open_alerts(),
                                              "can_acknowledge": request.user.can(Perm.MANAGE_USERS),
                                              "ack_form": AcknowledgeAlertForm(),
                                              "cosignatures": list(cp.cosignatures.all()) if cp else []})


@require_POST
@require_perm(Perm.MANAGE_USERS)
def acknowledge(request: HttpRequest, alert_id: int) -> HttpResponse:
    form = AcknowledgeAlertForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say what you found and what you did before acknowledging the alert."))
        return redirect("audit:log")
    try:
        acknowledge_alert(actor=request.user, alert_id=alert_id, note=form.cleaned_data["note"])
    except AlertError:
        messages.error(request, _("This alert was already acknowledged."))
    else:
        messages.success(request, _("Alert acknowledged. If the condition comes back, a new alert is raised."))
    return redirect("audit:log")


@login_not_required
def checkpoint_txt(request: HttpRequest) -> HttpResponse:
    """The latest signed checkpoint, public on purpose: outside witnesses keep copies,
    so the log cannot later be rewritten without the copies disagreeing."""
    cp = latest_checkpoint()
    if cp is None:
        raise Http404
    return HttpResponse(cp.note, content_type="text/plain; charset=utf-8")


@login_not_required
def log_keys(request: HttpRequest) -> HttpResponse:
    """The audit log's public key (note-verifier format) and the witnesses' keys, public on
    purpose so a court pins them from here rather than trusting a bundle's own copy."""
    from corridor.audit.checkpoint import verifier_key
    from corridor.audit.witnesses import configured
    from corridor.crypto.keys import log_public_key

    public_key, origin = log_public_key()
    lines = ["# log key (corridor-verify --log-key)", verifier_key(origin, public_key)]
    witnesses = configured()
    if witnesses:
        lines.append("# witness keys (corridor-verify --witness)")
        lines += [w.key.vkey for w in witnesses]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
