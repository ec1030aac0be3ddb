"""Settings, read from the environment (see .env.example).

Without DATABASE_URL the project runs on a local SQLite file, configured so that it is also
correct under concurrency (IMMEDIATE transactions, WAL, a busy timeout). PostgreSQL is the
production database and the one the concurrency tests prove.
"""

import os
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from config.logging import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# .env (git-ignored; docker compose reads the same file) fills in what the environment does not
# set. The test settings point DJANGO_ENV_FILE at nothing: the suite reads no .env.
environ.Env.read_env(os.environ.get("DJANGO_ENV_FILE", BASE_DIR / ".env"), overwrite=False)

DEBUG = env.bool("DEBUG", default=False)


def is_placeholder(value: str) -> bool:
    """A value still as .env.example ships it: ``change-me…`` satisfies compose's ``${VAR:?}``
    guards, so it is refused here instead of running with a published secret (DEBUG: unset)."""
    return value.startswith("change-me")


SECRET_KEY = env("SECRET_KEY", default="")
_placeholders = ["SECRET_KEY"] if is_placeholder(SECRET_KEY) else []
if DEBUG and _placeholders:
    SECRET_KEY = ""
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
CSRF_FAILURE_VIEW = "config.errors.csrf_failure"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "corsheaders",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and ReDoc served from our static files, not a CDN
    "accounts",
    "venues",
    "ticketing",
]

MIDDLEWARE = [
    "config.middleware.RequestIdMiddleware",  # first: every later log line carries the id
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "config.middleware.BodySizeLimitMiddleware",  # 413 JSON before anything reads a big body
    "config.middleware.JsonBodyMiddleware",  # every API JSON body through the one parse step
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# What DATABASE_URL points at: PostgreSQL itself (empty) or PgBouncer in transaction mode.
DB_POOLER = env("DB_POOLER", default="")
if DB_POOLER not in ("", "pgbouncer"):
    raise ImproperlyConfigured(f"DB_POOLER={DB_POOLER!r}: only 'pgbouncer' (or empty) is known.")
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
_db = DATABASES["default"]
if is_placeholder(str(_db.get("PASSWORD") or "")):  # compose builds it from POSTGRES_PASSWORD
    _placeholders.append("DATABASE_URL's password (POSTGRES_PASSWORD)")
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # Every transaction takes the write lock at BEGIN: writers are serialised, so the embedded
    # default never double-sells either (select_for_update() is a no-op on SQLite).
    _db["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": env.int("SQLITE_BUSY_TIMEOUT_SECONDS", default=20),
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    # Persistent connections (3.5x faster than reconnecting) with a health check, so a
    # PostgreSQL restart costs no failed request. Every wait is bounded on the server side.
    _db["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    _db["CONN_HEALTH_CHECKS"] = True
    _db.setdefault("OPTIONS", {})
    # Row lock waits are bounded for the whole session by TICKETING_LOCK_TIMEOUT_MS (below);
    # ticketing.locking only issues SET LOCAL when the setting differs from this value.
    _db["LOCK_TIMEOUT_MS"] = env.int("TICKETING_LOCK_TIMEOUT_MS", default=2000)
    # Every session's defaults; `manage.py set_database_timeouts` writes them for a pooler.
    _idle_ms = env.int("DB_IDLE_IN_TRANSACTION_TIMEOUT_MS", default=5000)
    _db["SESSION_DEFAULTS"] = {
        "lock_timeout": f"{_db['LOCK_TIMEOUT_MS']}ms",
        "statement_timeout": f"{env.int('DB_STATEMENT_TIMEOUT_MS', default=30000)}ms",
        "idle_in_transaction_session_timeout": f"{_idle_ms}ms",
    }
    if DB_POOLER == "pgbouncer":
        # PgBouncer in transaction mode (DESIGN.md §9) refuses the `options` startup parameter
        # and hands each transaction any server connection: the defaults above are the
        # database's own (ALTER DATABASE ... SET, by set_database_timeouts, which also sets
        # TimeZone so that Django needs no SET on connect), and no cursor outlives a transaction.
        _db["DISABLE_SERVER_SIDE_CURSORS"] = True
        _db["SESSION_DEFAULTS"]["TimeZone"] = "UTC"
    else:
        _db["OPTIONS"]["options"] = " ".join(
            f"-c {name}={value}" for name, value in _db["SESSION_DEFAULTS"].items()
        )
    # A database that does not answer at all (network trouble) fails the connect in seconds.
    _db["OPTIONS"]["connect_timeout"] = env.int("DB_CONNECT_TIMEOUT_SECONDS", default=5)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Where `collectstatic` writes and whitenoise serves from (the benchmarks collect into a temp dir).
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Whitenoise's hashed + compressed files, with the web client's ES module imports
        # rewritten to the hashed names as well.
        "BACKEND": "ticketing.web.ModuleManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# Throttle counters live here: locmem is per process, so with several gunicorn workers (or
# machines) set CACHE_URL=redis://127.0.0.1:6379/0 for one shared count (needs `redis`).
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}
CACHES["default"]["KEY_PREFIX"] = env("CACHE_KEY_PREFIX", default="ticketing")

# --- Security (production posture; a TLS-terminating proxy sets X-Forwarded-Proto) ------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
# Preload asks browsers to ship the domain as HTTPS-only; opting out is a deliberate choice,
# so the deployment check's reminder is silenced then.
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2 * 1024 * 1024)
# Deepest JSON an API body may nest (config/parsers.py); the deepest valid body has 4 levels.
API_JSON_MAX_DEPTH = 20

CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/(api/|healthz).*$"
CORS_EXPOSE_HEADERS = ["ETag", "Retry-After"]

# --- API ------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "config.authentication.AccessTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_PARSER_CLASSES": ["config.parsers.HardenedJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "config.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "config.errors.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "config.openapi.ApiAutoSchema",
    "DEFAULT_THROTTLE_RATES": {
        "login": env("THROTTLE_LOGIN", default="30/min"),
        "register": env("THROTTLE_REGISTER", default="20/hour"),
        "hold": env("THROTTLE_HOLD", default="120/min"),
        "book": env("THROTTLE_BOOK", default="60/min"),
    },
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # Proxies in front of the app that append to X-Forwarded-For (0: use REMOTE_ADDR only, so a
    # client cannot pick its own throttle bucket by sending that header).
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
}

