"""Settings for the whole project, read from the environment.

Nothing set gives the embedded default: SQLite, local-memory cache, in-memory
channel layer, local media, eager Celery tasks, DEBUG on. Each real component is
switched on by its variable (DATABASE_URL, REDIS_URL, ...). `.env.example` lists
every variable this file reads.
"""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse, urlsplit

import environ
from corsheaders.defaults import default_headers as cors_default_headers
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# --- Core -------------------------------------------------------------------

DEBUG = env.bool("DEBUG", default=True)
# The "django-insecure-" prefix makes `check --deploy` refuse the default.
SECRET_KEY = env(
    "SECRET_KEY",
    default="django-insecure-dev-only-secret-key-change-me-0123456789abcdef",
)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])

# The web frontends' origins (scheme://host[:port], e.g. https://app.example.org):
# the one list that CORS (CORS_ALLOWED_ORIGINS, credentials allowed for the web
# session's refresh cookie), CSRF (CSRF_TRUSTED_ORIGINS) and the socket's Origin
# rule (realtime.auth) all follow. CORS_ALLOWED_ORIGINS, its former name, is read
# when WEB_ORIGINS is not set. Empty in DEBUG: Vite's dev server; in production
# no browser origin but the server's own.
VITE_DEV_ORIGINS = ["http://localhost:5173", "http://127.0.0.1:5173"]
WEB_ORIGINS = [
    origin.strip().rstrip("/")
    for origin in env.list("WEB_ORIGINS", default=env.list("CORS_ALLOWED_ORIGINS", default=[]))
    if origin.strip()
] or (VITE_DEV_ORIGINS if DEBUG else [])
# More origins trusted for CSRF only (the admin reached through another host name).
CSRF_TRUSTED_ORIGINS = [
    *WEB_ORIGINS,
    *(o for o in env.list("CSRF_TRUSTED_ORIGINS", default=[]) if o not in WEB_ORIGINS),
]

INSTALLED_APPS = [
    # daphne first: `runserver` then serves ASGI (HTTP and the socket).
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    # third party
    "rest_framework",
    "rest_framework_simplejwt",
    "rest_framework_simplejwt.token_blacklist",
    "corsheaders",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "drf_standardized_errors",
    "channels",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.google",
    "dj_rest_auth",
    "dj_rest_auth.registration",
    "django_prometheus",
    # project
    "core",
    "realtime",
    "users",
    "forum",
    "chat",
    "commerce",
    "notifications",
    # The staff dashboard and its stats API: the figures the apps above register.
    "staff",
    # `manage.py seed_demo`: each domain's demo data (<app>/demo.py), in one command.
    "demo",
]

MIDDLEWARE = [
    # Observability: Prometheus' request timing around everything, then the request
    # id, then one JSON access-log line per request (core.middleware).
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "core.middleware.RequestIdMiddleware",
    "core.middleware.AccessLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files (Swagger UI / Redoc assets, admin) straight from daphne.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Under /api/: slash-less paths served as their route, unknown URLs a JSON 404.
    "core.middleware.ApiPathMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"
SITE_ID = 1

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

# --- Database ---------------------------------------------------------------

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# psycopg's connection pool (PostgreSQL only). Connections are per thread, so
# DB_CONN_MAX_AGE > 0 keeps one open per HTTP worker thread and per thread the
# socket consumers' database calls run on; the pool shares a bounded set instead.
# Django refuses a pool with persistent connections: closing a connection returns
# it to the pool.
DB_POOL_MAX_SIZE = env.int("DB_POOL_MAX_SIZE", default=0)
if DB_POOL_MAX_SIZE > 0 and DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": min(env.int("DB_POOL_MIN_SIZE", default=2), DB_POOL_MAX_SIZE),
        "max_size": DB_POOL_MAX_SIZE,
    }
    # Django's pool runs psycopg's check (one round trip) on every checkout when
    # health checks are on. Off by default: the pool drops connections that come
    # back broken, and without the round trip still drops those the server closed
    # (a terminated backend, a restart) at checkout, at no cost (core/postgres/).
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("DB_POOL_CHECK", default=False)
    DATABASES["default"]["ENGINE"] = "core.postgres"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Server-side parameter binding, so psycopg can prepare the statements a pooled
# connection runs often (after DB_PREPARE_THRESHOLD runs): PostgreSQL then skips
# parsing and planning them.
if env.bool("DB_SERVER_SIDE_BINDING", default=False) and DATABASES["default"]["ENGINE"] in (
    "django.db.backends.postgresql",
    "core.postgres",
):
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        server_side_binding=True, prepare_threshold=env.int("DB_PREPARE_THRESHOLD", default=5)
    )

# Worker threads serving HTTP requests per server process (core.http_handler); the
# rest wait on the event loop. Defaults to the pool's size, else Python's default
# thread pool size.
HTTP_CONCURRENCY = env.int(
    "HTTP_CONCURRENCY",
    default=DB_POOL_MAX_SIZE
    if "pool" in DATABASES["default"].get("OPTIONS", {})
    else min(32, (os.cpu_count() or 1) + 4),
)
if HTTP_CONCURRENCY < 1:
    raise ImproperlyConfigured("HTTP_CONCURRENCY must be at least 1.")

