"""Settings of the local MTurk, a Django project of its own (never imports the dashboard).

Environment variables:

- `EMULATOR_DATABASE_URL`: `sqlite:///path` or `postgres://...`; default `var/emulator.sqlite3`
  (in `MTURKDASH_VAR_DIR`).
  `manage.py emulator --database PATH_OR_URL` sets it.
- `EMULATOR_CREDENTIALS`: `AKID:SECRET,AKID2:SECRET2`. When set, the emulator is in strict mode:
  SigV4 signatures are verified and unknown access keys are refused. Unset: any key is accepted
  (each access key id is one customer) and only the presence of a signature is checked.
- `EMULATOR_STARTING_BALANCE`: a new customer's balance, default `10000.00`.
- `EMULATOR_TICK_SECONDS`: how often the background ticker runs due transitions (default 1; 0
  disables it; transitions also run lazily before each request).
- `EMULATOR_ACTIVE_REQUESTS`: how many requests do their work at the same time (default 2; see
  `apps.emulator.wire.gate`).
- `EMULATOR_DELIVERY_SECONDS`: how often the notification sender drains the outbox (default 1;
  0 disables the thread, `POST /_emulator/notifications/flush` still delivers).
- `EMULATOR_SNS_ENDPOINT`: where SNS topics live (default `http://127.0.0.1:8002`, moto).
- `EMULATOR_CROWD`: `on` starts a background crowd of simulated workers
  (`apps.emulator.workers.crowd`); `EMULATOR_CROWD_WORKERS` (default 30) and
  `EMULATOR_CROWD_INTERVAL` (seconds between two actions, default 3) set its size and pace.
- `EMULATOR_CONTROL_TOKEN`: the token every `/_emulator/` request must carry in
  `X-Emulator-Control-Token`; unset, it is read from `EMULATOR_CONTROL_TOKEN_FILE` (default
  `var/emulator-control-token`, created with mode 0600 by `manage.py emulator` when missing). See
  `apps.emulator.control.guard`.
- `EMULATOR_PUBLIC_URL`: base URL of links the emulator hands out; its host is allowed.
- `EMULATOR_ALLOWED_HOSTS`: more host names to answer to, comma-separated (127.0.0.1, localhost,
  [::1] and the host of `EMULATOR_PUBLIC_URL` always are), e.g. `emulator` in docker compose.
- `MTURKDASH_VAR_DIR`: the var directory (relative to the repository), as for the dashboard;
  default `var`.
- `EMULATOR_SECRET_KEY`: Django's secret key (only used for nothing security relevant here).
"""

from __future__ import annotations

import os
from decimal import Decimal, InvalidOperation
from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / os.environ.get("MTURKDASH_VAR_DIR", "var")

env = environ.Env()


def database_from(value: str) -> dict:
    """A Django DATABASES entry from a URL or a plain SQLite file path."""
    if "://" not in value:
        value = "sqlite:///" + str(Path(value).resolve())
    config = env.db_url_config(value)
    if config["ENGINE"] == "django.db.backends.sqlite3":
        Path(config["NAME"]).parent.mkdir(parents=True, exist_ok=True)
        # Same as Django's SQLite backend, with writers queued in the process (see its module).
        config["ENGINE"] = "apps.emulator.sqlite_backend"
        # WAL lets readers run beside the writer; IMMEDIATE takes the write lock when the
        # transaction starts, so two writers queue on the busy timeout instead of failing with
        # "database is locked" when one upgrades a read lock.
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL",
        }
        # Opening a SQLite connection (and its PRAGMAs) costs more than most requests: keep one
        # per server thread for the life of the process.
        config["CONN_MAX_AGE"] = None
    elif config["ENGINE"] in {
        "django.db.backends.postgresql",
        "django.db.backends.postgresql_psycopg2",
    }:
        config["ENGINE"] = "django.db.backends.postgresql"
        config["CONN_MAX_AGE"] = 300
        config["CONN_HEALTH_CHECKS"] = True
    else:
        raise ImproperlyConfigured(
            f"EMULATOR_DATABASE_URL must be a SQLite path/URL or a PostgreSQL URL, not {value!r}"
        )
    return config


def _balance(raw: str) -> Decimal:
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ImproperlyConfigured(
            f"EMULATOR_STARTING_BALANCE must be an amount like 10000.00, not {raw!r}"
        ) from None
    return value.quantize(Decimal("0.01"))


