"""Lifeline settings: production settings, configured from the environment.

Defaults are the embedded set-up (SQLite under var/, local file storage, console e-mail,
Celery running tasks eagerly); production sets DATABASE_URL, REDIS_URL, SECRET_KEY,
ALLOWED_HOSTS and e-mail through the environment. See README.md for the full list.
Importing this module has no side effects: it creates no folder (the Makefile creates
var/, collectstatic creates STATIC_ROOT) and reads `.env` only when READ_DOT_ENV=1.
The test suite runs with `config.settings_test`, which imports these and overrides
only what a test client over plain HTTP needs.
"""

from __future__ import annotations

from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A `.env` file beside manage.py is read only when asked (READ_DOT_ENV=1); variables
# already in the environment win over the file.
if env.bool("READ_DOT_ENV", default=False):
    environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=False)

# A fixed key is only acceptable for development; production must set one.
_DEV_SECRET_KEY = "django-insecure-local-development-only-never-use-in-production"
SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET_KEY if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("Set SECRET_KEY in the environment (DEBUG is off).")

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Absolute base of links in e-mails, PDFs and QR codes (no request there to build them).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
SITE_NAME = "Lifeline"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # Trigram indexes for the admin's name searches (core.postgres); its set-up
    # does nothing on SQLite.
    "django.contrib.postgres",
    "allauth",
    "config.apps.LoginEmailsConfig",  # allauth.account
    "config.apps.TwoFactorConfig",  # allauth.mfa
    "audit",
    "accounts",
    "courses",
    # Case simulations: below exams and certificates, which ask it what is passed.
    "cases",
    "exams",
    "certificates",
    # Employers' rosters, requirements and compliance (issue 17): above certificates.
    "organizations",
    # The content sync (sync_content, export_content): above the apps it writes.
    "curriculum",
]

MIDDLEWARE = [
    # Headers first and CSP above WhiteNoise, so static files carry them too.
    "config.middleware.permissions_policy",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Every error under /api/ is a problem body (RFC 9457), whatever produced it
    # below: above the body limit, the host check and the error handlers.
    "api.middleware.problem_details",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The content version is read once per request (courses.outline).
    "courses.outline.content_version_middleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Django's, with the user read at once (no lazy proxy): every request reads it.
    "accounts.middleware.AuthenticationMiddleware",
    # Times shown in the learner's own time zone (display only: core.dates).
    "accounts.middleware.time_zone_middleware",
    # Needs the user; runs before anything reads the body (see its docstring).
    "config.middleware.RequestBodyLimitMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Which interface (web, admin, api) a decision came through, for the audit trail.
    "audit.middleware.interface_middleware",
    # Staff without an authenticator app reach no admin page (after auth + messages).
    "accounts.middleware.StaffTotpRequiredMiddleware",
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
                # The header's links to organizations the user administers (no query).
                "organizations.menu.organization_menu",
                # The form tokens of a page kept per learner (accounts.learner_pages).
                "accounts.learner_pages.csrf_stand_in",
            ],
        },
    },
]