# The server process's garbage collector (core.runtime, applied by config.asgi):
# three thresholds as for gc.set_threshold, or empty for CPython's (700,10,10).
GC_THRESHOLDS = env.list("GC_THRESHOLDS", cast=int, default=[50_000, 20, 20])
if GC_THRESHOLDS and (len(GC_THRESHOLDS) != 3 or min(GC_THRESHOLDS) < 1):
    raise ImproperlyConfigured("GC_THRESHOLDS must be three positive integers, or empty.")

# --- Redis: cache, channel layer, Celery, realtime event log and presence ----

REDIS_URL = env("REDIS_URL", default="")

# Redis outages (core/degraded.py): each attempt is bounded by these timeouts (s),
# a part that failed is not tried again for REDIS_OUTAGE_BACKOFF_SECONDS, and each
# part logs one warning per REDIS_OUTAGE_LOG_INTERVAL_SECONDS while it is out.
REDIS_CONNECT_TIMEOUT = env.float("REDIS_CONNECT_TIMEOUT", default=0.25)
REDIS_SOCKET_TIMEOUT = env.float("REDIS_SOCKET_TIMEOUT", default=0.5)
REDIS_OUTAGE_BACKOFF_SECONDS = env.float("REDIS_OUTAGE_BACKOFF_SECONDS", default=1.0)
REDIS_OUTAGE_LOG_INTERVAL_SECONDS = env.float("REDIS_OUTAGE_LOG_INTERVAL_SECONDS", default=60.0)


def redis_cache(url: str) -> dict:
    return {
        "BACKEND": "core.cache_backends.RedisCache",
        "LOCATION": url,
        "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="platform"),
        "OPTIONS": {
            "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
            "socket_timeout": REDIS_SOCKET_TIMEOUT,
        },
    }


def redis_db(url: str) -> int:
    path = urlparse(url).path.strip("/")
    return int(path) if path.isdigit() else 0


def redis_channel_host(url: str) -> dict:
    return {
        "address": url,
        "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
        # Longer than the cache's: a send may be a bundle of hundreds of events
        # (realtime.layer), and one timed out is dropped live.
        "socket_timeout": env.float("CHANNEL_LAYER_SOCKET_TIMEOUT", default=5.0),
        # A subscriber connection that died without a FIN (the Redis host gone)
        # is found by TCP keepalive, and then counts as lost (realtime.layer).
        "socket_keepalive": True,
        # redis-py's asyncio pool refuses (MaxConnectionsError) past 100
        # connections by default: one server publishing from many threads at once
        # needs more.
        "max_connections": env.int("CHANNEL_LAYER_MAX_CONNECTIONS", default=1000),
    }


