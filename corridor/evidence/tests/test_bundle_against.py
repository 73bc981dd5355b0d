"""A bundle given to a court before the log was rewritten still exposes the rewrite:
its signed checkpoint, checked `--against` the rewritten log, no longer fits."""

from __future__ import annotations

import io
import tarfile

import pyrage
import pytest
from django.core.management import CommandError, call_command

from corridor.audit.models import AuditEntry, Checkpoint
from corridor.audit.services import make_checkpoint
from corridor.audit.tests.test_rewrite_attacks import _forge_row
from corridor.evidence import bundle_format as fmt
from corridor.evidence import storage

pytestmark = pytest.mark.django_db


def _checkpoint_of(bundle, identity) -> str:
    tar = pyrage.decrypt(storage.path_for(bundle.blob).read_bytes(), [identity.identity])
    with tarfile.open(fileobj=io.BytesIO(tar)) as archive:
        return archive.extractfile(fmt.CHECKPOINT).read().decode("utf-8")


def test_a_bundle_made_before_a_rewrite_exposes_it(built_bundle, identity, tmp_path):
    court_copy = tmp_path / "checkpoint.txt"
    court_copy.write_text(_checkpoint_of(built_bundle, identity))
    make_checkpoint()
    call_command("audit", "verify", "--quiet", "--against", str(court_copy), stdout=io.StringIO())

    # The insider rewrites a custody entry covered by the bundle, recomputes the tree,
    # deletes the checkpoints and has keyd's memory reset so the forgery is signed afresh.
    covered = AuditEntry.objects.filter(seq__lt=built_bundle.checkpoint_size).order_by("-seq").first()
    _forge_row(covered.seq)
    Checkpoint.objects.all().delete()
    call_command("audit", "reset-head", "--reason", "cover-up", stdout=io.StringIO())
    make_checkpoint()
    call_command("audit", "verify", "--quiet", stdout=io.StringIO())  # consistent with itself

    err = io.StringIO()
    with pytest.raises(CommandError, match="does NOT verify"):
        call_command("audit", "verify", "--quiet", "--against", str(court_copy), stdout=io.StringIO(), stderr=err)
    assert f"signed {built_bundle.checkpoint_size} entries with another root" in err.getvalue()
