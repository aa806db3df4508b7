"""Settings of the TRI portal: one module, read from the environment.

Embedded default (no variable set): SQLite file under ``var/``, Celery tasks run
eagerly in-process. Full stack: ``DATABASE_URL=postgres://…`` and
``CELERY_BROKER_URL=redis://…``. See README.md for every variable.
"""

import json
from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from tri_portal.env import env_bool, env_int, env_list, env_str, parse_database_url

BASE_DIR = Path(__file__).resolve().parent.parent

# --- Core -------------------------------------------------------------------

# Development default: refused by wsgi/asgi/Celery and by `check --deploy`
# whenever DEBUG is off (see tri_portal/production.py).
DEV_SECRET_KEY = "django-insecure-tri-portal-development-only-never-use-in-production"
SECRET_KEY = env_str("SECRET_KEY", DEV_SECRET_KEY)
DEBUG = env_bool("DEBUG", default=False)
# In DEBUG (`make run`), answer a missing page or a server error with the portal's French
# pages, as in production, instead of Django's technical pages (the traceback is still in
# the terminal); TRI_TECHNICAL_ERROR_PAGES=1 brings those back for debugging.
TRI_TECHNICAL_ERROR_PAGES = env_bool("TRI_TECHNICAL_ERROR_PAGES", default=False)
# TRI_ENV=production: every hardening default on, JSON logs, and the process refuses
# to start with DEBUG on or the development key (see tri_portal/production.py).
TRI_ENV = env_str("TRI_ENV", "development")
PRODUCTION = TRI_ENV == "production"
if PRODUCTION and (DEBUG or SECRET_KEY == DEV_SECRET_KEY):
    raise ImproperlyConfigured(
        "TRI_ENV=production refuses DEBUG=1 and the development SECRET_KEY: set DEBUG=0 "
        "and SECRET_KEY to a long random value."
    )
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

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
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "simple_history",
    "axes",
    "csp",
    "kit",
    "tri_portal",
    "territories",
    "indicators",
    "contracts",
]

