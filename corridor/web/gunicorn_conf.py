"""gunicorn settings used by `corridor serve` (`-c python:corridor.web.gunicorn_conf`).

gthread workers: a bounded thread pool per process, so one slow page does not hold
the whole worker; the buffering front (corridor/web/front.py) makes sure a thread
only ever gets a request whose headers and (buffered) body are complete. gunicorn
listens on a Unix socket behind the front, so it never sees a client address, and
its own error messages go through `ScrubbingLogger`, which removes any address
that might still appear (e.g. when someone runs gunicorn on TCP by hand).
"""

from __future__ import annotations

import logging
import os
import re

from gunicorn.glogging import Logger

worker_class = "gthread"
workers = int(os.environ.get("CORRIDOR_WORKERS", "2"))
threads = int(os.environ.get("CORRIDOR_THREADS", "8"))
worker_connections = 200
timeout = 120
graceful_timeout = 10
keepalive = 2
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
accesslog = None  # an access log would record client addresses and user agents
errorlog = "-"
loglevel = "warning"
capture_output = False
proc_name = "corridor-web"

_ADDRESS = re.compile(
    r"(?:\b\d{1,3}(?:\.\d{1,3}){3}\b)"  # IPv4
    r"|(?:\b(?:[0-9a-fA-F]{1,4}:){5,7}[0-9a-fA-F]{1,4}\b)"  # IPv6, full
    r"|(?:[0-9a-fA-F:]*::[0-9a-fA-F:]*[0-9a-fA-F]+)"  # IPv6 with ::
)


# gunicorn names the peer as "ip=<addr>" (empty on a Unix socket, but a TCP bind
# would fill it): drop the field itself, whatever it holds.
_IP_FIELD = re.compile(r"\s*(?:from )?ip=[^\s:]*")


def scrub(text: str) -> str:
    return _ADDRESS.sub("[address removed]", _IP_FIELD.sub("", text))


class _ScrubFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = scrub(record.getMessage())
        record.args = ()
        return True


class ScrubbingLogger(Logger):
    """gunicorn's logger with every address removed and no access log at all."""

    def setup(self, cfg):
        super().setup(cfg)
        for handler in self.error_log.handlers:
            handler.addFilter(_ScrubFilter())

    def access(self, resp, req, environ, request_time):
        return None


logger_class = ScrubbingLogger