_jwt_signing_key = env("JWT_SIGNING_KEY", default="")
if is_placeholder(_jwt_signing_key):
    _placeholders.append("JWT_SIGNING_KEY")
    _jwt_signing_key = ""
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=1)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "SIGNING_KEY": _jwt_signing_key or SECRET_KEY,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Reserved-seat ticketing API",
    "DESCRIPTION": "Seats for volleyball matches and shows: hold, book, never double-sell.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # /api/v1/docs/ works offline: Swagger UI's files come from drf-spectacular-sidecar.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models have a "status" or "kind": name each choice set once, explicitly.
    "ENUM_NAME_OVERRIDES": {
        "VenueKindEnum": "venues.models.VenueKind",
        "EventKindEnum": "ticketing.models.events.EventKind",
        "EventStatusEnum": "ticketing.models.events.EventStatus",
        "NewEventStatusEnum": [("draft", "Draft"), ("on_sale", "On sale")],
        "SeatStatusEnum": "ticketing.models.inventory.SeatStatus",
        "HoldStatusEnum": "ticketing.models.holds.HoldStatus",
        "BookingStatusEnum": "ticketing.models.bookings.BookingStatus",
        "TicketStatusEnum": "ticketing.models.bookings.TicketStatus",
        "SeasonStatusEnum": "ticketing.models.seasons.SeasonStatus",
    },
}

# --- Ticketing ------------------------------------------------------------------------------
TICKETING_HOLD_SECONDS = env.int("TICKETING_HOLD_SECONDS", default=600)
TICKETING_MAX_SEATS_PER_HOLD = env.int("TICKETING_MAX_SEATS_PER_HOLD", default=10)
TICKETING_MAX_SEATS_PER_BUYER = env.int("TICKETING_MAX_SEATS_PER_BUYER", default=10)
# A hold's pre-check (whose refusals are most answers of an on-sale) may use an event row its
# process read this long ago; the hold itself always reads it afresh (ticketing/api/events.py).
TICKETING_EVENT_TRUST_SECONDS = env.float("TICKETING_EVENT_TRUST_SECONDS", default=1.0)
# How long a request waits for a seat row lock before answering 503 busy.
TICKETING_LOCK_TIMEOUT_MS = env.int("TICKETING_LOCK_TIMEOUT_MS", default=2000)
TICKETING_RETRY_AFTER_SECONDS = env.int("TICKETING_RETRY_AFTER_SECONDS", default=1)
TICKETING_IDEMPOTENCY_TTL_HOURS = env.int("TICKETING_IDEMPOTENCY_TTL_HOURS", default=24)
TICKETING_MAX_LAYOUT_SEATS = 100_000
# The live seat stream (SPEC §8, ticketing/services/stream.py). GRIP_URL: the GRIP proxy's
# publish endpoint and signing key, e.g. http://127.0.0.1:5561?key=<Pushpin's sig_key>; unset,
# the stream endpoint answers 204 and the web client polls the map.
GRIP_URL = env("GRIP_URL", default="")
if "key=change-me" in GRIP_URL:  # compose builds it from GRIP_KEY
    _placeholders.append("GRIP_URL's key (GRIP_KEY)")
    GRIP_URL = ""  # a published key signs nothing: no stream
