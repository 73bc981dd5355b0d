"""The public pages at /: the form, the receipt, writing again.

These views are public on purpose (`login_not_required`). They set no cookie and
never touch `request.session`; the language comes from `?lang=` only. They are
CSRF-exempt because Django's CSRF protection needs a cookie before the first
submission; what protects them instead (docs/intake.md):
- a signed form token in a hidden field (no cookie), checked for this organisation
  and age, whose hash is remembered once used so a reloaded page stores nothing twice;
- an Origin / Sec-Fetch-Site check that refuses cross-site posts when the browser
  says where the post came from;
- and the nature of the action: an anonymous, unauthenticated submission carries no
  victim's authority, so a forged one can do no more than any visitor can.
No request metadata (address, browser) is read, stored or logged here.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core import signing
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from corridor.accounts.timezones import zone_name_for_organisation
from corridor.intake import conf, receipts, sealing
from corridor.intake.forms import PUBLIC_URGENCY, FollowUpForm, IntakeForm, ReceiptForm
from corridor.intake.selectors import public_organisation, thread_for_receipt
from corridor.intake.services.public import (
    Duplicate,
    ReceiptRefused,
    follow_up_create,
    receipt_expires,
    receipt_verify,
    submission_create,
)
from corridor.intake.uploads import DiscardFilesHandler, SealingUploadHandler

TOKEN_SALT = "corridor.intake.form"
TOKEN_AGE = 2 * 24 * 3600
INVALID, EXPIRED = "invalid", "expired"

FILE_PROBLEMS = {
    "too_many": gettext_lazy("You can attach up to %(files)s files. You can send more later with your receipt."),
    "too_large": gettext_lazy("File %(n)s is larger than %(size)s. Please send a smaller file or a screenshot."),
    "too_large_total": gettext_lazy("The files together are larger than %(total)s. Please send fewer or "
                                    "smaller files; you can send more later with your receipt."),
    "archive": gettext_lazy("File %(n)s is an archive (ZIP, RAR or similar). We do not accept archives: please "
                            "attach photos, PDF documents or voice recordings one by one."),
    "type": gettext_lazy("File %(n)s is a kind of file we do not accept. You can attach photos (JPEG, PNG, "
                         "WebP, HEIC), PDF documents and voice recordings (OGG, MP3, M4A, AMR, WAV)."),
    "mismatch": gettext_lazy("File %(n)s is not what its name says (for example a document named like a "
                             "photo). Please check the file and attach it again."),
    "empty": gettext_lazy("File %(n)s is empty."),
    "pixels": gettext_lazy("File %(n)s is a picture with too many pixels for us to open safely. Please send a "
                           "screenshot of it or a smaller photo."),
    "bomb": gettext_lazy("File %(n)s would become far larger than it is when opened (over %(inflated)s), which "
                         "we cannot open safely. Please send it as photos of the pages or as a smaller file."),
    "polyglot": gettext_lazy("File %(n)s has an archive (ZIP, RAR or similar) hidden inside it. We do not accept "
                             "archives: please send the photo or document on its own, saved again or as a "
                             "screenshot."),
    "damaged": gettext_lazy("File %(n)s seems to be damaged, so we cannot open it. Please check the file and "
                            "attach it again."),
    "interrupted": gettext_lazy("A file did not arrive completely. Please try again."),
    "broken": gettext_lazy("Your message did not arrive completely, perhaps the connection broke. Please try "
                           "again."),
}
FORM_EXPIRED = gettext_lazy("This page was open for a long time, so the form expired. Your text is still here: "
                            "please press Send again.")
NOTHING_SAVED = gettext_lazy("Nothing has been saved yet. Your text is still here; please attach your files again.")
RECEIPT_PROBLEMS = {
    "format": gettext_lazy("This does not look like a receipt. A receipt is two phone numbers and a three-digit "
                           "extension; please check the digits."),
    "unknown": ngettext_lazy("We could not find this receipt. Please check the digits. A receipt stops working "
                             "after %(days)s day without a visit.",
                             "We could not find this receipt. Please check the digits. A receipt stops working "
                             "after %(days)s days without a visit.", "days"),
    "locked": gettext_lazy("Too many wrong receipts were tried. For your safety, please wait about 15 minutes "
                           "and try again."),
}


# --- helpers -----------------------------------------------------------------------------------
def _new_token(org) -> str:
    return signing.dumps({"o": str(org.pk), "n": secrets.token_hex(16)}, salt=TOKEN_SALT)


def _receipt_token() -> str:
    """The receipt page's token: signed like the form's (so the front checks both with
    one key) but naming no organisation, so it can never submit the intake form."""
    return signing.dumps({"r": 1, "n": secrets.token_hex(8)}, salt=TOKEN_SALT)


def _token_digest(token: str, org) -> str:
    try:
        data = signing.loads(token or "", salt=TOKEN_SALT, max_age=TOKEN_AGE)
    except signing.SignatureExpired:
        return EXPIRED
    except signing.BadSignature:
        return INVALID
    if not isinstance(data, dict) or data.get("o") != str(org.pk) or not isinstance(data.get("n"), str):
        return INVALID
    return hashlib.sha256(data["n"].encode()).hexdigest()


def _token_signed(token: str) -> bool:
    """Signed by us, whatever its age: a page of ours, perhaps an old one. The receipt
    pages ask no more of their token (a person may keep the page open for days); the
    buffering front checks the same and, beyond it, how fresh the token is and how
    often it was used (corridor/web/front.py)."""
    try:
        signing.loads(token or "", salt=TOKEN_SALT, max_age=None)
    except signing.BadSignature:
        return False
    return True


def _cross_site(request: HttpRequest) -> bool:
    if request.headers.get("Sec-Fetch-Site") == "cross-site":
        return True
    origin = request.headers.get("Origin")
    # Referrer-Policy no-referrer makes browsers send "Origin: null" on our own posts.
    return bool(origin) and origin != "null" and origin != f"{request.scheme}://{request.get_host()}"


def _limits() -> dict:
    return {"files": conf.max_files(), "size": filesizeformat(conf.max_file_bytes()),
            "total": filesizeformat(conf.max_total_bytes()), "chars": conf.max_text_chars(),
            "days": conf.receipt_expiry_days()}


def _page(request, template: str, context: dict, status: int = 200) -> HttpResponse:
    base = {"lang": request.LANGUAGE_CODE, "other_lang": "en" if request.LANGUAGE_CODE == "ru" else "ru",
            "exit_url": conf.quick_exit_url(), "limits": _limits()}
    return render(request, template, {**base, **context}, status=status)


# Pages that are the same for everyone are rendered once per language and setting:
# under a junk flood most requests end on one of them, and rendering is most of
# what a request costs. Nothing personal is ever cached.
_RENDERED: dict[tuple, str] = {}
_TOKEN_SLOT = "corridor-token-slot"


def _cached(request, key: tuple, render_page) -> str:
    full = (request.LANGUAGE_CODE, request.path, conf.quick_exit_url(), tuple(_limits().items()), *key)
    html = _RENDERED.get(full)
    if html is None:
        html = render_page().content.decode("utf-8")
        if len(_RENDERED) > 256:
            _RENDERED.clear()
        _RENDERED[full] = html
    return html


def _refused(request, status: int, reason: str = "foreign") -> HttpResponse:
    # _cached keys on the path too: the receipt pages send the person back to theirs.
    receipt_page = request.path.startswith("/receipt/")
    html = _cached(request, ("refused", reason), lambda: _page(request, "intake/refused.html", {
        "reason": reason, "receipt_page": receipt_page}))
    response = HttpResponse(html, status=status)
    # The buffering front serves this same page itself to junk it refuses early, and
    # takes only pages marked so (corridor/web/front.py); it strips the header.
    response["Corridor-Refusal"] = reason
    return response


@dataclass
class Incoming:
    handler: SealingUploadHandler
    content_key: bytes
    message_id: uuid.UUID
    problem: str | None


def _receive(request: HttpRequest) -> Incoming:
    """Parse the post with the sealing upload handler installed first, so files are
    encrypted as they arrive and refused as soon as a limit is crossed."""
    content_key = sealing.new_content_key()
    handler = SealingUploadHandler(
        request, content_key=content_key, base_dir=settings.CORRIDOR_BLOB_DIR, max_files=conf.max_files(),
        max_file_bytes=conf.max_file_bytes(), max_total_bytes=conf.max_total_bytes(),
    )
    request.upload_handlers = [handler]
    problem = None
    try:
        request.POST  # noqa: B018 - parses the body through the handler
        request.FILES  # noqa: B018
    except (RequestDataTooBig, TooManyFilesSent):
        problem = "too_large_total"
    except (TooManyFieldsSent, MultiPartParserError, UnreadablePostError, ValueError):
        problem = "broken"
    return Incoming(handler, content_key, uuid.uuid4(), problem or handler.problem)


def _problem_text(code: str, n: int = 1) -> str:
    from corridor.evidence.ingest import max_inflated

    return str(FILE_PROBLEMS.get(code, FILE_PROBLEMS["broken"])) % {
        **_limits(), "n": n, "inflated": filesizeformat(max_inflated())}


def _file_error(incoming: Incoming) -> str | None:
    return _problem_text(incoming.problem, incoming.handler.problem_file or 1) if incoming.problem else None


def _too_big(request: HttpRequest, limit: int | None = None) -> bool:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return True
    return length > (conf.max_request_bytes() if limit is None else limit)


def _keep_the_text(request: HttpRequest, org) -> HttpResponse:
    """An over-large post: read the text as it streams, drop the files unread, and
    show the form again with the text in it and what to do, never a dead end."""
    request.upload_handlers = [DiscardFilesHandler(request)]
    try:
        request.POST  # noqa: B018 - parses the body, files are dropped as they stream
    except (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent, MultiPartParserError, UnreadablePostError,
            ValueError):
        return _refused(request, 413, "too_large")
    if _token_digest(request.POST.get("token", ""), org) == INVALID:
        return _refused(request, 400, "foreign")
    form = IntakeForm(request.POST)
    form.is_valid()
    return _form_page(request, org, form, problem=_problem_text("too_large_total"), status=413)


def _unavailable(request) -> HttpResponse:
    return _page(request, "intake/unavailable.html", {}, status=503)


# --- views -------------------------------------------------------------------------------------
def _form_page(request, org, form, *, problem: str | None = None, status: int = 200,
               token: str | None = None) -> HttpResponse:
    return _page(request, "intake/form.html", {
        "form": form, "org": org, "token": token or _new_token(org), "urgency_choices": PUBLIC_URGENCY,
        "problem": problem, "nothing_saved": NOTHING_SAVED if status >= 400 else None,
    }, status=status)


@login_not_required
@csrf_exempt
@require_http_methods(["GET", "POST"])
def intake_form(request: HttpRequest) -> HttpResponse:
    org = public_organisation(cached=True)
    if org is None:
        return _unavailable(request)
    if request.method == "GET":
        html = _cached(request, ("form", str(org.pk)), lambda: _form_page(request, org, IntakeForm(),
                                                                           token=_TOKEN_SLOT))
        return HttpResponse(html.replace(_TOKEN_SLOT, _new_token(org)))
    if _too_big(request, limit=conf.max_drain_bytes()):
        # Refused from the header alone: not one byte of the body is read or stored.
        return _refused(request, 413, "too_large")
    if _cross_site(request):
        return _refused(request, 403)
    if _too_big(request):
        return _keep_the_text(request, org)
    incoming = _receive(request)
    try:
        digest = _token_digest(request.POST.get("token", ""), org)
        if digest == INVALID or incoming.problem == "broken":
            # Not from our page (a browser always sends the signed token): a short
            # refusal, without the cost of the whole form.
            return _refused(request, 400, "broken" if incoming.problem == "broken" else "foreign")
        org = public_organisation()
        if org is None or digest != _token_digest(request.POST.get("token", ""), org):
            return _refused(request, 400)
        form = IntakeForm(request.POST)
        problem = _file_error(incoming)
        if digest == EXPIRED:
            problem = str(FORM_EXPIRED)
        if not form.is_valid() or problem:
            return _form_page(request, org, form, problem=problem, status=400)
        payload = {k: form.cleaned_data[k] for k in ("what", "where", "urgency", "reach")}
        payload["lang"] = request.LANGUAGE_CODE
        files = incoming.handler.accepted()
        try:
            done = submission_create(
                organisation=org, payload=payload, content_key=incoming.content_key,
                message_id=incoming.message_id, uploads=files, token_digest=digest,
                base_dir=settings.CORRIDOR_BLOB_DIR,
            )
        except Duplicate:
            return _page(request, "intake/duplicate.html", {})
    finally:
        incoming.handler.cleanup()
    return _page(request, "intake/receipt.html", {
        "receipt_parts": receipts.display(done.receipt, _("ext.")).replace(", ", ",\n").split("\n"),
        "expires": done.expires, "files": len(files), "keep_page": True,
    })


@login_not_required
@csrf_exempt
@require_http_methods(["GET", "POST"])
def receipt_view(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        html = _cached(request, ("receipt",), lambda: _receipt_page(request, ReceiptForm(), token=_TOKEN_SLOT))
        return HttpResponse(html.replace(_TOKEN_SLOT, _receipt_token()))
    if _too_big(request) or _cross_site(request):
        return _refused(request, 403)
    if not _token_signed(request.POST.get("token", "")):
        # Not from our page (which always carries the signed token first): refused
        # before any lookup, as the front refuses it without a worker.
        return _refused(request, 400)
    form = ReceiptForm(request.POST)
    if not form.is_valid():
        return _receipt_page(request, form, status=400)
    try:
        opened = receipt_verify(text=form.cleaned_data["receipt"])
    except ReceiptRefused as exc:
        form.add_error("receipt", RECEIPT_PROBLEMS[exc.code] % _limits())
        response = _receipt_page(request, form, status=429 if exc.code == "locked" else 400)
        if exc.code == "format":
            # The front gives this page itself to malformed receipts (corridor/web/front.py),
            # with the person's own text and token put back in; it strips the header.
            response["Corridor-Refusal"] = "format"
        return response
    return _thread(request, opened, FollowUpForm(), receipt=form.cleaned_data["receipt"])


def _receipt_page(request, form, *, status: int = 200, problem: str | None = None,
                  token: str | None = None) -> HttpResponse:
    return _page(request, "intake/receipt_enter.html", {
        "form": form, "problem": problem, "token": token or _receipt_token()}, status=status)


def _thread(request, opened, form, *, receipt: str, sent: bool = False, problem: str | None = None,
            status: int = 200):
    """The conversation; the receipt rides in a hidden field of this no-store page,
    since there is no session to remember it."""
    # The person reads our answers in the organisation's zone (Moscow time for
    # someone in Grozny), labelled; their own zone is never asked for or stored.
    organisation = opened.receipt.contact.organisation
    with timezone.override(zone_name_for_organisation(organisation)):
        return _page(request, "intake/thread.html", {
            "items": thread_for_receipt(opened), "form": form, "sent": sent, "problem": problem,
            "expires": receipt_expires(opened.receipt), "keep_page": True, "receipt": receipt,
            "token": _new_token(organisation),
        }, status=status)


@login_not_required
@csrf_exempt
@require_POST
def follow_up(request: HttpRequest) -> HttpResponse:
    if _too_big(request):
        return _refused(request, 413, "too_large")
    if _cross_site(request):
        return _refused(request, 403)
    incoming = _receive(request)
    try:
        if not _token_signed(request.POST.get("token", "")):
            return _refused(request, 400, "broken" if incoming.problem == "broken" else "foreign")
        receipt = request.POST.get("receipt", "")
        try:
            opened = receipt_verify(text=receipt)
        except ReceiptRefused as exc:
            return _receipt_page(request, ReceiptForm(), problem=RECEIPT_PROBLEMS[exc.code] % _limits(),
                                 status=400)
        form = FollowUpForm(request.POST)
        problem = _file_error(incoming)
        digest = _token_digest(request.POST.get("token", ""), opened.receipt.contact.organisation)
        if digest in (INVALID, EXPIRED):
            problem = str(FORM_EXPIRED)
        if not form.is_valid() or problem:
            return _thread(request, opened, form, receipt=receipt, problem=problem, status=400)
        try:
            follow_up_create(
                opened=opened, payload={"text": form.cleaned_data["text"], "lang": request.LANGUAGE_CODE},
                content_key=incoming.content_key, message_id=incoming.message_id,
                uploads=incoming.handler.accepted(), token_digest=digest, base_dir=settings.CORRIDOR_BLOB_DIR,
            )
        except Duplicate:
            pass
    finally:
        incoming.handler.cleanup()
    return _thread(request, opened, FollowUpForm(), receipt=receipt, sent=True)


@login_not_required
@require_GET
def safety(request: HttpRequest) -> HttpResponse:
    return HttpResponse(_cached(request, ("safety",), lambda: _page(request, "intake/safety.html", {})))
