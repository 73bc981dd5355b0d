from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand

from corridor.audit.models import AuditAlert, AuditHead
from corridor.audit.services import latest_checkpoint
from corridor.crypto.keys import keyd
from corridor.keyd.errors import KeydError


class Command(BaseCommand):
    help = "Show whether the key agent runs and is sealed, the root key version, and the audit log's size."

    def handle(self, *args, **options):
        try:
            status = keyd().status()
        except KeydError:
            status = None
        if status is None:
            self.stdout.write("Key agent:  not running" if not settings.CORRIDOR_KEYD_URL else
                              f"Key agent:  unreachable at {settings.CORRIDOR_KEYD_URL} (this host is SEALED)")
        else:
            state = "SEALED" if status["sealed"] else "unsealed"
            self.stdout.write(f"Key agent:  {state}" + (f" ({status['sealed_reason']})" if status.get("sealed_reason") else ""))
            self.stdout.write(f"Unseal by:  {'passphrase' if status['mode'] == 'passphrase' else str(status['shares_needed']) + ' key shares'}")
            self.stdout.write(f"Root key:   version {status['root_version']} (live: {status['root_versions']})")
            pending = sorted(status.get("retiring") or {})
            self.stdout.write(f"Erasure:    {status.get('buckets', 0)} buckets of <= {status.get('bucket_size', 0)} keys; "
                              + (f"erasures not yet final in buckets {', '.join(pending)}" if pending else "none pending"))
            heads = status.get("signed_heads") or {}
            pinned = heads.get("heads", {}).get(status.get("log_origin"), {})
            line = f"Signed head: {heads.get('condition', 'unknown')}"
            if pinned:
                line += f", {pinned['size']} entries"
            if heads.get("problem"):
                line += f" ({heads['problem']})"
            self.stdout.write(line)
            if heads.get("refused_total"):
                last = heads["refusals"][-1]
                self.stdout.write(self.style.ERROR(
                    f"REFUSED:    keyd refused to sign {heads['refused_total']} time(s); last {last['at']}: "
                    f"{last['reason']}"))
        self._certificates()
        if settings.CORRIDOR_KEYD_URL:
            self.stdout.write(f"Keystore:   on the key host; this host uses the agent at {settings.CORRIDOR_KEYD_URL}")
        else:
            self.stdout.write(f"Keystore:   {settings.CORRIDOR_KEYSTORE}")
        from corridor.crypto.keys import legacy_keys

        legacy = legacy_keys().count()
        if legacy:
            self.stdout.write(f"Data keys:  {legacy} from before erasure buckets; run `corridor rotate-root --retire`")
        head = AuditHead.objects.filter(id=1).first()
        cp = latest_checkpoint()
        self.stdout.write(f"Audit log:  {head.size if head else 0} entries; last signed checkpoint at "
                          f"{cp.size if cp else 0}")
        for alert in AuditAlert.objects.filter(acknowledged=None)[:5]:
            again = f" (seen {alert.repeats} more times, last {alert.last_seen:%Y-%m-%d %H:%M})" if alert.repeats else ""
            self.stdout.write(self.style.ERROR(f"ALERT #{alert.pk}:  {alert.created:%Y-%m-%d %H:%M} {alert.message}{again}"))

    def _certificates(self) -> None:
        """The key agent's TLS certificates, each with its end (corridor/crypto/certificates.py)."""
        import datetime

        from corridor.crypto.certificates import keyd_certificates

        now = datetime.datetime.now(datetime.UTC)
        for cert in keyd_certificates():
            level = cert.level(now)
            line = "TLS:        " + cert.describe(now)
            if level in {"expired", "unreadable"}:
                self.stdout.write(self.style.ERROR(line))
            elif level == "soon":
                self.stdout.write(self.style.WARNING(line))
            else:
                self.stdout.write(line)
