"""Loop's one settings module. Every value comes from the environment (django-environ), read here
once; no other module reads ``os.environ``. Loop's own settings start with ``LOOP_``.
"""
from __future__ import annotations

import secrets
from pathlib import Path

import environ

from loop_project.throttling import parse_rate

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
# A local .env file is honoured for development; real deployments set the environment.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once into var/ (never committed)."""
    configured = env.str("SECRET_KEY", default="")
    if configured:
        return configured
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "loop_project.console.admin_config.LoopAdminConfig",  # django.contrib.admin, Loop's site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "accounts",
    "issues",
    "signals_app",
    "dispatch",
    "templates_app",
    "integrations",
    "loop_project.console",
]

MIDDLEWARE = [
    # First, so it sees every failure below it: database outages become 503 + Retry-After, and API
    # paths never answer with an HTML error page (loop_project/middleware.py).
    "loop_project.middleware.FailureResponseMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "loop_project.urls"
WSGI_APPLICATION = "loop_project.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "loop_project" / "templates"],
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
# SQLite under var/ is the embedded default so `make run` works on a bare machine; PostgreSQL
# (DATABASE_URL=postgres://...) is the production database.
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'loop.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            # IMMEDIATE takes the write lock when a transaction starts, so two writers never both
            # read the same "next issue number" or claim candidate before one of them writes.
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    # Persistent connections, one per worker (thread), checked before reuse: measured cheaper than
    # a connection per request and than the pool with gunicorn's sync workers (docs/benchmarks.md).
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=600)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options.setdefault("connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=5))
    # PgBouncer in transaction pooling mode (docs/deployment.md): a server session lasts one
    # transaction, so a server-side cursor (QuerySet.iterator()) would be lost between fetches.
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env.bool(
        "DATABASE_DISABLE_SERVER_SIDE_CURSORS", default=False
    )
    # Server-side parameter binding lets psycopg prepare the statements a connection repeats
    # (after DATABASE_PREPARE_THRESHOLD runs), so PostgreSQL stops parsing and planning them:
    # measured 2.5× less database CPU per dispatch (docs/benchmarks.md). Behind PgBouncer in
    # transaction mode (before 1.21) prepared statements do not survive: set the threshold to 0.
    if env.bool("DATABASE_SERVER_SIDE_BINDING", default=True):
        options["server_side_binding"] = True
        options["prepare_threshold"] = env.int("DATABASE_PREPARE_THRESHOLD", default=5) or None
    # psycopg's connection pool, one per worker process (Django ≥ 5.1). Exclusive with
    # persistent connections: the pool keeps them.
    if env.bool("DATABASE_POOL", default=False):
        DATABASES["default"]["CONN_MAX_AGE"] = 0
        options["pool"] = {
            "min_size": env.int("DATABASE_POOL_MIN_SIZE", default=1),
            "max_size": env.int("DATABASE_POOL_MAX_SIZE", default=4),
            "timeout": env.int("DATABASE_POOL_TIMEOUT", default=10),
        }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

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
STATIC_ROOT = env.path("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env.str(
            "STATICFILES_BACKEND",
            default="whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage",
        )
    },
}

# --- Security (docs/reliability.md, "Security settings") ---------------------------------------
# LOOP_HTTPS=true is the one switch for a deployment served over HTTPS: redirect HTTP to HTTPS,
# secure-only cookies, HSTS for a year (subdomains, preload). Each setting below can still be set
# on its own. Off by default so `make run` and `make serve` work over plain HTTP on localhost.
LOOP_HTTPS = env.bool("LOOP_HTTPS", default=False)
# Behind a TLS-terminating proxy that sets X-Forwarded-Proto (and only then: a client could send
# the header itself), trust it so Django knows the original request was HTTPS.
LOOP_BEHIND_PROXY = env.bool("LOOP_BEHIND_PROXY", default=False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if LOOP_BEHIND_PROXY else None
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=LOOP_HTTPS)
# Load balancers probe /health over plain HTTP inside the network; a redirect would fail them.
SECURE_REDIRECT_EXEMPT = [r"^health$"]
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=LOOP_HTTPS)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=LOOP_HTTPS)
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True  # the admin reads the token from its forms, never from the cookie
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=365 * 24 * 3600 if LOOP_HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool(
    "SECURE_HSTS_INCLUDE_SUBDOMAINS", default=SECURE_HSTS_SECONDS > 0
)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=SECURE_HSTS_SECONDS > 0)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --- Database failures ----------------------------------------------------------------------
# After a slow database failure (connect or pool timeout), answer 503 at once for this many
# seconds instead of letting every request wait out the timeout (loop_project/middleware.py).
# 0 disables it.
LOOP_DB_FAILFAST_SECONDS = env.float("LOOP_DB_FAILFAST_SECONDS", default=1.0)

# --- Request limits ---------------------------------------------------------------------------
# Largest API request body (JSON), in bytes; larger is a 413. Webhooks have their own per-provider
# caps (GitHub 25 MB) and POST /api/signals 1 MiB. Query strings: at most 1000 parameters.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("LOOP_MAX_BODY_BYTES", default=1024 * 1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000

