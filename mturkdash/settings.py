"""Settings for the mturkdash dashboard.

Everything comes from the environment (see the table in README.md). The defaults need no server:
SQLite under var/, an embedded Celery broker on the file system, the local MTurk. With DEBUG off,
start-up refuses a missing SECRET_KEY or ALLOWED_HOSTS instead of running insecurely.

The local MTurk has its own settings module (apps/emulator/settings.py); nothing here is shared.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

from mturkdash import private_files

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / environ.Env().str("MTURKDASH_VAR_DIR", default="var")
# The database, the broker's messages and the credentials key live here: this user's only.
private_files.private_dir(VAR_DIR)

env = environ.Env()


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _read(name: str, cast: str, default=environ.Env.NOTSET):
    """Read one variable, naming it in the error when its value cannot be used."""
    if cast == "bool" and name in env.ENVIRON:
        value = env.ENVIRON[name].strip().lower()
        if value not in _TRUE | _FALSE:
            raise ImproperlyConfigured(f"{name} must be one of 1/0, true/false, yes/no, on/off")
        return value in _TRUE
    try:
        return getattr(env, cast)(name, default=default)
    except ImproperlyConfigured:
        raise
    except Exception as exc:
        raise ImproperlyConfigured(f"{name} has a value that cannot be used: {exc}") from exc


def _database(name: str, default: str) -> dict:
    url = env.str(name, default="") or default
    scheme = urlsplit(url).scheme
    if scheme not in {"sqlite", "postgres", "postgresql", "pgsql", "psql"}:
        raise ImproperlyConfigured(
            f"{name} must be a sqlite:/// or postgres:// URL, not {url!r}"
            " (example: postgres://user:password@127.0.0.1:5432/mturkdash)"
        )
    try:
        config = environ.Env.db_url_config(url)
    except Exception as exc:
        raise ImproperlyConfigured(f"{name} cannot be parsed: {exc}") from exc
    if config["ENGINE"] == "django.db.backends.sqlite3":
        if not config.get("NAME"):
            raise ImproperlyConfigured(f"{name} names no SQLite file: {url!r}")
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL",
        }
        # A file, not memory, so that a Celery worker started by a test sees the test database;
        # one per test process, so that two test runs in one checkout do not share it.
        config["TEST"] = {"NAME": str(VAR_DIR / f"test-dashboard-{os.getpid()}.sqlite3")}
        # Made before SQLite opens it, so the file (and its -wal and -shm, which take its mode)
        # is this user's only.
        private_files.private_file(Path(config["NAME"]))
    else:
        config["CONN_MAX_AGE"] = _read("DATABASE_CONN_MAX_AGE", "int", default=60)
        config["CONN_HEALTH_CHECKS"] = True
    return config


def _redis_url() -> str:
    url = env.str("REDIS_URL", default="")
    if url and urlsplit(url).scheme not in {"redis", "rediss", "unix"}:
        raise ImproperlyConfigured(
            f"REDIS_URL must be a redis:// URL, not {url!r} (example: redis://127.0.0.1:6379/0)"
        )
    return url


DEBUG = _read("DEBUG", "bool", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
ALLOWED_HOSTS = _read("ALLOWED_HOSTS", "list", default=[])
if DEBUG:
    SECRET_KEY = SECRET_KEY or "insecure-development-key-only-for-debug-mode"
    ALLOWED_HOSTS = ALLOWED_HOSTS or ["127.0.0.1", "localhost", "[::1]", "testserver"]
else:
    if not SECRET_KEY:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. With DEBUG off it is required: set it to a long random"
            " string (or set DEBUG=1 for local development)."
        )
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured(
            "ALLOWED_HOSTS is not set. With DEBUG off it is required: a comma-separated list"
            " of the host names this site answers to (or set DEBUG=1 for local development)."
        )
    if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
        raise ImproperlyConfigured(
            "SECRET_KEY is too short or too simple: use 50+ random characters."
        )

CSRF_TRUSTED_ORIGINS = _read("CSRF_TRUSTED_ORIGINS", "list", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "csp",
    "axes",
    "apps.requesters",
    "apps.audit",
    "apps.mturk",
    "apps.hits",
    "apps.batches",
    "apps.qualifications",
    "apps.workers",
    "apps.review",
    "apps.notifications",
    "apps.sync",
    "apps.studies",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "mturkdash.middleware.upload_size_limit",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "mturkdash.urls"
WSGI_APPLICATION = "mturkdash.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "builtins": ["template_partials.templatetags.partials", "mturkdash.templatetags"],
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "apps.requesters.context_processors.current_requester",
            ],
        },
    },
]

DATABASES = {"default": _database("DATABASE_URL", f"sqlite:///{VAR_DIR / 'dashboard.sqlite3'}")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = _redis_url()
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Repeated failed logins lock the username on that address out for a while; many failures from
# one address, whatever the usernames (password spraying), lock the address out.
AXES_FAILURE_LIMIT = _read("AXES_FAILURE_LIMIT", "int", default=5)
AXES_ADDRESS_FAILURE_LIMIT = _read("AXES_ADDRESS_FAILURE_LIMIT", "int", default=30)
AXES_COOLOFF_TIME = _read("AXES_COOLOFF_MINUTES", "int", default=15) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_HANDLER = "mturkdash.auth_throttle.AddressLimitHandler"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_IPWARE_PROXY_COUNT = _read("AXES_PROXY_COUNT", "int", default=0)

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if _read("STATIC_MANIFEST", "bool", default=not DEBUG)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not STORAGES["staticfiles"]["BACKEND"].startswith("whitenoise")
# A file missing from the manifest is served unhashed rather than failing the page.
WHITENOISE_MANIFEST_STRICT = False

# Security headers. Production (DEBUG off) gets secure cookies, HSTS and an HTTPS redirect that
# can be turned off when a proxy in front terminates TLS and redirects itself.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = _read("SECURE_SSL_REDIRECT", "bool", default=not DEBUG)
SECURE_HSTS_SECONDS = _read("SECURE_HSTS_SECONDS", "int", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = _read("SECURE_HSTS_INCLUDE_SUBDOMAINS", "bool", default=not DEBUG)
SECURE_HSTS_PRELOAD = _read("SECURE_HSTS_PRELOAD", "bool", default=not DEBUG)
if _read("USE_X_FORWARDED_PROTO", "bool", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# No inline script or style anywhere; HIT previews are sandboxed iframes with srcdoc.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "frame-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}

# Celery: Redis when REDIS_URL is set, otherwise kombu's file-system transport, which needs no
# server and works across the processes of one machine.
CELERY_QUEUE_DIR = VAR_DIR / "celery"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
else:
    for _folder in ("", "out", "processed", "control"):
        private_files.private_dir(CELERY_QUEUE_DIR / _folder)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_QUEUE_DIR / "out"),
        "data_folder_out": str(CELERY_QUEUE_DIR / "out"),
        "processed_folder": str(CELERY_QUEUE_DIR / "processed"),
        "control_folder": str(CELERY_QUEUE_DIR / "control"),
        "store_processed": False,
        # The folder is listed this often when idle (kombu's default is once a second, a gap
        # that a job of many short tasks pays between every task).
        "polling_interval": 0.1,
    }
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
if env.str("PYTEST_XDIST_WORKER", default=""):
    # Each pytest-xdist worker runs its own Celery worker on a queue of its own.
    CELERY_TASK_DEFAULT_QUEUE += "-" + env.str("PYTEST_XDIST_WORKER")
CELERY_TASK_ALWAYS_EAGER = _read("CELERY_TASK_ALWAYS_EAGER", "bool", default=False)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
BALANCE_REFRESH_SECONDS = _read("BALANCE_REFRESH_SECONDS", "int", default=900)
SYNC_INTERVAL_SECONDS = _read("SYNC_INTERVAL_SECONDS", "int", default=300)
SYNC_THREADS = _read("SYNC_THREADS", "int", default=8)
# Batches: the largest CSV accepted for upload (bytes), and the rows it may hold.
BATCH_CSV_MAX_BYTES = _read("BATCH_CSV_MAX_BYTES", "int", default=50 * 1024 * 1024)
BATCH_CSV_MAX_ROWS = _read("BATCH_CSV_MAX_ROWS", "int", default=100_000)
BATCH_CSV_MAX_COLUMNS = _read("BATCH_CSV_MAX_COLUMNS", "int", default=1000)
# Any request body past this is refused before it is read (the largest upload form's limit,
# and room for the form's other fields).
UPLOAD_MAX_BYTES = _read("UPLOAD_MAX_BYTES", "int", default=BATCH_CSV_MAX_BYTES + 1024 * 1024)
# Larger CSVs are checked in a Celery job instead of the upload's request.
BATCH_CSV_INLINE_BYTES = _read("BATCH_CSV_INLINE_BYTES", "int", default=2 * 1024 * 1024)
NOTIFICATIONS_POLL_SECONDS = _read("NOTIFICATIONS_POLL_SECONDS", "int", default=25)
NOTIFICATIONS_WAIT_SECONDS = _read("NOTIFICATIONS_WAIT_SECONDS", "int", default=20)
# SQS reports who sent a message: MTurk's id, and for local accounts moto's own.
NOTIFICATIONS_SENDER_IDS = _read(
    "NOTIFICATIONS_SENDER_IDS", "list", default=["AIDAIXO4EZE6RHVSXIN4E"]
)
NOTIFICATIONS_LOCAL_SENDER_IDS = _read(
    "NOTIFICATIONS_LOCAL_SENDER_IDS", "list", default=["AIDAIT2UOQQY3AUEKVGXU"]
)
CELERY_BEAT_SCHEDULE = {
    "requesters-refresh-balances": {
        "task": "apps.requesters.tasks.requesters_refresh_balances",
        "schedule": float(BALANCE_REFRESH_SECONDS),
    },
    "sync-all": {
        "task": "apps.sync.tasks.requesters_sync_all_task",
        "schedule": float(SYNC_INTERVAL_SECONDS),
    },
    "review-bonuses-retry": {
        "task": "apps.review.tasks.bonuses_retry_pending_task",
        "schedule": 300.0,
    },
    "review-redundancy": {
        "task": "apps.review.tasks.redundancy_rules_task",
        "schedule": 300.0,
    },
    "review-auto-rules": {
        "task": "apps.review.tasks.auto_review_rules_task",
        "schedule": 600.0,
    },
    "batches-waves": {
        "task": "apps.batches.tasks.batch_waves_task",
        "schedule": 60.0,
    },
    # Studies: judge the completion codes handed in, approve the valid ones where asked.
    "studies-check": {
        "task": "apps.studies.tasks.studies_check_task",
        "schedule": 30.0,
    },
    "notifications-poll-all": {
        "task": "apps.notifications.tasks.notifications_poll_all",
        "schedule": float(NOTIFICATIONS_POLL_SECONDS),
    },
}

# The MTurk gateway. An account calls only MTurk's own endpoint for its environment, a local
# account the local MTurk, and any account an origin the operator lists here (glob patterns,
# such as http://127.0.0.1:*; see apps/mturk/endpoints.py). The same for SQS queues.
MTURK_LOCAL_ENDPOINT = env.str("MTURK_LOCAL_ENDPOINT", default="http://127.0.0.1:8001")
# Where people's browsers reach the local MTurk, when the dashboard calls it by a name only its
# own containers know (http://emulator:8001 in docker-compose): previews load its crowd script.
MTURK_LOCAL_PUBLIC_URL = env.str("MTURK_LOCAL_PUBLIC_URL", default="")
MTURK_ENDPOINTS_ALLOWED = _read("MTURK_ENDPOINTS_ALLOWED", "list", default=[])
SQS_LOCAL_ENDPOINT = env.str("SQS_LOCAL_ENDPOINT", default="http://127.0.0.1:8002")
SQS_ENDPOINTS_ALLOWED = _read("SQS_ENDPOINTS_ALLOWED", "list", default=[])
MTURK_CONNECT_TIMEOUT = _read("MTURK_CONNECT_TIMEOUT", "float", default=5.0)
MTURK_READ_TIMEOUT = _read("MTURK_READ_TIMEOUT", "float", default=30.0)
MTURK_MAX_ATTEMPTS = _read("MTURK_MAX_ATTEMPTS", "int", default=5)
MTURK_BALANCE_CACHE_SECONDS = _read("MTURK_BALANCE_CACHE_SECONDS", "int", default=60)
MTURK_RATE_LIMIT_DIR = VAR_DIR / "ratelimit"

# Credentials stored in the database are encrypted with these Fernet keys (the first encrypts,
# all decrypt, so keys can be rotated). Without it, a key derived from SECRET_KEY is used; in
# development (DEBUG, whose SECRET_KEY is the same everywhere) a key of this install's own,
# made on first start in var/credentials.key.
CREDENTIALS_KEYS = [key for key in _read("CREDENTIALS_KEYS", "list", default=[]) if key]
CREDENTIALS_KEY_FILE = ""
if not CREDENTIALS_KEYS and DEBUG:
    CREDENTIALS_KEY_FILE = str(VAR_DIR / "credentials.key")
    CREDENTIALS_KEYS = [private_files.fernet_key_file(Path(CREDENTIALS_KEY_FILE))]
# Account admins may name where credentials come from (environment variables, AWS profiles)
# only when the name matches one of these glob patterns (MTURK_*); site administrators
# (superusers) may name any. Empty: only superusers.
CREDENTIALS_ENV_ALLOWED = _read("CREDENTIALS_ENV_ALLOWED", "list", default=[])
CREDENTIALS_PROFILES_ALLOWED = _read("CREDENTIALS_PROFILES_ALLOWED", "list", default=[])

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"refusals": {"()": "mturkdash.logfilters.RefusalsWithoutTraceback"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # A refused request (403, 404) is one line saying why, without a traceback.
        "django.request": {"filters": ["refusals"]},
        "botocore": {"level": "WARNING"},
        "urllib3": {"level": "WARNING"},
    },
}
