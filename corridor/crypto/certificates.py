"""Expiry of the key agent's TLS certificates (corridor/keyd/tls.py).

When a host's client certificate, the agent's server certificate or the CA expires,
the TLS handshake fails and every host on the shared agent is sealed until someone
issues new ones. `corridor check --deploy` and `corridor status` therefore name each
certificate this host depends on: a warning inside WARN_DAYS of its end, an error
once it has ended.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

WARN_DAYS = 30


@dataclass(frozen=True)
class CertificateState:
    label: str
    path: Path
    not_after: datetime.datetime | None  # None: the file is there but does not parse

    def days_left(self, now: datetime.datetime) -> float | None:
        return None if self.not_after is None else (self.not_after - now).total_seconds() / 86400

    def level(self, now: datetime.datetime) -> str:
        """"ok", "soon" (within WARN_DAYS), "expired" or "unreadable"."""
        left = self.days_left(now)
        if left is None:
            return "unreadable"
        if left <= 0:
            return "expired"
        return "soon" if left <= WARN_DAYS else "ok"

    def describe(self, now: datetime.datetime) -> str:
        level = self.level(now)
        if level == "unreadable":
            return _("%(label)s %(path)s cannot be read as a certificate.") % {"label": self.label, "path": self.path}
        end = f"{self.not_after:%Y-%m-%d %H:%M} UTC"
        if level == "expired":
            return _("%(label)s %(path)s expired on %(end)s: the key agent refuses the connection and the hosts "
                     "on it stay sealed.") % {"label": self.label, "path": self.path, "end": end}
        days = int(self.days_left(now) or 0)
        return ngettext("%(label)s %(path)s expires on %(end)s (in %(days)d day).",
                        "%(label)s %(path)s expires on %(end)s (in %(days)d days).", days) % {
            "label": self.label, "path": self.path, "end": end, "days": days}


def keyd_certificates() -> list[CertificateState]:
    """The certificates this host depends on: on a host using the shared agent
    (CORRIDOR_KEYD_URL) the CA and its client certificate; on the key host
    (CORRIDOR_KEYD_LISTEN) the CA, the agent's certificate and every host certificate
    issued in its folder. None on a single host with the Unix socket only."""
    from corridor.keyd.tls import CA_CERT, SERVER_CERT, not_after

    if settings.CORRIDOR_KEYD_URL:
        files = [(_("The key agent's CA certificate"), Path(settings.CORRIDOR_KEYD_TLS_CA)),
                 (_("This host's client certificate"), Path(settings.CORRIDOR_KEYD_TLS_CERT))]
    elif settings.CORRIDOR_KEYD_LISTEN:
        folder = Path(settings.CORRIDOR_KEYD_TLS_DIR)
        files = [(_("The key agent's CA certificate"), folder / CA_CERT),
                 (_("The key agent's server certificate"), folder / SERVER_CERT)]
        for path in sorted(folder.glob("*.crt")):
            if path.name not in {CA_CERT, SERVER_CERT}:
                files.append((_("The certificate of host %(host)s") % {"host": path.stem}, path))
    else:
        return []
    found = []
    for label, path in files:
        if not path.exists():
            continue  # a missing file is the handshake's and E009's business, not an expiry
        try:
            end = not_after(path)
        except (OSError, ValueError):
            end = None
        found.append(CertificateState(label, path, end))
    return found