# --- Data --------------------------------------------------------------------------
DATABASES = {
    "default": env.db(
        "DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}"
    )
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Embedded SQLite (the default) under concurrent requests: readers never block the
# writer (WAL), a write waits up to 20 s for the lock instead of failing at once, and
# every transaction takes the write lock when it begins (IMMEDIATE), so a transaction
# that read first cannot fail with "database is locked" when it comes to write.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL",
        }
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # No JIT compilation: on this OLTP workload it only adds compile time to the
    # few heavy queries (0.3-1 s at 100x data, nothing gained) and never triggers
    # on the indexed ones (docs/OPERATIONS.md, "PostgreSQL JIT").
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["options"] = f"{_options.get('options', '')} -c jit=off".strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
# Redis timeouts (seconds), for the cache and the broker alike. A Redis that accepts
# connections and never answers (overloaded, a half-open connection after a failover)
# must cost a request a few seconds and an error we handle, not hang it until gunicorn
# kills the worker (30 s) and the learner sees a 500.
REDIS_CONNECT_TIMEOUT = env.float("REDIS_CONNECT_TIMEOUT", default=1.0)
REDIS_SOCKET_TIMEOUT = env.float("REDIS_SOCKET_TIMEOUT", default=2.0)
REDIS_CACHE_OPTIONS = {
    "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
    "socket_timeout": REDIS_SOCKET_TIMEOUT,
}
# The cache backs allauth's rate limits and the verify page's limit: it must be shared
# between processes in production, hence Redis whenever it is configured. Without
# REDIS_URL (`make run`, DEBUG) it is per process; with DEBUG off, `check --deploy`
# refuses that (accounts.E001, accounts/checks.py). TOTP codes do not depend on it:
# their one-use memory is in the database (accounts.TotpStep).
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "core.cache.RedisCache",
            "LOCATION": env.str("CACHE_URL", default=REDIS_URL),
            "KEY_PREFIX": "lifeline",
            "OPTIONS": REDIS_CACHE_OPTIONS,
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "core.staticfiles.KeptUrlManifestStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media")))
MEDIA_URL = "/media/"
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
# Development serves straight from the app and project folders.
WHITENOISE_USE_FINDERS = DEBUG
STATICFILES_DIRS = [BASE_DIR / "static"]
# The curriculum's source files (lessons, banks, images), loaded by sync_content.
CONTENT_DIR = Path(env.str("CONTENT_DIR", default=str(BASE_DIR / "content")))

# --- Accounts ----------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation."
        "UserAttributeSimilarityValidator"
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "courses:dashboard"

ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
# Sign-up costs the same (one password hash) whether the address is new or taken.
ACCOUNT_FORMS = {"signup": "accounts.forms.SignupForm"}
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Lifeline] "
ACCOUNT_SIGNUP_REDIRECT_URL = "accounts:profile"
# allauth's defaults (login, failed login, sign-up, reset, ...) stay on; they count in
# the shared cache above.
ACCOUNT_RATE_LIMITS = {}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = SITE_NAME
# TOTP codes are good once, remembered in the database rather than in the cache.
MFA_FORMS = {
    "authenticate": "accounts.forms.MFAAuthenticateForm",
    "reauthenticate": "accounts.forms.MFAReauthenticateForm",
}

# --- E-mail ------------------------------------------------------------------------
# EMAIL_URL, e.g. smtp+tls://user:password@smtp.example.org:587 (console by default;
# filemail:///path writes files). Django 6.1's MAILERS replaces the EMAIL_* settings.
_email = env.email_url("EMAIL_URL", default="consolemail://")
_email_options = {
    "host": _email.get("EMAIL_HOST"),
    "port": _email.get("EMAIL_PORT"),
    "username": _email.get("EMAIL_HOST_USER"),
    "password": _email.get("EMAIL_HOST_PASSWORD"),
    "use_tls": _email.get("EMAIL_USE_TLS"),
    "use_ssl": _email.get("EMAIL_USE_SSL"),
    "file_path": _email.get("EMAIL_FILE_PATH"),
}
MAILERS = {
    "default": {
        "BACKEND": _email["EMAIL_BACKEND"],
        "OPTIONS": {k: v for k, v in _email_options.items() if v not in (None, "")},
    }
}
# In development the console prints each message readably, links whole on one line
# (core/mail.py); Django's own prints them quoted-printable, broken across lines.
if DEBUG and _email["EMAIL_BACKEND"].endswith("console.EmailBackend"):
    MAILERS["default"]["BACKEND"] = "core.mail.ReadableConsoleBackend"
if _email["EMAIL_BACKEND"].endswith("smtp.EmailBackend"):
    MAILERS["default"]["OPTIONS"].setdefault("timeout", 10)