if REDIS_URL:
    CACHES = {"default": redis_cache(REDIS_URL)}
    CHANNEL_LAYERS = {
        "default": {
            # channels_redis' pub/sub layer with confirmed subscriptions and loss
            # notices: a send is one PUBLISH per group, nothing queued per socket.
            "BACKEND": "realtime.layer.PubSubChannelLayer",
            "CONFIG": {
                "hosts": [redis_channel_host(REDIS_URL)],
                # Pub/sub channels ignore the database number: the prefix carries
                # it, so deployments (or test runs) on one Redis do not hear each other.
                "prefix": env("CHANNEL_LAYER_PREFIX", default=f"asgi.{redis_db(REDIS_URL)}."),
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- Auth -------------------------------------------------------------------

AUTH_USER_MODEL = "users.User"
AUTHENTICATION_BACKENDS = [
    "users.backends.EmailBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_LIFETIME_MINUTES", default=5)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_LIFETIME_DAYS", default=14)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "SIGNING_KEY": env("JWT_SIGNING_KEY", default=SECRET_KEY),
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
    "USER_AUTHENTICATION_RULE": "users.auth.user_can_authenticate",
}

# allauth: email is the login; username is optional (a handle is generated).
ACCOUNT_USER_MODEL_USERNAME_FIELD = "username"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username", "password1*", "password2*"]
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = env("ACCOUNT_EMAIL_VERIFICATION", default="none")
ACCOUNT_ADAPTER = "users.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "users.adapters.SocialAccountAdapter"
ENABLE_SOCIAL_LOGIN = env.bool("ENABLE_SOCIAL_LOGIN", default=False)
GOOGLE_CLIENT_ID = env("GOOGLE_CLIENT_ID", default="")
GOOGLE_CLIENT_SECRET = env("GOOGLE_CLIENT_SECRET", default="")
GOOGLE_CALLBACK_URL = env("GOOGLE_CALLBACK_URL", default="")
SOCIALACCOUNT_PROVIDERS = {
    "google": {
        "APPS": (
            [
                {
                    "client_id": GOOGLE_CLIENT_ID,
                    "secret": GOOGLE_CLIENT_SECRET,
                    "key": "",
                }
            ]
            if GOOGLE_CLIENT_ID
            else []
        ),
        "SCOPE": ["profile", "email"],
        "AUTH_PARAMS": {"access_type": "online"},
        # Google's endpoints (allauth's keys, read per request by users.social):
        # another host only for a fake Google in tests or local setups.
        "ACCESS_TOKEN_URL": env("GOOGLE_TOKEN_URL", default="https://oauth2.googleapis.com/token"),
        "IDENTITY_URL": env(
            "GOOGLE_USERINFO_URL", default="https://www.googleapis.com/oauth2/v2/userinfo"
        ),
        "CERTS_URL": env("GOOGLE_CERTS_URL", default="https://www.googleapis.com/oauth2/v1/certs"),
    }
}
# Seconds each request to a social provider (Google) may take to connect or answer.
SOCIALACCOUNT_REQUESTS_TIMEOUT = env.float("SOCIALACCOUNT_REQUESTS_TIMEOUT", default=5.0)
# Longest Retry-After a 503 social_provider_unavailable passes on from the provider.
SOCIAL_RETRY_AFTER_MAX_SECONDS = env.int("SOCIAL_RETRY_AFTER_MAX_SECONDS", default=60)
FRONTEND_URL = env("FRONTEND_URL", default="http://localhost:3000")
# This API's own origin as clients reach it (https://api.example.com), scheme and
# host (and port) only. Every local media and static URL is made absolute with it:
# REST answers whatever Host a request came with, and what has no request (socket
# events, the event log, emails, push) alike, so one object has one form everywhere.
# Unset (development): REST takes the request's origin and the rest
# DEFAULT_PUBLIC_ORIGIN (`make run`'s address); `check --deploy` warns when it is
# unset with DEBUG off. PUBLIC_URL is its former name, still read.
DEFAULT_PUBLIC_ORIGIN = "http://localhost:8000"
PUBLIC_ORIGIN = env("PUBLIC_ORIGIN", default=env("PUBLIC_URL", default="")).rstrip("/")
if PUBLIC_ORIGIN:
    _origin = urlsplit(PUBLIC_ORIGIN)
    if (
        _origin.scheme not in ("http", "https")
        or not _origin.hostname
        or _origin.path
        or _origin.query
        or _origin.fragment
        or _origin.username
    ):
        raise ImproperlyConfigured(
            f"PUBLIC_ORIGIN must be an origin such as https://api.example.com "
            f"(scheme, host, optional port; no path): {PUBLIC_ORIGIN!r}"
        )

REST_AUTH = {
    "USE_JWT": True,
    # Web sessions (users/web_session.py): a browser that sends X-Session-Cookie: 1
    # gets its refresh token as this cookie; the access token stays in the body.
    # Mobile clients keep both tokens in the body. The project's auth views use
    # these settings only on that opt-in.
    "JWT_AUTH_HTTPONLY": True,
    "JWT_AUTH_COOKIE": None,
    "JWT_AUTH_REFRESH_COOKIE": env("JWT_AUTH_REFRESH_COOKIE", default="refresh_token"),
    "JWT_AUTH_REFRESH_COOKIE_PATH": "/api/",
    "JWT_AUTH_SECURE": env.bool("JWT_AUTH_SECURE", default=not DEBUG),
    "JWT_AUTH_SAMESITE": env("JWT_AUTH_SAMESITE", default="Strict"),
    "JWT_AUTH_COOKIE_USE_CSRF": True,
    "SESSION_LOGIN": False,
    "TOKEN_MODEL": None,
    # Each login's tokens carry a session id (`sid`): logout ends that session only.
    "JWT_TOKEN_CLAIMS_SERIALIZER": "users.sessions.SessionTokenSerializer",
    "USER_DETAILS_SERIALIZER": "users.serializers.MeSerializer",
    "REGISTER_SERIALIZER": "users.serializers.RegisterSerializer",
    "PASSWORD_RESET_SERIALIZER": "users.serializers.PasswordResetSerializer",
    "OLD_PASSWORD_FIELD_ENABLED": True,
    "LOGOUT_ON_PASSWORD_CHANGE": False,
}

# --- REST framework ---------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["users.auth.JWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    # JSON bodies only: the clients send JSON, and a form body is a 415. The image
    # uploads (multipart) set their own parser_classes.
    "DEFAULT_PARSER_CLASSES": ["core.parsers.JSONParser"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.KeysetPagination",
    "PAGE_SIZE": env.int("API_PAGE_SIZE", default=20),
    "DEFAULT_SCHEMA_CLASS": "core.schema.AutoSchema",
    "EXCEPTION_HANDLER": "drf_standardized_errors.handler.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "core.throttles.AnonDefaultThrottle",
        "core.throttles.UserDefaultThrottle",
        "core.throttles.ScopedThrottle",
        "core.throttles.EmailScopedThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("THROTTLE_ANON", default="120/min"),
        "user": env("THROTTLE_USER", default="600/min"),
        "login": env("THROTTLE_LOGIN", default="10/min"),
        "registration": env("THROTTLE_REGISTRATION", default="5/min"),
        "password_reset": env("THROTTLE_PASSWORD_RESET", default="5/hour"),
        # Per email address in the body, whatever address the requests come from.
        "login_account": env("THROTTLE_LOGIN_ACCOUNT", default="20/hour"),
        "password_reset_email": env("THROTTLE_PASSWORD_RESET_EMAIL", default="3/hour"),
        "token_refresh": env("THROTTLE_TOKEN_REFRESH", default="30/min"),
        # Searches (forum/search/ and users/search/ together), per user.
        "search": env("THROTTLE_SEARCH", default="120/min"),
    },
    # Forwarded headers are trusted only from this many proxies in front (none by
    # default): the client address is REMOTE_ADDR, so a forged X-Forwarded-For
    # changes nothing.
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
API_MAX_PAGE_SIZE = env.int("API_MAX_PAGE_SIZE", default=100)
# JSON bodies and socket frames nested deeper than this are refused as malformed.
API_JSON_MAX_DEPTH = env.int("API_JSON_MAX_DEPTH", default=32)

DRF_STANDARDIZED_ERRORS = {
    "ENABLE_IN_DEBUG_FOR_UNHANDLED_EXCEPTIONS": True,
    "EXCEPTION_HANDLER_CLASS": "core.errors.ExceptionHandler",
    # Document the auth codes (expired token, suspended account) on every 401.
    "ERROR_SCHEMAS": {"401": "users.openapi.AuthErrorResponse401Serializer"},
}

_ERROR_SERIALIZERS = "drf_standardized_errors.openapi_serializers"
SPECTACULAR_SETTINGS = {
    "TITLE": "Platform API",
    "DESCRIPTION": (
        "REST API of the social platform: users and auth, forum, chat, "
        "notifications and shop. Authenticate with `Authorization: Bearer <access JWT>`. "
        "Errors share one shape (see the error components). The WebSocket gateway "
        "at `/ws/` is described by its AsyncAPI document at `/api/asyncapi/`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No call to the public spec validator: the docs page talks to this server only.
    "SWAGGER_UI_SETTINGS": {
        "deepLinking": True,
        "persistAuthorization": True,
        "validatorUrl": None,
    },
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "PREPROCESSING_HOOKS": ["core.schema.only_canonical_paths"],
    "POSTPROCESSING_HOOKS": [
        "drf_standardized_errors.openapi_hooks.postprocess_schema_enums",
        "core.schema.list_item_attrs",
    ],
    "ENUM_NAME_OVERRIDES": {
        "ValidationErrorEnum": f"{_ERROR_SERIALIZERS}.ValidationErrorEnum.choices",
        "ClientErrorEnum": f"{_ERROR_SERIALIZERS}.ClientErrorEnum.choices",
        "ServerErrorEnum": f"{_ERROR_SERIALIZERS}.ServerErrorEnum.choices",
        "ErrorCode401Enum": f"{_ERROR_SERIALIZERS}.ErrorCode401Enum.choices",
        "ErrorCode403Enum": f"{_ERROR_SERIALIZERS}.ErrorCode403Enum.choices",
        "ErrorCode404Enum": f"{_ERROR_SERIALIZERS}.ErrorCode404Enum.choices",
        "ErrorCode405Enum": f"{_ERROR_SERIALIZERS}.ErrorCode405Enum.choices",
        "ErrorCode406Enum": f"{_ERROR_SERIALIZERS}.ErrorCode406Enum.choices",
        "ErrorCode415Enum": f"{_ERROR_SERIALIZERS}.ErrorCode415Enum.choices",
        "ErrorCode429Enum": f"{_ERROR_SERIALIZERS}.ErrorCode429Enum.choices",
        "ErrorCode500Enum": f"{_ERROR_SERIALIZERS}.ErrorCode500Enum.choices",
        "ReportStatusEnum": "forum.models.ReportStatus",
        "ReportReasonEnum": "core.reports.ReportReason",
        "ReportActionEnum": "forum.moderation.ResolveAction.CHOICES",
        "ConversationKindEnum": "chat.models.Kind",
        "ParticipantRoleEnum": "chat.models.Role",
    },
}

# --- CORS and security headers ----------------------------------------------

CORS_ALLOWED_ORIGINS = WEB_ORIGINS
CORS_ALLOW_ALL_ORIGINS = env.bool("CORS_ALLOW_ALL_ORIGINS", default=False)
CORS_URLS_REGEX = r"^/(api|ws)/.*$"
CORS_EXPOSE_HEADERS = ["X-Request-ID", "Retry-After"]
# Web sessions from an allowed origin: the opt-in header, and the refresh cookie.
CORS_ALLOW_HEADERS = (*cors_default_headers, "x-session-cookie")
CORS_ALLOW_CREDENTIALS = True

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^health/$", r"^ready/$", r"^metrics$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
# A web frontend on a sibling host (app.example.org beside api.example.org) reads the
# csrftoken cookie to send X-CSRFToken on a cookie refresh: ".example.org" lets it.
CSRF_COOKIE_DOMAIN = env("CSRF_COOKIE_DOMAIN", default=None)
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# --- Realtime gateway -------------------------------------------------------

REALTIME = {
    # Largest inbound frame accepted; larger ones get an `error` reply.
    "MAX_FRAME_BYTES": env.int("WS_MAX_FRAME_BYTES", default=64 * 1024),
    # Inbound rate limit per socket: a token bucket.
    "RATE_LIMIT_PER_SECOND": env.float("WS_RATE_LIMIT_PER_SECOND", default=10.0),
    "RATE_LIMIT_BURST": env.int("WS_RATE_LIMIT_BURST", default=30),
    # Frames refused for rate before the socket is closed with 4008.
    "RATE_LIMIT_STRIKES": env.int("WS_RATE_LIMIT_STRIKES", default=20),
    # Streams one socket may be subscribed to at once.
    "MAX_SUBSCRIPTIONS": env.int("WS_MAX_SUBSCRIPTIONS", default=100),
    # Per-user event log kept for `?since=` resume.
    "EVENT_LOG_MAXLEN": env.int("WS_EVENT_LOG_MAXLEN", default=500),
    "EVENT_LOG_TTL_SECONDS": env.int("WS_EVENT_LOG_TTL_SECONDS", default=24 * 3600),
    # Addressed events logged and sent per Redis call when many go out at once
    # (a broadcast batch): each call holds Redis for the whole chunk.
    "PUBLISH_CHUNK_SIZE": env.int("WS_PUBLISH_CHUNK_SIZE", default=500),
    # Presence: a key per online user, refreshed by heartbeats.
    "PRESENCE_TTL_SECONDS": env.int("WS_PRESENCE_TTL_SECONDS", default=60),
}

# --- Users -----------------------------------------------------------------

USERS = {
    # Seconds a public profile stays in the shared cache (0: no caching); see users/cache.py.
    "PROFILE_CACHE_SECONDS": env.int("USERS_PROFILE_CACHE_SECONDS", default=300),
    # One row per user per day for daily active users (users/activity.py).
    "RECORD_ACTIVITY": env.bool("USERS_RECORD_ACTIVITY", default=True),
}

# --- Forum -----------------------------------------------------------------

FORUM = {
    "POST_MAX_LENGTH": env.int("FORUM_POST_MAX_LENGTH", default=5000),
    "COMMENT_MAX_LENGTH": env.int("FORUM_COMMENT_MAX_LENGTH", default=2000),
    "MAX_TAGS": env.int("FORUM_MAX_TAGS", default=10),
    # Replies nest at most this deep (a top-level comment has depth 0).
    "MAX_COMMENT_DEPTH": env.int("FORUM_MAX_COMMENT_DEPTH", default=3),
    "PROFANITY_WORDS": env.list("FORUM_PROFANITY_WORDS", default=[]),
    # "mask" replaces all but the first letter with *; "reject" refuses the text.
    "PROFANITY_MODE": env("FORUM_PROFANITY_MODE", default="mask"),
    # Most posts and most users one search answers with.
    "SEARCH_RESULTS": env.int("FORUM_SEARCH_RESULTS", default=20),
    # Seconds a public post's shared body stays cached (0: no caching); see forum/cache.py.
    "CACHE_SECONDS": env.int("FORUM_CACHE_SECONDS", default=300),
    # Tags listed by GET /forum/tags/, and seconds that list stays cached (0: no caching).
    "POPULAR_TAGS": env.int("FORUM_POPULAR_TAGS", default=20),
    "TAGS_CACHE_SECONDS": env.int("FORUM_TAGS_CACHE_SECONDS", default=60),
}

# --- Chat -------------------------------------------------------------------

# Most participants of a group conversation, its owner included.
CHAT_MAX_GROUP_SIZE = env.int("CHAT_MAX_GROUP_SIZE", default=500)
# Longest message body, in characters.
CHAT_MAX_MESSAGE_LENGTH = env.int("CHAT_MAX_MESSAGE_LENGTH", default=4000)
# Socket: at most one `chat.typing` per user and conversation this often goes out.
CHAT_TYPING_INTERVAL_SECONDS = env.float("CHAT_TYPING_INTERVAL_SECONDS", default=3.0)
# How often beat tells the leave of users whose server died (presence expired).
CHAT_PRESENCE_SWEEP_SECONDS = env.int("CHAT_PRESENCE_SWEEP_SECONDS", default=30)
# Most participants a `chat.conversation.updated` event and a conversation list item
# carry (owner, admins, then by seniority; at least 2); `participant_count` has them all
# and the detail (`GET conversations/{id}/`) lists every one.
CHAT_EVENT_PARTICIPANTS_MAX = env.int("CHAT_EVENT_PARTICIPANTS_MAX", default=20)

# --- Notifications ----------------------------------------------------------

NOTIFICATIONS = {
    # Likes on one target within this many seconds fold into one unread row.
    "COLLAPSE_WINDOW_SECONDS": env.int("NOTIFICATIONS_COLLAPSE_WINDOW_SECONDS", default=3600),
    # Actors a folded row remembers ("A, B and 3 others").
    "RECENT_ACTORS": 3,
    # Most users one post or comment can notify by @mention.
    "MAX_MENTIONS": env.int("NOTIFICATIONS_MAX_MENTIONS", default=10),
    # Recipients per broadcast batch: one bulk insert and one short transaction each.
    "BROADCAST_BATCH_SIZE": env.int("NOTIFICATIONS_BROADCAST_BATCH_SIZE", default=1000),
    # A broadcast task hands over to a fresh task after this many seconds.
    "BROADCAST_TASK_SECONDS": env.int("NOTIFICATIONS_BROADCAST_TASK_SECONDS", default=30),
    "DIGEST_MAX_ITEMS": env.int("NOTIFICATIONS_DIGEST_MAX_ITEMS", default=20),
    # Hours an event stays deduped (like -> unlike -> like tells once within it);
    # older dedupe rows are deleted by beat, at most DEDUPE_PRUNE_BATCH_SIZE per statement.
    "DEDUPE_RETENTION_HOURS": env.int("NOTIFICATIONS_DEDUPE_RETENTION_HOURS", default=90 * 24),
    "DEDUPE_PRUNE_BATCH_SIZE": env.int("NOTIFICATIONS_DEDUPE_PRUNE_BATCH_SIZE", default=5000),
    # notifications.push.LoggingPushBackend (default) or notifications.push.FCMBackend.
    "PUSH_BACKEND": env("PUSH_BACKEND", default="notifications.push.LoggingPushBackend"),
    "PUSH_MAX_RETRIES": env.int("PUSH_MAX_RETRIES", default=5),
    "PUSH_RETRY_BACKOFF_SECONDS": env.int("PUSH_RETRY_BACKOFF_SECONDS", default=2),
    # Longest wait a provider's Retry-After (on 429 / 503) can ask of a push retry.
    "PUSH_RETRY_AFTER_MAX_SECONDS": env.int("PUSH_RETRY_AFTER_MAX_SECONDS", default=600),
    "FCM_PROJECT_ID": env("FCM_PROJECT_ID", default=""),
    "FCM_BASE_URL": env("FCM_BASE_URL", default="https://fcm.googleapis.com"),
    # A ready OAuth token (tests, short-lived setups); else the service account file.
    "FCM_ACCESS_TOKEN": env("FCM_ACCESS_TOKEN", default=""),
    "FCM_SERVICE_ACCOUNT_FILE": env("FCM_SERVICE_ACCOUNT_FILE", default=""),
    "FCM_TIMEOUT_SECONDS": env.float("FCM_TIMEOUT_SECONDS", default=10.0),
}
if NOTIFICATIONS["DEDUPE_RETENTION_HOURS"] * 3600 < NOTIFICATIONS["COLLAPSE_WINDOW_SECONDS"]:
    # notifications.services.delivery.dedupe_retention() checks the same at run time.
    raise ImproperlyConfigured(
        "NOTIFICATIONS_DEDUPE_RETENTION_HOURS must cover NOTIFICATIONS_COLLAPSE_WINDOW_SECONDS."
    )

# --- Shop (commerce) ----------------------------------------------------------

# Stripe. Without a secret key the catalogue and the cart work and checkout answers
# 503 payments_not_configured.
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default="")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", default="")
# The API's base URL: another only for a fake Stripe in tests or local setups.
STRIPE_API_BASE = env("STRIPE_API_BASE", default="https://api.stripe.com")
# Seconds one request to Stripe may take (connect and answer) before checkout gives up.
STRIPE_TIMEOUT_SECONDS = env.float("STRIPE_TIMEOUT_SECONDS", default=10.0)
# Retries of a request Stripe did not answer (same Idempotency-Key: never a second session).
STRIPE_MAX_NETWORK_RETRIES = env.int("STRIPE_MAX_NETWORK_RETRIES", default=1)
# Oldest webhook signature timestamp accepted, in seconds (replays older are refused).
STRIPE_WEBHOOK_TOLERANCE_SECONDS = env.int("STRIPE_WEBHOOK_TOLERANCE_SECONDS", default=300)
SHOP_CURRENCY = env("SHOP_CURRENCY", default="eur").lower()
# Stock is held for an unpaid order this long; the Checkout Session expires with it.
CHECKOUT_RESERVATION_MINUTES = env.int("CHECKOUT_RESERVATION_MINUTES", default=30)
if not 30 <= CHECKOUT_RESERVATION_MINUTES <= 24 * 60:
    # Stripe's bounds for a Checkout Session's expires_at.
    raise ImproperlyConfigured("CHECKOUT_RESERVATION_MINUTES must be between 30 and 1440.")
CHECKOUT_SUCCESS_URL = env(
    "CHECKOUT_SUCCESS_URL",
    default=f"{FRONTEND_URL.rstrip('/')}/orders/{{ORDER_ID}}?paid=1&session_id={{CHECKOUT_SESSION_ID}}",
)
CHECKOUT_CANCEL_URL = env(
    "CHECKOUT_CANCEL_URL", default=f"{FRONTEND_URL.rstrip('/')}/cart?checkout=cancelled"
)
# Most units of one product per cart line (and per order line), and most lines per cart.
SHOP_MAX_QUANTITY = env.int("SHOP_MAX_QUANTITY", default=10)
SHOP_MAX_CART_LINES = env.int("SHOP_MAX_CART_LINES", default=50)
# What one buyer's unpaid orders may hold at once, so that nobody holds a
# product's stock from everyone else by checking out and never paying: at most
# this many unpaid orders (a third checkout answers 409 too_many_unpaid_orders)...
SHOP_MAX_UNPAID_ORDERS_PER_BUYER = env.int("SHOP_MAX_UNPAID_ORDERS_PER_BUYER", default=2)
# ...and across them at most this many units of one product (409 reservation_limit):
# no more than one order may hold (SHOP_MAX_QUANTITY) by default.
SHOP_MAX_RESERVED_UNITS_PER_PRODUCT_PER_BUYER = env.int(
    "SHOP_MAX_RESERVED_UNITS_PER_PRODUCT_PER_BUYER", default=SHOP_MAX_QUANTITY
)
if SHOP_MAX_UNPAID_ORDERS_PER_BUYER < 1 or SHOP_MAX_RESERVED_UNITS_PER_PRODUCT_PER_BUYER < 1:
    raise ImproperlyConfigured("The shop's per-buyer bounds must be 1 or more.")

# --- Celery -----------------------------------------------------------------

# Without Redis, tasks run eagerly; Celery still opens a producer on the in-process
# memory transport, which warns about a missing hostname unless the URL names one.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL or "memory://localhost/")
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
# Every task is acknowledged once it has run, and put back if its worker dies
# (commerce.tasks lists the ones that move money or mail, which say so themselves).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# Redis hands a task taken but never acknowledged (its worker was killed) to another
# worker after this many seconds. It must exceed the longest task and the longest
# countdown of a retry (Celery's retry_backoff stops at 600 s), or a task still
# running or waiting is handed out twice.
CELERY_VISIBILITY_TIMEOUT_SECONDS = env.int("CELERY_VISIBILITY_TIMEOUT_SECONDS", default=3600)
# How often a worker looks for such tasks to put back (kombu's sweep).
CELERY_UNACKED_RESTORE_INTERVAL_SECONDS = env.int(
    "CELERY_UNACKED_RESTORE_INTERVAL_SECONDS", default=10
)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT_SECONDS,
    "unacked_restore_interval": CELERY_UNACKED_RESTORE_INTERVAL_SECONDS,
    "unacked_restore_throttle": 1,  # every sweep scans, not every tenth
}
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
# Keep the project's LOGGING (with request ids) in the worker too.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE = {
    "flush-expired-tokens": {
        "task": "users.tasks.flush_expired_tokens",
        "schedule": timedelta(hours=24),
    },
    "delete-orphan-forum-media": {
        "task": "forum.tasks.delete_orphan_media",
        "schedule": timedelta(hours=1),
    },
    "delete-orphan-chat-media": {
        "task": "chat.tasks.delete_orphan_media",
        "schedule": timedelta(hours=1),
    },
    "notifications-daily-digest": {
        "task": "notifications.tasks.send_daily_digests",
        "schedule": timedelta(hours=24),
    },
    "notifications-prune-dedupe": {
        "task": "notifications.tasks.prune_notification_dedupe",
        "schedule": timedelta(hours=1),
    },
    "chat-sweep-presence": {
        "task": "chat.tasks.sweep_presence",
        "schedule": timedelta(seconds=CHAT_PRESENCE_SWEEP_SECONDS),
    },
    # Unpaid orders past their reservation: asks Stripe, then pays or expires them.
    "commerce-reconcile-checkouts": {
        "task": "commerce.tasks.reconcile_checkouts",
        "schedule": timedelta(minutes=5),
    },
}

