"""Quarterdeck settings.

This is the only module that reads the environment (through django-environ). Every value has a
safe development default except the ones production must choose (SECRET_KEY and ALLOWED_HOSTS
when DEBUG is off). A wrong value stops start-up with ImproperlyConfigured naming the variable.
See .env.example for the full list.
"""

from __future__ import annotations

import zoneinfo
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
# Local state of a development install: the SQLite file, the embedded broker's folders, the
# demo mailbox and collected static files. Never committed.
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")


def _read(name: str, reader: Any, **kwargs: Any) -> Any:
    """Read one variable, turning any parse error into a message that names it."""
    try:
        return reader(name, **kwargs)
    except ImproperlyConfigured:
        raise
    except Exception as exc:  # environ raises ValueError, KeyError, ... depending on the type
        raise ImproperlyConfigured(f"{name} is not valid: {exc}") from exc


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _bool(name: str, default: bool) -> bool:
    """Strict: a typo such as DEBUG=ture is an error, not a silent False."""
    raw = env.str(name, default=str(default)).strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false (1/0, yes/no, on/off), not {raw!r}.")


DEBUG: bool = _bool("DEBUG", default=False)

SECRET_KEY: str = _read("SECRET_KEY", env.str, default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"

ALLOWED_HOSTS: list[str] = _read(
    "ALLOWED_HOSTS", env.list, default=["127.0.0.1", "localhost"] if DEBUG else []
)
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is off.")

# Absolute address of the site, used for links in emails (which have no request to build from).
SITE_URL: str = _read("SITE_URL", env.str, default="http://127.0.0.1:8000").rstrip("/")
if urlparse(SITE_URL).scheme not in ("http", "https"):
    raise ImproperlyConfigured("SITE_URL must start with http:// or https://.")

TIME_ZONE: str = _read("TIME_ZONE", env.str, default="UTC")
try:
    zoneinfo.ZoneInfo(TIME_ZONE)
except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
    raise ImproperlyConfigured(f"TIME_ZONE is not a known time zone: {TIME_ZONE!r}") from exc
USE_TZ = True
LANGUAGE_CODE = "en-gb"
USE_I18N = False

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "rules.apps.AutodiscoverRulesConfig",
    "axes",
    "accounts",
    "okrs",
    "cycles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Anonymous visitors see only the pages marked @login_not_required (sign-in, password
    # reset, invitation links, /healthz).
    "accounts.middleware.SignInRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "config.middleware.VaryOnHtmxMiddleware",
    # Last, as django-axes asks: it turns a lock-out into the lock-out page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.context_processors.site",
            ],
            "builtins": ["template_partials.templatetags.partials"],
        },
    }
]