# Messages kept for resuming subscribers; the publisher's lease as the one that pushes.
TICKETING_STREAM_RETAIN_SECONDS = env.int("TICKETING_STREAM_RETAIN_SECONDS", default=300)
TICKETING_STREAM_LEASE_SECONDS = env.float("TICKETING_STREAM_LEASE_SECONDS", default=10.0)
# The web client polls the seat map this often (milliseconds) where there is no stream, or
# while it is down.
TICKETING_WEB_POLL_MS = env.int("TICKETING_WEB_POLL_MS", default=15000)
# Signed tickets, payments, public links (DESIGN.md §7). The signing key is an Ed25519
# seed, base64 (32 bytes); `check --deploy` refuses an empty one. DEBUG uses a published demo key.
TICKETING_SIGNING_KEY = env("TICKETING_SIGNING_KEY", default="")
if is_placeholder(TICKETING_SIGNING_KEY):
    _placeholders.append("TICKETING_SIGNING_KEY")
    TICKETING_SIGNING_KEY = ""
if not TICKETING_SIGNING_KEY and DEBUG:
    TICKETING_SIGNING_KEY = "EC4kjPIx1//nm3hsqAWZ1y+DFyA+V/DRWKMa1saQLMA="  # demo only, public
# The waiting room (DESIGN.md, "Waiting room"): its line lives in Redis, here or, by default,
# in the cache's Redis when CACHE_URL is redis://. Without one, no event can have a waiting room
# (staff are told so when they set one).
_cache_url = env("CACHE_URL", default="")
TICKETING_QUEUE_REDIS_URL = env(
    "TICKETING_QUEUE_REDIS_URL", default=_cache_url if _cache_url.startswith("redis://") else ""
)
# HMAC key of queue tokens and admission passes (any long random string); `check --deploy`
# refuses an empty one. DEBUG uses a published demo key.
# Every key of the waiting room's lines starts so (two deployments can share a Redis).
TICKETING_QUEUE_KEY_PREFIX = env("TICKETING_QUEUE_KEY_PREFIX", default=CACHES["default"]["KEY_PREFIX"] + ":")
TICKETING_QUEUE_KEY = env("TICKETING_QUEUE_KEY", default="")
if is_placeholder(TICKETING_QUEUE_KEY):
    _placeholders.append("TICKETING_QUEUE_KEY")
    TICKETING_QUEUE_KEY = ""
if not TICKETING_QUEUE_KEY and DEBUG:
    TICKETING_QUEUE_KEY = "demo-only-queue-key-published-in-the-repository"
# How long an admission pass lets its buyer hold seats; the longest a waiting buyer is told to
# wait before asking again (far back in the line; near the front it is every second).
TICKETING_QUEUE_PASS_MINUTES = env.int("TICKETING_QUEUE_PASS_MINUTES", default=15)
TICKETING_QUEUE_POLL_SECONDS = env.int("TICKETING_QUEUE_POLL_SECONDS", default=30)
TICKETING_PAYMENT_GATEWAY = env("TICKETING_PAYMENT_GATEWAY", default="ticketing.payments.FakeGateway")
TICKETING_CURRENCY = env("TICKETING_CURRENCY", default="EUR")
TICKETING_PUBLIC_URL = env("TICKETING_PUBLIC_URL", default="http://127.0.0.1:8000")

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="tickets@example.com")
# Booking emails are written to an outbox in the booking's transaction. Inline: sent by the
# request right after commit (the demo, a small site). Off: the `send_notifications` worker
# sends them, so building an email (a QR code per ticket) never slows a booking down.
TICKETING_NOTIFICATIONS_INLINE = env.bool("TICKETING_NOTIFICATIONS_INLINE", default=True)
TICKETING_NOTIFICATION_MAX_ATTEMPTS = env.int("TICKETING_NOTIFICATION_MAX_ATTEMPTS", default=5)

# JSON lines with a request id on every line (config/logging.py); LOG_FORMAT=text for humans,
# the default under DEBUG (the demo's console).
LOGGING = logging_config(
    level=env("LOG_LEVEL", default="INFO"), fmt=env("LOG_FORMAT", default="text" if DEBUG else "json")
)
ACCESS_LOG = env.bool("ACCESS_LOG", default=True)

# GET /metrics (config/metrics.py): who may read it, by the client's address (NUM_PROXIES applies).
METRICS_ALLOWED_CIDRS = env.list("METRICS_ALLOWED_CIDRS", default=["127.0.0.1/32", "::1/128"])

# Error tracking: sentry-sdk sends errors (and nothing else unless traces are sampled) only when
# SENTRY_DSN is set; no personal data (send_default_pii off).
SENTRY_DSN = env("SENTRY_DSN", default="")
if SENTRY_DSN:
    import sentry_sdk

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        environment=env("SENTRY_ENVIRONMENT", default="production"),
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
        send_default_pii=False,
    )

# Every process refuses to start (gunicorn, migrate, the compose sweeper and notifier) while a
# secret still holds the placeholder of .env.example; under DEBUG (the demo) they count as unset.
if _placeholders and not DEBUG:
    raise ImproperlyConfigured(
        f"{', '.join(_placeholders)} still hold the placeholder of .env.example (change-me…): "
        "set real values in .env or the environment."
    )
