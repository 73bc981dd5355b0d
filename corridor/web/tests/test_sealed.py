from __future__ import annotations

import threading
import time

import pytest
from django.urls import reverse

from corridor.cases.models import Person
from corridor.cases.services import person_create
from corridor.crypto import context
from corridor.crypto.errors import Sealed
from corridor.crypto.keys import data_key_bytes, keyd

pytestmark = pytest.mark.django_db


def test_after_seal_every_worker_fails_to_decrypt_within_a_second(fresh_agent, org):
    person = person_create(actor="system:test", organisation=org, identity={"n": "x"}, notes="secret")
    dk = person.data_key
    failures: dict[str, float] = {}
    sealed_at: list[float] = []
    ready = threading.Barrier(3)

    def worker(name: str) -> None:
        # Each thread has its own agent connection, like a separate worker process.
        with context.acting_as(f"user:{name}"):
            ready.wait()
            while time.monotonic() - (sealed_at[0] if sealed_at else time.monotonic()) < 3:
                try:
                    data_key_bytes(dk)
                except Sealed:
                    failures[name] = time.monotonic()
                    return
                time.sleep(0.01)

    threads = [threading.Thread(target=worker, args=(n,)) for n in ("w1", "w2")]
    for t in threads:
        t.start()
    ready.wait()
    time.sleep(0.2)
    sealed_at.append(time.monotonic())
    keyd().seal("test")
    for t in threads:
        t.join(5)
    assert set(failures) == {"w1", "w2"}
    assert all(at - sealed_at[0] < 1.0 for at in failures.values())


def test_staff_see_the_sealed_page_when_decryption_fails(fresh_agent, cast, staff_client, rf):
    from corridor.web.middleware import SealedMiddleware

    person = person_create(actor="system:test", organisation=cast.org, identity={"n": "x"}, notes="secret")
    fresh_agent.agent.seal("test")
    context.cache_clear()
    request = rf.get("/staff/")
    request.user = cast.alice
    with pytest.raises(Sealed):
        Person.objects.get(pk=person.pk).notes  # noqa: B018
    response = SealedMiddleware(lambda r: None).process_exception(request, Sealed("sealed"))
    assert response.status_code == 503
    assert "sealed" in response.content.decode().lower() or "запечатан" in response.content.decode().lower()


def test_the_panic_button_seals_and_only_administrators_have_it(fresh_agent, cast, staff_client):
    assert staff_client(cast.coordinator).post(reverse("web:seal")).status_code == 404
    assert not fresh_agent.agent.sealed
    response = staff_client(cast.admin).post(reverse("web:seal"))
    assert response.status_code == 302
    assert fresh_agent.agent.sealed


def test_the_keys_page_shows_the_state(fresh_agent, cast, staff_client):
    c = staff_client(cast.admin)
    c.get(reverse("web:keys") + "?lang=en")
    page = c.get(reverse("web:keys")).content.decode()
    assert "Unsealed" in page or "Распечатан" in page or "распечатан" in page


def test_a_tripped_unwrap_ceiling_is_audited_and_shows_the_sealed_page(cast, rf):
    from corridor.audit.events import CoreEvent
    from corridor.audit.models import AuditEntry
    from corridor.keyd.errors import CeilingTripped
    from corridor.web.middleware import SealedMiddleware

    request = rf.get("/staff/")
    request.user = cast.alice
    response = SealedMiddleware(lambda r: None).process_exception(request, CeilingTripped("too many"))
    assert response.status_code == 503
    entry = AuditEntry.objects.get(code=CoreEvent.UNWRAP_CEILING_TRIPPED)
    assert entry.actor == cast.alice.principal


def test_every_staff_page_warns_while_sealed(fresh_agent, cast, staff_client):
    c = staff_client(cast.alice)
    assert "sealed-banner" not in c.get("/staff/").content.decode()
    fresh_agent.agent.seal("test")
    assert "sealed-banner" in c.get("/staff/").content.decode()
