"""Public statistics: the published transparency reports, no token needed.

Only frozen publications leave here, exactly as the public pages show them: their
figures already went through disclosure control (delay, rounding, small-cell
suppression) when they were published, and withdrawn ones are gone.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from ninja import Router, Schema

from corridor.api.schemas import PUBLIC_ERRORS
from corridor.reports.selectors import get_public_publication, live_publications

router = Router(tags=["public statistics"], auth=None)


class PublicationRow(Schema):
    id: uuid.UUID
    organisation: str
    start: date
    end: date
    currency: str
    digest: str
    published: datetime


class Publication(PublicationRow):
    data: dict[str, Any]


def _row(p) -> dict:
    return {"id": p.id, "organisation": p.organisation.slug, "start": p.start, "end": p.end,
            "currency": p.currency, "digest": p.digest, "published": p.published}


@router.get("/reports", response={200: list[PublicationRow], **PUBLIC_ERRORS}, url_name="public_reports",
            summary="Live transparency reports of every organisation")
def reports(request):
    return [_row(p) for p in live_publications().defer("pdf_ru", "pdf_en", "data")[:500]]


@router.get("/reports/{slug}", response={200: Publication, **PUBLIC_ERRORS}, url_name="public_report_latest",
            summary="The newest live report of one organisation, with its figures")
def report_latest(request, slug: str):
    p = get_public_publication(slug)
    return {**_row(p), "data": p.data}


@router.get("/reports/{slug}/{publication_id}", response={200: Publication, **PUBLIC_ERRORS},
            url_name="public_report", summary="One live report, with its figures")
def report(request, slug: str, publication_id: uuid.UUID):
    p = get_public_publication(slug, publication_id)
    return {**_row(p), "data": p.data}
