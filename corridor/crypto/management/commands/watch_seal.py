from __future__ import annotations

import signal
import threading

from django.core.management.base import BaseCommand

from corridor.crypto.keys import new_keyd_client
from corridor.crypto.seal_signal import Watcher


class Command(BaseCommand):
    help = ("Watch the shared seal signal and seal this host's key agent when another host seals or the "
            "database is gone (what `corridor serve` does itself); for separately run services.")

    def handle(self, *args, **options):
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        watcher = Watcher(new_keyd_client()).start()
        self.stdout.write("Watching the seal signal.")
        stop.wait()
        watcher.close()
