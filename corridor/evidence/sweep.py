"""Remove what an interrupted upload or build left behind (a worker killed with
kill -9 mid-upload cannot run its own clean-up).

A blob nobody references, or a file data key no file uses, older than a grace
period (so an upload in progress is never touched), is deleted. Runs from
`corridor serve`'s ticker at most once an hour.
"""

from __future__ import annotations

import time
from datetime import timedelta

from django.utils import timezone

from corridor.blobs import storage as files
from corridor.crypto.models import DataKey
from corridor.evidence import storage
from corridor.evidence.models import BundleRequest, EvidenceFile

GRACE_SECONDS = 24 * 3600
EVERY_SECONDS = 3600
_last_run = 0.0


def referenced_blobs() -> set[str]:
    names = set(EvidenceFile.objects.values_list("blob", flat=True))
    names |= set(EvidenceFile.objects.exclude(working_blob=None).values_list("working_blob", flat=True))
    names |= set(BundleRequest.objects.exclude(blob=None).values_list("blob", flat=True))
    return names


def sweep_orphans(*, now: float | None = None, force: bool = False) -> int:
    global _last_run
    now = time.time() if now is None else now
    if not force and now - _last_run < EVERY_SECONDS:
        return 0
    _last_run = now
    removed = files.sweep(storage.AREA, keep=referenced_blobs(), older_than=GRACE_SECONDS)
    cutoff = timezone.now() - timedelta(seconds=GRACE_SECONDS)
    unused = DataKey.objects.filter(scope=DataKey.Scope.FILE, created__lt=cutoff).exclude(
        pk__in=EvidenceFile.objects.values("data_key"))
    removed += unused.delete()[0]
    return removed
