"""Duress sign-in, tried as the coercer: what the forced session sees, hears and times."""

from __future__ import annotations

import math
import re
import time

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from corridor.accounts import duress, services
from corridor.accounts.tests.test_login import PASSWORD, _code
from corridor.audit.events import CoreEvent
from corridor.audit.models import AuditAlert, AuditEntry

pytestmark = pytest.mark.django_db
DURESS = "the river is quiet tonight"


def _fresh_code(user) -> str:
    # Each trial signs in again inside one 30-second step: forget the last used step.
    TOTPDevice.objects.filter(user=user).update(last_t=-1)
    return _code(user)


def _sign_in(client, username, secret, user):
    first = client.post(reverse("accounts:login"), {"username": username, "password": secret})
    second = client.post(reverse("accounts:code"), {"code": _fresh_code(user)})
    return first, second


def _case(cast, name="Иван Петров"):
    from corridor.cases import services as cases

    person = cases.person_create(actor="system:test", organisation=cast.org, identity={"name_cyrillic": name},
                                 phone="+7 928 555-00-11")
    return cases.case_open(actor="system:test", person=person, summary="ищут после задержания", worker=cast.alice)


@pytest.fixture
def alice_duress(cast):
    duress.duress_passphrase_set(actor=cast.alice, user=cast.alice, passphrase=DURESS)
    return cast.alice


def _shape(response) -> tuple:
    return response.status_code, response.get("Location"), sorted(response.cookies.keys())


def test_the_passphrase_must_differ_from_the_password_both_ways(cast):
    with pytest.raises(duress.DuressError):
        duress.duress_passphrase_set(actor=cast.alice, user=cast.alice, passphrase=PASSWORD)
    duress.duress_passphrase_set(actor=cast.alice, user=cast.alice, passphrase=DURESS)
    with pytest.raises(duress.DuressError):
        duress.refuse_as_password(cast.alice, DURESS)
    row = duress.DuressPassphrase.objects.get(user=cast.alice)
    assert DURESS not in row.passphrase and row.passphrase.startswith("argon2")


def test_a_duress_sign_in_answers_exactly_like_a_normal_one(alice_duress, cast):
    normal, forced = Client(), Client()
    n1, n2 = _sign_in(normal, "alice", PASSWORD, cast.alice)
    f1, f2 = _sign_in(forced, "alice", DURESS, cast.alice)
    assert _shape(n1) == _shape(f1) and _shape(n2) == _shape(f2)
    assert n2.status_code == 302 and n2["Location"] == reverse("web:dashboard")
    # The forced session's dashboard is an ordinary page, with the usual menu and no error.
    page = forced.get("/staff/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'class="topbar"' in html and "alert" not in html.lower().replace("role=\"alert\"", "")
    nav = re.findall(r'<nav class="mainnav".*?</nav>', html, re.S)[0]
    assert "/staff/cases/" in nav  # a case worker's menu, as always


def test_the_forced_session_shows_no_case_and_never_the_duress_event(alice_duress, cast):
    case = _case(cast)
    forced = Client()
    _sign_in(forced, "alice", DURESS, cast.alice)
    security = forced.get("/staff/security/").content.decode()
    # The page explains the feature to everyone; it does not say this account has one set.
    assert security.count("<form") >= 3 and reverse("accounts:duress_remove") not in security
    assert "A duress passphrase is set" not in security and "Тревожная фраза задана" not in security
    for path in ("/staff/", "/staff/cases/", "/staff/audit/", "/staff/housing/",
                 "/staff/evidence/", f"/staff/cases/{case.code}/"):
        response = forced.get(path)
        # Lists are empty pages; one named case answers as for a case that is not yours.
        assert response.status_code == (404 if case.code in path else 200), path
        html = response.content.decode().replace(f'value="{path}"', "")
        for secret in (case.code, "Иван", "задержания", "duress", "Duress", "принуждени", "restricted"):
            assert secret not in html, (path, secret)
    # A form "saves" and changes nothing.
    before = AuditEntry.objects.count()
    response = forced.post("/staff/cases/new/", {"name_cyrillic": "Адам Исаев"})
    assert response.status_code == 302 and AuditEntry.objects.count() == before
    response = forced.post(f"/staff/cases/{case.code}/notes/", {"body": "note"})
    assert response.status_code == 404 and AuditEntry.objects.count() == before