MIDDLEWARE = [
    "tri_portal.observability.RequestLogMiddleware",
    "tri_portal.security.RejectNulMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "tri_portal.errors.FriendlyErrorPagesMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "tri_portal.urls"
WSGI_APPLICATION = "tri_portal.wsgi.application"
ASGI_APPLICATION = "tri_portal.asgi.application"

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
                "tri_portal.context_processors.site",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------

DATABASE_URL = env_str("DATABASE_URL", "sqlite:///var/db.sqlite3")
DATABASES = {"default": parse_database_url(DATABASE_URL, BASE_DIR)}
if (
    DATABASES["default"]["ENGINE"].endswith("sqlite3")
    and DATABASES["default"]["NAME"] != ":memory:"
):
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -------------------------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # Not a rule: Django tells it when a new password is saved; it revokes the API tokens.
    {"NAME": "tri_portal.accounts.RevokeTokensOnPasswordChange"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses a locked-out account or address
    "django.contrib.auth.backends.ModelBackend",
]
# Reverse proxies in front of the portal that append to X-Forwarded-For (docker-compose:
# 1). The client address (tri_portal.security.client_ip, DRF's throttles) is the entry
# the outermost one appended; 0: the header is ignored, the address is REMOTE_ADDR.
NUM_PROXIES = env_int("NUM_PROXIES", 0)
# Login protection (tri_portal.security.lockout_parameters): LOGIN_FAILURE_LIMIT failures
# for one username from one client address lock that pair for LOGIN_LOCKOUT_MINUTES
# (French page, HTTP 429); LOGIN_ADDRESS_FAILURE_LIMIT failures from one address lock it
# for every account, LOGIN_ACCOUNT_FAILURE_LIMIT failures on one account lock it from
# every address. Staff unlock in the admin (Axes → access attempts) or with
# `manage.py axes_reset_username <name>` / `axes_reset_ip <address>`.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
LOGIN_ADDRESS_FAILURE_LIMIT = env_int("LOGIN_ADDRESS_FAILURE_LIMIT", 20)
LOGIN_ACCOUNT_FAILURE_LIMIT = env_int("LOGIN_ACCOUNT_FAILURE_LIMIT", 50)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = "tri_portal.security.lockout_parameters"
AXES_CLIENT_IP_CALLABLE = "tri_portal.security.client_ip"
# Attempts refused by a lock are not counted (and do not prolong it): one person
# insisting weighs at most AXES_FAILURE_LIMIT in the address and account limits.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "tri_portal.security.lockout_response"
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "tri_portal.security.axes_username"
AXES_VERBOSE = False
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "officer:dashboard"
LOGOUT_REDIRECT_URL = "home"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24  # one day

# --- Internationalisation: French UI, English code ----------------------------

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français"))]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True
USE_THOUSAND_SEPARATOR = True
LOCALE_PATHS = [BASE_DIR / "locale"]

# --- Static files (vendored front-end libraries, served by whitenoise) --------

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded files (contract documents, evidence of reports) go through Django's storage
# API: the local filesystem under MEDIA_ROOT by default (a named volume in
# docker-compose), or any backend by settings only — an S3-compatible store with
# django-storages: MEDIA_STORAGE_BACKEND=storages.backends.s3.S3Storage and its options
# as JSON in MEDIA_STORAGE_OPTIONS (README). They are never served by an URL of the
# storage (MEDIA_URL is not routed): only by views that check who asks.
MEDIA_STORAGE_OPTIONS = env_str("MEDIA_STORAGE_OPTIONS").strip() or "{}"
try:
    MEDIA_STORAGE_OPTIONS = json.loads(MEDIA_STORAGE_OPTIONS)
except ValueError as exc:
    raise ImproperlyConfigured(f"MEDIA_STORAGE_OPTIONS is not JSON: {exc}") from exc
STORAGES = {
    "default": {
        "BACKEND": env_str("MEDIA_STORAGE_BACKEND", "django.core.files.storage.FileSystemStorage"),
        "OPTIONS": MEDIA_STORAGE_OPTIONS,
    },
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_URL = "/media/"
# A relative path is under the project (an absolute one replaces it).
MEDIA_ROOT = BASE_DIR / env_str("MEDIA_ROOT", "var/media")

# --- Cache (public pages): Redis in production, process memory by default ------

CACHE_URL = env_str("CACHE_URL")
CACHES = {
    "default": (
        {"BACKEND": "kit.cache.RedisCache", "LOCATION": CACHE_URL}
        if CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "tri"}
    )
}

# --- Celery (broker unset: tasks run eagerly in-process) ----------------------

CELERY_BROKER_URL = env_str("CELERY_BROKER_URL")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", CELERY_BROKER_URL) or None
if CELERY_TASK_ALWAYS_EAGER:
    # Eager tasks never leave the process, but Celery still takes a producer to
    # serialise them: kombu's in-memory transport keeps it from reaching for an AMQP
    # server on localhost (and from warning "No hostname was supplied").
    CELERY_BROKER_URL = "memory://localhost/"
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Workers log through LOGGING below (JSON lines in production), not Celery's format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# A broker outage must not hold a validation for long: the work is recorded in the
# database (PendingRecompute) and picked up by the next run.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
    "socket_connect_timeout": 2,
}
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}

# --- REST framework / OpenAPI ---------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "tri_portal.api.schema.PortalAutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "tri_portal.api.auth.ApiTokenAuthentication",
        "tri_portal.api.auth.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "kit.api.pagination.PagePagination",
    # JSON only (Swagger UI and Redoc are the interactive documentation); `?format=`
    # selects an open-data export (CSV, XLSX) on the list endpoints that have one.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON bodies only (any other type is a 415), bounded in nesting depth.
    "DEFAULT_PARSER_CLASSES": ["kit.api.parsers.JSONParser"],
    "URL_FORMAT_OVERRIDE": None,
    "DEFAULT_THROTTLE_CLASSES": [
        "tri_portal.api.throttles.AnonThrottle",
        "tri_portal.api.throttles.TokenThrottle",
    ],
    # Requests per client: anonymous per IP address, authenticated per user/token.
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("API_THROTTLE_ANON", "120/min"),
        "user": env_str("API_THROTTLE_USER", "600/min"),
    },
    # The client's address for throttling: as tri_portal.security.client_ip (the
    # NUM_PROXIES-th X-Forwarded-For entry from the right; 0: the header is ignored).
    "NUM_PROXIES": NUM_PROXIES,
    "EXCEPTION_HANDLER": "kit.api.errors.exception_handler",
    "DATETIME_FORMAT": "iso-8601",
    "DATE_FORMAT": "iso-8601",
    "COERCE_DECIMAL_TO_STRING": True,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "API du portail des contrats d'objectifs TRI",
    "DESCRIPTION": (
        "Données ouvertes des contrats d'objectifs de la Troisième révolution industrielle "
        "(Région Hauts-de-France, ADEME) : territoires, indicateurs, contrats et objectifs "
        "chiffrés, valeurs validées et agrégats. Lecture libre (limitée en débit) ; écriture "
        "des valeurs par les référents avec un jeton (en-tête `Authorization: Token …`). "
        "Les nombres décimaux sont des chaînes (point décimal), les dates au format ISO 8601."
    ),
    "VERSION": "1",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "TerritoryKindEnum": "territories.models.TerritoryKind",
        "ContractStatusEnum": "contracts.models.ContractStatus",
        "ReportStatusEnum": "contracts.models.ReportStatus",
        "ActionStatusEnum": "contracts.models.ActionStatus",
        "VerdictEnum": "contracts.models.Verdict",
    },
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Security ------------------------------------------------------------------
# Safe everywhere; the HTTPS settings default on in production (TRI_ENV=production),
# where `manage.py check --deploy` reports no warning.

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=PRODUCTION)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=PRODUCTION)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=PRODUCTION)
if env_bool("USE_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# /healthz answers plain HTTP too (load balancers and container health checks).
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# Content-Security-Policy: no inline script anywhere (charts read JSON data blocks),
# everything served by the portal itself. The API documentation pages, whose
# vendored libraries inject styles and a worker, widen it for themselves only.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- Email --------------------------------------------------------------------

# Without an SMTP server configured, e-mails are written one file per message under
# var/mail/ (read them there), not printed where `make run` writes its log.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(BASE_DIR / "var" / "mail"))
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "ne-pas-repondre@tri-portail.localhost")
# Absolute base URL used in emails (links to the officer space).
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")