# --- Django REST Framework ----------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["accounts.permissions.HasApiKeyScope"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # Size (DATA_UPLOAD_MAX_MEMORY_SIZE → 413) and depth (64 levels → 400) bounded JSON.
    "DEFAULT_PARSER_CLASSES": ["loop_project.parsers.LoopJSONParser"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "loop_project.api.LoopPagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "loop_project.api.exception_handler",
    "UNAUTHENTICATED_USER": None,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # Rate limits (docs/reliability.md): per API key, and per source address for keyless requests
    # (webhooks). Rates are LOOP_THROTTLE_RATE / LOOP_WEBHOOK_THROTTLE_RATE below.
    "DEFAULT_THROTTLE_CLASSES": [
        "loop_project.throttling.ApiKeyRateThrottle",
        "loop_project.throttling.SourceAddressRateThrottle",
    ],
    # Trusted proxies in front of Loop: the client address is that many hops back in
    # X-Forwarded-For. 0 ignores the header (a client could otherwise choose its own address).
    "NUM_PROXIES": env.int(
        "LOOP_NUM_PROXIES", default=1 if env.bool("LOOP_BEHIND_PROXY", default=False) else 0
    ),
}

# --- Rate limits and cache ------------------------------------------------------------------------
# Requests per API key, e.g. "3000/min" (periods s, min, hour, day). Empty disables the limit
# (benchmarks, or a deployment that limits at its proxy).
LOOP_THROTTLE_RATE = env.str("LOOP_THROTTLE_RATE", default="3000/min")
# Requests per source address without an API key: webhooks, health, schema. Empty disables it.
LOOP_WEBHOOK_THROTTLE_RATE = env.str("LOOP_WEBHOOK_THROTTLE_RATE", default="1200/min")
# A typo fails at start-up instead of silently disabling a limit.
parse_rate(LOOP_THROTTLE_RATE, "LOOP_THROTTLE_RATE")
parse_rate(LOOP_WEBHOOK_THROTTLE_RATE, "LOOP_WEBHOOK_THROTTLE_RATE")
# The throttle counters' cache. The default local-memory cache is per process, so each worker
# counts on its own; a shared cache (rediscache://..., or dbcache://loop_cache after
# `manage.py createcachetable`) makes the limits global.
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}

SPECTACULAR_SETTINGS = {
    "TITLE": "Loop API",
    "DESCRIPTION": (
        "Loop, the autonomous improvement engine: signals become issues, agents pull the "
        "highest-priority unblocked work with a hydrated prompt, and rate every prompt."
    ),
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # One named component per choice set that several resources share (without these the names
    # collide, get hash suffixes, and `check --deploy` warns).
    # 429/503 on every operation, 401/403 with a key, 400/413/415 with a JSON body: answers
    # from the layers around the views (loop_project/openapi.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "loop_project.openapi.add_common_error_responses",
    ],
    "ENUM_NAME_OVERRIDES": {
        "IssueStatusEnum": "issues.models.Issue.Status",
        "IssueTypeEnum": "issues.models.Issue.Type",
        "ProjectStatusEnum": "issues.models.Project.Status",
        "ProjectHealthEnum": "issues.models.Project.Health",
        "GoalStatusEnum": "issues.models.Goal.Status",
    },
}

# --- Loop -----------------------------------------------------------------------------------
# Public base URL of this Loop server, used in prompts and review links.
LOOP_URL = env.str("LOOP_URL", default="http://127.0.0.1:8000").rstrip("/")
# A single upstream-style key from the environment, accepted beside the hashed keys.
LOOP_API_KEY = env.str("LOOP_API_KEY", default="")
# Each worker remembers a key that authenticated for this many seconds instead of looking it up
# on every request. Revoking a key applies at once in the worker that did it, within this time in
# the others. 0 looks every key up every time.
LOOP_API_KEY_CACHE_SECONDS = env.float("LOOP_API_KEY_CACHE_SECONDS", default=5.0)
# Status a signal's triage issue is born with: todo (agents triage it) or triage (humans first).
LOOP_SIGNAL_INITIAL_STATUS = env.str("LOOP_SIGNAL_INITIAL_STATUS", default="todo")
# How long a claim is held without a heartbeat before it returns to the queue.
LOOP_LEASE_SECONDS = env.int("LOOP_LEASE_SECONDS", default=30 * 60)
# Claims that expire this many times go to triage for a human instead of back to todo.
LOOP_MAX_CLAIM_ATTEMPTS = env.int("LOOP_MAX_CLAIM_ATTEMPTS", default=3)
# Each worker keeps the live templates for dispatch's template selection this many seconds. Its
# own template writes apply at once; another server's within this time. 0 reads them every claim.
LOOP_TEMPLATE_CACHE_SECONDS = env.float("LOOP_TEMPLATE_CACHE_SECONDS", default=5.0)

# Webhook secrets; each may hold several comma-separated values so secrets can be rotated.
GITHUB_WEBHOOK_SECRET = env.str("GITHUB_WEBHOOK_SECRET", default="")
SENTRY_CLIENT_SECRET = env.str("SENTRY_CLIENT_SECRET", default="")
POSTHOG_WEBHOOK_SECRET = env.str("POSTHOG_WEBHOOK_SECRET", default="")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Its DEBUG records carry whole template contexts, and the console's issued-key page has
        # the new key's plaintext in its context: never below INFO, whatever LOG_LEVEL says.
        "django.template": {"level": "INFO"},
    },
}