def test_it_alerts_audits_and_restricts_the_account(alice_duress, cast, staff_client):
    earlier = staff_client(cast.alice)  # a session alice had open before she was stopped
    assert earlier.get("/staff/cases/").status_code == 200
    _sign_in(Client(), "alice", DURESS, cast.alice)
    entry = AuditEntry.objects.get(code=CoreEvent.DURESS_SIGN_IN)
    assert entry.object_id == str(cast.alice.pk) and entry.data == {"via": "passphrase", "action": "restrict"}
    assert not AuditEntry.objects.filter(code=CoreEvent.LOGIN_SUCCEEDED, object_id=str(cast.alice.pk)).exists()
    alert = AuditAlert.objects.get(kind=AuditAlert.Kind.DURESS)
    assert "alice" in alert.message and alert.acknowledged is None
    assert earlier.get("/staff/cases/").status_code == 302  # every other session ended
    # Forced later to use the real password: still the empty workspace, and alerted again.
    later = Client()
    _sign_in(later, "alice", PASSWORD, cast.alice)
    html = later.get("/staff/cases/").content.decode()
    assert "Иван" not in html and AuditEntry.objects.filter(code=CoreEvent.DURESS_SIGN_IN).count() == 2


def test_colleagues_see_it_on_their_dashboard_and_the_person_never_does(alice_duress, cast, staff_client):
    _sign_in(Client(), "alice", DURESS, cast.alice)
    coordinator = staff_client(cast.coordinator).get("/staff/").content.decode()
    admin = staff_client(cast.admin).get("/staff/").content.decode()
    assert "Alice" in coordinator and "Alice" in admin
    bob = staff_client(cast.bob).get("/staff/").content.decode()  # a case worker is not told
    partner = staff_client(cast.partner_coordinator).get("/staff/").content.decode()  # another organisation
    marker = "вошёл в систему под принуждением"
    assert marker in coordinator and marker not in bob and marker not in partner
    audit = staff_client(cast.admin).get("/staff/audit/").content.decode()
    assert "duress" in audit


def test_an_administrator_lifts_the_restriction_but_not_on_their_own_account(alice_duress, cast, staff_client):
    _sign_in(Client(), "alice", DURESS, cast.alice)
    admin = staff_client(cast.admin)
    assert "Снять ограничение" in admin.get(reverse("accounts:user_detail", args=[cast.alice.pk])).content.decode()
    admin.post(reverse("accounts:user_duress_lift", args=[cast.alice.pk]))
    assert not duress.is_restricted(cast.alice)
    assert AuditEntry.objects.filter(code=CoreEvent.DURESS_RESTRICTION_LIFTED).count() == 1
    c = Client()
    _sign_in(c, "alice", PASSWORD, cast.alice)
    assert not c.session.get(duress.SESSION_FLAG)
    with pytest.raises(duress.DuressError):
        duress.duress_restriction_lift(actor=cast.admin, user=cast.admin)
    with pytest.raises(duress.DuressError):
        duress.duress_restriction_lift(actor=cast.admin, user=cast.bob)  # nothing to lift


def test_the_flag_is_only_in_the_server_side_session(alice_duress, cast):
    forced = Client()
    _sign_in(forced, "alice", DURESS, cast.alice)
    cookie = forced.cookies["corridor"].value
    assert re.fullmatch(r"[a-z0-9]{32}", cookie)  # an opaque id, nothing to decode
    assert forced.session[duress.SESSION_FLAG] is True


def test_seal_mode_seals_every_host_and_the_forced_session_does_not_see_it(fresh_agent, cast, settings,
                                                                            staff_client):
    from corridor.crypto.seal_signal import current_epoch

    settings.CORRIDOR_DURESS_ACTION = "seal"
    duress.duress_passphrase_set(actor=cast.alice, user=cast.alice, passphrase=DURESS)
    epoch = current_epoch()
    forced = Client()
    _, done = _sign_in(forced, "alice", DURESS, cast.alice)
    assert done.status_code == 302 and fresh_agent.agent.sealed and current_epoch() == epoch + 1
    page = forced.get("/staff/")
    assert page.status_code == 200 and "sealed-banner" not in page.content.decode()
    assert "sealed-banner" in staff_client(cast.coordinator).get("/staff/").content.decode()
    assert AuditEntry.objects.get(code=CoreEvent.DURESS_SIGN_IN).data["action"] == "seal"
    assert not duress.is_restricted(cast.alice)