# --- Storage and media ------------------------------------------------------

AWS_STORAGE_BUCKET_NAME = env("AWS_STORAGE_BUCKET_NAME", default="")
MEDIA_URL = env("MEDIA_URL", default="/media/")
MEDIA_ROOT = env("MEDIA_ROOT", default=str(BASE_DIR / "media"))
STATIC_URL = "/static/"
STATIC_ROOT = env("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))

# Read whether or not a bucket is set (S3Storage only looks at them when it is the
# default storage), so tests and tools can switch STORAGES alone.
AWS_S3_ENDPOINT_URL = env("AWS_S3_ENDPOINT_URL", default=None)
AWS_S3_REGION_NAME = env("AWS_S3_REGION_NAME", default=None)
AWS_S3_CUSTOM_DOMAIN = env("AWS_S3_CUSTOM_DOMAIN", default=None)
AWS_QUERYSTRING_AUTH = not AWS_S3_CUSTOM_DOMAIN
AWS_QUERYSTRING_EXPIRE = env.int("AWS_QUERYSTRING_EXPIRE", default=3600)
# Media not everyone may see: signed, expiring URLs (core.media; .env.example).
MEDIA_URL_EXPIRY_SECONDS = env.int("MEDIA_URL_EXPIRY_SECONDS", default=3600)
MEDIA_ACCEL_REDIRECT = env("MEDIA_ACCEL_REDIRECT", default="")
MEDIA_PUBLIC_PREFIXES = env.list("MEDIA_PUBLIC_PREFIXES", default=["avatars/", "products/"])
# Signature V4 everywhere: botocore would presign with the deprecated V2 in us-east-1.
AWS_S3_SIGNATURE_VERSION = "s3v4"
AWS_DEFAULT_ACL = None
AWS_S3_FILE_OVERWRITE = False

if AWS_STORAGE_BUCKET_NAME:
    _default_storage = {"BACKEND": "storages.backends.s3.S3Storage"}
else:
    _default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}

STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        # Compressed copies made by collectstatic, served by WhiteNoise.
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage",
    },
}

MEDIA = {
    "MAX_UPLOAD_BYTES": env.int("MEDIA_MAX_UPLOAD_BYTES", default=10 * 1024 * 1024),
    "MAX_PIXELS": env.int("MEDIA_MAX_PIXELS", default=40_000_000),
    "AVATAR_SIZE": env.int("MEDIA_AVATAR_SIZE", default=512),
    # Post images are scaled down to this many pixels on the long side.
    "POST_IMAGE_MAX_SIDE": env.int("MEDIA_POST_IMAGE_MAX_SIDE", default=2048),
    "THUMBNAIL_SIZES": env.list("MEDIA_THUMBNAIL_SIZES", cast=int, default=[320, 640]),
    "MAX_FILES_PER_BATCH": env.int("MEDIA_MAX_FILES_PER_BATCH", default=10),
    # Uploads never attached to a post are deleted after this long.
    "ORPHAN_GRACE_HOURS": env.int("MEDIA_ORPHAN_GRACE_HOURS", default=24),
}
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)

# --- Email ------------------------------------------------------------------

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="no-reply@localhost")
# Seconds the SMTP backend waits on the mail server (connect, each reply) before
# giving up: a hung server fails the send (the task retries) instead of holding it.
EMAIL_TIMEOUT = env.float("EMAIL_TIMEOUT", default=30.0)
# A worker sending an order's receipt holds it this long; another copy of the task
# waits it out. Longer than a send can take (EMAIL_TIMEOUT), so two never send at once.
SHOP_RECEIPT_LEASE_SECONDS = env.float("SHOP_RECEIPT_LEASE_SECONDS", default=120.0)
if SHOP_RECEIPT_LEASE_SECONDS <= EMAIL_TIMEOUT:
    raise ImproperlyConfigured("SHOP_RECEIPT_LEASE_SECONDS must exceed EMAIL_TIMEOUT.")

