"""Frontport settings: every value comes from the environment (see .env.example and docs/configuration.md).

With no environment at all the project runs on the *embedded default*: SQLite and a Celery broker that
needs no server, both kept under FRONTPORT_DATA_DIR. Setting DATABASE_URL / REDIS_URL switches to
PostgreSQL and Redis.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()


def _env_bool(name: str, default: bool) -> bool:
    """A boolean variable; a value that is not a recognisable boolean stops start-up, naming it."""
    raw = env.str(name, default="")
    if raw == "":
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}.")


def _required(name: str, *, why: str) -> str:
    value = env.str(name, default="")
    if not value:
        raise ImproperlyConfigured(f"{name} is not set: {why} (see .env.example).")
    return value


DATA_DIR = Path(env.str("FRONTPORT_DATA_DIR", default=str(BASE_DIR / "var")))
DATA_DIR.mkdir(parents=True, exist_ok=True)
# The embedded default's run command writes generated secrets (SECRET_KEY, FIELD_ENCRYPTION_KEY) here
# once, so `manage.py` works afterwards too. Real environment variables always win.
LOCAL_ENV_FILE = DATA_DIR / "local.env"
if LOCAL_ENV_FILE.exists():
    environ.Env.read_env(str(LOCAL_ENV_FILE), overwrite=False)

DEBUG = _env_bool("DEBUG", False)

if DEBUG:
    SECRET_KEY = env.str("SECRET_KEY", default="insecure-development-key-only-used-with-DEBUG-true-0123456789")
else:
    SECRET_KEY = _required("SECRET_KEY", why="it is required when DEBUG is false")
if len(SECRET_KEY) < 32:
    raise ImproperlyConfigured("SECRET_KEY is too short: use at least 50 random characters.")

# Fernet key(s) that encrypt credentials at rest. Several keys, comma separated, allow rotation:
# the first encrypts, all decrypt.
FIELD_ENCRYPTION_KEYS = [k.strip() for k in env.str("FIELD_ENCRYPTION_KEY", default="").split(",") if k.strip()]
if not FIELD_ENCRYPTION_KEYS and not DEBUG:
    raise ImproperlyConfigured(
        "FIELD_ENCRYPTION_KEY is not set: it encrypts stored credentials "
        "(generate one with `python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`)."
    )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

# User-entered URLs (source help desks, Front API) may point at loopback/private addresses only when
# this is set: the embedded default and the tests set it to reach the sandbox stand-ins.
ALLOW_PRIVATE_URLS = _env_bool("ALLOW_PRIVATE_URLS", False)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sites",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.google",
    "allauth.socialaccount.providers.facebook",
    "allauth.socialaccount.providers.openid_connect",
    "django_celery_results",
    "django_celery_beat",
    "django_htmx",
    "template_partials",
    "wizard",
    "connectors",
    "migrations_engine",
    "billing",
    "staff",
]

MIDDLEWARE = [
    # First: everything after it (allauth's rate limits, logs, the audit log) sees the client's address.
    "config.client_ip.ClientIPMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "config.csp.ContentSecurityPolicyMiddleware",  # a nonce per request; see config/csp.py
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
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
                "django.template.context_processors.i18n",
                "wizard.context_processors.frontport",
            ],
        },
    }
]

# --- Database -----------------------------------------------------------------------------------
DATABASE_URL = env.str("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'frontport.sqlite3'}")
try:
    DATABASES = {"default": env.db_url_config(DATABASE_URL)}
except Exception as exc:  # django-environ raises several types for a malformed URL
    raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {exc}") from exc
if DATABASES["default"].get("ENGINE") not in {"django.db.backends.sqlite3", "django.db.backends.postgresql"}:
    raise ImproperlyConfigured(
        "DATABASE_URL must be a postgres://user:password@host:port/name or sqlite:////absolute/path URL."
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server and the worker write at the same time: WAL + immediate transactions + a wait.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file (not in-memory) test database, so a real worker process can share it with the tests.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test_frontport.sqlite3")}
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis, cache and Celery -------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(DATA_DIR / "cache"),
        }
    }

BROKER_DIR = DATA_DIR / "broker"
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    # kombu's filesystem transport: producer and worker must share one existing folder.
    for sub in ("queue", "processed", "control"):
        (BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "store_processed": False,
        "control_folder": str(BROKER_DIR / "control"),
    }
CELERY_RESULT_BACKEND = "django-db"
CELERY_RESULT_EXTENDED = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TRACK_STARTED = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TIMEZONE = "UTC"

# --- Auth and allauth ---------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
SITE_ID = 1
LOGIN_REDIRECT_URL = "/migrations/"
LOGIN_URL = "/accounts/login/"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = False
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Frontport] "
# allauth's own defaults already rate-limit logins, sign-ups and resets; keep them explicit.
ACCOUNT_ADAPTER = "config.accounts.AccountAdapter"
# Failed sign-ins (config/accounts.py, docs/configuration.md "Sign-in throttling"): "key" is the account
# *and* the client address, so a guesser slows only themselves; login_failed_account counts failures on
# one account from everywhere, past which only browsers that signed in before (or a password reset) get in.
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "login_failed_account": env.str("LOGIN_FAILED_ACCOUNT_RATE", default="30/h/key"),
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "confirm_email": "1/3m/key",
}
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if SITE_URL.startswith("https") else "http"
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_QUERY_EMAIL = True


def _social_providers() -> dict:
    """Social sign-in providers, each switched on only when its client id and secret are set."""
    providers: dict = {}
    google = (env.str("GOOGLE_CLIENT_ID", default=""), env.str("GOOGLE_CLIENT_SECRET", default=""))
    if all(google):
        providers["google"] = {
            "APPS": [{"client_id": google[0], "secret": google[1]}],
            "SCOPE": ["profile", "email"],
        }
    facebook = (env.str("FACEBOOK_CLIENT_ID", default=""), env.str("FACEBOOK_CLIENT_SECRET", default=""))
    if all(facebook):
        providers["facebook"] = {"APPS": [{"client_id": facebook[0], "secret": facebook[1]}], "SCOPE": ["email"]}
    linkedin = (env.str("LINKEDIN_CLIENT_ID", default=""), env.str("LINKEDIN_CLIENT_SECRET", default=""))
    if all(linkedin):
        providers["openid_connect"] = {
            "APPS": [
                {
                    "provider_id": "linkedin",
                    "name": "LinkedIn",
                    "client_id": linkedin[0],
                    "secret": linkedin[1],
                    "settings": {"server_url": "https://www.linkedin.com/oauth"},
                }
            ]
        }
    return providers


SOCIALACCOUNT_PROVIDERS = _social_providers()

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Email --------------------------------------------------------------------------------------
EMAIL_URL = env.str("EMAIL_URL", default="consolemail://")
try:
    vars().update(env.email_url_config(EMAIL_URL))
except Exception as exc:
    raise ImproperlyConfigured(f"EMAIL_URL is not a valid email URL: {exc}") from exc
if EMAIL_BACKEND == "django.core.mail.backends.console.EmailBackend":  # noqa: F821 - set just above
    EMAIL_BACKEND = "config.email.StderrConsoleBackend"
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Frontport <no-reply@frontport.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- i18n ---------------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

# --- Static files -------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns on a missing folder; files come from the finders
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# --- Security -----------------------------------------------------------------------------------
# HTTPS=true in production (behind TLS): secure cookies, HSTS and the redirect to HTTPS.
HTTPS = _env_bool("HTTPS", False)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
# The container's healthcheck calls /healthz over plain HTTP inside the container: answer it, don't redirect.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if _env_bool("BEHIND_PROXY", False) else None
# The client's address behind reverse proxies (config/client_ip.py): how many proxies append to
# X-Forwarded-For in front of us (0 = ignore the header), and optionally which addresses they connect from.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT must be 0 or a positive number of proxies.")
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
for _proxy in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError as exc:
        raise ImproperlyConfigured(f"TRUSTED_PROXIES: {_proxy!r} is not an address or network ({exc}).") from exc
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# --- Logging: never log request bodies or credentials ------------------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "redact": {"()": "config.logging.RedactSecretsFilter"},
        "client_ip": {"()": "config.client_ip.ClientIPLogFilter"},
    },
    # client_ip: the request's client address (behind TRUSTED_PROXY_COUNT proxies), "-" outside requests.
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(client_ip)s] %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["client_ip", "redact"]}
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
        # kombu warns "No hostname was supplied" for the embedded filesystem broker: not a problem.
        "kombu.connection": {"level": "ERROR"},
    },
}

# --- Frontport ----------------------------------------------------------------------------------
FRONT_API_URL = env.str("FRONT_API_URL", default="https://api2.frontapp.com")
# Where people open a migrated conversation (report links are FRONT_APP_URL/open/<conversation id>).
# The embedded default points it at the offline Front stand-in (<its URL>/__sandbox), which answers
# the same /open/<id> links with its own page.
FRONT_APP_URL = env.str("FRONT_APP_URL", default="https://app.frontapp.com").rstrip("/")
# Front OAuth (DESIGN.md §8): the operator's OAuth app. When both are set, the connect step offers "Connect
# with Front" (redirect URI {SITE_URL}/front/oauth/callback/) and runs also spend Front's partner budget.
FRONT_OAUTH_CLIENT_ID = env.str("FRONT_OAUTH_CLIENT_ID", default="")
FRONT_OAUTH_CLIENT_SECRET = env.str("FRONT_OAUTH_CLIENT_SECRET", default="")
# Where Front serves /oauth/authorize and /oauth/token, and the API an OAuth connection calls.
FRONT_OAUTH_URL = env.str("FRONT_OAUTH_URL", default="https://app.frontapp.com").rstrip("/")
FRONT_OAUTH_API_URL = env.str("FRONT_OAUTH_API_URL", default=FRONT_API_URL).rstrip("/")
# Default share of the company's API-token budget a migration may spend (percent; 0 = partner budget only).
FRONT_TOKEN_SHARE_DEFAULT = env.int("FRONT_TOKEN_SHARE_DEFAULT", default=80)
# Overall deadline (seconds) of a vendor call made while a person waits for a page (connection tests,
# inbox and teammate lists, counts, Stripe checkout), retries and Retry-After waits included. Runs
# (Celery tasks) have none: they wait as long as the vendor asks.
VENDOR_CALL_DEADLINE_SECONDS = env.float("VENDOR_CALL_DEADLINE_SECONDS", default=15.0)
# Where the sandbox stand-ins listen on the embedded default (set by the run command).
SANDBOX_FRONT_URL = env.str("SANDBOX_FRONT_URL", default="")
SANDBOX_ZENDESK_URL = env.str("SANDBOX_ZENDESK_URL", default="")
SANDBOX_HELPSCOUT_URL = env.str("SANDBOX_HELPSCOUT_URL", default="")
SANDBOX_FRESHDESK_URL = env.str("SANDBOX_FRESHDESK_URL", default="")
HEALTHCHECK_TASK_TIMEOUT = env.float("HEALTHCHECK_TASK_TIMEOUT", default=8.0)
# /healthz is public: its worker round trip (a real task) runs at most once per this many seconds for the
# whole site; calls in between answer with the last result (config/health.py).
HEALTHCHECK_WORKER_INTERVAL = env.float("HEALTHCHECK_WORKER_INTERVAL", default=30.0)

# --- Billing (billing/, docs/billing.md) ---------------------------------------------------------
# Billing is on when a Stripe secret key is configured; with none, the plan step says billing is off
# and every run is allowed. STRIPE_API_BASE points the stripe package elsewhere (the local stand-in:
# the embedded launcher sets all three for its Stripe stand-in, see config/embedded.py).
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="").rstrip("/")
BILLING_CURRENCY = env.str("BILLING_CURRENCY", default="usd").lower()
BILLING_PLANS = {
    "basic": {
        "name": env.str("BILLING_BASIC_NAME", default="Basic"),
        "price": env.int("BILLING_BASIC_PRICE", default=0),
        "verification_days": env.int("BILLING_BASIC_VERIFICATION_DAYS", default=5),
        "remigration_days": 0,
        "run_kinds": ["demo", "full"],
    },
    "signature": {
        "name": env.str("BILLING_SIGNATURE_NAME", default="Signature"),
        "price": env.int("BILLING_SIGNATURE_PRICE", default=14900),
        "verification_days": env.int("BILLING_SIGNATURE_VERIFICATION_DAYS", default=5),
        "remigration_days": env.int("BILLING_SIGNATURE_REMIGRATION_DAYS", default=10),
        "run_kinds": ["demo", "full", "delta", "interval", "remigration", "retry", "review"],
    },
}
# Per-record tiers ({"tickets": [[up_to, hundredths of a minor unit per record], ...]}); empty = defaults.
BILLING_PRICE_TIERS = env.json("BILLING_PRICE_TIERS", default={})
BILLING_MINIMUM_CHARGE = env.int("BILLING_MINIMUM_CHARGE", default=4900)
# A paid order still covers the migration when counts grew by at most this share since payment.
BILLING_COUNT_TOLERANCE_PERCENT = env.int("BILLING_COUNT_TOLERANCE_PERCENT", default=5)

# --- Sharing and data lifecycle (docs/sharing-and-access.md) -----------------------------------
# Days an emailed invitation / a share link can still be accepted (0 = no limit for links).
SHARE_INVITE_TTL_DAYS = env.int("SHARE_INVITE_TTL_DAYS", default=14)
SHARE_LINK_TTL_DAYS = env.int("SHARE_LINK_TTL_DAYS", default=7)  # the link form's default choice
# Invitations leave from Frontport's sender: at most this many per inviting user / per migration in 24 h.
SHARE_INVITES_PER_USER_PER_DAY = env.int("SHARE_INVITES_PER_USER_PER_DAY", default=20)
SHARE_INVITES_PER_MIGRATION_PER_DAY = env.int("SHARE_INVITES_PER_MIGRATION_PER_DAY", default=10)
# Verification period after a full run (days) for a migration with no plan; plans set their own
# (BILLING_PLANS[...]["verification_days"]). Then credentials and cached source content are purged.
VERIFICATION_DAYS = env.int("VERIFICATION_DAYS", default=5)

# --- Migration engine (docs/engine.md) ----------------------------------------------------------
ENGINE_CHUNK_SECONDS = env.float("ENGINE_CHUNK_SECONDS", default=30.0)  # work per task before a checkpoint hand-off
ENGINE_STALE_SECONDS = env.float("ENGINE_STALE_SECONDS", default=60.0)  # heartbeat age that means "worker died"
ENGINE_TICK_SECONDS = env.float("ENGINE_TICK_SECONDS", default=15.0)  # periodic dispatcher/watchdog interval
ENGINE_MAX_ATTEMPTS = env.int("ENGINE_MAX_ATTEMPTS", default=8)  # tries per ticket before it ends failed
ENGINE_REMIGRATION_DAYS = env.int("ENGINE_REMIGRATION_DAYS", default=10)
ENGINE_TICKET_THREADS = env.int("ENGINE_TICKET_THREADS", default=8)  # tickets one task handles at once (docs/engine.md)
# Queues and fairness (docs/engine.md): demo chunks go to their own queue, every other run's to "runs",
# the tick, health ping and clean-ups to "celery". A worker started without -Q consumes all three.
ENGINE_DEMO_QUEUE = "demos"
ENGINE_RUN_QUEUE = "runs"
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES = (Queue("celery"), Queue(ENGINE_DEMO_QUEUE), Queue(ENGINE_RUN_QUEUE))
# A full run's chunk hands its worker over (between two groups of tickets) once a demo has waited this
# long for one; 0 = never.
ENGINE_DEMO_WAIT_SECONDS = env.float("ENGINE_DEMO_WAIT_SECONDS", default=2.0)
# A run whose chunk message has waited in the queue this long is enqueued again by the tick (a message
# the broker lost); shorter waits are workers being busy, not a lost run.
ENGINE_QUEUE_RESCUE_SECONDS = env.float("ENGINE_QUEUE_RESCUE_SECONDS", default=120.0)
CELERY_BEAT_SCHEDULE = {
    "frontport-engine-tick": {"task": "frontport.engine.tick", "schedule": ENGINE_TICK_SECONDS},
}
# Front's per-resource burst gate in the client; false only for unthrottled stand-ins (benchmarks, tests).
ENGINE_FRONT_BURST_GATE = _env_bool("ENGINE_FRONT_BURST_GATE", True)
# First back-off step (seconds) after a Front 5xx or dropped connection; doubles with jitter per retry.
ENGINE_RETRY_BASE_DELAY = env.float("ENGINE_RETRY_BASE_DELAY", default=0.5)
# Live progress (migrations_engine/progress.py): a sample of the run's counters and Front calls every
# so many seconds while tickets are handled, and the sliding window the rate and ETA are read over.
ENGINE_PROGRESS_SECONDS = env.float("ENGINE_PROGRESS_SECONDS", default=5.0)
ENGINE_RATE_WINDOW_SECONDS = env.float("ENGINE_RATE_WINDOW_SECONDS", default=120.0)

# --- File import (connectors/files, docs/import-format.md) -------------------------------------
# Uploads are streamed to a temporary file (never held in memory), then kept under DATA_DIR/imports,
# which web and workers must share (one volume), readable by this process only.
FILE_IMPORT_DIR = DATA_DIR / "imports"
FILE_UPLOAD_TEMP_DIR = str(FILE_IMPORT_DIR / "incoming")  # same disk as the store: moving in is a rename
Path(FILE_UPLOAD_TEMP_DIR).mkdir(parents=True, exist_ok=True)
FILE_UPLOAD_HANDLERS = ["django.core.files.uploadhandler.TemporaryFileUploadHandler"]
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
FILE_IMPORT_MAX_UPLOAD_MB = env.int("FILE_IMPORT_MAX_UPLOAD_MB", default=2048)  # the ZIP as uploaded
FILE_IMPORT_MAX_UNCOMPRESSED_MB = env.int("FILE_IMPORT_MAX_UNCOMPRESSED_MB", default=10240)  # all files, unzipped
FILE_IMPORT_MAX_MEMBER_MB = env.int("FILE_IMPORT_MAX_MEMBER_MB", default=1024)  # one file inside, unzipped
FILE_IMPORT_MAX_RATIO = env.int("FILE_IMPORT_MAX_RATIO", default=100)  # unzipped / zipped, per file over 1 MB
FILE_IMPORT_MAX_MEMBERS = env.int("FILE_IMPORT_MAX_MEMBERS", default=200_000)
FILE_IMPORT_MAX_MISTAKES = env.int("FILE_IMPORT_MAX_MISTAKES", default=100)  # reading stops (file refused)
# Uploads up to this size are checked while the page waits; larger ones by a worker (the page polls).
FILE_IMPORT_INLINE_CHECK_MB = env.int("FILE_IMPORT_INLINE_CHECK_MB", default=20)