DEFAULT_FROM_EMAIL = env.str(
    "DEFAULT_FROM_EMAIL", default="Lifeline <no-reply@localhost>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Celery ------------------------------------------------------------------------
CELERY_BROKER_URL = REDIS_URL or "memory://"
# Without a broker (local development, `make run`) tasks run in-process, at once.
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
# Every task is idempotent, so a task is acknowledged only once it has run: a worker
# that dies mid-task leaves it to be redelivered, not lost.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Time limits and redelivery (issue 10). The longest task is a reminder batch: it
# stops itself after 60 s (certificates/tasks.py), a certificate takes well under a
# second plus the mail server. Soft limit (the task is told, and stops) under the hard
# limit (the pool child is killed) under the visibility timeout: Redis hands an
# unacknowledged message to another worker after that long, which is how the work of a
# SIGKILLed worker is picked up in about 10 minutes instead of an hour. A task retry
# waits unacknowledged in the worker, so retry countdowns stay under the visibility
# timeout minus the hard limit (core.tasks.RETRY_BACKOFF_MAX = 300 s < 600 - 150).
CELERY_TASK_SOFT_TIME_LIMIT = 120
CELERY_TASK_TIME_LIMIT = 150
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 600}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Broker timeouts (see REDIS_SOCKET_TIMEOUT): a publish to a hung Redis fails within
# about (connect + read timeout) x 2 attempts, and the caller logs it (the sweeper
# issues what was not queued). The worker's BRPOP waits 1 s on the server, well within
# the read timeout; its long-lived connections are polled by its event loop.
CELERY_BROKER_TRANSPORT_OPTIONS.update(
    socket_connect_timeout=REDIS_CONNECT_TIMEOUT,
    socket_timeout=REDIS_SOCKET_TIMEOUT,
)
CELERY_BROKER_CONNECTION_TIMEOUT = REDIS_CONNECT_TIMEOUT
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_TIMEZONE = "UTC"
# Run exactly one beat process (see config/celery.py). Times are UTC.
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    # Daily at 07:00 UTC (morning in Europe, before the day shift in the Americas is
    # over): queues the renewal reminders owed (90, 30 or 7 days before expiry, or
    # after it) in batch tasks. Each (certificate, kind) is claimed in the database,
    # so a rerun, a retry or a second beat never sends one twice, and the selection
    # catches up, so one that a failed run missed goes out the next day.
    "send-renewal-reminders": {
        "task": "certificates.tasks.send_renewal_reminders",
        "schedule": crontab(minute=0, hour=7),
    },
    # Every 10 minutes: issues certificates for completions of the last two weeks
    # whose task was lost (broker down at completion or restarted without
    # persistence, worker killed), and e-mails that never went out. With the
    # 10-minute grace, a learner waits at most about 20 minutes whatever failed.
    # Cheap: indexed ranges of recent rows, usually empty, whatever the history.
    "sweep-missing-certificates": {
        "task": "certificates.tasks.sweep_missing_certificates",
        "schedule": crontab(minute="*/10"),
    },
    # Nightly at 03:40 UTC (issue 19): the same over all history, for what the
    # two-week window cannot see (a completion dated long before it was recorded, a
    # certificate that waited months for a legal name and lost its task). One scan
    # of completed enrollments a day (a few hundred ms at 100,000 learners).
    "sweep-all-missing-certificates": {
        "task": "certificates.tasks.sweep_missing_certificates",
        "schedule": crontab(minute=40, hour=3),
        "kwargs": {"full": True},
    },
    # Every 5 minutes (issue 12): grades open exam attempts whose time is up, as of
    # their deadline (24 h after start for untimed quizzes), so a passed final left
    # unsubmitted completes (dated at its deadline) within minutes even if the
    # learner never comes back. One batch per run, re-queued while full; each attempt
    # is locked with SKIP LOCKED, so overlapping runs grade it once.
    # Mondays at 06:00 UTC (issue 17): each organization's administrators get the
    # week's compliance digest (newly compliant, expiring, lapsed). Claimed per
    # organization and ISO week in the database, so a second beat or a retry never
    # sends one twice.
    "send-weekly-digests": {
        "task": "organizations.tasks.send_weekly_digests",
        "schedule": crontab(minute=0, hour=6, day_of_week="mon"),
    },
    "close-expired-attempts": {
        "task": "exams.tasks.close_expired_attempts",
        "schedule": crontab(minute="*/5"),
    },
    # Every 10 minutes: publishes again any revocation status list whose bits no
    # longer match the revoked certificates (a publish task lost with the broker) or
    # that an earlier signing key signed (after a rotation). Idempotent: a list that
    # is up to date is left alone; usually nothing is written.
    "publish-status-lists": {
        "task": "certificates.tasks.publish_status_lists",
        "schedule": crontab(minute="*/10"),
    },
}