# --- I18n -------------------------------------------------------------------

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Logging: every line carries the request id ------------------------------

LOG_LEVEL = env("LOG_LEVEL", default="INFO")
# "json": one JSON object per line (core.logging.JsonFormatter); "text": the plain
# line. Both redact tokens and passwords.
LOG_FORMAT = env("LOG_FORMAT", default="json")
if LOG_FORMAT not in {"json", "text"}:
    raise ImproperlyConfigured("LOG_FORMAT must be json or text.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "core.logging.RequestIdFilter"}},
    "formatters": {
        "text": {
            "()": "core.logging.TextFormatter",
            "format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s",
        },
        "json": {"()": "core.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": LOG_FORMAT,
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
    },
}

# --- Observability: metrics and error reporting --------------------------------

# /metrics (Prometheus) answers these addresses or networks (REMOTE_ADDR, never a
# forwarded header) and requests with `Authorization: Bearer <METRICS_TOKEN>`.
METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=["127.0.0.1", "::1"])
METRICS_TOKEN = env("METRICS_TOKEN", default="")
# A Celery worker serves its metrics on this port (0: not at all).
METRICS_WORKER_PORT = env.int("METRICS_WORKER_PORT", default=0)
METRICS_WORKER_ADDR = env("METRICS_WORKER_ADDR", default="127.0.0.1")
# prometheus_client's multiprocess directory (it reads the variable itself, at
# import): set on prefork workers so their children's counts are summed.
PROMETHEUS_MULTIPROC_DIR = env("PROMETHEUS_MULTIPROC_DIR", default="")
PROMETHEUS_EXPORT_MIGRATIONS = False

