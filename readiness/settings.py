"""Settings for Readiness, read from environment variables.

Every value that differs between a laptop and a server comes from the
environment through the small helpers below, which fail loudly on a value
they cannot read rather than silently falling back.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.conf.locale import LANG_INFO
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None
    if number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {number}")
    return number


def env_list(name: str, default: str = "") -> list[str]:
    return [part.strip() for part in env_str(name, default).split(",") if part.strip()]


# "production" turns on the settings a deployment needs (docs/security.md); anything
# else is a developer's machine or the test suite.
DJANGO_ENV = env_str("DJANGO_ENV", "development")
if DJANGO_ENV not in {"development", "production"}:
    raise ImproperlyConfigured("DJANGO_ENV must be 'development' or 'production'")
PRODUCTION = DJANGO_ENV == "production"

DEBUG = env_bool("DEBUG", default=False)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set in production")
    # Only for a developer's machine and the test suite; production refuses to start
    # without its own key (see above and docs/security.md).
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"  # noqa: S105

# Earlier keys, still accepted for what they signed while a new key takes over
# (docs/security.md, "Rotating the secret key").
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS", "")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
# The address people reach the site at, for links in e-mails (invitations, password
# resets). Required in production; on a developer's machine the address the request came
# to is used, on whatever port the server runs.
SITE_ROOT = env_str("SITE_ROOT")
if PRODUCTION and not SITE_ROOT.startswith("https://"):
    raise ImproperlyConfigured(
        "SITE_ROOT must be set in production, e.g. https://readiness.example.org"
    )

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "axes",
    # for its system checks of the cache it counts in (SILENCED_SYSTEM_CHECKS says why
    # each applies here)
    "django_ratelimit",
    "csp",
    # Two-factor sign-in (readiness/services/two_factor.py): authenticator apps and
    # recovery codes.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    # Downloads prepared in the background (readiness/tasks.py), queued in the database.
    "django_tasks",
    "django_tasks_db",
    "readiness",
]

MIDDLEWARE = [
    # First: a load balancer's check answers whatever Host it sends, over HTTP.
    "readiness.middleware.health_check",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Pages compress to a tenth of their size, which matters on clinic Wi-Fi. Django's
    # GZipMiddleware pads its output against BREACH; static files skip it (whitenoise
    # serves them precompressed), and so do prepared files (middleware.CompressPages).
    "readiness.middleware.CompressPages",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "readiness.middleware.language_from_address",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "readiness.middleware.session_activity",
    "readiness.middleware.security_headers",
    # Inside security_headers, so that its redirects carry the same headers.
    "readiness.middleware.two_factor_required",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_ratelimit.middleware.RatelimitMiddleware",
    # Last, as django-axes asks: it answers a locked-out sign-in itself.
    "axes.middleware.AxesMiddleware",
    # Innermost: an oversized body is refused before anything reads it (the CSRF check
    # reads it only after every middleware here), and its refusal passes out through all
    # of them, with every security header.
    "readiness.middleware.request_size_limit",
]

ROOT_URLCONF = "readiness.urls"
WSGI_APPLICATION = "readiness.wsgi.application"

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

# SQLite file in the project folder unless DATABASE_URL names another database.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=60,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A database that does not answer fails a request (and the load balancer's health
    # check) in seconds, rather than holding a worker until gunicorn kills it.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Take the write lock when a transaction starts, so concurrent saves wait their turn
    # instead of failing with "database is locked" when a read lock is upgraded.
    # WAL lets pages be read while a save is written, and synchronous=NORMAL is safe
    # with WAL (a power cut can lose the last commits, never corrupt the file).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # First, so that a locked-out account or address is refused before any password check.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Failed sign-ins: after 8 failures for one account, or from one address, sign-in is
# refused for 15 minutes. Per account stops guessing one password; per address stops
# trying many accounts. Hospital staff often share one public address, hence 8, not 3.
AXES_FAILURE_LIMIT = 8
AXES_COOLOFF_TIME = timedelta(minutes=15)
# An account is locked only from the address that failed on it: the owner typing the
# right password elsewhere is not locked out by someone else's guesses, and colleagues
# behind the same hospital address are not either. An address failing on many accounts
# meets SIGN_IN_FAILURES_PER_ADDRESS (views/accounts.py), set for a whole hospital.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
SIGN_IN_FAILURES_PER_ADDRESS = env_str("SIGN_IN_FAILURES_PER_ADDRESS", "60/h")
# ... and a ceiling for one account from all addresses together, against guessing
# spread over many addresses: far above a person's mistakes (docs/security.md).
SIGN_IN_FAILURES_PER_ACCOUNT = env_str("SIGN_IN_FAILURES_PER_ACCOUNT", "100/d")
# Password-reset e-mails: few per account's address, a few more per network address.
PASSWORD_RESETS_PER_EMAIL = env_str("PASSWORD_RESETS_PER_EMAIL", "3/h")
PASSWORD_RESETS_PER_ADDRESS = env_str("PASSWORD_RESETS_PER_ADDRESS", "20/h")
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]

# Two-factor sign-in (docs/security.md): the name authenticator apps show, how long the
# code step waits after the password, how many wrong codes before the password is asked
# for again, and how many recovery codes an account gets.
OTP_TOTP_ISSUER = "Readiness"
TWO_FACTOR_PENDING_SECONDS = 5 * 60
# How long a key shown on the set-up page can still be confirmed.
TWO_FACTOR_SETUP_SECONDS = 15 * 60
TWO_FACTOR_CODE_ATTEMPTS = 5
TWO_FACTOR_RECOVERY_CODES = 10

LOGIN_URL = "login"
# Each person's start page (views/home.py): their network, their portfolio or their list.
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
LOCALE_PATHS = [BASE_DIR / "readiness" / "locale"]
# English, and every language with a message catalogue, named in itself for the
# switchers: adding a language adds its catalogue and its instrument texts, not code
# (docs/translating.md).
LANGUAGES = [("en", "English")] + [
    (code, LANG_INFO.get(code, {}).get("name_local", code).capitalize())
    for code in sorted(
        # a catalogue's folder is a locale name (pt_BR), the language's code is pt-br
        folder.name.replace("_", "-").lower()
        for folder in LOCALE_PATHS[0].iterdir()
        if (folder / "LC_MESSAGES" / "django.po").is_file()
    )
]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Production serves the output of collectstatic (hashed, compressed names); elsewhere
# whitenoise serves straight from the folders below.
STATIC_ROOT = BASE_DIR / "staticfiles" if PRODUCTION else None
# Everything the pages load is served by this app, from packages pinned by
# package-lock.json: Bootstrap, and plotly.js's cartesian partial bundle (bar, heatmap,
# scatter: every chart type we draw) at the version the plotly Python package bundles,
# a third of the full bundle's size.
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/bootstrap", NODE_MODULES / "bootstrap" / "dist"),
    ("vendor/plotly", NODE_MODULES / "plotly.js-cartesian-dist-min"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION

CSRF_FAILURE_VIEW = "readiness.views.errors.csrf_failure"
# No page takes a file; the largest form is a questionnaire page of a few kilobytes.
MAX_REQUEST_BYTES = env_int("MAX_REQUEST_BYTES", 256 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_BYTES
DATA_UPLOAD_MAX_NUMBER_FILES = 0
# The largest file `manage.py import_responses` takes: about 150,000 lines, some 3,000
# respondents answering 50 statements. On SQLite, writing a file this size holds the
# database's write lock about 2 s on a 2-core server, and every respondent's save waits
# for it: well inside the 20 s a save waits (DATABASES), even on a slower server
# (docs/performance.md, Importing a file).
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 5 * 1024 * 1024, minimum=1)
SESSION_COOKIE_HTTPONLY = True
# A signed-in session ends a working day after the last request (readiness/middleware.py
# moves its end at most every 15 minutes) and when the browser closes.
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 60 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Nothing but our own host, no inline script or style, in every mode (so that the tests
# and the browser suite run under the policy production uses). Bootstrap draws a few
# icons as data: images. plotly.js's style rules come from a static file (see
# readiness/plotly_css.py); the two style attributes it still sets are allowed by their
# exact hashes ('unsafe-hashes' admits only those values, unlike 'unsafe-inline'):
# an empty one on heat-map colour bars, and its fixed image-rendering declaration.
PLOTLY_STYLE_ATTRIBUTE_HASHES = [
    "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",  # ""
    "'sha256-AR/cKIZjWPcPmBUPDA6oti9XBiTbJvz0Cro2J1VzzS8='",  # "image-rendering: ...; "
]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-hashes'", *PLOTLY_STYLE_ATTRIBUTE_HASHES],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

if PRODUCTION:
    # HTTPS only. Behind a proxy that ends TLS, set SECURE_PROXY_SSL_HEADER_NAME (for
    # example HTTP_X_FORWARDED_PROTO) so that Django knows a request came over HTTPS.
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", default=True)
    SECURE_HSTS_SECONDS = int(env_str("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=True)
    if env_str("SECURE_PROXY_SSL_HEADER_NAME"):
        SECURE_PROXY_SSL_HEADER = (env_str("SECURE_PROXY_SSL_HEADER_NAME"), "https")

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# E-mail (invitations, password resets) goes to the console unless EMAIL_HOST is set,
# on a developer's machine only: in production the console is the server's log, and live
# invitation and reset links must never be written there.
EMAIL_HOST = env_str("EMAIL_HOST")
if PRODUCTION and not EMAIL_HOST:
    raise ImproperlyConfigured("EMAIL_HOST must be set in production (invitations, resets)")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = int(env_str("EMAIL_PORT", "587"))
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=True)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "readiness@localhost")

# Shared by rate limits, lock-out counts and cached dashboards, so it must be shared by
# every process that serves the site. In production the database cache by default (its
# table is made by `migrate`: migrations/0016), or Redis when CACHE_URL names one
# ("redis://host:6379/0"). On a developer's machine, one process: local memory, unless
# CACHE_URL says otherwise.
CACHE_URL = env_str("CACHE_URL") or ("db" if PRODUCTION else "")
CACHE_TABLE = "readiness_cache"
if CACHE_URL == "db":
    CACHES = {
        "default": {
            # Django's, with increments that keep a count's expiry (readiness/cache.py):
            # rate-limit counts leave with their window.
            "BACKEND": "readiness.cache.DatabaseCache",
            "LOCATION": CACHE_TABLE,
            # Every write counts the table first. Past MAX_ENTRIES rows it deletes the
            # expired ones (a count's row is never read again after its window), keeping
            # that count to a few milliseconds; live rows (counts inside their window,
            # up to a day; rendered pages) are culled only past LIVE_MAX_ENTRIES.
            "OPTIONS": {"MAX_ENTRIES": 50_000, "LIVE_MAX_ENTRIES": 5_000_000},
        }
    }
elif CACHE_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Respondents' submissions: per personal link, and generously per address, because a
# whole hospital's staff may reach us from one public address. See docs/security.md.
RATELIMIT_VIEW = "readiness.views.errors.rate_limited"
RESPONDENT_RATE = env_str("RESPONDENT_RATE", "30/m")
RESPONDENT_RATE_PER_ADDRESS = env_str("RESPONDENT_RATE_PER_ADDRESS", "1200/m")
# How many respondents one address may start on one round in an hour: enough for a
# hospital behind one public address, too few to stuff a round by script.
RESPONDENT_STARTS_PER_ADDRESS = env_str("RESPONDENT_STARTS_PER_ADDRESS", "300/h")
# PDF reports per signed-in person: each takes the server seconds to lay out.
REPORTS_PER_HOUR = env_str("REPORTS_PER_HOUR", "30/h")

# Large downloads are prepared in the background by `manage.py db_worker`, which `make run`
# starts beside the site (docs/security.md, "Deploying", for a server): the queue is a table of the
# site's own database, so nothing else need be installed or run.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# Where prepared downloads wait for the person who asked: outside the web root, never
# served as static files (views/downloads.py checks who may fetch each one).
# (A relative path is taken from the project folder, so that the site and the worker,
# started from anywhere, find the same files.)
DOWNLOADS_DIR = BASE_DIR / (env_str("DOWNLOADS_DIR") or Path("var") / "downloads")
# How long a prepared download is kept: long enough to come back to it, short enough
# that answer-level files do not pile up (services/downloads/ deletes them after).
DOWNLOADS_KEPT_HOURS = env_int("DOWNLOADS_KEPT_HOURS", 24, minimum=1)
# Answer-level downloads one person may ask for in an hour: each reads every answer of
# its facilities.
DOWNLOADS_PER_HOUR = env_str("DOWNLOADS_PER_HOUR", "20/h")

# Disclosure rules (readiness/disclosure/, docs/privacy.md). The smallest group whose
# results are shown; a facility's owners may raise it for their facility, never lower it.
DISCLOSURE_MIN_GROUP = env_int("DISCLOSURE_MIN_GROUP", 3, minimum=3)
# Data-quality checks (services/quality.py): a response finished faster than this per
# statement is flagged as implausibly fast.
QUALITY_MIN_SECONDS_PER_STATEMENT = env_int("QUALITY_MIN_SECONDS_PER_STATEMENT", 2, minimum=0)

# django-ratelimit vouches only for memcached and django-redis. What it says of the
# caches used here, and why each is silenced only where it applies:
# - local memory (a developer's machine, one process): counts per process, exact there;
#   never used in production;
# - the database cache: its increments are a read and a write, so two requests at the
#   same instant may count once; the limits here are generous, and a count off by one
#   under a burst changes nothing that matters (Redis is exact);
# - Django's own Redis backend, which increments atomically: "not officially supported".
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"]  # every cache here is off its list
if not CACHE_URL:  # E003 names Django's database cache too, not readiness.cache's
    SILENCED_SYSTEM_CHECKS.append("django_ratelimit.E003")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_tokens": {"()": "readiness.log_filters.RedactTokens"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["redact_tokens"]},
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
    "loggers": {
        # runserver's request log: the same filter keeps respondents' links out of it.
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
