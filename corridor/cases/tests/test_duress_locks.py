"""Duress locks on cases, tried as the coercer and as a colleague who wants in."""

from __future__ import annotations

import pytest

from corridor.accounts import duress
from corridor.cases.models import CaseLock, LockedCase

pytestmark = pytest.mark.django_db


def test_smoke(cast, make_case):
    a = make_case(cast.org, worker=cast.alice)
    make_case(cast.org, worker=cast.bob)
    from django.db import transaction
    with transaction.atomic():
        from corridor.cases.services.locks import cases_lock_for_duress
        lock = cases_lock_for_duress(user=cast.alice)
    assert lock.cases == 1
    assert list(LockedCase.objects.values_list("case_id", flat=True)) == [a.pk]
    assert CaseLock.objects.count() == 1 and duress
