"""Receipts live in the file store (corridor/blobs): in the database when several
hosts share it, committed with the expense, and existing disk receipts migrate."""

from __future__ import annotations

import importlib
from datetime import date

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from corridor.blobs.models import StoredChunk, StoredFile
from corridor.funds.models import Expense
from corridor.funds.services import (
    expense_attach_receipt,
    expense_delete,
    expense_record,
    receipt_open,
)

PDF = b"%PDF-1.7\n% receipt\n"
MIGRATION = importlib.import_module("corridor.funds.migrations.0003_receipts_into_file_store")


def _disk_files(settings):
    root = settings.CORRIDOR_BLOB_DIR / "funds"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_on_the_database_backend_a_receipt_is_rows_only_and_opens(org, cast, expense, settings):
    settings.CORRIDOR_FILE_STORAGE = "database"
    body = PDF + b"Landlord Ivanova " * 1000
    expense_attach_receipt(actor=cast.finance, expense=expense, upload=SimpleUploadedFile("r.pdf", body))
    expense = Expense.objects.get(pk=expense.pk)
    row = StoredFile.objects.get(area="funds", name=expense.receipt_blob)
    assert row.complete and _disk_files(settings) == []
    stored = b"".join(bytes(c) for c in StoredChunk.objects.filter(file=row).order_by("seq")
                      .values_list("data", flat=True))
    assert b"Landlord" not in stored and b"%PDF" not in stored  # ciphertext only
    assert receipt_open(actor=cast.finance, expense=expense)[0] == body


def test_a_rolled_back_expense_leaves_no_receipt_rows(org, cast, rates, settings):
    settings.CORRIDOR_FILE_STORAGE = "database"

    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        expense_record(actor=cast.finance, organisation=org, date=date(2017, 3, 10), amount="100",
                       currency="RUB", category="medical", receipt=SimpleUploadedFile("r.pdf", PDF))
        assert StoredFile.objects.filter(area="funds", complete=True).count() == 1
        raise Boom
    assert not StoredFile.objects.filter(area="funds").exists()
    assert not StoredChunk.objects.exists()


def test_a_replaced_or_deleted_receipt_is_removed_from_the_database(org, cast, expense, settings,
                                                                    django_capture_on_commit_callbacks):
    settings.CORRIDOR_FILE_STORAGE = "database"
    expense_attach_receipt(actor=cast.finance, expense=expense, upload=SimpleUploadedFile("a.pdf", PDF + b"a"))
    first = Expense.objects.get(pk=expense.pk).receipt_blob
    with django_capture_on_commit_callbacks(execute=True):
        expense_attach_receipt(actor=cast.finance, expense=Expense.objects.get(pk=expense.pk),
                               upload=SimpleUploadedFile("b.pdf", PDF + b"b"))
    second = Expense.objects.get(pk=expense.pk).receipt_blob
    assert list(StoredFile.objects.filter(area="funds").values_list("name", flat=True)) == [second] != [first]
    with django_capture_on_commit_callbacks(execute=True):
        expense_delete(actor=cast.finance, expense=Expense.objects.get(pk=expense.pk))
    assert not StoredFile.objects.filter(area="funds").exists()


def test_tampered_rows_do_not_decrypt(org, cast, expense, settings):
    """An attacker with write access to the database flips a byte of the stored chunk."""
    from corridor.crypto.errors import DecryptionError

    settings.CORRIDOR_FILE_STORAGE = "database"
    expense_attach_receipt(actor=cast.finance, expense=expense, upload=SimpleUploadedFile("r.pdf", PDF))
    expense = Expense.objects.get(pk=expense.pk)
    chunk = StoredChunk.objects.get(file__name=expense.receipt_blob)
    data = bytearray(chunk.data)
    data[-1] ^= 1
    StoredChunk.objects.filter(file__name=expense.receipt_blob).update(data=bytes(data))
    with pytest.raises(DecryptionError):
        receipt_open(actor=cast.finance, expense=expense)


@pytest.mark.django_db(transaction=True)
def test_receipts_on_disk_migrate_into_the_database(org, cast, rates, settings):
    # Receipts written by the previous release: on this host's disk.
    settings.CORRIDOR_FILE_STORAGE = "filesystem"
    kept = []
    for i in range(3):
        body = PDF + bytes([i]) * (1 << 20) * i  # one of 2 MiB: more than one chunk
        e = expense_record(actor=cast.finance, organisation=org, date=date(2017, 3, 10), amount="100",
                           currency="RUB", category="medical", receipt=SimpleUploadedFile(f"{i}.pdf", body))
        kept.append((e.pk, body))
    lost = expense_record(actor=cast.finance, organisation=org, date=date(2017, 3, 10), amount="1",
                          currency="RUB", category="medical", receipt=SimpleUploadedFile("x.pdf", PDF))
    on_disk = _disk_files(settings)
    assert len(on_disk) == 4 and not StoredFile.objects.exists()
    # The filesystem layout did not change: the receipts open as they are.
    assert receipt_open(actor=cast.finance, expense=Expense.objects.get(pk=kept[2][0]))[0] == kept[2][1]
    (settings.CORRIDOR_BLOB_DIR / "funds" / lost.receipt_blob[:2] / lost.receipt_blob).unlink()

    settings.CORRIDOR_FILE_STORAGE = "database"
    MIGRATION.receipts_into_database(apps, None)
    MIGRATION.receipts_into_database(apps, None)  # idempotent: run twice, copied once
    assert StoredFile.objects.filter(area="funds", complete=True).count() == 3
    assert StoredChunk.objects.filter(file__name=Expense.objects.get(pk=kept[2][0]).receipt_blob).count() == 3
    for path in on_disk:  # the disk is no longer read: remove it
        path.unlink(missing_ok=True)
    for pk, body in kept:
        assert receipt_open(actor=cast.finance, expense=Expense.objects.get(pk=pk))[0] == body
    with pytest.raises(FileNotFoundError):
        receipt_open(actor=cast.finance, expense=Expense.objects.get(pk=lost.pk))


def test_the_migration_changes_nothing_on_the_filesystem_backend(org, cast, expense, settings):
    settings.CORRIDOR_FILE_STORAGE = "filesystem"
    expense_attach_receipt(actor=cast.finance, expense=expense, upload=SimpleUploadedFile("r.pdf", PDF))
    MIGRATION.receipts_into_database(apps, None)
    assert not StoredFile.objects.exists() and len(_disk_files(settings)) == 1
