from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from corridor.crypto.keys import new_keyd_client
from corridor.keyd.client import KeydClient
from corridor.keyd.errors import KeydError

TICK_SECONDS = 60


class Command(BaseCommand):
    help = (
        "Start the key agent (keyd) and the web server (gunicorn) together. Ctrl-C or SIGTERM "
        "stops both cleanly. The agent starts sealed unless a passphrase file is given. With "
        "CORRIDOR_KEYD_LISTEN the agent also serves other application hosts over mutual TLS; with "
        "CORRIDOR_KEYD_URL no agent starts here and the web server uses that shared agent."
    )

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=os.environ.get("CORRIDOR_BIND", "127.0.0.1:8000"),
                            help="Address for the web server (default 127.0.0.1:8000).")
        parser.add_argument("--workers", type=int, default=int(os.environ.get("CORRIDOR_WORKERS", "2")),
                            help="Number of web worker processes (default 2).")
        parser.add_argument("--unseal-passphrase-file",
                            help="Unseal the agent with the passphrase in this file (demo and tests).")

    def handle(self, *args, bind, workers, unseal_passphrase_file, **options):
        remote = bool(settings.CORRIDOR_KEYD_URL)
        if not remote and not Path(settings.CORRIDOR_KEYSTORE).exists():
            raise CommandError("No keystore yet. Run `corridor init` (or `make run` for a demo) first.")
        socket_path = settings.CORRIDOR_KEYD_SOCKET
        Path(socket_path).parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        keyd_proc: subprocess.Popen | None = None
        if remote:
            # The shared agent runs on the key host. Unreachable, it leaves this host
            # sealed (503 on every page that needs a key), never open.
            try:
                client = new_keyd_client()
            except KeydError as exc:
                raise CommandError(str(exc)) from None
        else:
            Path(settings.CORRIDOR_KEYD_JOURNAL).parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            keyd_proc = subprocess.Popen([
                sys.executable, "-m", "corridor.keyd", "--socket", socket_path,
                "--keystore", settings.CORRIDOR_KEYSTORE, "--journal", settings.CORRIDOR_KEYD_JOURNAL,
                "--unwrap-limit", str(settings.CORRIDOR_UNWRAP_LIMIT), *self._listen_options(),
            ])
            client = KeydClient(socket_path)
            if not self._wait_for(client, keyd_proc):
                keyd_proc.terminate()
                raise CommandError("The key agent did not start; see the messages above.")
        if unseal_passphrase_file and self._sealed(client):
            try:
                client.unseal_passphrase(Path(unseal_passphrase_file).read_text(encoding="utf-8").strip())
            except KeydError as exc:
                if keyd_proc is not None:
                    keyd_proc.terminate()
                raise CommandError(f"Could not unseal: {exc}") from None
        # gunicorn (gthread, config in corridor/web/gunicorn_conf.py: no access log,
        # addresses scrubbed) listens on a Unix socket; the buffering front
        # (corridor/web/front.py) takes the public address, so slow clients wait in
        # the front and never hold a worker thread.
        web_socket = str(Path(socket_path).parent / "web.sock")
        Path(web_socket).unlink(missing_ok=True)
        env = {**os.environ, "CORRIDOR_WORKERS": str(workers)}
        web_proc = subprocess.Popen([
            sys.executable, "-m", "gunicorn", "corridor.wsgi:application", "-c", "python:corridor.web.gunicorn_conf",
            "--bind", f"unix:{web_socket}",
        ], env=env)
        # The front refuses junk intake posts itself; what it needs for that (derived
        # token keys, limits) goes on its stdin, never in argv or the environment.
        from corridor.intake.front import front_config

        front_proc = subprocess.Popen([sys.executable, "-m", "corridor.web.front", bind, web_socket,
                                       "--config-stdin"], stdin=subprocess.PIPE)
        front_proc.stdin.write((json.dumps(front_config(workers)) + "\n").encode())
        front_proc.stdin.close()
        stop = threading.Event()

        def on_signal(signum, frame):
            stop.set()

        signal.signal(signal.SIGINT, on_signal)
        signal.signal(signal.SIGTERM, on_signal)
        if remote and self._sealed(client) is None:
            state = f"the key agent at {settings.CORRIDOR_KEYD_URL} is unreachable: SEALED until it answers"
        elif not self._sealed(client):
            state = "unsealed"
        else:
            state = "SEALED — run `corridor unseal`"
        self.stdout.write(self.style.SUCCESS(
            f"Corridor is running ({state}).\n"
            f"  Public intake: http://{bind}/\n  Staff sign-in: http://{bind}/staff/\n"
            "Press Ctrl-C to stop."
        ))
        ticker = threading.Thread(target=self._tick, args=(stop,), daemon=True)
        ticker.start()
        # A seal pressed on any host reaches this one (corridor/crypto/seal_signal.py). A host
        # on the shared agent needs no watcher: its seal *is* the agent's, which the key host watches.
        from corridor.crypto.seal_signal import Watcher

        watcher = None if remote else Watcher(KeydClient(socket_path)).start()
        while not stop.is_set():
            if web_proc.poll() is not None or front_proc.poll() is not None or \
                    (keyd_proc is not None and keyd_proc.poll() is not None):
                self.stderr.write("A child process exited; stopping.")
                break
            stop.wait(0.5)
        if watcher is not None:
            watcher.close()
        self._stop(front_proc, "front")
        self._stop(web_proc, "web server")
        if keyd_proc is not None:
            self._stop(keyd_proc, "key agent")
        client.close()
        self.stdout.write("Stopped.")

    @staticmethod
    def _sealed(client: KeydClient) -> bool | None:
        """True/False, or None when the agent does not answer."""
        try:
            return bool(client.status()["sealed"])
        except KeydError:
            return None

    @staticmethod
    def _listen_options() -> list[str]:
        """--listen and the agent's certificate files when this host serves the others."""
        if not settings.CORRIDOR_KEYD_LISTEN:
            return []
        folder = Path(settings.CORRIDOR_KEYD_TLS_DIR)
        options = ["--listen", settings.CORRIDOR_KEYD_LISTEN, "--tls-cert", str(folder / "agent.crt"),
                   "--tls-key", str(folder / "agent.key"), "--tls-ca", settings.CORRIDOR_KEYD_TLS_CA]
        if (folder / "clients.txt").exists():
            options += ["--tls-clients", str(folder / "clients.txt")]
        return options

    def _wait_for(self, client: KeydClient, proc: subprocess.Popen) -> bool:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                return False
            try:
                client.status()
                return True
            except KeydError:
                time.sleep(0.05)
        return False

    def _stop(self, proc: subprocess.Popen, name: str) -> None:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.stderr.write(f"The {name} did not stop in time; killing it.")
                proc.kill()
                proc.wait()

    def _tick(self, stop: threading.Event) -> None:
        """Periodic work: sign a checkpoint of the audit log, then the apps' jobs."""
        while not stop.wait(TICK_SECONDS):
            for job, exc in run_periodic():
                self.stderr.write(f"periodic job {job} skipped: {exc.__class__.__name__}")


def run_periodic() -> list[tuple[str, Exception]]:
    """One round of the periodic jobs (`serve`'s ticker, `corridor tick`); returns the
    jobs that failed (sealed or transient: they are tried again next round)."""
    from django.apps import apps
    from django.db import close_old_connections
    from django.utils.module_loading import import_string

    from corridor.audit.services import make_checkpoint
    from corridor.crypto.context import acting_as

    failed = []
    with acting_as("system:scheduler"):
        for job in ["corridor.audit.services.make_checkpoint"] + [
            path for config in apps.get_app_configs() for path in getattr(config, "periodic", [])
        ]:
            try:
                (make_checkpoint if job.endswith("make_checkpoint") else import_string(job))()
            except Exception as exc:  # noqa: BLE001 - reported, retried next round
                failed.append((job, exc))
            finally:
                close_old_connections()
    return failed
