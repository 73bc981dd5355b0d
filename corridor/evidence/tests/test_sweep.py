from __future__ import annotations

import os
import time
from datetime import timedelta

import pytest

from corridor.crypto.keys import new_data_key
from corridor.crypto.models import DataKey
from corridor.evidence import storage
from corridor.evidence.sweep import GRACE_SECONDS, sweep_orphans

pytestmark = pytest.mark.django_db


def test_leftovers_of_a_killed_upload_are_removed_after_the_grace_period(world, cast):
    writer = storage.BlobWriter()
    writer.write(b"half an upload")
    writer.commit()
    orphan = storage.path_for(writer.name)
    key = new_data_key(scope=DataKey.Scope.FILE, organisation=cast.org)
    assert sweep_orphans(force=True) == 0  # too recent: may be an upload in progress
    old = time.time() - GRACE_SECONDS - 10
    os.utime(orphan, (old, old))
    DataKey.objects.filter(pk=key.pk).update(created=key.created - timedelta(days=2))
    assert sweep_orphans(force=True) == 2
    assert not orphan.exists() and not DataKey.objects.filter(pk=key.pk).exists()
    # Registered files are never touched, however old.
    for name in (world.photo.blob, world.photo.working_blob, world.pdf.blob):
        os.utime(storage.path_for(name), (old, old))
    sweep_orphans(force=True)
    assert all(storage.path_for(n).exists() for n in (world.photo.blob, world.photo.working_blob, world.pdf.blob))
    assert DataKey.objects.filter(pk=world.photo.data_key_id).exists()
