"""Reads of the reports app: public live reports, and staff access to publications."""

from __future__ import annotations


def dashboard_panel(request) -> dict | None:
    latest = live_publications(request.user.organisation_id).defer("pdf_ru", "pdf_en", "data").first()
    return {"latest": latest}


def live_publications(organisation_id=None):
    from corridor.reports.models import Publication

    qs = Publication.objects.filter(withdrawn__isnull=True).select_related("organisation")
    if organisation_id is not None:
        qs = qs.filter(organisation_id=organisation_id)
    return qs.order_by("-end", "-published")


def public_organisations():
    """Organisations with at least one live report, for the public index."""
    from corridor.accounts.models import Organisation

    ids = live_publications().values_list("organisation_id", flat=True)
    return Organisation.objects.filter(pk__in=ids).order_by("name")


def get_public_publication(slug: str, publication_id=None):
    """A live report of the organisation `slug` (the newest if no id): 404 otherwise,
    including for withdrawn ones."""
    import uuid

    from django.http import Http404

    qs = live_publications().filter(organisation__slug=slug)
    if publication_id is not None:
        try:
            qs = qs.filter(pk=uuid.UUID(str(publication_id)))
        except ValueError:
            raise Http404 from None
    publication = qs.defer("pdf_ru", "pdf_en").first()
    if publication is None:
        raise Http404
    return publication


def get_publication_for_user(user, publication_id):
    import uuid

    from django.http import Http404

    from corridor.accounts.permissions import Perm
    from corridor.reports.models import Publication

    if not user.can(Perm.STATISTICS):
        raise Http404
    try:
        return Publication.objects.defer("pdf_ru", "pdf_en").get(pk=uuid.UUID(str(publication_id)),
                                                                 organisation=user.organisation_id)
    except (Publication.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
