"""Helpers shared by the benchmarks: a throw-away CORRIDOR_VAR and statistics."""

from __future__ import annotations

import os
import platform
import statistics
import tempfile


def machine() -> str:
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"


def django_setup(var: str | None = None) -> str:
    """Point Corridor at a fresh data directory (or DATABASE_URL) and migrate."""
    if var is None:
        # A folder of its own, removed when the benchmark ends.
        import atexit
        import shutil

        var = tempfile.mkdtemp(prefix="corridor-bench-")
        atexit.register(shutil.rmtree, var, ignore_errors=True)
    os.environ["CORRIDOR_VAR"] = var
    os.environ.setdefault("CORRIDOR_SECRET_KEY", "bench-" + "x" * 40)
    os.environ["DJANGO_SETTINGS_MODULE"] = "corridor.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return var


def summary(name: str, samples_s: list[float]) -> str:
    ordered = sorted(samples_s)
    p50 = statistics.median(ordered)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    return f"{name}: n={len(ordered)} p50={p50 * 1e6:.0f} µs p95={p95 * 1e6:.0f} µs"


def start_keyd(socket_path: str, keystore: str, journal: str, passphrase: str):
    """A key agent in its own process with no unwrap ceiling (a benchmark reads far
    more keys than any person would), waited for and unsealed."""
    import subprocess
    import sys
    import time

    from corridor.keyd.client import KeydClient

    proc = subprocess.Popen([sys.executable, "-m", "corridor.keyd", "--socket", socket_path,
                             "--keystore", keystore, "--journal", journal, "--unwrap-limit", str(10**9)],
                            stderr=subprocess.DEVNULL)
    client = KeydClient(socket_path)
    for _ in range(200):
        try:
            client.status()
            break
        except Exception:  # noqa: BLE001 - still starting
            time.sleep(0.05)
    client.unseal_passphrase(passphrase)
    client.close()
    return proc
