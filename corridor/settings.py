"""Django settings for Corridor, read from the environment (see docs/operations.md)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from corridor.conf import (
    ImproperSetting,
    check_webauthn_settings,
    database_from_url,
    env_bool,
    env_int,
    env_list,
    env_path,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent
DEBUG = env_bool("CORRIDOR_DEBUG", False)
# pytest (>= 8.2) sets PYTEST_VERSION for the whole run, before settings are imported.
TESTING = env_bool("CORRIDOR_TESTING", "PYTEST_VERSION" in os.environ)
if TESTING and not os.environ.get("CORRIDOR_VAR"):
    # A throwaway folder for a test process started without one, removed when that
    # process (not a fork of it) ends.
    import atexit
    import shutil

    _throwaway, _creator = tempfile.mkdtemp(prefix="corridor-test-"), os.getpid()
    atexit.register(lambda: os.getpid() == _creator and shutil.rmtree(_throwaway, ignore_errors=True))
    VAR_DIR = Path(_throwaway)
else:
    VAR_DIR = env_path("CORRIDOR_VAR", Path.cwd() / "var")
DEMO = env_bool("CORRIDOR_DEMO", False)

# There is no insecure fallback: `corridor` creates var/secret-key on first run, and a
# deployment passes CORRIDOR_SECRET_KEY or CORRIDOR_SECRET_KEY_FILE.
_secret_file = VAR_DIR / "secret-key"
if os.environ.get("CORRIDOR_SECRET_KEY") or os.environ.get("CORRIDOR_SECRET_KEY_FILE"):
    SECRET_KEY = env_str("CORRIDOR_SECRET_KEY")
elif _secret_file.exists():
    SECRET_KEY = _secret_file.read_text(encoding="utf-8").strip()
elif TESTING:
    SECRET_KEY = "test-only-" + "x" * 50
else:
    raise ImproperSetting(
        "CORRIDOR_SECRET_KEY is required (or run `corridor init` / `make run`, "
        f"which writes {_secret_file})"
    )
if len(SECRET_KEY) < 32:
    raise ImproperSetting("CORRIDOR_SECRET_KEY must be at least 32 characters")

ALLOWED_HOSTS = env_list("CORRIDOR_ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
TLS = env_bool("CORRIDOR_TLS", False)
CSRF_TRUSTED_ORIGINS = env_list("CORRIDOR_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "corridor.web",
    "corridor.crypto",
    "corridor.blobs",
    "corridor.audit",
    "corridor.accounts",
    "corridor.intake",
    "corridor.exposure",
    "corridor.cases",
    "corridor.housing",
    "corridor.evidence",
    "corridor.funds",
    "corridor.reports",
    "corridor.api",
    # django-ninja: its templates and the Swagger UI files it ships, for /api/v1/docs.
    "ninja",
]

MIDDLEWARE = [
    "corridor.accounts.duress.SignInPaddingMiddleware",  # outermost: pads sign-in steps whole
    "corridor.web.middleware.SecurityHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "corridor.api.middleware.RefuseNulMiddleware",
    "corridor.web.sessions.SessionMiddleware",
    "corridor.web.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "corridor.web.csrf.CorridorCsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "corridor.accounts.middleware.SessionPolicyMiddleware",
    "corridor.accounts.middleware.TimeZoneMiddleware",
    "corridor.web.middleware.KeepTypedWorkMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "corridor.accounts.middleware.StaffOnlyWithSecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "corridor.accounts.webauthn_middleware.SecurityKeyRequiredMiddleware",
    "corridor.accounts.duress.DecoyWorkspaceMiddleware",
    "corridor.cases.middleware.CaseLockedMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "corridor.web.middleware.SealedMiddleware",
]

# Plain widgets rendered in Python, the same markup as Django's templates
# (corridor/web/renderers.py: the case page's fifty widgets were a quarter of its time).
FORM_RENDERER = "corridor.web.renderers.FastWidgetRenderer"

ROOT_URLCONF = "corridor.urls"
WSGI_APPLICATION = "corridor.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "corridor.web.context.corridor",
            ],
            "builtins": ["corridor.web.templatetags.corridor_time"],
        },
    }
]

DATABASES = {
    "default": database_from_url(
        "DATABASE_URL", env_str("DATABASE_URL", ""), sqlite_default=VAR_DIR / "corridor.sqlite3"
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["corridor.accounts.backends.ThrottledBackend"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:dashboard"

# Sessions: idle timeout by sliding expiry, absolute timeout enforced in
# SessionPolicyMiddleware. `__Host-` requires Secure, so it is used behind TLS only.
SESSION_ENGINE = "corridor.web.sessions"
SESSION_COOKIE_AGE = env_int("CORRIDOR_SESSION_IDLE_SECONDS", 30 * 60, minimum=60)
SESSION_ABSOLUTE_SECONDS = env_int("CORRIDOR_SESSION_ABSOLUTE_SECONDS", 12 * 3600, minimum=300)
# The expiry still slides on every request, but is written at most once a minute
# (`corridor.web.sessions.SessionMiddleware`).
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_SAMESITE = "Strict"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = TLS
SESSION_COOKIE_NAME = "__Host-corridor" if TLS else "corridor"
CSRF_COOKIE_SECURE = TLS
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Strict"
CSRF_COOKIE_NAME = "__Host-csrf" if TLS else "csrftoken"
CSRF_FAILURE_VIEW = "corridor.web.views.csrf_failure"
LANGUAGE_COOKIE_NAME = "corridor_lang"
LANGUAGE_COOKIE_SAMESITE = "Strict"
LANGUAGE_COOKIE_SECURE = TLS
LANGUAGE_COOKIE_HTTPONLY = True

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if TLS else None
SECURE_SSL_REDIRECT = TLS and env_bool("CORRIDOR_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = 63072000 if TLS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = TLS
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "no-referrer"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'none'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}

LANGUAGE_CODE = "ru"
# Each app keeps its own locale/ directory; language names are shown in their own language.
LANGUAGES = [("ru", "Русский"), ("en", "English")]
USE_I18N = True
TIME_ZONE = "UTC"
# Our own short date and month formats (corridor/formats/), one style per language.
FORMAT_MODULE_PATH = ["corridor.formats"]
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Uploads: nothing larger than this is held in memory; the hard limits are enforced
# per feature while streaming, before the disk fills.
# Django's default handler spills uploads over this size to a temporary file in
# plaintext. Only the memory handler is installed: an upload is either held in memory
# (up to 16 MiB) or refused; apps that accept large files (evidence, intake) install
# their own streaming handlers that encrypt before anything reaches the disk.
FILE_UPLOAD_HANDLERS = ["django.core.files.uploadhandler.MemoryFileUploadHandler"]
FILE_UPLOAD_MAX_MEMORY_SIZE = 16 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000
FILE_UPLOAD_TEMP_DIR = str(VAR_DIR / "tmp")
if TESTING:
    (VAR_DIR / "tmp").mkdir(mode=0o700, parents=True, exist_ok=True)
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700

# Corridor-specific
CORRIDOR_KEYD_SOCKET = str(env_path("CORRIDOR_KEYD_SOCKET", VAR_DIR / "run" / "keyd.sock"))
CORRIDOR_KEYSTORE = str(env_path("CORRIDOR_KEYSTORE", VAR_DIR / "keystore.json"))
# Several application hosts share one key agent (docs/operations.md, "Several
# application hosts"). On the key host, CORRIDOR_KEYD_LISTEN=host:port makes the
# agent also listen there with mutual TLS 1.3; on every other host,
# CORRIDOR_KEYD_URL=tls://host:port replaces the Unix socket, and no agent or
# keystore runs there. The certificates come from `corridor keyd-certs`.
CORRIDOR_KEYD_URL = env_str("CORRIDOR_KEYD_URL", "")
CORRIDOR_KEYD_LISTEN = env_str("CORRIDOR_KEYD_LISTEN", "")
CORRIDOR_KEYD_TLS_DIR = str(env_path("CORRIDOR_KEYD_TLS_DIR", VAR_DIR / "keyd-tls"))
CORRIDOR_KEYD_TLS_CA = str(env_path("CORRIDOR_KEYD_TLS_CA", Path(CORRIDOR_KEYD_TLS_DIR) / "ca.crt"))
CORRIDOR_KEYD_TLS_CERT = str(env_path("CORRIDOR_KEYD_TLS_CERT", Path(CORRIDOR_KEYD_TLS_DIR) / "client.crt"))
CORRIDOR_KEYD_TLS_KEY = str(env_path("CORRIDOR_KEYD_TLS_KEY", Path(CORRIDOR_KEYD_TLS_DIR) / "client.key"))
for _name, _value in (("CORRIDOR_KEYD_URL", CORRIDOR_KEYD_URL), ("CORRIDOR_KEYD_LISTEN", CORRIDOR_KEYD_LISTEN)):
    if _value:
        from corridor.keyd.tls import parse_address

        try:
            parse_address(_value)
        except ValueError as _exc:
            raise ImproperSetting(f"{_name}: {_exc}") from None
if CORRIDOR_KEYD_URL and CORRIDOR_KEYD_LISTEN:
    raise ImproperSetting("CORRIDOR_KEYD_URL (use a remote agent) and CORRIDOR_KEYD_LISTEN (be the agent's "
                          "host) exclude each other")
CORRIDOR_KEYD_JOURNAL = str(env_path("CORRIDOR_KEYD_JOURNAL", VAR_DIR / "log" / "keyd-unwraps.jsonl"))
CORRIDOR_UNWRAP_LIMIT = env_int("CORRIDOR_UNWRAP_LIMIT", 3000, minimum=1)
CORRIDOR_LOG_ORIGIN = env_str("CORRIDOR_LOG_ORIGIN", "corridor.local/audit")
# The public address of this site (e.g. https://corridor.example.org), printed in
# PDFs that leave it; empty means the PDF names the page without an address.
CORRIDOR_PUBLIC_URL = env_str("CORRIDOR_PUBLIC_URL", "").rstrip("/")
# Security keys and passkeys (WebAuthn, corridor/accounts/webauthn_ceremony.py). The
# relying-party ID is the registrable host the keys are bound to; the origins are the
# exact scheme://host[:port] the browser must report. A key answers only for this RP ID,
# and an assertion made on any other origin (a look-alike site) is refused.
CORRIDOR_WEBAUTHN_RP_ID = env_str(
    "CORRIDOR_WEBAUTHN_RP_ID", urlsplit(CORRIDOR_PUBLIC_URL).hostname or "localhost"
).strip().lower()
_public = urlsplit(CORRIDOR_PUBLIC_URL)
CORRIDOR_WEBAUTHN_ORIGINS = [o.rstrip("/") for o in env_list(
    "CORRIDOR_WEBAUTHN_ORIGINS", [f"{_public.scheme}://{_public.netloc}"] if _public.netloc else ["http://localhost:8000"]
)]
check_webauthn_settings(CORRIDOR_WEBAUTHN_RP_ID, CORRIDOR_WEBAUTHN_ORIGINS)
# Optional e-mail notice of alerts (corridor/accounts/notify.py) through a local relay.
CORRIDOR_ALERT_EMAILS = env_list("CORRIDOR_ALERT_EMAILS", [])
EMAIL_HOST = env_str("CORRIDOR_EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = env_int("CORRIDOR_EMAIL_PORT", 25, minimum=1, maximum=65535)
DEFAULT_FROM_EMAIL = env_str("CORRIDOR_EMAIL_FROM", "corridor@localhost")
EMAIL_TIMEOUT = 10
CORRIDOR_BLOB_DIR = env_path("CORRIDOR_BLOB_DIR", VAR_DIR / "blobs")
# Where encrypted files (evidence, intake attachments) live: "filesystem" under
# CORRIDOR_BLOB_DIR (one host), or "database" (chunks in the database, shared by every
# host on the same PostgreSQL). See corridor/blobs/storage.py.
CORRIDOR_FILE_STORAGE = env_str("CORRIDOR_FILE_STORAGE", "filesystem")
if CORRIDOR_FILE_STORAGE not in ("filesystem", "database"):
    raise ImproperSetting("CORRIDOR_FILE_STORAGE must be filesystem or database")
CORRIDOR_LOGIN_MAX_FAILURES = env_int("CORRIDOR_LOGIN_MAX_FAILURES", 5, minimum=1)
CORRIDOR_LOGIN_LOCK_SECONDS = env_int("CORRIDOR_LOGIN_LOCK_SECONDS", 15 * 60, minimum=1)
# What a duress sign-in does besides showing an empty workspace: "restrict" (this
# account sees nothing from now on, until an administrator lifts it) or "seal" (the
# whole server, every host). See docs/threat-model.md, *Duress sign-in*.
CORRIDOR_DURESS_ACTION = env_str("CORRIDOR_DURESS_ACTION", "restrict")
if CORRIDOR_DURESS_ACTION not in ("restrict", "seal"):
    raise ImproperSetting("CORRIDOR_DURESS_ACTION must be 'restrict' or 'seal'")
# Each sign-in step (password, code) answers no sooner than this, whatever it did.
CORRIDOR_SIGNIN_FLOOR_SECONDS = float(env_str("CORRIDOR_SIGNIN_FLOOR_SECONDS", "0" if TESTING else "0.4"))
CORRIDOR_EVIDENCE_MAX_BYTES = env_int("CORRIDOR_EVIDENCE_MAX_BYTES", 4 * 1024**3, minimum=1024)
CORRIDOR_EVIDENCE_DISK_RESERVE = env_int("CORRIDOR_EVIDENCE_DISK_RESERVE", 512 * 1024**2, minimum=0)
CORRIDOR_EVIDENCE_MAX_PIXELS = env_int("CORRIDOR_EVIDENCE_MAX_PIXELS", 200_000_000, minimum=1)
# Every `corridor serve` watches the shared seal signal (corridor/crypto/seal_signal.py):
# it polls this often (PostgreSQL also wakes it at once with NOTIFY), and seals its own
# agent when it has not been able to read the database for this long.
CORRIDOR_SEAL_POLL_SECONDS = float(env_str("CORRIDOR_SEAL_POLL_SECONDS", "0.5"))
CORRIDOR_SEAL_DB_LOSS_SECONDS = float(env_str("CORRIDOR_SEAL_DB_LOSS_SECONDS", "60"))
# The other application hosts, for `corridor unseal --all`: "name=command" entries
# separated by ";", each command running `corridor` on that host (normally over ssh).
CORRIDOR_HOSTS = [item.strip() for item in env_str("CORRIDOR_HOSTS", "").split(";") if item.strip()]
CORRIDOR_CHECKPOINT_EVERY = env_int("CORRIDOR_CHECKPOINT_EVERY", 1000, minimum=1)
# `corridor audit verify` fails on unsigned history: entries after the newest signed
# checkpoint that are older than this many seconds, or more than this many entries.
# The ticker in `serve` signs every minute, so only a stopped or sealed key agent (or
# deleted checkpoints) leaves a longer tail.
CORRIDOR_AUDIT_UNSIGNED_MAX_SECONDS = env_int("CORRIDOR_AUDIT_UNSIGNED_MAX_SECONDS", 300, minimum=1)
# Witnesses of partner organisations (c2sp.org/tlog-witness), configured by the
# administrators: "<witness vkey> <add-checkpoint base URL>" entries separated by ";".
CORRIDOR_WITNESSES = [
    tuple(item.split()) for item in env_str("CORRIDOR_WITNESSES", "").split(";") if item.strip()
]
CORRIDOR_WITNESS_TIMEOUT = env_int("CORRIDOR_WITNESS_TIMEOUT", 5, minimum=1)
CORRIDOR_AUDIT_UNSIGNED_MAX_ENTRIES = env_int("CORRIDOR_AUDIT_UNSIGNED_MAX_ENTRIES", 2000, minimum=1)
# The newest checkpoint a full (or incremental) `corridor audit verify` accepted, where
# `verify --since-checkpoint` starts. Editing it only makes that mode re-read more or
# fail: its root must match a checkpoint the database holds and the key agent signed.
CORRIDOR_AUDIT_VERIFIED_STATE = str(env_path("CORRIDOR_AUDIT_VERIFIED_STATE", VAR_DIR / "audit-verified.json"))

OTP_TOTP_ISSUER = "Corridor"
OTP_TOTP_TOLERANCE = 1

# Logging: no request lines, no client addresses. Django's own request logger is kept
# at ERROR and the formatter prints no `request` attributes.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"no_request": {"()": "corridor.web.logging.StripRequestFilter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["no_request"]}
    },
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        "django.security": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        "corridor": {"handlers": ["console"], "level": env_str("CORRIDOR_LOG_LEVEL", "INFO"), "propagate": False},
    },
}

if TESTING:
    # Tests run against the real key agent started by conftest.py on a temporary socket.
    CORRIDOR_CHECKPOINT_EVERY = 100_000
