"""Key agent access for one-off commands (`init`, `demo`, `createuser`).

If `corridor serve` is running and unsealed, commands use that agent. Otherwise
they start a temporary agent inside the command's process, unsealed with the secret
the operator just gave, and drop it (and the key material) when the command ends.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings

from corridor.crypto import keys
from corridor.keyd.agent import Agent
from corridor.keyd.errors import KeydUnavailable, Sealed
from corridor.keyd.journal import Journal
from corridor.keyd.keystore import load_keystore
from corridor.keyd.server import KeydServer


@contextlib.contextmanager
def agent_for_command(*, passphrase: str | None = None, shares: list[str] | None = None) -> Iterator[None]:
    try:
        status = keys.keyd().status()
    except KeydUnavailable:
        status = None
    if status is not None:
        if status["sealed"]:
            if passphrase:
                keys.keyd().unseal_passphrase(passphrase)
            elif shares:
                _unseal_with_shares(keys.keyd().unseal_share, shares)
            else:
                raise Sealed("the running key agent is sealed; run `corridor unseal` first")
        yield
        return

    keystore = load_keystore(settings.CORRIDOR_KEYSTORE)
    Path(settings.CORRIDOR_KEYD_JOURNAL).parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    journal = Journal(settings.CORRIDOR_KEYD_JOURNAL)
    # One command may wrap hundreds of thousands of keys (demo data); the ceiling
    # exists to stop a compromised web worker, not the operator at the console.
    agent = Agent(keystore, unwrap_limit=10**9, journal=journal)
    sock_dir = tempfile.mkdtemp(prefix="kd", dir="/tmp")
    server = KeydServer(f"{sock_dir}/s", agent)
    server.start()
    previous = settings.CORRIDOR_KEYD_SOCKET
    settings.CORRIDOR_KEYD_SOCKET = f"{sock_dir}/s"
    try:
        if passphrase:
            agent.unseal_passphrase(passphrase)
        elif shares:
            _unseal_with_shares(agent.unseal_share, shares)
        else:
            raise Sealed("no key agent is running; give the passphrase or shares")
        yield
    finally:
        settings.CORRIDOR_KEYD_SOCKET = previous
        agent.seal("command finished")
        server.shutdown()
        journal.close()
        shutil.rmtree(sock_dir, ignore_errors=True)


def _unseal_with_shares(give, shares: list[str]) -> None:
    """Give shares one at a time and stop as soon as the agent has a quorum."""
    for share in shares:
        if not give(share)["sealed"]:
            return
