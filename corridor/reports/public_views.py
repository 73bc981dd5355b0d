"""The public transparency pages: no sign-in, no cookies, no JavaScript, nothing
from another site. They only read frozen publications (see models.Publication)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from corridor.reports.models import Publication
from corridor.reports.presentation import present
from corridor.reports.selectors import (
    get_public_publication,
    live_publications,
    public_organisations,
)


def _lang(request: HttpRequest) -> str:
    return "en" if request.LANGUAGE_CODE == "en" else "ru"


def _render_report(request: HttpRequest, publication: Publication) -> HttpResponse:
    others = live_publications(publication.organisation_id).exclude(pk=publication.pk).defer(
        "pdf_ru", "pdf_en", "data")
    return render(request, "reports/public/report.html", {
        "publication": publication, "view": present(publication.data, _lang(request)), "others": others,
        "slug": publication.organisation.slug,
    })


@login_not_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    organisations = list(public_organisations())
    if len(organisations) == 1:
        return _render_report(request, get_public_publication(organisations[0].slug))
    return render(request, "reports/public/index.html", {"organisations": organisations})


@login_not_required
@require_GET
def report(request: HttpRequest, slug: str, publication_id=None) -> HttpResponse:
    return _render_report(request, get_public_publication(slug, publication_id))


@login_not_required
@require_GET
def report_pdf(request: HttpRequest, slug: str, publication_id, lang: str) -> HttpResponse:
    if lang not in ("ru", "en"):
        raise Http404
    publication = get_public_publication(slug, publication_id)
    pdf = Publication.objects.values_list(f"pdf_{lang}", flat=True).get(pk=publication.pk)
    response = HttpResponse(bytes(pdf), content_type="application/pdf")
    name = f"transparency-{publication.organisation.slug}-{publication.start:%Y-%m}-{publication.end:%Y-%m}-{lang}.pdf"
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response
