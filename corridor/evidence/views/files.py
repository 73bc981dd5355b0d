from __future__ import annotations

from datetime import UTC, datetime

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from corridor.accounts.permissions import Perm
from corridor.crypto.keys import preload
from corridor.evidence import selectors, services
from corridor.evidence.events import EvidenceEvent
from corridor.evidence.forms import TransferForm, UploadForm
from corridor.evidence.ingest import max_upload_bytes, refusal_message
from corridor.evidence.sniff import ALLOWED_EXTENSIONS, KINDS
from corridor.evidence.upload import EvidenceUploadHandler
from corridor.evidence.views.common import attempt, page
from corridor.web.csrf import site_csrf_protect
from corridor.web.decorators import require_perm
from corridor.web.keyset import keyset_page


@require_perm(Perm.EVIDENCE_VIEW)
def file_list(request: HttpRequest) -> HttpResponse:
    rows = keyset_page(selectors.files_for(request.user), ["-received", "-id"], request)
    preload([f.data_key for f in rows])
    return page(request, "file_list.html", {"page": rows})


CUSTODY_LABELS = {
    EvidenceEvent.FILE_RECEIVED: gettext_lazy("received"),
    EvidenceEvent.FILE_VIEWED: gettext_lazy("viewed or downloaded"),
    EvidenceEvent.FILE_EXPORTED: gettext_lazy("exported in a bundle"),
    EvidenceEvent.FILE_TRANSFERRED: gettext_lazy("transferred"),
    EvidenceEvent.FILE_STRIPPED: gettext_lazy("working copy made without metadata"),
}


@csrf_exempt
@require_perm(Perm.EVIDENCE_EDIT)
@require_http_methods(["GET", "POST"])
def file_upload(request: HttpRequest) -> HttpResponse:
    """Install the streaming handler before anything reads the body, then check
    CSRF (Django's documented pattern for changing upload handlers)."""
    handler = None
    if request.method == "POST":
        handler = EvidenceUploadHandler(request, organisation=request.user.organisation, limit=max_upload_bytes())
        request.upload_handlers = [handler]
    try:
        return site_csrf_protect(_file_upload)(request, handler)
    finally:
        if handler is not None:
            handler.cleanup()


def _file_upload(request: HttpRequest, handler: EvidenceUploadHandler | None) -> HttpResponse:
    form = UploadForm(request.POST if handler is not None else None)
    context = {"form": form, "limit": max_upload_bytes(), "extensions": ", ".join(ALLOWED_EXTENSIONS)}
    if handler is None:
        return page(request, "file_upload.html", context)
    if handler.refused is not None:
        services.file_refused(actor=request.user, reason=handler.refused.code)
        form.add_error(None, refusal_message(handler.refused.code))
        status = 413 if handler.refused.code == "too_large" else 400
        return page(request, "file_upload.html", context, status=status)
    if handler.result is None:
        form.add_error(None, refusal_message("no_file"))
    if form.is_valid() and handler.result is not None:
        f = attempt(form, lambda: services.file_register(actor=request.user, ingested=handler.result,
                                                         description=form.cleaned_data["description"]))
        if f:
            handler.claimed = True
            messages.success(request, _("File %(code)s received. SHA-256: %(sha)s") % {"code": f.code, "sha": f.sha256})
            if request.headers.get("HX-Request") == "true":
                # Sent by htmx (with the progress bar): let the browser go to the page itself.
                response = HttpResponse(status=200)
                response["HX-Redirect"] = reverse("evidence:file_detail", kwargs={"pk": f.pk})
                return response
            return redirect("evidence:file_detail", pk=f.pk)
    return page(request, "file_upload.html", context, status=400)


@require_perm(Perm.EVIDENCE_VIEW)
def file_detail(request: HttpRequest, pk) -> HttpResponse:
    f = selectors.get_file_for_user(request.user, pk)
    entries = list(selectors.custody_for(f))
    names = selectors.actor_names([e.actor for e in entries], request.user.organisation_id)
    custody = [{"entry": e, "event": CUSTODY_LABELS.get(e.code, e.code), "actor": names.get(e.actor, e.actor),
                "when": datetime.fromtimestamp(e.ts_us / 1e6, tz=UTC)} for e in entries]
    sources = f.sources.select_related("event", "act__act_type")
    return page(request, "file_detail.html", {"f": f, "custody": custody, "sources": sources,
                                              "transfer_form": TransferForm(), "kind": KINDS.get(f.kind)})


@require_perm(Perm.EVIDENCE_VIEW)
def file_download(request: HttpRequest, pk, copy: str) -> HttpResponse:
    """Always an attachment, never rendered inline: an uploaded file is untrusted."""
    f = selectors.get_file_for_user(request.user, pk)
    if copy not in ("original", "working") or (copy == "working" and not f.has_working_copy):
        raise Http404
    chunks = services.file_view(actor=request.user, file=f, working=copy == "working")
    response = StreamingHttpResponse(chunks, content_type="application/octet-stream")
    suffix = "" if copy == "original" else "-working"
    response["Content-Disposition"] = f'attachment; filename="{f.code}{suffix}.{f.kind}"'
    response["Content-Length"] = str(f.size if copy == "original" else f.working_size)
    return response


@require_POST
@require_perm(Perm.EVIDENCE_EDIT)
def file_transfer(request: HttpRequest, pk) -> HttpResponse:
    f = selectors.get_file_for_user(request.user, pk, write=True)
    form = TransferForm(request.POST)
    if form.is_valid() and attempt(form, lambda: services.file_transfer(actor=request.user, file=f,
                                                                      **form.cleaned_data)):
        messages.success(request, _("The transfer is recorded in the chain of custody."))
    else:
        messages.error(request, _("Choose the recipient and the method from the list."))
    return redirect("evidence:file_detail", pk=f.pk)
