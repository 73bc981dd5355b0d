"""kill -9 under load loses no acknowledged submission: applicants keep submitting
while the whole server (serve, key agent, gunicorn and its workers, front) is killed
with SIGKILL several times and restarted; afterwards every receipt that was shown to
an applicant opens. On SQLite, or on PostgreSQL when DATABASE_URL names one."""

from __future__ import annotations

import html
import re
import threading
import time

import pytest

from corridor.web.tests.hosts import Browser, Host, shared_database

pytestmark = [pytest.mark.slow, pytest.mark.timing]

KILLS = 3


def _submit(host: Host) -> str | None:
    """One submission as a browser would make it; the receipt if the page showed one."""
    applicant = Browser(host)
    try:
        _, form = applicant.get("/?lang=ru", timeout=10)
        token = re.search(r'name="token" value="([^"]+)"', form).group(1)
        status, page = applicant.post_multipart("/?lang=ru", {
            "token": token, "what": "Нужна помощь, пишу второй раз", "where": "", "reach": "", "urgency": "2"}, [])
    except (OSError, AttributeError):
        return None  # the server was down: the applicant saw no receipt
    found = re.search(r'<p class="receipt" id="receipt">(.+?)</p>', page)
    return re.sub(r"<[^>]+>", "", found.group(1)) if status == 200 and found else None


def test_every_acknowledged_receipt_survives_kill_9(tmp_path):
    import secrets

    with shared_database(tmp_path) as url:
        host = Host("a", tmp_path / "var", url, secrets.token_urlsafe(48), file_storage="filesystem")
        done = host.corridor("demo", "--cases", "0", timeout=600)
        assert done.returncode == 0, done.stderr[-2000:]
        passphrase = str(host.var / "demo-passphrase")
        host.serve("--unseal-passphrase-file", passphrase)
        port = host.port
        acknowledged: list[str] = []
        stop = threading.Event()

        def applicant() -> None:
            while not stop.is_set():
                receipt = _submit(host)
                if receipt:
                    acknowledged.append(receipt)
                else:
                    time.sleep(0.2)

        workers = [threading.Thread(target=applicant, daemon=True) for _ in range(3)]
        for w in workers:
            w.start()
        try:
            for _ in range(KILLS):
                before = len(acknowledged)
                deadline = time.monotonic() + 120
                while len(acknowledged) < before + 3 and time.monotonic() < deadline:
                    time.sleep(0.2)
                host.kill_hard()
                time.sleep(0.5)
                host.serve("--unseal-passphrase-file", passphrase, port=port)
            deadline = time.monotonic() + 60
            before = len(acknowledged)
            while len(acknowledged) < before + 2 and time.monotonic() < deadline:
                time.sleep(0.2)
        finally:
            stop.set()
            for w in workers:
                w.join(timeout=60)
        try:
            assert len(acknowledged) >= 3 * KILLS
            for receipt in acknowledged:
                reader = Browser(host)
                status, page = reader.post("/receipt/?lang=ru", {"receipt": receipt}, form="/receipt/?lang=ru") \
                    if "csrfmiddlewaretoken" in reader.get("/receipt/?lang=ru")[1] else \
                    _post_plain(reader, receipt)
                assert status == 200 and 'name="token"' in page, (receipt, status, page[:300])
        finally:
            host.stop()


def _post_plain(reader: Browser, receipt: str) -> tuple[int, str]:
    import urllib.parse

    _, form = reader.get("/receipt/?lang=ru")
    token = html.unescape(re.search(r'name="token" value="([^"]+)"', form).group(1))
    status, body = reader.request("/receipt/?lang=ru",
                                  data=urllib.parse.urlencode({"token": token, "receipt": receipt}).encode())
    return status, body.decode("utf-8", "replace")
