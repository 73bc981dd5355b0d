from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.contrib.staticfiles import finders
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from corridor.accounts.permissions import Perm
from corridor.accounts.services import user_set_language
from corridor.crypto.keys import keyd
from corridor.crypto.seal_signal import seal_everywhere
from corridor.keyd.errors import KeydError
from corridor.web.decorators import require_perm
from corridor.web.registry import panels_for


def dashboard(request: HttpRequest) -> HttpResponse:
    from corridor.web import kept

    return render(request, "web/dashboard.html", {"panels": panels_for(request), "kept": kept.kept(request)})


@require_GET
def kept_view(request: HttpRequest) -> HttpResponse:
    """What was typed before the session expired, as a form that posts it again."""
    from django.urls import Resolver404, resolve

    from corridor.web import kept

    entry = kept.kept(request)
    if entry is None:
        return redirect("web:dashboard")
    try:
        resolve(entry["path"])
    except Resolver404:
        kept.forget(request)
        return redirect("web:dashboard")
    shown = [(name, value) for name, value in entry["fields"] if name not in ("version", "back", "next") and value]
    return render(request, "web/kept.html", {"kept": entry, "shown": shown})


@require_POST
def kept_discard(request: HttpRequest) -> HttpResponse:
    from corridor.web import kept

    response = redirect("web:dashboard")
    kept.forget(request, response)
    return response


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    lang = request.POST.get("language", "")
    if lang in dict(settings.LANGUAGES):
        request.session["django_language"] = lang
        if request.user.is_authenticated:
            user_set_language(user=request.user, language=lang)
    target = request.POST.get("next") or "/staff/"
    # Only a local path: redirect() would try to reverse anything else as a view name.
    if not (target.startswith("/") and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()})
            and target.isprintable() and " " not in target):
        target = "/staff/"
    return HttpResponseRedirect(target)


@require_perm(Perm.SEAL)
def keys_view(request: HttpRequest) -> HttpResponse:
    try:
        status = keyd().status()
    except KeydError:
        status = None
    import datetime

    from corridor.crypto.certificates import keyd_certificates

    now = datetime.datetime.now(datetime.UTC)
    certificates = [{"text": cert.describe(now), "level": cert.level(now)} for cert in keyd_certificates()]
    return render(request, "web/keys.html", {"status": status, "certificates": certificates})


RETENTION_RULES = {
    "closed_cases": gettext_lazy("People whose every case was closed or left the journey that long ago (held "
                                 "when a court filing names them)"),
    "receipts": gettext_lazy("Receipts not used for that long, with the replies sealed to them"),
    "intake_contacts": gettext_lazy("Contacts that never became a case, after that long without activity"),
    "exposure_imports": gettext_lazy("Seized contact lists: their blind indexes and label (counts and matches stay)"),
    "delivered_bundles": gettext_lazy("Evidence bundle files after delivery (hashes and custody stay)"),
}


@require_GET
@require_perm(Perm.SEAL)
def retention_view(request: HttpRequest) -> HttpResponse:
    """Administrators see what the retention rules would erase now from their
    organisation (counts only, nothing changes here); `corridor serve` applies them."""
    from corridor.web.retention import preview

    rows = [{"rule": o.rule, "what": RETENTION_RULES[o.rule], "period": o.period, "due": o.due}
            for o in preview(request.user.organisation)]
    return render(request, "web/retention.html", {"rows": rows})


@require_POST
@require_perm(Perm.SEAL)
def seal_now(request: HttpRequest) -> HttpResponse:
    """The panic button: seal the agent at once; nothing decrypts until a quorum unseals."""
    seal_everywhere(actor=request.user, organisation=request.user.organisation, via="web",
                    reason=f"sealed from the web by {request.user.principal}")
    messages.warning(request, _("The server is sealed. Nothing can be decrypted until it is unsealed."))
    return redirect("web:keys")


def sealed(request: HttpRequest) -> HttpResponse:
    return render(request, "web/sealed.html", status=503)


@login_not_required
def static(request: HttpRequest, path: str) -> HttpResponse:
    """Serve the app's own static files (no CDN, no collectstatic step needed)."""
    if ".." in path.split("/") or path.startswith("/") or "\x00" in path:
        raise Http404
    found = finders.find(path)
    if not found:
        raise Http404
    response = FileResponse(open(found, "rb"))  # noqa: SIM115 - FileResponse closes it
    response["Cache-Control"] = "public, max-age=3600"
    return response


@login_not_required
def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return render(request, "web/csrf_failure.html", status=403)