# --- Logging ------------------------------------------------------------------

# One line of JSON per record in production (LOG_FORMAT=json), readable lines in
# development; every request and task line carries its request or task id.
LOG_FORMAT = env_str("LOG_FORMAT", "json" if PRODUCTION else "plain")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "tri_portal.observability.ContextFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "tri_portal.observability.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["context"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # The request line is written by RequestLogMiddleware (with duration and ids).
        "django.request": {"level": "ERROR"},
        "django.server": {"level": "WARNING" if LOG_FORMAT == "json" else "INFO"},
    },
}

# --- Project ------------------------------------------------------------------

SITE_NAME = _("Contrats d'objectifs TRI — Hauts-de-France")
TERRITORIES_DEFAULT_REGION = env_str("TERRITORIES_DEFAULT_REGION", "32")
# Reference year of the regional 2050 goals (SRADDET Hauts-de-France: 2012).
TRI_REFERENCE_YEAR = env_int("TRI_REFERENCE_YEAR", 2012)
# The progress report on year N is due by this (month, day) of year N + 1.
TRI_REPORT_DEADLINE = (6, 30)

# --- Legal pages (mentions légales, données personnelles, accessibilité) --------
# The publisher's details shown on the legal pages (tri_portal.context_processors.site).
# The defaults are true of the portal run by the Region; a deployment states its host
# and may name its contacts. In production the director and the contact must not be
# empty (tri_portal/production.py).
TRI_PUBLISHER_NAME = env_str("TRI_PUBLISHER_NAME", "Région Hauts-de-France")
TRI_PUBLISHER_ADDRESS = env_str(
    "TRI_PUBLISHER_ADDRESS", "151 avenue du Président Hoover, 59555 Lille Cedex"
)
# A collectivity's director of publication is, by default, its executive.
TRI_PUBLICATION_DIRECTOR = env_str(
    "TRI_PUBLICATION_DIRECTOR", _("le président du Conseil régional Hauts-de-France")
)
# Where the public writes about the portal (accessibility, data, errors).
TRI_CONTACT_EMAIL = env_str("TRI_CONTACT_EMAIL", "contact@tri-portail.localhost")
# The data protection officer's contact; empty: by post at the publisher's address.
TRI_DPO_CONTACT = env_str("TRI_DPO_CONTACT")
# The hosting provider (name, postal address, telephone); empty: the page says that
# this instance declares none.
TRI_HOST_NAME = env_str("TRI_HOST_NAME")
TRI_HOST_ADDRESS = env_str("TRI_HOST_ADDRESS")
TRI_HOST_PHONE = env_str("TRI_HOST_PHONE")

# --- Open-data licence ----------------------------------------------------------
# Shown on the open-data page, in the data dictionary, in every export (HTTP `Link`
# header, rel="license") and in the API's OpenAPI description. Default: Licence Ouverte
# 2.0 (Etalab), the French public sector's default open licence.
TRI_OPEN_DATA_LICENCE = {
    "name": env_str("TRI_OPEN_DATA_LICENCE_NAME", "Licence Ouverte / Open Licence version 2.0"),
    "url": env_str(
        "TRI_OPEN_DATA_LICENCE_URL", "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"
    ),
}
SPECTACULAR_SETTINGS["LICENSE"] = dict(TRI_OPEN_DATA_LICENCE)
