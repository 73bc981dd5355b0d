"""Two separate Corridor installations on loopback (each its own var/, database,
keystore, key agent and log key): a case goes from A's "north" to B's "partner"
through the real pages, and arrives under a new pseudonym with its content and the
sender's consent. Then the refusals, tried on B's live server: the same package
again, a package with one byte changed, and one A made for another recipient."""

from __future__ import annotations

import re
import secrets
import sqlite3

import pytest
from pyrage import x25519

from corridor.web.tests.hosts import Browser, Host, credentials

pytestmark = [pytest.mark.slow, pytest.mark.anydb]


def _installation(folder, name: str) -> Host:
    (folder / name).mkdir()
    host = Host(name, folder / name / "var", f"sqlite:///{folder / name / 'corridor.sqlite3'}",
                secrets.token_urlsafe(48))
    done = host.corridor("demo", "--cases", "2", "--seed", "4" if name == "a" else "5", timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return host


def _keys(host: Host, org: str) -> tuple[str, str]:
    done = host.corridor("transfer", "keys", "--organisation", org)
    assert done.returncode == 0, done.stderr
    values = dict(line.split(" ", 1) for line in done.stdout.splitlines())
    return values["recipient"], values["log-key"]


def _db(host: Host, sql: str, *args):
    with sqlite3.connect(str(host.database_url.removeprefix("sqlite:///"))) as conn:
        return conn.execute(sql, args).fetchall()


def _ask_and_approve(a: Host, sender: Browser, approver: Browser, code: str, partner_id: str) -> bytes:
    base = f"/staff/cases/{code}/transfer/"
    status, _ = sender.post(base + "consent/", {"partner": partner_id, "how": "written",
                                                "given_on": "2026-01-15"}, form=base)
    assert status == 200
    status, _ = sender.post(base + "request/", {"partner": partner_id, "parts": "identity"}, form=base)
    assert status == 200
    transfer = _db(a, "SELECT id FROM cases_transfer ORDER BY created DESC LIMIT 1")[0][0]
    transfer = f"{transfer[:8]}-{transfer[8:12]}-{transfer[12:16]}-{transfer[16:20]}-{transfer[20:]}"
    status, page = approver.post(f"/staff/cases/transfers/{transfer}/decide/", {"decision": "approve"},
                                 form="/staff/cases/transfers/")
    assert status == 200, page[:2000]
    status, package = sender.request(f"/staff/cases/transfers/{transfer}/download/")
    assert status == 200 and package.startswith(b"age-encryption.org/v1")
    return package


def test_a_case_moves_between_two_installations(tmp_path):
    a, b = _installation(tmp_path, "a"), _installation(tmp_path, "b")
    for host in (a, b):
        host.serve("--unseal-passphrase-file", str(host.var / "demo-passphrase"))
    try:
        b_recipient, b_log = _keys(b, "partner")
        a_recipient, a_log = _keys(a, "north")
        assert a_log != b_log
        # The administrators record each other (the keys were exchanged out of band).
        admin_a = Browser(a)
        admin_a.sign_in(*credentials(a, "north-admin"))
        status, _ = admin_a.post("/staff/cases/partners/", {"name": "Haven (B)", "recipient": b_recipient,
                                                             "log_key": b_log})
        assert status == 200
        third = x25519.Identity.generate()
        status, _ = admin_a.post("/staff/cases/partners/", {"name": "Someone else", "recipient": str(third.to_public()),
                                                             "log_key": _other_log_key()})
        assert status == 200
        admin_b = Browser(b)
        admin_b.sign_in(*credentials(b, "partner-admin"))
        status, page = admin_b.post("/staff/cases/partners/", {"name": "North (A)", "recipient": a_recipient,
                                                                "log_key": a_log})
        assert status == 200 and "North (A)" in page
        assert b_recipient in admin_b.get("/staff/cases/partners/")[1]

        # A coordinator on A reads a case (its name and summary), then transfers it.
        sender = Browser(a)
        sender.sign_in(*credentials(a, "north-coordinator"))
        code = _db(a, "SELECT c.code FROM cases_case c JOIN accounts_organisation o ON o.id = c.organisation_id "
                      "WHERE o.slug = 'north' AND c.stage NOT IN ('declined', 'lost_contact', 'detained', "
                      "'returned', 'deceased', 'closed') ORDER BY c.code LIMIT 1")[0][0]
        status, page = sender.get(f"/staff/cases/{code}/")
        name = re.search(r'<span class="name">([^<]+)</span>', page)
        assert status == 200 and name, page[:3000]
        name = name.group(1)
        approver = Browser(a)
        approver.sign_in(*credentials(a, "north-coordinator2"))
        partners = dict(_db(a, "SELECT name, id FROM cases_partner"))
        haven = _uuid(partners["Haven (B)"])
        package = _ask_and_approve(a, sender, approver, code, haven)
        assert name.encode() not in package

        receiver = Browser(b)
        receiver.sign_in(*credentials(b, "partner-coordinator"))
        before = {row[0] for row in _db(b, "SELECT code FROM cases_case")}
        status, page = receiver.post_multipart("/staff/cases/transfers/import/",
                                               {"csrfmiddlewaretoken": receiver.csrf("/staff/cases/transfers/")},
                                               [("package", "transfer.age", package)])
        assert status == 200 and name in page, page[:3000]
        new_code = _db(b, "SELECT case_code FROM cases_transferreceipt")[0][0]
        assert new_code != code and new_code not in before and new_code.startswith("P-")
        status, case_page = receiver.get(f"/staff/cases/{new_code}/")
        assert status == 200 and name in case_page
        assert code in case_page  # the note names the sender's case and the consent
        consent = _db(b, "SELECT consent FROM cases_transferreceipt")[0][0]
        assert '"given_on": "2026-01-15"' in consent and '"how": "written"' in consent

        def refused(data: bytes, words: str) -> None:
            status, page = receiver.post_multipart(
                "/staff/cases/transfers/import/", {"csrfmiddlewaretoken": receiver.csrf("/staff/cases/transfers/")},
                [("package", "transfer.age", data)])
            assert status == 400 and words in page, page[:3000]

        refused(package, "already imported")
        flipped = bytearray(package)
        flipped[len(flipped) // 2] ^= 0x20
        refused(bytes(flipped), "altered")
        # A package A made for another recipient does not open on B.
        other = _ask_and_approve(a, sender, approver, code, _uuid(partners["Someone else"]))
        refused(other, "another recipient")
        assert _db(b, "SELECT count(*) FROM cases_transferreceipt")[0][0] == 1

        # Both logs verify, and each side recorded its half.
        for host in (a, b):
            verified = host.corridor("audit", "verify")
            assert verified.returncode == 0, verified.stdout + verified.stderr
        assert _db(a, "SELECT count(*) FROM audit_auditentry WHERE code = 4114")[0][0] == 2
        assert _db(b, "SELECT count(*) FROM audit_auditentry WHERE code = 4117")[0][0] == 1
        assert _db(b, "SELECT count(*) FROM audit_auditentry WHERE code = 4118")[0][0] == 3
    finally:
        outputs = [a.stop(), b.stop()]
        for out in outputs:  # shown by pytest when the test fails
            print(out[out.find("Traceback"):][:4000] if "Traceback" in out else out[-800:])
    for out in outputs:
        assert "Traceback" not in out, out[-3000:]


def _uuid(value: str) -> str:
    value = value.replace("-", "")
    return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"


def _other_log_key() -> str:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    from corridor.audit.checkpoint import verifier_key

    public = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return verifier_key("other.example/audit", public)
