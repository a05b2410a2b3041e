"""The one settings module. Every difference between environments comes from env variables.

Every variable read here is documented in `.env.example`. The helpers fail loudly on malformed
values (healthchecks' envbool/envint style) so a typo never silently becomes a default.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name, "")
    if value == "":
        return default
    if value.lower() in ("true", "1", "yes"):
        return True
    if value.lower() in ("false", "0", "no"):
        return False
    raise ImproperlyConfigured(f"{name} must be True or False, not {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    if value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {value!r}") from None


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name, "")
    if value == "":
        return default
    try:
        number = float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, not {value!r}") from None
    if not number > 0:
        raise ImproperlyConfigured(f"{name} must be above 0, not {value!r}")
    return number


def env_secret(name: str, default: str = "") -> str:
    """Read NAME_FILE (a path, for Docker/K8s secrets) first, then NAME."""
    path = os.environ.get(f"{name}_FILE", "")
    if path:
        try:
            return Path(path).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={path!r} is not readable: {exc}") from exc
    return os.environ.get(name, default)


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


VAR_DIR = Path(env_str("CONSOLE_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DJANGO_DEBUG", False)
SECRET_KEY = env_secret("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG and env_bool("DJANGO_REQUIRE_SECRET_KEY", False):
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set in production")
    # Local runs and tests: a fixed, obviously insecure key. Production sets the variable.
    SECRET_KEY = "django-insecure-local-only-" + "0" * 40
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

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
    "objects_app",
    "axes",  # login throttling (issue 15)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "objects_app.middleware.ErrorMappingMiddleware",
    "objects_app.middleware.SecurityHeadersMiddleware",  # console area (issue 5)
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks (issue 15)
]

ROOT_URLCONF = "console.urls"
WSGI_APPLICATION = "console.wsgi.application"

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
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'console.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server read while the worker writes job progress.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# django-axes first: a locked-out user or address is refused before any password is hashed.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "objects:bucket-list"
LOGOUT_REDIRECT_URL = "login"

# The console speaks English and Simplified Chinese: the browser's Accept-Language picks one, the
# switch in the header overrides it (remembered in a cookie). Dates and numbers follow it.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# Refusals Django makes before any view (stale CSRF token) use the console's error page too.
CSRF_FAILURE_VIEW = "objects_app.views.errors.csrf_failure"
# A selection of a full 1,000-row page posts 1,000 keys (plus a few fields); larger selections
# ("select all matching") are sent as a prefix and go through the batch-delete job.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2100

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("DJANGO_STATIC_ROOT", str(BASE_DIR / "staticfiles")))
# Serve from the app/static dirs too, so a missing collectstatic never means an unstyled page.
WHITENOISE_USE_FINDERS = True

# Security headers; the HTTPS-only ones are switched on by DJANGO_SECURE (production).
SECURE = env_bool("DJANGO_SECURE", False)
SECURE_SSL_REDIRECT = SECURE
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31536000 if SECURE else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE
SECURE_HSTS_PRELOAD = SECURE
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if SECURE else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

# COS: the only settings `objects_app.storage.get_cos_client()` reads.
COS_SECRET_ID = env_secret("COS_SECRET_ID")
COS_SECRET_KEY = env_secret("COS_SECRET_KEY")
COS_TOKEN = env_secret("COS_TOKEN")
COS_REGION = env_str("COS_REGION", "ap-guangzhou")
COS_APPID = env_str("COS_APPID", "1250000000")
COS_ENDPOINT = env_str("COS_ENDPOINT")
COS_IP = env_str("COS_IP")
COS_PORT = env_int("COS_PORT", 0)
COS_SCHEME = env_str("COS_SCHEME", "https")
# Where browsers reach COS when the console itself connects by COS_IP (coslocal under `make run`).
COS_PUBLIC_ENDPOINT = env_str("COS_PUBLIC_ENDPOINT")
COS_CONNECT_TIMEOUT = env_int("COS_CONNECT_TIMEOUT", 10)
COS_READ_TIMEOUT = env_int("COS_READ_TIMEOUT", 60)
if COS_SECRET_ID and not COS_SECRET_KEY:
    raise ImproperlyConfigured("COS_SECRET_KEY must be set when COS_SECRET_ID is")
if COS_SCHEME not in ("http", "https"):
    raise ImproperlyConfigured(f"COS_SCHEME must be http or https, not {COS_SCHEME!r}")

# Celery: broker on Redis; progress lives in Job rows, not in the result backend.
REDIS_URL = env_str("REDIS_URL", f"redis://127.0.0.1:{env_int('REDIS_PORT', 6379)}/0")
CELERY_BROKER_URL = REDIS_URL
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 3000)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 3600)
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_TASK_TIME_LIMIT + 600}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "console")

# Console behaviour.
CONSOLE_PAGE_SIZES = [50, 100, 200, 500, 1000]
CONSOLE_DEFAULT_PAGE_SIZE = env_int("CONSOLE_DEFAULT_PAGE_SIZE", 100)
CONSOLE_MAX_SHARE_SECONDS = env_int("CONSOLE_MAX_SHARE_SECONDS", 7 * 24 * 3600)
CONSOLE_UPLOAD_STAGING_DIR = Path(env_str("CONSOLE_UPLOAD_STAGING_DIR", str(VAR_DIR / "staging")))
CONSOLE_DIRECT_UPLOAD_MAX_BYTES = env_int("CONSOLE_DIRECT_UPLOAD_MAX_BYTES", 64 * 1024 * 1024)
CONSOLE_PROTECTED_PREFIXES = env_list("CONSOLE_PROTECTED_PREFIXES")

# --- Console area (issue 5): downloads, previews, share links, security headers ---
# True: downloads redirect to a short-lived presigned URL instead of streaming through the server.
CONSOLE_DOWNLOAD_REDIRECT = env_bool("CONSOLE_DOWNLOAD_REDIRECT", False)
CONSOLE_DOWNLOAD_REDIRECT_SECONDS = env_int("CONSOLE_DOWNLOAD_REDIRECT_SECONDS", 300)
# Text previews read at most this many bytes (one ranged GET).
CONSOLE_PREVIEW_MAX_BYTES = env_int("CONSOLE_PREVIEW_MAX_BYTES", 64 * 1024)
CONSOLE_AUDIT_PAGE_SIZE = env_int("CONSOLE_AUDIT_PAGE_SIZE", 50)
# Sent on every console page; scripts only from our own origin (no inline scripts anywhere).
CONSOLE_CONTENT_SECURITY_POLICY = env_str("CONSOLE_CONTENT_SECURITY_POLICY") or (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)

# --- Jobs (objects_app/jobs, docs/jobs.md): batch deletes, large uploads, counts, aborts ---
# A running job's worker beats every few seconds (a thread); with no beat for this long the
# worker is presumed dead and the sweep queues the job again (a chunk arriving does at once).
CONSOLE_JOB_STALE_SECONDS = env_int("CONSOLE_JOB_STALE_SECONDS", 30)
# A job whose runs keep dying is failed after this many such restarts by the sweep.
CONSOLE_JOB_MAX_RESCUES = env_int("CONSOLE_JOB_MAX_RESCUES", 20)
# Retention of the per-item report: done items are kept this long after the job ended, failed
# and skipped ones (the report) for CONSOLE_JOB_REPORT_KEEP_DAYS.
CONSOLE_JOB_ITEMS_KEEP_HOURS = env_int("CONSOLE_JOB_ITEMS_KEEP_HOURS", 24)
CONSOLE_JOB_REPORT_KEEP_DAYS = env_int("CONSOLE_JOB_REPORT_KEEP_DAYS", 30)
# A dry run nobody confirms expires after this long (what it found may have changed).
CONSOLE_JOB_PLAN_TTL_SECONDS = env_int("CONSOLE_JOB_PLAN_TTL_SECONDS", 24 * 3600)
# How often celery beat runs the sweep.
CONSOLE_JOB_SWEEP_SECONDS = env_int("CONSOLE_JOB_SWEEP_SECONDS", 10)
# A job task works this long, then hands the rest to a fresh message (short tasks, fair queue).
CONSOLE_JOB_SLICE_SECONDS = env_int("CONSOLE_JOB_SLICE_SECONDS", 60)
# Modules of job kinds beyond the built-in ones (each registers itself), comma-separated.
CONSOLE_JOB_KINDS_EXTRA = env_list("CONSOLE_JOB_KINDS_EXTRA")
# Large uploads: the browser's chunk size, which is also the multipart part size (grown for
# files that would need more than 10,000 parts), and the parts the worker sends at once. Each
# chunk is one request with its fixed cost (session, role, job, counting): 16 MiB keeps that
# small beside the bytes.
CONSOLE_UPLOAD_CHUNK_BYTES = env_int("CONSOLE_UPLOAD_CHUNK_BYTES", 16 * 1024 * 1024)
CONSOLE_UPLOAD_THREADS = env_int("CONSOLE_UPLOAD_THREADS", 4)
# A chunk request waits (up to 10 s) while this many chunks are staged and not yet in COS: it
# bounds staging per upload and keeps staged bytes in the page cache until the worker reads them.
CONSOLE_UPLOAD_WINDOW_CHUNKS = env_int("CONSOLE_UPLOAD_WINDOW_CHUNKS", 8)
# Chunks a browser sends at once: they are received in parallel (by different web processes),
# and counted in order.
CONSOLE_UPLOAD_AHEAD_CHUNKS = env_int("CONSOLE_UPLOAD_AHEAD_CHUNKS", 2)
# With no new chunk for this long, the worker hands the upload back; the next chunk requeues it.
CONSOLE_UPLOAD_IDLE_SECONDS = env_int("CONSOLE_UPLOAD_IDLE_SECONDS", 15)
# delete_objects calls (1,000 keys each) in flight at once per batch-delete job.
CONSOLE_DELETE_PARALLEL = env_int("CONSOLE_DELETE_PARALLEL", 4)
# Abort (and ListParts) calls in flight at once per abort-unfinished-uploads job.
CONSOLE_ABORT_PARALLEL = env_int("CONSOLE_ABORT_PARALLEL", 8)
# Keys a folder rewind works on at once (a check of the key's latest entry, then a copy or a
# delete marker each).
CONSOLE_REWIND_PARALLEL = env_int("CONSOLE_REWIND_PARALLEL", 8)

# --- Archive restores (issue 14) ---
# A storage-class-filtered listing page looks at most this many entries before it shows what it
# found and offers to continue (COS cannot filter listings by class).
CONSOLE_CLASS_FILTER_SCAN_MAX = env_int("CONSOLE_CLASS_FILTER_SCAN_MAX", 10_000)
# The listing's restore column: keys HEADed per lazy request, and how many HEADs run at once.
CONSOLE_RESTORE_STATE_BATCH = env_int("CONSOLE_RESTORE_STATE_BATCH", 100)
CONSOLE_RESTORE_STATE_THREADS = env_int("CONSOLE_RESTORE_STATE_THREADS", 16)
# A CSV of keys to restore: refused above this size, or with more lines than this.
CONSOLE_RESTORE_CSV_MAX_BYTES = env_int("CONSOLE_RESTORE_CSV_MAX_BYTES", 16 * 1024 * 1024)
CONSOLE_RESTORE_CSV_MAX_LINES = env_int("CONSOLE_RESTORE_CSV_MAX_LINES", 100_000)
# Restore requests a campaign sends per second unless its planner chose otherwise, and the most
# a planner may choose (COS serves 100 a second; raise it only where COS raised your quota).
CONSOLE_RESTORE_RATE = env_int("CONSOLE_RESTORE_RATE", 50)
CONSOLE_RESTORE_MAX_RATE = env_int("CONSOLE_RESTORE_MAX_RATE", 100)
# COS calls (restore requests, HEADs, copies) one campaign has in flight at once.
CONSOLE_RESTORE_THREADS = env_int("CONSOLE_RESTORE_THREADS", 16)
# Following a restore: at most one HEAD per object per CONSOLE_RESTORE_POLL_SECONDS, the first
# when COS's documented time is near, then backing off up to CONSOLE_RESTORE_POLL_MAX_SECONDS.
CONSOLE_RESTORE_POLL_SECONDS = env_int("CONSOLE_RESTORE_POLL_SECONDS", 300)
CONSOLE_RESTORE_POLL_MAX_SECONDS = env_int("CONSOLE_RESTORE_POLL_MAX_SECONDS", 3600)
# COS time runs this many times faster (only for demos against coslocal --time-scale): the
# documented restore times the console waits for and shows are divided by it.
CONSOLE_RESTORE_TIME_SCALE = env_float("CONSOLE_RESTORE_TIME_SCALE", 1.0)

# --- Email (optional): a campaign's owner is told by email when it is ready, if this is set ---
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "") or "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = env_str("EMAIL_HOST", "")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_secret("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", "") or str(VAR_DIR / "mail")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "") or "cos-console@localhost"
# Email counts as configured when a host or a backend was given.
CONSOLE_EMAIL_ENABLED = bool(EMAIL_HOST or env_str("EMAIL_BACKEND", ""))
# The console's address as users reach it (https://console.example.com), for links in emails.
CONSOLE_PUBLIC_URL = env_str("CONSOLE_PUBLIC_URL", "")
# --- Permissions area (issue 13): ACLs, bucket policies, the public-exposure audit ---
# The CAM principal COS_SECRET_ID acts as when it is not the bucket owner's root account, e.g.
# qcs::cam::uin/100000000001:uin/100000000011: a bucket policy that would deny it the means to
# undo the policy is refused. Empty: the bucket owner's root account.
CONSOLE_COS_PRINCIPAL = env_str("CONSOLE_COS_PRINCIPAL")
if CONSOLE_COS_PRINCIPAL and not re.fullmatch(r"qcs::cam::uin/\d+:uin/\d+", CONSOLE_COS_PRINCIPAL):
    raise ImproperlyConfigured(
        "CONSOLE_COS_PRINCIPAL must look like qcs::cam::uin/<root uin>:uin/<uin>"
    )
# Public-exposure audits: ACL reads in flight per audit, and at most this many per second (the
# rate halves when COS answers 503 SlowDown and climbs back slowly).
CONSOLE_EXPOSURE_THREADS = env_int("CONSOLE_EXPOSURE_THREADS", 8)
CONSOLE_EXPOSURE_RATE = env_int("CONSOLE_EXPOSURE_RATE", 300)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("CONSOLE_LOG_LEVEL", "INFO")},
    "loggers": {"objects_app.cos": {"level": env_str("COS_LOG_LEVEL", "INFO")}},
}

# --- Login throttling (issue 15): django-axes ---
# After this many failed logins for one username, or from one address, that username or address
# is locked out for CONSOLE_LOGIN_COOLOFF_MINUTES (0: until an administrator unlocks it in the
# admin's "Access attempts", or with `manage.py axes_reset_username NAME` / `axes_reset_ip IP`).
AXES_FAILURE_LIMIT = env_int("CONSOLE_LOGIN_FAILURE_LIMIT", 5)
_COOLOFF_MINUTES = env_int("CONSOLE_LOGIN_COOLOFF_MINUTES", 15)
AXES_COOLOFF_TIME = timedelta(minutes=_COOLOFF_MINUTES) if _COOLOFF_MINUTES else None
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # each on its own, not the pair
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "console.lockout.lockout_response"
# The audit trail: every failure stays in AccessFailureLog even after an unlock.
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_ACCESS_FAILURE_LOG_PER_USER_LIMIT = env_int("CONSOLE_LOGIN_FAILURE_LOG_PER_USER", 1000)
# The client address is REMOTE_ADDR only: a header such as X-Forwarded-For is the caller's to forge.
AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)

# --- Serving (issue 15): granian + Django ASGI, see stack/web.py ---
# A request whose headers, or whose body, stall this long is dropped: a slow client costs a
# coroutine for at most this long, never a worker thread.
CONSOLE_HEADER_READ_TIMEOUT = env_int("CONSOLE_HEADER_READ_TIMEOUT", 10)
CONSOLE_BODY_READ_TIMEOUT = env_int("CONSOLE_BODY_READ_TIMEOUT", 30)