def test_password_and_code_together_also_take_the_duress_passphrase(alice_duress, cast):
    for i in range(5):
        Client().post(reverse("accounts:login"), {"username": "alice", "password": f"wrong password {i} x"})
    assert services.login_locked("alice")
    forced = Client()
    r = forced.post(reverse("accounts:login"), {"username": "alice", "password": DURESS,
                                                "code": _fresh_code(cast.alice)})
    assert r.status_code == 302 and forced.session.get(duress.SESSION_FLAG) is True
    assert AuditEntry.objects.filter(code=CoreEvent.DURESS_SIGN_IN).count() == 1


def _mann_whitney_z(a: list[float], b: list[float]) -> float:
    """Normal approximation of the Mann-Whitney U statistic (ties get mid-ranks)."""
    pooled = sorted([(v, 0) for v in a] + [(v, 1) for v in b])
    ranks = [0.0] * len(pooled)
    i = 0
    while i < len(pooled):
        j = i
        while j + 1 < len(pooled) and pooled[j + 1][0] == pooled[i][0]:
            j += 1
        for k in range(i, j + 1):
            ranks[k] = (i + j) / 2 + 1
        i = j + 1
    r_a = sum(r for r, (_, group) in zip(ranks, pooled, strict=True) if group == 0)
    n1, n2 = len(a), len(b)
    u = r_a - n1 * (n1 + 1) / 2
    return (u - n1 * n2 / 2) / math.sqrt(n1 * n2 * (n1 + n2 + 1) / 12)


@pytest.mark.slow  # 200 padded sign-in steps: minutes on a loaded machine
@pytest.mark.timing
def test_timing_over_fifty_tries_is_indistinguishable(alice_duress, cast, settings):
    """The duress reaction (alert, audit, restriction) happens inside the padded step.
    The floor is set as docs/operations.md says: above the slowest normal step, which
    on a loaded machine can be well over the 0.2 s it is on a quiet one."""
    settings.CORRIDOR_SIGNIN_FLOOR_SECONDS = 0
    slowest = 0.0
    for _ in range(5):
        c = Client()
        for url, fields in ((reverse("accounts:login"), {"username": "alice", "password": PASSWORD}),
                            (reverse("accounts:code"), None)):
            started = time.perf_counter()
            c.post(url, fields or {"code": _fresh_code(cast.alice)})
            slowest = max(slowest, time.perf_counter() - started)
    settings.CORRIDOR_SIGNIN_FLOOR_SECONDS = max(0.2, 2 * slowest)
    timings: dict[str, list[float]] = {"normal": [], "duress": []}
    for _ in range(50):
        for kind, secret in (("normal", PASSWORD), ("duress", DURESS)):
            duress.DuressPassphrase.objects.filter(user=cast.alice).update(restricted=None)
            c = Client()
            started = time.perf_counter()
            first, second = _sign_in(c, "alice", secret, cast.alice)
            timings[kind].append(time.perf_counter() - started)
            assert first.status_code == second.status_code == 302
    z = _mann_whitney_z(timings["normal"], timings["duress"])
    assert abs(z) < 3.29, (z, sorted(timings["normal"])[25], sorted(timings["duress"])[25])  # two-sided p > 0.001
    assert min(timings["normal"] + timings["duress"]) >= 0.4  # the floor bound both steps


@pytest.mark.slow
@pytest.mark.timing
def test_the_padding_covers_what_runs_after_the_view(alice_duress, cast, settings, monkeypatch):
    """The session save (a decoy session's row is larger) and every other response
    layer run inside the padded time: a slow save does not lengthen the step."""
    from corridor.web import sessions

    settings.CORRIDOR_SIGNIN_FLOOR_SECONDS = 0.6
    real_save = sessions.SessionStore.save

    def slow_save(self, *args, **kwargs):
        time.sleep(0.25)
        return real_save(self, *args, **kwargs)

    monkeypatch.setattr(sessions.SessionStore, "save", slow_save)
    c = Client()
    started = time.perf_counter()
    c.post(reverse("accounts:login"), {"username": "alice", "password": DURESS})
    took = time.perf_counter() - started
    # Padding inside the view only would give 0.6 + 0.25 = 0.85 s.
    assert 0.6 <= took < 0.8, took


def test_the_security_key_step_is_padded_too(alice_duress, cast, settings):
    """A duress passphrase may be completed with a security key: that step is padded
    like the code step, from the outermost layer."""
    settings.CORRIDOR_SIGNIN_FLOOR_SECONDS = 0.3
    c = Client()
    c.post(reverse("accounts:login"), {"username": "alice", "password": DURESS})
    started = time.perf_counter()
    response = c.post(reverse("accounts:webauthn_sign_in"), {"credential": ""})
    assert response.status_code == 302
    assert time.perf_counter() - started >= 0.3
