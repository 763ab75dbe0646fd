"""Settings shared by every environment, read from the environment (12-factor).

Without any environment the app runs on the embedded default: a SQLite file in the project and
Celery tasks executed in process, so one command starts a working app on a fresh machine.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from .observability import logging_config, sentry_init

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return default if value in (None, "") else value


def env_bool(name: str, default: bool = False) -> bool:
    value = env(name)
    if value is None:
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in (env(name, default) or "").split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env("SECRET_KEY", "")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    # The admin, with a login that asks for the second factor (accounts.admin_site).
    "accounts.apps.SmartDiplomacyAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "simple_history",
    "django_countries",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "accounts",
    "stakeholders",
    "partnerships",
    "graph",
    "index",
    "relationships",
    "iati",
    "threew",
    "demo",
    "ops",
    "smartdiplomacy.jobs",
    "django_prometheus",
]

MIDDLEWARE = [
    # Request counts and latencies for /metrics (first and last, as django-prometheus asks), and
    # one log line per request (ops.request_log) around everything else.
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "ops.request_log.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy (django-csp), then Permissions-Policy and no-store for people.
    "csp.middleware.CSPMiddleware",
    "smartdiplomacy.headers.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): has this session passed the second factor? Then every page
    # asks it of those who must (accounts.middleware).
    "accounts.middleware.LazyOTPMiddleware",
    "accounts.middleware.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: turns a lockout into its answer (accounts.lockout).
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "smartdiplomacy.urls"
WSGI_APPLICATION = "smartdiplomacy.wsgi.application"
ASGI_APPLICATION = "smartdiplomacy.asgi.application"

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
                "smartdiplomacy.navigation.navigation",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------------
DATABASE_URL = env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the dev server read while a background job writes; a busy timeout instead of
    # "database is locked" errors.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL;",
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth ---------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
# django-axes first: it refuses a locked-out username from that address before any password check.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Two-factor authentication (django-otp) ------------------------------------------------------
# Those cleared for restricted actors and administrators (superusers, staff, the administrator
# role) pass a second factor at sign-in: a TOTP authenticator app, or a recovery code. Until they
# have, in each session, no page opens for them, the API refuses their session, and they are not
# treated as cleared anywhere. On by default; the local demo settings turn it off.
TWO_FACTOR_REQUIRED = env_bool("TWO_FACTOR_REQUIRED", True)
OTP_TOTP_ISSUER = "smartdiplomacy"
# The admin never shows a person's authenticator secret or recovery codes.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# --- Sign-in throttling (django-axes) -------------------------------------------------------------
# After AXES_FAILURE_LIMIT failed sign-ins for one username from one address (the app's login page
# and the admin's alike), that pair is locked out for AXES_COOLOFF_MINUTES; a success resets the
# count. Administrators unlock people from the user admin ("Unlock sign-in"). Partner tokens never
# sign in this way and are not affected. Behind a proxy that appends the client's address to
# X-Forwarded-For, set LOGIN_PROXY_COUNT to the number of proxies in front of gunicorn.
AXES_FAILURE_LIMIT = int(env("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(env("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_CLIENT_IP_CALLABLE = "accounts.lockout.client_ip"
AXES_HTTP_RESPONSE_CODE = 429
AXES_VERBOSE = False
LOGIN_PROXY_COUNT = int(env("LOGIN_PROXY_COUNT", "0"))

# --- Sessions -----------------------------------------------------------------------------------
# Two weeks for everyone (Django's default), shorter for those cleared for restricted actors: a
# forgotten signed-in browser shows them for a working day at most.
SESSION_COOKIE_AGE = int(env("SESSION_COOKIE_AGE", str(14 * 24 * 3600)))
SESSION_COOKIE_AGE_CLEARED = int(env("SESSION_COOKIE_AGE_CLEARED", str(8 * 3600)))
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# --- Content-Security-Policy (django-csp) ---------------------------------------------------------
# No inline script, handler or style anywhere: every page's JavaScript and CSS are static files
# from this server (vendor code is built from npm, the API docs' from drf-spectacular-sidecar).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# --- I18n ---------------------------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files -------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Served at the site's root by WhiteNoise: /favicon.ico, which browsers ask for on every page that
# does not name an icon (the admin, the API docs).
WHITENOISE_ROOT = BASE_DIR / "static" / "root"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- Uploaded files -----------------------------------------------------------------------------
# Registry imports are uploaded here (imports/YYYY/MM/); they are never served from MEDIA_URL.
# Web and worker processes must share this directory.
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "media")))
MEDIA_URL = "media/"

# --- REST framework -----------------------------------------------------------------------------
# The cross-cutting pieces live in smartdiplomacy/api/. Partner tokens come first so that a
# request without credentials gets 401 with a WWW-Authenticate header; the browser keeps its
# session (with CSRF) for the interactive docs.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.tokens.PartnerTokenAuthentication",
        # The session, refused while its person still owes the second factor.
        "smartdiplomacy.api.authentication.VerifiedSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        # Default deny for tokens: a view opens itself to them by naming its required_scopes.
        "smartdiplomacy.api.permissions.HasTokenScope",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "smartdiplomacy.api.throttling.PartnerTokenThrottle",
        "smartdiplomacy.api.throttling.SignedInUserThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "partner": env("API_PARTNER_RATE", "1000/hour"),
        "user": env("API_USER_RATE", "5000/hour"),
    },
    "DEFAULT_RENDERER_CLASSES": ["smartdiplomacy.api.renderers.FastJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "smartdiplomacy.api.pagination.KeysetCursorPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "smartdiplomacy.api.errors.api_exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

# What the shared API machinery (smartdiplomacy.api, below accounts) asks of accounts.
API_ACCOUNT_HOOKS = {
    "request_token": "accounts.tokens.request_token",
    "token_recheck": "accounts.tokens.token_recheck",
    "two_factor_outstanding": "accounts.selectors.two_factor_outstanding",
    "restricted_read_record": "accounts.services.restricted_read_record",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "smartdiplomacy API",
    "DESCRIPTION": (
        "Stakeholder registry, candidate partnerships and Smart Diplomacy Index scores.\n\n"
        "**Authentication.** People use their browser session. Partner systems send a token "
        "issued by an administrator: `Authorization: Bearer <prefix>.<secret>`. Tokens carry "
        "scopes (`registry:read`, `scores:read`; `webhooks:manage` is the only one that writes, "
        "to the partner's own webhook endpoints), expire, and see only the public registry.\n\n"
        "**Restriction.** Restricted and confidential stakeholders, and their stakes and ties, "
        "appear only for people cleared for them; never for partner tokens.\n\n"
        "**Pagination.** Large collections use cursors: follow `next` until it is null.\n\n"
        "**Errors.** Every error has one shape: "
        '`{"error": {"status", "code", "message", "fields"}}`.\n\n'
        "**Throttling.** Per token and per person; 429 says when to retry."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # Request and response bodies as separate components: read-only fields are not asked for.
    "COMPONENT_SPLIT_REQUEST": True,
    # The docs' JavaScript and CSS are served from drf-spectacular-sidecar: no CDN, works offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Tags and operation ids by resource ("stakeholders"), not by the version prefix.
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    "SWAGGER_UI_SETTINGS": {"deepLinking": False, "persistAuthorization": True},
    "ENUM_NAME_OVERRIDES": {
        "StakeholderKindEnum": "stakeholders.choices.Kind",
        "TieKindEnum": "stakeholders.choices.TieKind",
        "SensitivityEnum": "stakeholders.choices.Sensitivity",
        "CountryEnum": "stakeholders.api.serializers.COUNTRY_CODES",
        "CapabilityEnum": "stakeholders.api.serializers.CAPABILITY_NAMES",
        # One vocabulary for every background run: a job's, and an overlap run's (the same words).
        "JobStatusEnum": "smartdiplomacy.jobs.models.JobStatus",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "smartdiplomacy.api.schema.add_error_responses",
    ],
}

# --- Cache --------------------------------------------------------------------------------------
# API throttling counts requests in the cache. In-process memory is enough for one process; with
# several gunicorn workers or machines set CACHE_URL=redis://host:6379/<db> so they share counts.
CACHE_URL = env("CACHE_URL", "locmem://")
if CACHE_URL.startswith(("redis://", "rediss://")):
    CACHES = {
        # Django's Redis cache, keeping one Redis client per pool (smartdiplomacy/cache.py).
        "default": {"BACKEND": "smartdiplomacy.cache.RedisCache", "LOCATION": CACHE_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Reads kept in the cache across requests: a partner token (dropped on every save, so a revocation
# counts from the next request) and a scores API answer (retired by every write). Only a cache
# that every process shares can be told of a change made in another process, so without Redis
# neither is kept (0 s).
SHARED_CACHE = CACHE_URL.startswith(("redis://", "rediss://"))
PARTNER_TOKEN_CACHE_SECONDS = int(env("PARTNER_TOKEN_CACHE_SECONDS", "30" if SHARED_CACHE else "0"))
SCORES_API_ANSWER_SECONDS = int(env("SCORES_API_ANSWER_SECONDS", "10" if SHARED_CACHE else "0"))
# Each process also keeps the scores API pages it served lately (keyed by ETag, so never stale), up
# to this many MiB, sparing a fetch of a 270 KB page from the shared cache per request.
SCORES_API_LOCAL_CACHE_MB = int(env("SCORES_API_LOCAL_CACHE_MB", "64"))
# The graph map's whole-registry answer (/api/v1/graph/?shape=columns without filters), gzipped,
# kept per audience under a fingerprint of the rows it is built from (graph.selectors
# .registry_fingerprint), so never stale and never another audience's; 0 turns it off. SQLite
# keeps nothing (no cheap fingerprint).
GRAPH_MAP_CACHE_SECONDS = int(env("GRAPH_MAP_CACHE_SECONDS", "3600"))
# Above this many actors the map draws discs as GL points and highlights a hover on a light layer
# of its own instead of redrawing the whole graph (static/js/graph.js).
GRAPH_MAP_LARGE_NODES = int(env("GRAPH_MAP_LARGE_NODES", "3000"))

# --- Celery -------------------------------------------------------------------------------------
# Without a broker the embedded default runs every task in process, synchronously, so that the
# app works with no services at all. With CELERY_BROKER_URL set, tasks go to real workers.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
# Without a broker, long jobs queued "in the background" (registry imports) run in a thread beside
# the request that queued them, never inside it; the test settings run them in place.
EMBEDDED_TASKS_IN_THREADS = env_bool("EMBEDDED_TASKS_IN_THREADS", True)
CELERY_TASK_EAGER_PROPAGATES = True
if not CELERY_BROKER_URL:
    # With a host named, kombu does not warn "No hostname was supplied" whenever it clones the
    # connection (as embedded jobs do).
    CELERY_BROKER_URL = "memory://localhost/"
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", None)
CELERY_TASK_IGNORE_RESULT = CELERY_RESULT_BACKEND is None
# Tasks are written to be idempotent, so a task whose worker dies is redelivered rather than lost.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# The longest task (a full overlap run or a large import) is capped by the hard time limit; Redis
# must not redeliver an unacknowledged task before that limit, so its visibility timeout is longer.
CELERY_TASK_SOFT_TIME_LIMIT = int(env("CELERY_TASK_SOFT_TIME_LIMIT", "3300"))
CELERY_TASK_TIME_LIMIT = int(env("CELERY_TASK_TIME_LIMIT", "3600"))
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_TASK_TIME_LIMIT * 2}
# A worker executing a step of an overlap run says so this often; a step silent for four times as
# long lost its worker, and the run is marked failed (checked every minute by Celery beat).
OVERLAP_RUN_LEASE_SECONDS = float(env("OVERLAP_RUN_LEASE_SECONDS", "30"))
# Outcomes with at most this many stakeholders get exactly the best coalitions (branch and
# bound: about 0.1–0.5 s at 40, 1–1.5 s at 60–76 on this project's machines); larger ones the greedy
# with its certificate. Raise it where real workers compute them; in process, edits wait for it.
COALITIONS_EXACT_LIMIT = int(env("COALITIONS_EXACT_LIMIT", "40"))
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_TASK_DEFAULT_QUEUE", "smartdiplomacy")
CELERY_TIMEZONE = TIME_ZONE
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Autodiscovery finds only <app>.tasks; task modules in an app's sub-packages are listed here.
CELERY_IMPORTS = [
    "stakeholders.imports.tasks",
    "iati.tasks",
    "threew.tasks",
    "partnerships.coalitions.tasks",
]

# --- Mail ---------------------------------------------------------------------------------------
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "smartdiplomacy@localhost")

# Score webhooks (index.webhooks): partner URLs on private or loopback addresses are refused unless
# this is on (for a partner inside the same private network; tests turn it on for a local receiver).
WEBHOOK_ALLOW_PRIVATE_HOSTS = env_bool("WEBHOOK_ALLOW_PRIVATE_HOSTS", False)

# --- Logs, metrics, error reporting -------------------------------------------------------------
# LOG_FORMAT: "plain" lines for a terminal, or "json" (one object a line, the production default)
# for a log pipeline. LOG_REQUESTS: one line per request with its duration and user id (production
# default; runserver prints its own). Tasks run by real workers get one line each with duration
# and outcome; in process they stay quiet in the console of `make run`.
LOG_FORMAT = env("LOG_FORMAT", "plain")
LOG_LEVEL = env("LOG_LEVEL", "INFO")
LOG_REQUESTS = env_bool("LOG_REQUESTS", False)
LOGGING = logging_config(
    fmt=LOG_FORMAT, level=LOG_LEVEL, requests=LOG_REQUESTS, tasks=not CELERY_TASK_ALWAYS_EAGER
)
# /metrics (Prometheus text format) answers only `Authorization: Bearer <METRICS_TOKEN>`; unset,
# it does not exist (404).
METRICS_TOKEN = env("METRICS_TOKEN", "")
# Errors of web and workers to Sentry when a DSN is given (smartdiplomacy.settings.observability).
SENTRY_DSN = env("SENTRY_DSN", "")
SENTRY_ENABLED = sentry_init(
    dsn=SENTRY_DSN,
    environment=env("SENTRY_ENVIRONMENT", "production"),
    traces_sample_rate=float(env("SENTRY_TRACES_SAMPLE_RATE", "0")),
)

# --- Backups (manage.py backup / restore; the compose service "backup") ---------------------------
BACKUP_DIR = Path(env("BACKUP_DIR", str(BASE_DIR / "backups")))
BACKUP_KEEP = int(env("BACKUP_KEEP", "14"))

# Errors people see: inside the app's layout (smartdiplomacy.errors).
CSRF_FAILURE_VIEW = "smartdiplomacy.errors.csrf_failure"
# The address the app is reached at, for links in e-mails (no trailing slash).
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