def _credentials(raw: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in raw.split(","))):
        key, sep, secret = item.partition(":")
        if not sep or not key or not secret:
            raise ImproperlyConfigured(
                "EMULATOR_CREDENTIALS must look like AKID:SECRET,AKID2:SECRET2"
            )
        pairs[key] = secret
    return pairs


def allowed_hosts(public_url: str, extra: str) -> list[str]:
    """The loopback names, the public URL's host and the extra names (comma-separated)."""
    hosts = ["127.0.0.1", "localhost", "[::1]"]
    public_host = urlsplit(public_url).hostname if public_url else None
    if public_host:
        hosts.append(f"[{public_host}]" if ":" in public_host else public_host)
    hosts += [host.strip() for host in extra.split(",") if host.strip()]
    return list(dict.fromkeys(hosts))


SECRET_KEY = os.environ.get("EMULATOR_SECRET_KEY", "local-mturk-emulator-not-a-secret")
DEBUG = False
# Base URL in links the emulator hands out (GetFileUploadURL); `manage.py emulator` fills it.
EMULATOR_PUBLIC_URL = os.environ.get("EMULATOR_PUBLIC_URL", "")
# `manage.py emulator` adds the host it binds to.
ALLOWED_HOSTS = allowed_hosts(EMULATOR_PUBLIC_URL, os.environ.get("EMULATOR_ALLOWED_HOSTS", ""))

INSTALLED_APPS = ["apps.emulator.apps.EmulatorConfig"]
MIDDLEWARE = [
    "apps.emulator.wire.middleware.content_length",
    "apps.emulator.wire.middleware.allowed_hosts_only",
    "apps.emulator.control.guard.control_guard",
]
ROOT_URLCONF = "apps.emulator.urls"
WSGI_APPLICATION = None
# The worker site (`apps.emulator.workers.site`) renders templates from the app's templates/.
TEMPLATES: list[dict] = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    }
]
STATIC_URL = "/static/"
# Only the survey pages take CSRF-protected forms (`csrf_protect`; no CSRF middleware).
CSRF_FAILURE_VIEW = "apps.emulator.workers.site.surveys.csrf_failure"

DATABASES = {
    "default": database_from(
        os.environ.get("EMULATOR_DATABASE_URL", str(VAR_DIR / "emulator.sqlite3"))
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

USE_TZ = True
TIME_ZONE = "UTC"
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

EMULATOR_CREDENTIALS = _credentials(os.environ.get("EMULATOR_CREDENTIALS", ""))
EMULATOR_STARTING_BALANCE = _balance(os.environ.get("EMULATOR_STARTING_BALANCE", "10000.00"))
EMULATOR_TICK_SECONDS = float(os.environ.get("EMULATOR_TICK_SECONDS", "1"))
EMULATOR_ACTIVE_REQUESTS = int(os.environ.get("EMULATOR_ACTIVE_REQUESTS", "2"))
EMULATOR_DELIVERY_SECONDS = float(os.environ.get("EMULATOR_DELIVERY_SECONDS", "1"))
EMULATOR_SNS_ENDPOINT = os.environ.get("EMULATOR_SNS_ENDPOINT", "http://127.0.0.1:8002")
EMULATOR_CROWD = os.environ.get("EMULATOR_CROWD", "off").lower() in {"on", "1", "true", "yes"}
EMULATOR_CROWD_WORKERS = int(os.environ.get("EMULATOR_CROWD_WORKERS", "30"))
EMULATOR_CROWD_INTERVAL = float(os.environ.get("EMULATOR_CROWD_INTERVAL", "3"))
EMULATOR_CONTROL_TOKEN = os.environ.get("EMULATOR_CONTROL_TOKEN", "").strip()
EMULATOR_CONTROL_TOKEN_FILE = Path(
    os.environ.get("EMULATOR_CONTROL_TOKEN_FILE") or VAR_DIR / "emulator-control-token"
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "apps.emulator": {"handlers": ["console"], "level": "INFO"},
        "django": {"handlers": ["console"], "level": "WARNING"},
        # 4xx answers are MTurk errors the client asked for and 5xx ones injected faults; real
        # failures are logged with their traceback by apps.emulator.wire.protocol.
        "django.request": {"handlers": ["console"], "level": "CRITICAL", "propagate": False},
    },
}
