from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Max


class EvidenceError(ValueError):
    """A user-correctable problem; the message is translated and safe to show."""


def next_code(model, organisation, letter: str) -> str:
    last = (
        model.objects.filter(organisation=organisation, code__startswith=f"{letter}-")
        .aggregate(m=Max("code"))["m"]
    )
    return f"{letter}-{int(last.split('-')[1]) + 1 if last else 1:04d}"


def save_with_code(obj, letter: str) -> None:
    """Insert `obj` with the organisation's next code; two writers racing for the
    same code (PostgreSQL) retry with the next one instead of failing."""
    for attempt in range(5):
        obj.code = next_code(type(obj), obj.organisation, letter)
        try:
            with transaction.atomic():
                obj.save(force_insert=True)
            return
        except IntegrityError:
            if attempt == 4:
                raise


def same_org(organisation, *objects) -> None:
    for obj in objects:
        if obj is not None and obj.organisation_id != organisation.pk:
            raise EvidenceError("object of another organisation")
