"""Koers settings. Everything that differs between machines comes from the environment.

Safe local defaults: an SQLite file under var/, DEBUG on only when asked, a throwaway
secret key outside production.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if env_bool("KOERS_PRODUCTION", False):
        raise RuntimeError("SECRET_KEY must be set when KOERS_PRODUCTION is on")
    SECRET_KEY = "insecure-local-only-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "template_partials",
    "axes",
    "portal",
    "customers",
    "kpis",
    "personas",
    "roadmap",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "portal.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "portal.middleware.TenantMiddleware",
    # Last: turns a locked-out login attempt into the lockout page (429).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "koers.urls"
WSGI_APPLICATION = "koers.wsgi.application"
ASGI_APPLICATION = "koers.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.navigation",
            ],
        },
    },
]

(BASE_DIR / "var").mkdir(exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'var' / 'koers.sqlite3'}"),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Row-level security (portal.rls, docs/security.md): the application connects as
    # DATABASE_URL's role, which neither owns the tables nor has BYPASSRLS; migrations (and the
    # test database) run as DATABASE_OWNER_URL's role; Django's admin reads across tenants
    # through DATABASE_ADMIN_URL's role (BYPASSRLS; default: the owner).
    DATABASES["default"]["ENGINE"] = "portal.db"
    # The planner's cost of a random page read, for this application's connections. PostgreSQL's
    # default (4) assumes spinning disks; on SSDs (1.1) a rep's 1,300 accounts are joined to
    # their scores and persona rows by index instead of by scanning the tenant's whole tables,
    # so a portfolio page costs what the rep's book costs, not what the tenant's size does
    # (docs/scaling.md). Empty: the server's own setting.
    _random_page_cost = os.environ.get("DB_RANDOM_PAGE_COST", "1.1")
    if _random_page_cost:
        DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
            f"-c random_page_cost={float(_random_page_cost)}"
        )
    _owner_url = os.environ.get("DATABASE_OWNER_URL")
    if _owner_url:
        _owner = dj_database_url.parse(_owner_url)
        DATABASES["default"]["APP_USER"] = DATABASES["default"]["USER"]
        DATABASES["default"]["OWNER"] = {
            "USER": _owner["USER"],
            "PASSWORD": _owner.get("PASSWORD", ""),
        }
        _admin = dj_database_url.parse(os.environ.get("DATABASE_ADMIN_URL", _owner_url))
        DATABASES["owner"] = {
            **_admin,
            "NAME": DATABASES["default"]["NAME"],
            "TEST": {"MIRROR": "default"},
        }
        DATABASE_ROUTERS = ["portal.db.routers.OwnerForAdminRouter"]
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
    # The test database is a file, never Django's default in-memory database: an in-memory
    # database is one connection shared with the live server's thread (browser tests), so a
    # request still in flight when a browser test ends could leave that connection inside its
    # transaction while the next test runs. A file gives every thread its own connection.
    _sqlite_name = Path(DATABASES["default"]["NAME"] or "var/koers.sqlite3")
    if _sqlite_name.name != ":memory:":
        DATABASES["default"].setdefault("TEST", {}).setdefault(
            "NAME", str(_sqlite_name.with_name(f"test_{_sqlite_name.stem}.sqlite3"))
        )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Django's cache: this process's memory unless CACHE_URL names a Redis (redis://host:port/db),
# which several web processes then share. The page cache (portal.pagecache) keys every entry
# on the tenant's data version, so either is correct; Redis only saves each process its own
# first render.
_cache_url = os.environ.get("CACHE_URL", "")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _cache_url}
        if _cache_url
        else {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": 2000},
        }
    )
}
# How long a rendered page stays cached at most (0: no page cache).
PAGE_CACHE_SECONDS = int(os.environ.get("PAGE_CACHE_SECONDS", str(6 * 3600)))
# After a recompute, render each member's page into the cache (portal.pagewarm).
PAGE_WARM = env_bool("PAGE_WARM", True)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # First: refuses logins from a locked-out username + address before checking the password.
    "portal.auth_backends.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Login throttling (django-axes): after AXES_FAILURE_LIMIT failed logins for one username from
# one address, that pair is locked out for the cool-off time (429). Failed API tokens are
# counted per address the same way (portal.api_auth). Behind a proxy, KOERS_PROXY_COUNT tells
# how many proxies add an address to X-Forwarded-For.
AXES_FAILURE_LIMIT = "portal.auth_backends.failure_limit"
LOGIN_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "portal/locked_out.html"
AXES_VERBOSE = False
AXES_IPWARE_PROXY_COUNT = int(os.environ.get("KOERS_PROXY_COUNT", "0")) or None
API_TOKEN_FAILURE_LIMIT = int(os.environ.get("API_TOKEN_FAILURE_LIMIT", "20"))

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "choose_tenant"
LOGOUT_REDIRECT_URL = "login"

# Sessions end after a working day of inactivity and when the browser closes.
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(8 * 3600)))
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# Behind HTTPS (production) cookies are secure and HSTS is on.
SECURE_HTTPS = env_bool("SECURE_HTTPS", False)
SESSION_COOKIE_SECURE = SECURE_HTTPS
CSRF_COOKIE_SECURE = SECURE_HTTPS
SECURE_SSL_REDIRECT = SECURE_HTTPS
SECURE_HSTS_SECONDS = 31536000 if SECURE_HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HTTPS
SECURE_HSTS_PRELOAD = SECURE_HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if SECURE_HTTPS else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; "
    "base-uri 'self'; object-src 'none'"
)

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("nl", _("Dutch")), ("da", _("Danish"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns about a missing root
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("KOERS_MANIFEST_STATIC", False)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
MEDIA_ROOT = BASE_DIR / "var" / "media"

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "koers@localhost")
# Links in e-mails (weekly digest, board pack) point here.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")

CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or None
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 4 * 3600}
CELERY_TASK_SOFT_TIME_LIMIT = 2 * 3600
CELERY_TASK_TIME_LIMIT = 2 * 3600 + 300
CELERY_TIMEZONE = "UTC"

# The API lives under /t/<slug>/api/v1/ (docs/api.md). TenantMiddleware checks API tokens and
# memberships; DRF sees the token through ApiTokenAuthentication.
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "portal.api_auth.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["portal.api_auth.TenantApiPermission"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 100,
    # Amounts go out as JSON numbers, the form a push takes back whatever the tenant's locale.
    "COERCE_DECIMAL_TO_STRING": False,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Koers API",
    "DESCRIPTION": "Tenant-scoped API: read customers and orders, push data like the importers.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/t/\{tenant_slug\}/api/v[0-9]+",
    # Swagger UI from the drf-spectacular-sidecar package: no CDN (CSP is 'self' only).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}
