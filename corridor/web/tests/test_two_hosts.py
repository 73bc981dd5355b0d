"""Two application hosts on one database, in the production shape: two `corridor serve`
processes with their own var/ directories and loopback ports, one database, files in
the database file store, and one key agent. Host A runs the agent, which also listens
on a loopback port with mutual TLS 1.3; host B runs none and keeps no keystore, only
its client certificate. What one host takes in, the other opens; a seal on one closes
both; one unseal reopens both. The tests run in order on one pair of hosts."""

from __future__ import annotations

import hashlib
import os
import re
from types import SimpleNamespace

import pytest

from corridor.web.tests.hosts import (
    Browser,
    credentials,
    demo_pair,
    seal_propagation,
    shared_database,
)

pytestmark = [pytest.mark.slow, pytest.mark.timing]



@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hosts")
    with shared_database(folder) as url:
        a, b = demo_pair(folder, url, shared_agent=True)
        try:
            a.serve("--unseal-passphrase-file", str(a.var / "demo-passphrase"))
            b.serve()
            yield SimpleNamespace(a=a, b=b, shared={})
        finally:
            outputs = [a.stop(), b.stop()]
    for out in outputs:
        assert "Traceback" not in out or "UnwrapFailed" in out, out[-3000:]


def test_a_submission_and_its_photo_sent_to_a_are_triaged_on_b(pair):
    from corridor.evidence.samples import make_jpeg

    photo = make_jpeg(640, 480)  # a real picture: the upload checks refuse padded fakes
    applicant = Browser(pair.a)
    _, form = applicant.get("/?lang=ru")
    token = re.search(r'name="token" value="([^"]+)"', form).group(1)
    status, page = applicant.post_multipart(
        "/?lang=ru", {"token": token,  # first, as a browser sends it: the front sheds bodies without it
                     "what": "Меня ищут, нужна помощь", "where": "", "reach": "", "urgency": "3"},
        [("files", "photo.jpg", photo)])
    assert status == 200 and 'id="receipt"' in page, page[:500]

    operator = Browser(pair.b)
    operator.sign_in(*credentials(pair.b, "north-operator"))
    status, queue = operator.get("/staff/intake/?view=all")
    assert status == 200
    contact = attachment = None
    for cid in dict.fromkeys(re.findall(r"/staff/intake/([0-9a-f-]{36})/", queue)):
        _, detail = operator.get(f"/staff/intake/{cid}/")
        found = re.search(r"/staff/intake/files/([0-9a-f-]{36})/", detail)
        if found:
            contact, attachment = cid, found.group(1)
            break
    assert attachment, "the submission made on host A is not in host B's queue"
    # Staff get the working copy without metadata; the original, opened on purpose,
    # comes back from the shared file store byte for byte.
    status, body = operator.request(f"/staff/intake/files/{attachment}/")
    assert status == 200 and body.startswith(b"\xff\xd8") and body != photo
    token = operator.csrf(f"/staff/intake/{contact}/")
    status, body = operator.request(f"/staff/intake/files/{attachment}/original/",
                                    data=f"csrfmiddlewaretoken={token}".encode(),
                                    headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 200 and body == photo
    status, _ = operator.post(f"/staff/intake/{contact}/handled/", {}, form=f"/staff/intake/{contact}/")
    assert status == 200
    assert f"/staff/intake/{contact}/handled/" not in operator.get(f"/staff/intake/{contact}/")[1]
    pair.shared["operator_b"] = operator


def test_host_b_keeps_no_keystore_and_runs_no_agent(pair):
    assert not (pair.b.var / "keystore.json").exists()
    assert not pair.b.socket.exists()
    status = pair.b.corridor("status")
    assert status.returncode == 0 and "unsealed" in status.stdout and "tls://127.0.0.1:" in status.stdout


def test_evidence_uploaded_on_b_downloads_on_a_with_the_same_hash(pair):
    scan = b"%PDF-1.7\n" + os.urandom(2_500_000)
    uploader = Browser(pair.b)
    uploader.sign_in(*credentials(pair.b, "north-legal"))
    token = uploader.csrf("/staff/evidence/files/upload/")
    status, detail = uploader.post_multipart("/staff/evidence/files/upload/", {
        "csrfmiddlewaretoken": token, "description": "два сервера"}, [("file", "scan.pdf", scan)])
    assert status == 200, detail[:500]
    file_id = re.search(r"/staff/evidence/files/([0-9a-f-]{36})/download/original/", detail).group(1)
    reader = Browser(pair.a)
    reader.sign_in(*credentials(pair.a, "north-legal"))
    status, body = reader.request(f"/staff/evidence/files/{file_id}/download/original/")
    assert status == 200 and hashlib.sha256(body).hexdigest() == hashlib.sha256(scan).hexdigest()


def test_the_audit_log_verifies_after_interleaved_writes_from_both_hosts(pair):
    for host in (pair.a, pair.b):
        verified = host.corridor("audit", "verify")
        assert verified.returncode == 0, verified.stdout + verified.stderr


def test_a_seal_on_a_makes_b_refuse_within_a_second(pair):
    operator = pair.shared["operator_b"]
    path = "/staff/intake/?view=all"
    assert operator.get(path)[0] == 200
    elapsed = seal_propagation(pair.a, operator, path)
    assert elapsed < 1.0, elapsed
    status = pair.b.corridor("status")
    assert status.returncode == 0 and "SEALED" in status.stdout, status.stdout


def test_one_unseal_on_b_reopens_both_hosts(pair):
    done = pair.b.corridor("unseal", "--passphrase-file", str(pair.a.var / "demo-passphrase"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert pair.shared["operator_b"].get("/staff/intake/?view=all")[0] == 200
    for host in (pair.a, pair.b):
        assert "unsealed" in host.corridor("status").stdout
