from __future__ import annotations

import pytest
from django.urls import reverse

from corridor.accounts.models import User
from corridor.accounts.permissions import MATRIX, Perm, Role

pytestmark = pytest.mark.django_db

CONTENT_PERMS = {
    Perm.TRIAGE, Perm.CASE_VIEW_ASSIGNED, Perm.CASE_VIEW_ALL, Perm.CASE_BREAK_GLASS, Perm.HOUSING_ADDRESSES,
    Perm.EVIDENCE_VIEW, Perm.FUNDS_VIEW, Perm.INTAKE_RECORD, Perm.EXPOSURE_IMPORT,
}


def test_administrators_hold_no_permission_that_reveals_case_content():
    assert not MATRIX[Role.ADMIN] & CONTENT_PERMS


def test_every_role_is_in_the_matrix():
    assert set(MATRIX) == set(Role.values)


@pytest.mark.parametrize("who,status", [
    ("admin", 200), ("alice", 404), ("coordinator", 404), ("operator", 404), ("legal", 404),
    ("finance", 404), ("auditor", 404), ("charlie", 404),
])
def test_only_administrators_reach_user_administration(cast, staff_client, who, status):
    assert staff_client(getattr(cast, who)).get(reverse("accounts:user_list")).status_code == status


def test_an_administrator_of_another_organisation_gets_404(cast, staff_client, other_org):
    from conftest import _user

    partner_admin = _user(other_org, "padmin", Role.ADMIN)
    c = staff_client(partner_admin)
    assert c.get(reverse("accounts:user_detail", args=[cast.alice.pk])).status_code == 404
    assert cast.alice.username not in c.get(reverse("accounts:user_list")).content.decode()


def test_an_administrator_creates_a_user_who_must_enrol(cast, staff_client):
    c = staff_client(cast.admin)
    response = c.post(reverse("accounts:user_create"), {
        "username": "newworker", "display_name": "New", "role": Role.CASE_WORKER,
        "password": "another long password 9"})
    assert response.status_code == 302
    user = User.objects.get(username="newworker")
    assert user.organisation == cast.org
    assert user.password.startswith("argon2$argon2id$")


def test_a_weak_password_is_refused_with_a_clear_message(cast, staff_client):
    c = staff_client(cast.admin)
    response = c.post(reverse("accounts:user_create") + "?lang=en", {
        "username": "weak", "role": Role.CASE_WORKER, "password": "short"})
    assert response.status_code == 200
    assert not User.objects.filter(username="weak").exists()
    assert "too short" in response.content.decode()


def test_deactivating_a_user_ends_their_sessions(cast, staff_client):
    alice = staff_client(cast.alice)
    assert alice.get("/staff/").status_code == 200
    staff_client(cast.admin).post(reverse("accounts:user_detail", args=[cast.alice.pk]),
                                  {"display_name": "Alice", "role": Role.CASE_WORKER})
    assert alice.get("/staff/").status_code == 302


def test_resetting_the_second_factor_needs_a_second_administrator_then_new_enrolment(cast, staff_client):
    from corridor.accounts.recovery import FactorResetRequest
    from corridor.accounts.services import totp_device, user_create

    staff_client(cast.admin).post(reverse("accounts:user_reset_totp", args=[cast.alice.pk]))
    assert totp_device(cast.alice).confirmed  # one administrator alone changes nothing
    reset = FactorResetRequest.objects.get(user=cast.alice)
    staff_client(cast.admin).post(reverse("accounts:factor_reset_approve", args=[reset.pk]))
    assert totp_device(cast.alice).confirmed  # nor by approving their own request
    second, device = user_create(actor="system:test", organisation=cast.org, username="abe", role=Role.ADMIN,
                                 password="a long test password 1")
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    staff_client(second).post(reverse("accounts:factor_reset_approve", args=[reset.pk]))
    assert not totp_device(cast.alice).confirmed


def test_state_changes_need_post(cast, staff_client):
    c = staff_client(cast.admin)
    assert c.get(reverse("accounts:user_reset_totp", args=[cast.alice.pk])).status_code == 405
    assert c.get(reverse("accounts:end_sessions")).status_code == 405
