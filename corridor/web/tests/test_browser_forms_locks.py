"""The duress-lock forms in Chromium, under the production headers: a colleague
meets the locked page, one coordinator asks to unlock, a second cancels, the
first asks again, the second approves, and the case opens again."""

from __future__ import annotations

import pytest

from corridor.accounts import duress
from corridor.cases import services
from corridor.cases.models import CaseLock, LockedCase
from corridor.web.tests.forms_harness import submit, submits, text

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@submits("cases:lock_request", "cases:lock_approve", "cases:lock_cancel")
def test_two_coordinators_unlock_a_case_in_the_browser(forms, cast, screenshot):
    person = services.person_create(actor="system:test", organisation=cast.org,
                                    identity={"name_cyrillic": "Адам Исаев"}, phone="+7 928 111-22-33")
    case = services.case_open(actor="system:test", person=person, summary="уехал из Грозного", worker=cast.alice)
    duress.duress_sign_in(user=cast.alice, via="passphrase")
    lock = CaseLock.objects.get()

    cora = forms(user=cast.coordinator)
    response = cora.goto(f"/staff/cases/{case.code}/")
    assert response.status == 403
    body = text(cora)
    assert f"Дело {case.code} заблокировано" in body and "Адам" not in body
    screenshot(cora, "case-locked")
    cora.click("a[href='/staff/cases/locks/']")
    assert cora.url.endswith("/staff/cases/locks/") and "Учётная запись под принуждением" in text(cora)
    submit(cora, f"/staff/cases/locks/{lock.pk}/request/")
    assert "Разблокировка запрошена" in text(cora) and "Ждёт одобрения другого человека" in text(cora)
    # The asker's page offers no approval of their own request.
    assert cora.locator(f"button[formaction='/staff/cases/locks/{lock.pk}/approve/']").count() == 0

    colin = forms(user=cast.coordinator2)
    colin.goto("/staff/cases/locks/")
    submit(colin, selector="form.actions", button=f"button[formaction='/staff/cases/locks/{lock.pk}/cancel/']")
    assert "дела остаются заблокированными" in text(colin)
    assert CaseLock.objects.get().status == CaseLock.Status.LOCKED and LockedCase.objects.exists()

    cora.goto("/staff/cases/locks/")
    submit(cora, f"/staff/cases/locks/{lock.pk}/request/")
    colin.goto("/staff/cases/locks/")
    screenshot(colin, "case-lock-requested")
    submit(colin, selector="form.actions", button=f"button[formaction='/staff/cases/locks/{lock.pk}/approve/']")
    assert "Дела разблокированы" in text(colin)
    assert CaseLock.objects.get().status == CaseLock.Status.UNLOCKED and not LockedCase.objects.exists()

    response = colin.goto(f"/staff/cases/{case.code}/")
    assert response.status == 200 and "Адам Исаев" in text(colin)
