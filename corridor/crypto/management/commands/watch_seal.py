from __future__ import annotations

import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand

from corridor.crypto.seal_signal import Watcher
from corridor.keyd.client import KeydClient


class Command(BaseCommand):
    help = ("Watch the shared seal signal and seal this host's key agent when another host seals or the "
            "database is gone (what `corridor serve` does itself); for separately run services.")

    def handle(self, *args, **options):
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        watcher = Watcher(KeydClient(settings.CORRIDOR_KEYD_SOCKET)).start()
        self.stdout.write("Watching the seal signal.")
        stop.wait()
        watcher.close()