# Sentry: on when SENTRY_DSN is set, with no personal data (core/sentry.py).
SENTRY_DSN = env("SENTRY_DSN", default="")
SENTRY_ENVIRONMENT = env("SENTRY_ENVIRONMENT", default="")
SENTRY_RELEASE = env("SENTRY_RELEASE", default="")
SENTRY_TRACES_SAMPLE_RATE = env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0)
if SENTRY_DSN:
    from core.sentry import init_sentry

    init_sentry(
        dsn=SENTRY_DSN,
        environment=SENTRY_ENVIRONMENT,
        release=SENTRY_RELEASE,
        traces_sample_rate=SENTRY_TRACES_SAMPLE_RATE,
    )

# /ready/ also checks S3 and Stripe when they are configured, as optional parts:
# reported, never failing readiness. Seconds each of those checks may take.
READY_OPTIONAL_TIMEOUT_SECONDS = env.float("READY_OPTIONAL_TIMEOUT_SECONDS", default=2.0)

# --- Staff dashboard (staff/dashboard.py) --------------------------------------

# Seconds the dashboard's figures stay cached (0: computed on every view), and how
# often beat recomputes the 7/30/90-day ranges into the cache (0: never; keep it
# below the cache's lifetime so staff always read a warm copy).
DASHBOARD_CACHE_SECONDS = env.int("DASHBOARD_CACHE_SECONDS", default=120)
DASHBOARD_REFRESH_SECONDS = env.int("DASHBOARD_REFRESH_SECONDS", default=60)
# Keep each settled day's figures in staff.DashboardDay and count only today live
# (False: every view counts the whole range).
DASHBOARD_ROLLUP = env.bool("DASHBOARD_ROLLUP", default=True)
if DASHBOARD_REFRESH_SECONDS > 0:
    CELERY_BEAT_SCHEDULE["core-refresh-dashboard"] = {
        "task": "core.tasks.refresh_dashboard",
        "schedule": timedelta(seconds=DASHBOARD_REFRESH_SECONDS),
    }