# --- Internationalisation ----------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
# One way of writing dates and times everywhere: core/formats/en/formats.py.
FORMAT_MODULE_PATH = ["core.formats"]
USE_I18N = True
# The project's wording over django-allauth's (sentence case, "Log in"):
# scripts/make_locale.py writes it.
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_TZ = True

# --- Security ----------------------------------------------------------------------
# Sessions live in the database and are read through the cache (core.sessions): no
# query per request for the session, and a cache outage falls back to the database.
SESSION_ENGINE = "core.sessions"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# No inline script anywhere; styles only from our own files.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
# Browser features no page of ours uses, denied to every page and any frame. Sent on
# every response, static files included (config.middleware.permissions_policy).
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "browsing-topics",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
    )
)
if not DEBUG:
    # Behind a TLS-terminating proxy that sets X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https"

# --- Request bodies (config.middleware.RequestBodyLimitMiddleware) -----------------
# Bodies are refused by their declared Content-Length before anything reads them (413):
# anonymous visitors above this (their forms are log-in and sign-up), ...
ANONYMOUS_REQUEST_MAX_BYTES = 64 * 1024
# ... signed-in users above this, except on views marked with a larger body_limit (the
# outside-card upload). Django also applies it to the non-file fields of any body.
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
# Our forms send at most one file (an admin change form may carry an empty file input
# or two); Django refuses a request with more (its default is 100).
DATA_UPLOAD_MAX_NUMBER_FILES = 5
# Uploads up to this size stay in memory; larger ones are spooled to a temporary file.
# Bodies are capped above, so no upload reaching Django is larger than about 5 MB.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- Certificates (issuing, verification, outside cards) ---------------------------
# The organisation printed on certificates and wallet cards as their issuer.
CERTIFICATE_ISSUER_NAME = env.str("CERTIFICATE_ISSUER_NAME", default=SITE_NAME)
# Who stands behind the credential, printed on every certificate and verify page and
# shown on the about and contact pages. The defaults are for development and say so;
# `check --deploy` refuses them (certificates.E001), see docs/OPERATIONS.md.
DEVELOPMENT_ISSUER_ADDRESS = "Development build: set CERTIFICATE_ISSUER_ADDRESS"
CERTIFICATE_ISSUER_ADDRESS = env.str(
    "CERTIFICATE_ISSUER_ADDRESS", default=DEVELOPMENT_ISSUER_ADDRESS
)
CERTIFICATE_ISSUER_CONTACT = env.str(
    "CERTIFICATE_ISSUER_CONTACT", default="support@lifeline.invalid"
)
# The medical director who signs: name, title, and a signature image (PNG; a bundled
# development signature until production names its own file).
DEVELOPMENT_SIGNER_NAME = "Development Signer"
CERTIFICATE_SIGNER_NAME = env.str(
    "CERTIFICATE_SIGNER_NAME", default=DEVELOPMENT_SIGNER_NAME
)
CERTIFICATE_SIGNER_TITLE = env.str(
    "CERTIFICATE_SIGNER_TITLE", default="Medical Director (not configured)"
)
DEVELOPMENT_SIGNATURE_IMAGE = BASE_DIR / "certificates" / "assets" / "signature-dev.png"
CERTIFICATE_SIGNATURE_IMAGE = Path(
    env.str("CERTIFICATE_SIGNATURE_IMAGE", default=str(DEVELOPMENT_SIGNATURE_IMAGE))
)
# Public verification lookups allowed per client IP per window, counted in the shared
# cache: enough for an employer checking a roster, far too few to enumerate codes.
CERTIFICATE_VERIFY_RATE_LIMIT = env.int("CERTIFICATE_VERIFY_RATE_LIMIT", default=30)
CERTIFICATE_VERIFY_RATE_WINDOW = 60  # seconds
# Lookups through the API (/api/v1/certificates/<code>) per client IP in the same
# window, counted apart from the verify page's.
CERTIFICATE_API_RATE_LIMIT = env.int(
    "CERTIFICATE_API_RATE_LIMIT", default=CERTIFICATE_VERIFY_RATE_LIMIT
)
# Requests per organization API token (/api/v1/organizations/...) in
# ORGANIZATION_API_RATE_WINDOW seconds, counted in the shared cache: a staffing
# system syncing a roster page by page stays well within it.
ORGANIZATION_API_RATE_LIMIT = env.int("ORGANIZATION_API_RATE_LIMIT", default=120)
ORGANIZATION_API_RATE_WINDOW = 60  # seconds
# Number of reverse proxies in front of gunicorn that append to X-Forwarded-For. The
# client IP (verify limit and allauth's limits alike) is read that many hops from the
# right; 0 means REMOTE_ADDR. Wrong here means one shared limit, or a spoofable one.
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
# Outside cards (PDF, JPEG or PNG), checked by content (certificates/forms.py): a
# parsed PDF with no scripts, attachments or encryption and at most this many pages,
# or an image that decodes and has at most this many pixels (a 40-megapixel photo is
# more than any phone takes of a card; Pillow's own bomb limit is about twice that).
EXTERNAL_CARD_MAX_BYTES = 5 * 1024 * 1024
EXTERNAL_CARD_MAX_PAGES = 4
EXTERNAL_CARD_MAX_PIXELS = 40_000_000
# The upload request may exceed the file by this much (the form's other fields and the
# multipart boundaries); anything larger is refused before it is read.
EXTERNAL_CARD_REQUEST_OVERHEAD = 64 * 1024
# Open Badges 3.0 credentials (certificates/openbadges.py, docs/ARCHITECTURE.md): signed
# with the issuer's RSA key (RS256, the one algorithm every Open Badges 3.0 verifier
# must accept; 2048 bits or more). The PEM private key is CREDENTIAL_SIGNING_KEY
# ("\n" for line breaks) or else the file CREDENTIAL_SIGNING_KEY_FILE. `make run`
# generates the development key file below when it is missing; `check --deploy`
# refuses it (certificates.E004). Rotating: point these at a new key; the public half
# of every key that signed is kept published (certificates.SigningKey).
DEVELOPMENT_CREDENTIAL_KEY_FILE = BASE_DIR / "var" / "credential-signing-key.pem"
CREDENTIAL_SIGNING_KEY = env.str("CREDENTIAL_SIGNING_KEY", default="", multiline=True)
CREDENTIAL_SIGNING_KEY_FILE = Path(
    env.str("CREDENTIAL_SIGNING_KEY_FILE", default=str(DEVELOPMENT_CREDENTIAL_KEY_FILE))
)
# The issuer's LinkedIn organisation id (digits, from its company page's admin
# address): "Add to LinkedIn profile" then links the certification to that page;
# without it LinkedIn shows the issuer's name only.
LINKEDIN_ORGANIZATION_ID = env.str("LINKEDIN_ORGANIZATION_ID", default="")
# The sweeper leaves completions this recent to the completion task itself.
CERTIFICATE_SWEEP_GRACE_MINUTES = 10
# /readyz?workers=1 (pings the Celery workers, holds a thread about a second) answers
# staff and callers sending `Authorization: Bearer <READYZ_TOKEN>`; unset, staff only.
READYZ_TOKEN = env.str("READYZ_TOKEN", default="")
# Several deployments (or CI jobs) can share one Redis by using their own queue name.
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_QUEUE", default="celery")
