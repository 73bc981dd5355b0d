"""The role cast on every view: each page answers only the roles the permission
matrix allows (200, or a redirect/400 for posts) and is a 404 for everyone else,
including staff of another organisation."""

from __future__ import annotations

import pytest

from corridor.accounts.permissions import Perm
from corridor.evidence import services

pytestmark = pytest.mark.django_db

V, E, X, A, S = (Perm.EVIDENCE_VIEW, Perm.EVIDENCE_EDIT, Perm.EVIDENCE_EXPORT, Perm.EVIDENCE_APPROVE_EXPORT,
                 Perm.STATISTICS)
CAST = ["alice", "bob", "coordinator", "operator", "legal", "finance", "admin", "auditor", "charlie"]


@pytest.fixture
def objects(world, built_bundle, cast, identity):
    pending = services.bundle_request(actor=cast.legal, audience="legal", recipients=[identity.recipient],
                                      events=[world.e1])
    return {"t": world.t_public.pk, "e": world.e1.pk, "f": world.photo.pk, "l": world.filing.pk,
            "b": pending.pk, "r": built_bundle.pk}


def routes(o) -> list[tuple[str, str, tuple]]:
    """(method, url, any of these permissions)."""
    ev = "/staff/evidence/"
    return [
        ("GET", ev, (V,)),
        ("GET", f"{ev}testimonies/", (V,)),
        ("GET", f"{ev}testimonies/new/", (E,)),
        ("GET", f"{ev}testimonies/{o['t']}/", (V,)),
        ("GET", f"{ev}testimonies/{o['t']}/edit/", (E,)),
        ("GET", f"{ev}events/", (V,)),
        ("GET", f"{ev}events/new/", (E,)),
        ("GET", f"{ev}events/{o['e']}/", (V,)),
        ("GET", f"{ev}events/{o['e']}/edit/", (E,)),
        ("GET", f"{ev}events/{o['e']}/acts/new/", (E,)),
        ("GET", f"{ev}events/{o['e']}/sources/new/", (E,)),
        ("GET", f"{ev}registry/", (V,)),
        ("POST", f"{ev}registry/places/new/", (E,)),
        ("POST", f"{ev}registry/perpetrators/new/", (E,)),
        ("POST", f"{ev}registry/terms/new/", (E,)),
        ("POST", f"{ev}registry/waves/new/", (E,)),
        ("GET", f"{ev}files/", (V,)),
        ("GET", f"{ev}files/upload/", (E,)),
        ("GET", f"{ev}files/{o['f']}/", (V,)),
        ("GET", f"{ev}files/{o['f']}/download/original/", (V,)),
        ("GET", f"{ev}files/{o['f']}/download/working/", (V,)),
        ("POST", f"{ev}files/{o['f']}/transfer/", (E,)),
        ("GET", f"{ev}filings/", (V,)),
        ("GET", f"{ev}filings/new/", (E,)),
        ("GET", f"{ev}filings/{o['l']}/", (V,)),
        ("GET", f"{ev}filings/{o['l']}/edit/", (E,)),
        ("POST", f"{ev}filings/{o['l']}/steps/new/", (E,)),
        ("GET", f"{ev}deadlines/", (V,)),
        ("GET", f"{ev}exports/", (X, A)),
        ("GET", f"{ev}exports/new/", (X,)),
        ("GET", f"{ev}exports/{o['b']}/", (X, A)),
        ("GET", f"{ev}exports/{o['r']}/download/", (X, A)),
        ("POST", f"{ev}exports/{o['r']}/rebuild/", (X, A)),
        ("POST", f"{ev}exports/{o['b']}/refuse/", (A,)),
        ("GET", f"{ev}statistics/", (S,)),
    ]


def _status(client, method: str, url: str) -> int:
    response = client.get(url) if method == "GET" else client.post(url, {})
    return response.status_code


@pytest.mark.parametrize("who", CAST)
def test_every_view_answers_only_the_roles_that_may_use_it(who, cast, staff_client, objects):
    user = getattr(cast, who)
    client = staff_client(user)
    wrong = []
    for method, url, perms in routes(objects):
        allowed = any(user.can(p) for p in perms) and user.organisation_id == cast.org.pk or (
            perms == (S,) and user.can(S))
        status = _status(client, method, url)
        ok = status in (200, 302, 400) if allowed else status == 404
        if not ok:
            wrong.append((method, url, status, "allowed" if allowed else "forbidden"))
    assert not wrong, wrong


def test_another_organisations_legal_officer_gets_404_for_every_object(objects, partner_legal, staff_client):
    client = staff_client(partner_legal)
    object_routes = [r for r in routes(objects) if any(str(pk) in r[1] for pk in objects.values())]
    assert len(object_routes) >= 15
    wrong = [(m, u, s) for m, u, _ in object_routes if (s := _status(client, m, u)) != 404]
    assert not wrong, wrong
    # Their own lists work and show nothing of ours.
    page = client.get("/staff/evidence/events/").content.decode()
    assert "E-0001" not in page


def test_unknown_and_malformed_ids_are_404(cast, staff_client):
    client = staff_client(cast.legal)
    assert client.get("/staff/evidence/events/00000000-0000-0000-0000-000000000000/").status_code == 404
    assert client.get("/staff/evidence/events/1/").status_code == 404


def test_a_copy_that_does_not_exist_is_404(world, cast, staff_client):
    from corridor.evidence.models import EvidenceFile

    EvidenceFile.objects.filter(pk=world.pdf.pk).update(working_blob=None, working_refused="tool_failed")
    client = staff_client(cast.legal)
    assert client.get(f"/staff/evidence/files/{world.pdf.pk}/download/working/").status_code == 404
    assert client.get(f"/staff/evidence/files/{world.pdf.pk}/download/other/").status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(client, world):
    response = client.get(f"/staff/evidence/events/{world.e1.pk}/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_navigation_follows_the_roles(cast, staff_client):
    legal = staff_client(cast.legal).get("/staff/").content.decode()
    assert "/staff/evidence/" in legal and "/staff/evidence/statistics/" in legal
    coordinator = staff_client(cast.coordinator).get("/staff/").content.decode()
    assert 'href="/staff/evidence/"' not in coordinator and "/staff/evidence/exports/" in coordinator
    alice = staff_client(cast.alice).get("/staff/").content.decode()
    assert "/staff/evidence/" not in alice
