"""Two-person rule for evidence exports."""

from __future__ import annotations

import pytest
from django.utils import translation

from corridor.audit.models import AuditEntry
from corridor.evidence import services
from corridor.evidence.events import EvidenceEvent
from corridor.evidence.models import BundleRequest

pytestmark = pytest.mark.django_db


@pytest.fixture
def request_(world, cast, identity):
    return services.bundle_request(actor=cast.legal, audience="legal", recipients=[identity.recipient],
                                   events=[world.e1], files=[world.pdf], purpose="complaint")


def test_nobody_approves_their_own_export(request_, cast):
    with translation.override("en"), pytest.raises(services.EvidenceError, match="second person"):
        services.bundle_approve(actor=cast.legal, bundle=request_)
    assert BundleRequest.objects.get().status == "pending"


@pytest.mark.parametrize("who", ["alice", "operator", "finance", "admin", "auditor", "partner_coordinator"])
def test_only_an_approver_of_the_same_organisation_approves(request_, cast, who):
    with pytest.raises(services.EvidenceError):
        services.bundle_approve(actor=getattr(cast, who), bundle=request_)


def test_another_legal_officer_may_approve(request_, legal2):
    assert services.bundle_approve(actor=legal2, bundle=request_).status == "ready"


def test_a_decided_export_cannot_be_decided_again(request_, cast):
    services.bundle_refuse(actor=cast.coordinator, bundle=request_)
    with translation.override("en"), pytest.raises(services.EvidenceError, match="already"):
        services.bundle_approve(actor=cast.coordinator2, bundle=request_)
    assert BundleRequest.objects.get().blob is None
    assert AuditEntry.objects.filter(code=EvidenceEvent.BUNDLE_REFUSED).count() == 1


def test_only_exporters_request(world, cast, identity):
    with pytest.raises(services.EvidenceError):
        services.bundle_request(actor=cast.coordinator, audience="legal", recipients=[identity.recipient],
                                events=[world.e1])


@pytest.mark.parametrize("recipients", [[], ["not-a-key"], ["AGE-SECRET-KEY-1QQQ"]])
def test_recipients_must_be_age_public_keys(world, cast, recipients):
    with pytest.raises(services.EvidenceError):
        services.bundle_request(actor=cast.legal, audience="legal", recipients=recipients, events=[world.e1])


def test_the_approval_flow_through_the_pages(world, cast, staff_client, identity):
    legal = staff_client(cast.legal)
    response = legal.post("/staff/evidence/exports/new/", {
        "audience": "legal", "recipients": identity.recipient + "\n", "events": [str(world.e1.pk)],
        "files": [str(world.pdf.pk)], "purpose": "complaint to the prosecutor",
    })
    assert response.status_code == 302
    bundle = BundleRequest.objects.get()
    url = f"/staff/evidence/exports/{bundle.pk}/"
    assert "Approve" not in legal.get(url).content.decode() or "approve" not in legal.get(url).content.decode()
    assert legal.post(url + "approve/").status_code == 302
    assert BundleRequest.objects.get().status == "pending"  # refused: own request
    coordinator = staff_client(cast.coordinator)
    assert bundle.code in coordinator.get("/staff/").content.decode()  # dashboard panel
    assert coordinator.post(url + "approve/").status_code == 302
    bundle.refresh_from_db()
    assert bundle.status == "ready" and bundle.decided_by == cast.coordinator
    download = legal.get(url + "download/")
    assert download.status_code == 200
    data = b"".join(download.streaming_content)
    assert data.startswith(b"age-encryption.org/v1\n")
    assert AuditEntry.objects.filter(code=EvidenceEvent.BUNDLE_DOWNLOADED).count() == 1


def test_a_failed_build_is_recorded_and_can_be_retried(request_, cast, monkeypatch):
    from corridor.evidence import bundle_build

    def boom(**kwargs):
        raise bundle_build.BuildError("simulated")

    monkeypatch.setattr(bundle_build, "build", boom)
    bundle = services.bundle_approve(actor=cast.coordinator, bundle=request_)
    assert bundle.status == "failed"
    assert AuditEntry.objects.filter(code=EvidenceEvent.BUNDLE_FAILED).count() == 1
    monkeypatch.undo()
    assert services.bundle_rebuild(actor=cast.coordinator, bundle=bundle).status == "ready"


def test_a_tampered_blob_on_the_server_aborts_the_build(cast, world, identity):
    from corridor.evidence import storage

    request_ = services.bundle_request(actor=cast.legal, audience="echr", recipients=[identity.recipient],
                                       events=[world.e2], files=[world.pdf])
    path = storage.path_for(world.pdf.blob)
    data = bytearray(path.read_bytes())
    data[-3] ^= 1
    path.write_bytes(bytes(data))
    bundle = services.bundle_approve(actor=cast.coordinator, bundle=request_)
    assert bundle.status == "failed" and bundle.blob is None
    left = sorted(p for p in storage.blob_root().rglob("*") if p.is_file())
    assert left == sorted([storage.path_for(world.photo.blob), storage.path_for(world.photo.working_blob), path,
                           storage.path_for(world.pdf.working_blob)])