# Database ------------------------------------------------------------------------------------
# Default: an SQLite file, so a first run needs no server. WAL and IMMEDIATE transactions let the
# demo's web server and worker write to it side by side without "database is locked" errors.
DATABASES = {
    "default": _read(
        "DATABASE_URL", env.db_url, default=f"sqlite:///{VAR_DIR / 'quarterdeck.sqlite3'}"
    )
}
if "ENGINE" not in DATABASES["default"]:
    raise ImproperlyConfigured(
        "DATABASE_URL must look like postgres://user@host:5432/name or sqlite:///path/file."
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = _read("CONN_MAX_AGE", env.int, default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # No JIT: recursive queries (the alignment tree's subtrees) carry huge, wrong cost
    # estimates, and PostgreSQL then spends about a second compiling a query that runs in a
    # millisecond (bench/tree.py). Short web queries never gain from it.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
else:
    raise ImproperlyConfigured(
        "DATABASE_URL must point at PostgreSQL (postgres://...) or SQLite (sqlite:///...)."
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis: broker and cache -----------------------------------------------------------------------
REDIS_URL: str = _read("REDIS_URL", env.str, default="")
if REDIS_URL and urlparse(REDIS_URL).scheme not in ("redis", "rediss", "unix"):
    raise ImproperlyConfigured("REDIS_URL must start with redis://, rediss:// or unix://.")

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, Any] = {
        # A message a dead worker held comes back after this long. Lost or stuck outbox rows are
        # recovered sooner by the sweeper (accounts.tasks.sweep_outbox), so this can stay long:
        # a short one would redeliver slow tasks that are still running.
        "visibility_timeout": 3600,
        # kombu >= 5.7: look for unacknowledged messages to restore every 10 s, not every ~100 s.
        "unacked_restore_interval": 10,
        "unacked_restore_throttle": 1,
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # Embedded broker: kombu's filesystem transport, so `make demo` needs no Redis. It is a
    # broker only; results are ignored below. See ../shared/reference/embedded-broker.md.
    BROKER_DIR = VAR_DIR / "broker"
    # The filesystem transport needs its folders before a worker or a web process sends.
    for _folder in ("queue", "processed", "control"):
        (BROKER_DIR / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }

CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# Tasks are idempotent; acknowledge only after they ran, and hand the message back when the
# process running it dies, so a killed worker does not lose work.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 120
CELERY_TASK_SOFT_TIME_LIMIT = 90
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# How often beat runs the periodic jobs, and how the outbox retries. The defaults are production's;
# the integration tests shorten them (through the environment of the worker they start) so that
# a real worker recovers within seconds, by the same mechanism.
OUTBOX_SWEEP_SECONDS: float = _read("OUTBOX_SWEEP_SECONDS", env.float, default=60.0)
OUTBOX_STUCK_AFTER_SECONDS: int = _read("OUTBOX_STUCK_AFTER_SECONDS", env.int, default=60)
OUTBOX_RETRY_DELAYS: list[int] = [
    int(v)
    for v in _read(
        "OUTBOX_RETRY_DELAYS", env.list, default=["30", "60", "120", "300", "600", "900"]
    )
]
REMINDER_DISPATCH_SECONDS: float = _read("REMINDER_DISPATCH_SECONDS", env.float, default=120.0)
if (
    min(OUTBOX_SWEEP_SECONDS, OUTBOX_STUCK_AFTER_SECONDS, REMINDER_DISPATCH_SECONDS) <= 0
    or min(OUTBOX_RETRY_DELAYS, default=0) <= 0
):
    raise ImproperlyConfigured(
        "OUTBOX_SWEEP_SECONDS, OUTBOX_STUCK_AFTER_SECONDS, REMINDER_DISPATCH_SECONDS and every "
        "OUTBOX_RETRY_DELAYS entry must be positive."
    )
CELERY_BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    "sweep-outbox": {
        # Re-queues emails whose task was lost (broker restarted, worker killed).
        "task": "accounts.tasks.sweep_outbox",
        "schedule": OUTBOX_SWEEP_SECONDS,
    },
    "dispatch-reminders": {
        # Check-in reminders: whoever's due time has come (cycles.services.reminders_dispatch).
        # Idempotent, so a second beat or a late run sends nothing twice.
        "task": "cycles.tasks.dispatch_reminders",
        "schedule": REMINDER_DISPATCH_SECONDS,
    },
    "dispatch-lead-digests": {
        # One digest per lead per unit per due date, a day after the due date.
        "task": "cycles.tasks.dispatch_lead_digests",
        "schedule": REMINDER_DISPATCH_SECONDS,
    },
    "advance-cycle-phases": {
        # Daily, just after midnight: cycles move forward to the phase their dates give (never
        # back; a phase an org admin holds stays). Idempotent: a second run changes nothing.
        "task": "cycles.tasks.advance_cycle_phases",
        "schedule": crontab(minute=5, hour=0),
    },
    "prune-tree-changes": {
        # The alignment tree counts its change log on every page; this keeps it short without
        # changing the count (okrs.tree_memo.prune).
        "task": "okrs.tasks.prune_tree_changes",
        "schedule": 300,
    },
    "send-score-due-notices": {
        # Daily: owners of delayed-payback key results whose window has ended, once each.
        "task": "cycles.tasks.send_score_due_notices",
        "schedule": crontab(minute=15, hour=7),
    },
}

# Email ---------------------------------------------------------------------------------------
# Default: a local mailbox (one .eml file per message under var/mailbox) that the demo shows at
# /mailbox/ while DEBUG is on. Otherwise a django-environ email URL: smtp://user:pass@host:25,
# smtp+tls://..., consolemail://.
EMAIL_URL: str = _read("EMAIL_URL", env.str, default="mailbox:")
if EMAIL_URL.startswith("mailbox:"):
    EMAIL_BACKEND = "config.mailbox.MailboxBackend"
else:
    try:
        _email_config = env.email_url_config(EMAIL_URL)
    except Exception as exc:
        raise ImproperlyConfigured(f"EMAIL_URL is not valid: {exc}") from exc
    if "EMAIL_BACKEND" not in _email_config:
        raise ImproperlyConfigured(f"EMAIL_URL has an unknown scheme: {EMAIL_URL!r}")
    vars().update(_email_config)
MAILBOX_DIR = VAR_DIR / "mailbox"
EMAIL_TIMEOUT = 20
DEFAULT_FROM_EMAIL: str = _read(
    "DEFAULT_FROM_EMAIL", env.str, default="Quarterdeck <quarterdeck@localhost>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Accounts and sign-in ------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # Throttles sign-in before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    # Object-level rules from accounts/rules.py.
    "rules.permissions.ObjectPermissionBackend",
    "accounts.backends.PasswordBackend",
]
LOGIN_URL = "accounts:sign-in"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:sign-in"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24  # a reset link works for a day
INVITATION_MAX_AGE = timedelta(days=7)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Five failed sign-ins for one email from one address lock that pair out for 15 minutes.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_USERNAME_FORM_FIELD = "username"
AXES_VERBOSE = False

# Security ------------------------------------------------------------------------------------
# Production (DEBUG off) is HTTPS-only; `manage.py check --deploy --fail-level WARNING` passes.
SECURE_SSL_REDIRECT: bool = _bool("SECURE_SSL_REDIRECT", default=not DEBUG)
if _bool("USE_X_FORWARDED_PROTO", default=False):
    # Only behind a proxy that sets the header itself; otherwise clients could forge it.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True  # the token reaches htmx through <body hx-headers>, not the cookie
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_TRUSTED_ORIGINS: list[str] = _read("CSRF_TRUSTED_ORIGINS", env.list, default=[])
SECURE_HSTS_SECONDS = 0 if DEBUG else 31_536_000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
    }
}

# Static files --------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "axes": {"level": "WARNING"},
    },
}
