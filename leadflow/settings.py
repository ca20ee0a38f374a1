"""Leadflow settings, read from the environment (and `.env` when present) with django-environ."""

from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from pythonjsonlogger.core import RESERVED_ATTRS
from whitenoise.compress import Compressor

from leadflow.sentry import sentry_start

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off (see .env.example).")
    SECRET_KEY = "development-only-insecure-key-never-use-in-production"  # noqa: S105
# Old keys keep sessions and password-reset links valid while a new key rolls out.
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_htmx",
    "django_q",
    "import_export",
    "template_partials",
    "anymail",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "leadflow",
    "crm",
    "enrichment",
    "outreach",
    "scraping",
    "analytics",
]

MIDDLEWARE = [
    # Request counts and latencies for /metrics (leadflow/metrics.py): the first and the last middleware.
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    # Names each request (X-Request-ID) for the response, every log line and the jobs it queues; one access line.
    "leadflow.request_ids.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # API bodies over the limit are refused before anything reads them (and API 404s are problem details).
    "leadflow.api.middleware.ApiEdgeMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Lets leadflow.audit.record name the signed-in user and their address from inside any service.
    "leadflow.audit.AuditRequestMiddleware",
    # Reads the site settings once per request and shows every time in the user's zone.
    "crm.locale.SiteLocaleMiddleware",
    # Every page needs a login unless its view is marked @login_not_required.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Signs out a session idle past the site's limit (saying so): the login check above runs on the view, after this.
    "crm.session_guard.IdleTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Admins without two-factor go to its enrollment page while the site requires it.
    "crm.session_guard.AdminTwoFactorMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    "leadflow.permissions_policy.PermissionsPolicyMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "leadflow.urls"
WSGI_APPLICATION = "leadflow.wsgi.application"

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
                "leadflow.roles.role_context",
                "crm.views.notifications.notifications_context",
                "outreach.views.inbox.inbox_menu_context",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
# A kept connection is checked before each request reuses it, so a restarted database costs no failed request.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server read while the job cluster writes. A 64 MB page cache (the default is 2 MB) keeps a
    # big database's indexes in memory: importing 100,000 rows into 1,000,000 leads took a fifth less time.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A safety net: a session left idle inside a transaction (its client hung or was killed while another process
    # kept its socket open) is ended by the server after this long, releasing its row locks.
    idle_seconds = env.int("DB_IDLE_IN_TRANSACTION_SECONDS", default=600)
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
        f"-c idle_in_transaction_session_timeout={idle_seconds * 1000}"
    )
    # A database that is down or unreachable fails a request in seconds (a 503, leadflow/outage.py), not minutes.
    DATABASES["default"]["OPTIONS"].setdefault("connect_timeout", env.int("DB_CONNECT_TIMEOUT", default=5))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
FORMS_URLFIELD_ASSUME_HTTPS = True

AUTH_USER_MODEL = "crm.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
# New and changed passwords use the first; the others verify older hashes, which are then rehashed with the first.
PASSWORD_HASHERS = [
    "leadflow.passwords.Argon2idPasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "crm:dashboard"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"

# django-allauth: email is the login; admins invite staff, nobody signs up.
ACCOUNT_ADAPTER = "crm.accounts.InviteOnlyAccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = None
# One lockout rule for every sign-in step: allauth's password form (the admin's sign-in goes through it) and its
# two-factor code step, which counts wrong codes under this same `login_failed` limit, keyed by the user.
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/5m/key"}

# Two-factor (allauth.mfa): an authenticator app (TOTP) with recovery codes, and passkeys or security keys (WebAuthn,
# which needs HTTPS or http://localhost), which may also sign in alone. A code is accepted once (allauth keeps used
# codes in the cache for a period) and only within its own 30-second period (no tolerance for clock drift).
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_TOTP_ISSUER = "Leadflow"
MFA_TOTP_TOLERANCE = 0

# The audit log (leadflow/audit.py) keeps events this many days; a daily job removes older ones.
AUDIT_RETENTION_DAYS = env.int("AUDIT_RETENTION_DAYS", default=730)

# One cache for every process (web workers, the job cluster), so limits such as allauth's login lockout hold
# across them: Redis (or any django-environ cache URL) when CACHE_URL or REDIS_URL names one, else a table in the
# database, created by a migration (crm 0011_cache_table), so `migrate` is all a new machine needs.
DATABASE_CACHE_TABLE = "leadflow_cache"
# Lower case, so not a setting: a URL may hold a password, which Django's debug page would show.
cache_url = env.str("CACHE_URL", default="") or env.str("REDIS_URL", default="")
CACHES = {
    "default": env.cache_url_config(cache_url)
    if cache_url
    else {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": DATABASE_CACHE_TABLE,
        # Past MAX_ENTRIES (300 by default) Django deletes a third of the entries: lockout counts among them, which
        # a burst of failed logins for made-up accounts could otherwise clear.
        "OPTIONS": {"MAX_ENTRIES": 100_000},
    }
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
# Deal values are in this ISO 4217 currency until an admin picks another one (Settings, General tab).
CURRENCY = env.str("CURRENCY", default="USD")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# WhiteNoise serves the hashed names (cached for a year, immutable) and their gzip and brotli copies. Only hashed
# names are kept and source maps are left uncompressed: compressing the API docs' bundles and maps twice took
# collectstatic minutes.
WHITENOISE_KEEP_ONLY_HASHED_FILES = True
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = (*Compressor.SKIP_COMPRESS_EXTENSIONS, "map")

MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")

# Backups (leadflow/backups/): a daily job writes the database and MEDIA_ROOT into a new folder under BACKUP_DIR
# and keeps the newest BACKUP_KEEP; an empty BACKUP_DIR turns it off.
BACKUP_DIR = env.str("BACKUP_DIR", default="")
BACKUP_KEEP = env.int("BACKUP_KEEP", default=7)

# Imports: files above this size are refused before any row is read; phones without a country code
# are read as numbers of this region (ISO 3166 code).
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=500 * 1024 * 1024)
# An import silent this long lost its task and is queued again; longer than Q_CLUSTER's timeout.
IMPORT_STALL_SECONDS = env.int("IMPORT_STALL_SECONDS", default=900)
# Files with more columns are refused at upload: the mapping page has a field per column. Every XLSX read (the
# Imports page and the back office) counts a sheet's rows and columns as it streams and stops past these limits:
# one cell at column XFD makes a row 16,384 cells wide. Excel itself stops at 1,048,576 rows.
IMPORT_MAX_COLUMNS = env.int("IMPORT_MAX_COLUMNS", default=500)
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=1_048_576)
# The back office's import (django-import-export) holds a whole file in memory and previews every row: it takes
# files up to this many rows (the header counts) and bytes; bigger ones go through the Imports page, which streams.
ADMIN_IMPORT_MAX_ROWS = min(env.int("ADMIN_IMPORT_MAX_ROWS", default=20_000), IMPORT_MAX_ROWS)
ADMIN_IMPORT_MAX_BYTES = env.int("ADMIN_IMPORT_MAX_BYTES", default=50 * 1024 * 1024)
# The mapping form posts one select per column plus a few options; Django's default of 1000 fields would turn
# a wide file's Start into a bare 400 (TooManyFieldsSent). Never below Django's default.
DATA_UPLOAD_MAX_NUMBER_FIELDS = max(1000, IMPORT_MAX_COLUMNS + 100)
# Files past 2.5 MB are received into a temporary file; a full disk there is told in words (crm.importing.storing).
FILE_UPLOAD_HANDLERS = [
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "crm.importing.storing.DiskFullUploadHandler",
]
PHONE_DEFAULT_REGION = env.str("PHONE_DEFAULT_REGION", default="US")

# Outbound HTTP (leadflow/http.py, used by every provider client and every fetch of a user-supplied URL): seconds to
# connect and to wait for each read; the biggest body read; redirects followed; the longest Retry-After honoured
# before a retry; requests a second to any one host (0: no limit). Hosts named in HTTP_ALLOW_PRIVATE_HOSTS may
# resolve to private or loopback addresses (a provider stand-in on this machine); every other host is refused there.
HTTP_TIMEOUT = env.float("HTTP_TIMEOUT", default=10.0)
HTTP_MAX_BYTES = env.int("HTTP_MAX_BYTES", default=10 * 1024 * 1024)
HTTP_MAX_REDIRECTS = env.int("HTTP_MAX_REDIRECTS", default=5)
HTTP_RETRY_AFTER_MAX = env.float("HTTP_RETRY_AFTER_MAX", default=30.0)
HTTP_RATE_PER_HOST = env.float("HTTP_RATE_PER_HOST", default=2.0)
HTTP_ALLOW_PRIVATE_HOSTS = env.list("HTTP_ALLOW_PRIVATE_HOSTS", default=[])

# Enrichment. The email finder's DNS lookups (MX, A, the mail server's own address) all go to these nameservers
# ("host:port", comma-separated; empty: the system's). Its SMTP probe connects to this port, says HELO with this
# name and MAIL FROM this address, and gives up on one domain after ENRICHMENT_SMTP_TIMEOUT seconds in all (a
# tarpit cannot hold a job). Mail servers on private addresses are refused unless allowed.
ENRICHMENT_NAMESERVERS = env.list("ENRICHMENT_NAMESERVERS", default=[])
ENRICHMENT_DNS_TIMEOUT = env.float("ENRICHMENT_DNS_TIMEOUT", default=3.0)
ENRICHMENT_SMTP_PORT = env.int("ENRICHMENT_SMTP_PORT", default=25)
ENRICHMENT_SMTP_TIMEOUT = env.float("ENRICHMENT_SMTP_TIMEOUT", default=10.0)
ENRICHMENT_HELO_NAME = env.str("ENRICHMENT_HELO_NAME", default="leadflow.localhost")
ENRICHMENT_MAIL_FROM = env.str("ENRICHMENT_MAIL_FROM", default="verify@leadflow.localhost")
ENRICHMENT_ALLOW_PRIVATE_MX = env.bool("ENRICHMENT_ALLOW_PRIVATE_MX", default=False)
# SMTP sessions a second to any one mail server from this process (0: no limit): probing spreads over servers.
ENRICHMENT_SMTP_RATE_PER_HOST = env.float("ENRICHMENT_SMTP_RATE_PER_HOST", default=5.0)
# An enrichment job silent this long lost its runner and is taken over; leads asked at once by one job (each
# source still keeps its own per-host rate).
ENRICHMENT_STALL_SECONDS = env.int("ENRICHMENT_STALL_SECONDS", default=300)
ENRICHMENT_CONCURRENCY = env.int("ENRICHMENT_CONCURRENCY", default=8)
# Leads a job asks at once, then keeps one by one. Leads of one company are asked one after another (the second finds
# what the first cached), companies side by side: a batch must hold several companies to keep the threads busy while
# each mail server takes its turn (ENRICHMENT_SMTP_RATE_PER_HOST). The lease is renewed while a batch is asked.
ENRICHMENT_BATCH_SIZE = env.int("ENRICHMENT_BATCH_SIZE", default=64)
# Company websites may need JavaScript: render those pages in Chromium (playwright) when set.
ENRICHMENT_RENDER_JS = env.bool("ENRICHMENT_RENDER_JS", default=False)
CHROMIUM_PATH = env.str("CHROMIUM_PATH", default="/usr/bin/chromium")
# Hunter.io: the key may also be saved (encrypted) in the admin; the environment's wins.
HUNTER_BASE_URL = env.str("HUNTER_BASE_URL", default="https://api.hunter.io/v2")
HUNTER_API_KEY = env.str("HUNTER_API_KEY", default="")
HUNTER_RATE_PER_SECOND = env.float("HUNTER_RATE_PER_SECOND", default=10.0)

# The one AI client (leadflow/ai.py): OpenAI or any compatible server (Azure OpenAI, vLLM, Ollama, llama.cpp). Set
# here they win over the values an admin saved on the AI settings page; empty means "use the stored value".
OPENAI_BASE_URL = env.str("OPENAI_BASE_URL", default="")
OPENAI_MODEL = env.str("OPENAI_MODEL", default="")
OPENAI_API_KEY = env.str("OPENAI_API_KEY", default="")
AI_TIMEOUT_SECONDS = env.float("AI_TIMEOUT_SECONDS", default=30.0)
AI_MAX_RETRIES = env.int("AI_MAX_RETRIES", default=3)
# A 429's Retry-After is honoured up to this many seconds per wait, so a job never sleeps for minutes.
AI_RETRY_MAX_WAIT_SECONDS = env.float("AI_RETRY_MAX_WAIT_SECONDS", default=20.0)

# Capture (scraping/): each provider's endpoint and, for tests and simple installs, its secrets (each source may
# hold its own, encrypted, in the app; a value set here wins). Raw answers are kept on runs this many days; a run
# waits at most CAPTURE_WAIT_SECONDS for an agent or actor to finish.
PHANTOMBUSTER_BASE_URL = env.str("PHANTOMBUSTER_BASE_URL", default="https://api.phantombuster.com/api/v2")
PHANTOMBUSTER_S3_BASE_URL = env.str("PHANTOMBUSTER_S3_BASE_URL", default="https://phantombuster.s3.amazonaws.com")
PHANTOMBUSTER_API_KEY = env.str("PHANTOMBUSTER_API_KEY", default="")
APIFY_BASE_URL = env.str("APIFY_BASE_URL", default="https://api.apify.com")
APIFY_TOKEN = env.str("APIFY_TOKEN", default="")
INDIAMART_BASE_URL = env.str("INDIAMART_BASE_URL", default="https://mapi.indiamart.com")
INDIAMART_CRM_KEY = env.str("INDIAMART_CRM_KEY", default="")
META_GRAPH_BASE_URL = env.str("META_GRAPH_BASE_URL", default="https://graph.facebook.com/v21.0")
META_APP_SECRET = env.str("META_APP_SECRET", default="")
META_VERIFY_TOKEN = env.str("META_VERIFY_TOKEN", default="")
META_PAGE_ACCESS_TOKEN = env.str("META_PAGE_ACCESS_TOKEN", default="")
GOOGLE_ADS_WEBHOOK_KEY = env.str("GOOGLE_ADS_WEBHOOK_KEY", default="")
CAPTURE_RAW_DAYS = env.int("CAPTURE_RAW_DAYS", default=30)
CAPTURE_WAIT_SECONDS = env.int("CAPTURE_WAIT_SECONDS", default=300)
CAPTURE_STALL_SECONDS = env.int("CAPTURE_STALL_SECONDS", default=900)
# A captured contact becomes a lead once its score reaches this (0: never by score), unless its campaign says.
CAPTURE_PROMOTE_AT_SCORE = env.int("CAPTURE_PROMOTE_AT_SCORE", default=0)
# New ad-form leads are a task for their owner within the hour, and an email too when this is on.
CAPTURE_NOTIFY_BY_EMAIL = env.bool("CAPTURE_NOTIFY_BY_EMAIL", default=False)

# Privacy requests (crm.privacy): the key of the hashes an erased person is kept as (default: derived from
# SECRET_KEY and its fallbacks); erase contacts never engaged after this many months (0: never). An erasure counts
# the backups in BACKUP_DIR it cannot reach.
PRIVACY_HASH_KEY = env.str("PRIVACY_HASH_KEY", default="")
PRIVACY_RETENTION_MONTHS = env.int("PRIVACY_RETENTION_MONTHS", default=0)

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Leadflow <leadflow@localhost>")

# Sequences (outreach). Links in sent mail (tracking pixel, click redirects, unsubscribe) start with SITE_URL.
SITE_URL = env.str("SITE_URL", default="http://localhost:8000").rstrip("/")
# Email services' tracking webhooks at /anymail/<service>/tracking/: HTTP basic auth "user:password" for every
# service, plus each service's own signing key (Mailgun's HMAC).
ANYMAIL = {
    "WEBHOOK_SECRET": env.str("ANYMAIL_WEBHOOK_SECRET", default="") or None,
    "MAILGUN_WEBHOOK_SIGNING_KEY": env.str("MAILGUN_WEBHOOK_SIGNING_KEY", default="") or None,
    "MAILGUN_API_URL": env.str("MAILGUN_BASE_URL", default="https://api.mailgun.net/v3"),
    "SENDGRID_API_URL": env.str("SENDGRID_BASE_URL", default="https://api.sendgrid.com/v3/"),
    "RESEND_API_URL": env.str("RESEND_BASE_URL", default="https://api.resend.com/"),
    "POSTMARK_API_URL": env.str("POSTMARK_BASE_URL", default="https://api.postmarkapp.com/"),
}
# WhatsApp and SMS through Twilio (off while the account SID or token is unset). Senders: "whatsapp:+1415..." and
# "+1415..."; Twilio's signed webhooks are checked against SITE_URL plus the path they were posted to.
TWILIO_BASE_URL = env.str("TWILIO_BASE_URL", default="https://api.twilio.com")
TWILIO_ACCOUNT_SID = env.str("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env.str("TWILIO_AUTH_TOKEN", default="")
TWILIO_WHATSAPP_FROM = env.str("TWILIO_WHATSAPP_FROM", default="")
TWILIO_SMS_FROM = env.str("TWILIO_SMS_FROM", default="")
# Messages a day to any one recipient domain, across every mailbox and worker (0: no limit).
OUTREACH_DOMAIN_DAILY_CAP = env.int("OUTREACH_DOMAIN_DAILY_CAP", default=50)
# A message claimed this long ago and never confirmed lost its worker mid-send: it becomes 'uncertain'.
OUTREACH_CLAIM_SECONDS = env.int("OUTREACH_CLAIM_SECONDS", default=300)
# Transient send failures are retried this many times, waiting longer each time, before the message fails.
OUTREACH_SEND_ATTEMPTS = env.int("OUTREACH_SEND_ATTEMPTS", default=4)
# An open or click this soon after sending or delivery is a machine's (a scanner or a prefetch), not a person's.
OUTREACH_MACHINE_SECONDS = env.int("OUTREACH_MACHINE_SECONDS", default=10)
# Soft bounces (on this many different messages) after which an address is suppressed; a hard bounce suppresses at once.
OUTREACH_SOFT_BOUNCES_TO_SUPPRESS = env.int("OUTREACH_SOFT_BOUNCES_TO_SUPPRESS", default=3)
# Replies coming in (Mailgun's inbound webhook, the IMAP poller): each attachment is kept as a file up to this size
# (a bigger one is listed, not kept); the raw message is kept whole up to INBOUND_RAW_MAX_BYTES, else its headers.
INBOUND_ATTACHMENT_MAX_BYTES = env.int("INBOUND_ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
INBOUND_RAW_MAX_BYTES = env.int("INBOUND_RAW_MAX_BYTES", default=30 * 1024 * 1024)
# The IMAP poller: seconds a server may take to answer, and messages read from one mailbox in one poll.
IMAP_TIMEOUT = env.float("IMAP_TIMEOUT", default=30.0)
IMAP_POLL_MAX_MESSAGES = env.int("IMAP_POLL_MAX_MESSAGES", default=500)

# Outgoing webhooks (crm/webhooks/): seconds to wait for an endpoint; how long a delivery is retried (exponential
# backoff from WEBHOOK_RETRY_FIRST_SECONDS, capped at WEBHOOK_RETRY_MAX_SECONDS between tries) before it is given up;
# a subscription is disabled once WEBHOOK_DISABLE_AFTER_FAILURES attempts in a row failed over at least
# WEBHOOK_DISABLE_AFTER_SECONDS; the delivery log keeps this many characters of each answer.
WEBHOOK_TIMEOUT = env.float("WEBHOOK_TIMEOUT", default=10.0)
WEBHOOK_RETRY_SECONDS = env.int("WEBHOOK_RETRY_SECONDS", default=24 * 60 * 60)
WEBHOOK_RETRY_FIRST_SECONDS = env.int("WEBHOOK_RETRY_FIRST_SECONDS", default=60)
WEBHOOK_RETRY_MAX_SECONDS = env.int("WEBHOOK_RETRY_MAX_SECONDS", default=4 * 60 * 60)
WEBHOOK_DISABLE_AFTER_FAILURES = env.int("WEBHOOK_DISABLE_AFTER_FAILURES", default=15)
WEBHOOK_DISABLE_AFTER_SECONDS = env.int("WEBHOOK_DISABLE_AFTER_SECONDS", default=24 * 60 * 60)
WEBHOOK_RESPONSE_EXCERPT = env.int("WEBHOOK_RESPONSE_EXCERPT", default=1000)

# Behind TLS in production: every HTTPS protection is on unless DEBUG is.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
if env.bool("BEHIND_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Probes and Prometheus on the private network speak plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]
X_FRAME_OPTIONS = "DENY"
# Pages run only the scripts and styles served from static/ (no inline handlers, <script> blocks or style=
# attributes: tests/leadflow/test_security_headers.py scans the templates), so injected markup can do nothing.
# django-csp leaves Django's debug error pages alone when DEBUG is on.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}
# Browser features no page uses, switched off for every page (and anything injected into one).
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
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
}

# django-q2: jobs run at least once, so `retry` stays longer than `timeout`.
Q_CLUSTER = {
    "name": "leadflow",
    "workers": env.int("Q_WORKERS", default=2),
    "timeout": 600,
    "retry": 720,
    "max_attempts": 3,
    "catch_up": False,
    # Successful tasks are kept and pruned by a schedule (leadflow.maintenance.task_results_prune), not by django-q2:
    # its own pruning (a save_limit above 0) reads and locks every kept success each time it saves a task, which
    # under a stream of webhooks took two fifths of the cluster's time.
    "save_limit": 0,
    "orm": "default",
    # Imports normalise rows in a child process (crm.importing.drafting); daemonic workers may not have children.
    "daemonize_workers": False,
}
# The successful tasks kept for the back office (Django Q, Successful tasks); failures are all kept.
TASK_RESULTS_KEPT = env.int("TASK_RESULTS_KEPT", default=1000)
# Daily jobs (rescoring, the duplicate scan, the analytics rollup, backups...) first run at this hour in TIME_ZONE,
# then every 24 hours: at night, not all at once when a new installation starts and the team starts working.
NIGHTLY_HOUR = env.int("NIGHTLY_HOUR", default=2)
Q_REDIS_URL = env.str("Q_REDIS_URL", default="")
if Q_REDIS_URL:
    Q_CLUSTER.pop("orm")
    Q_CLUSTER["redis"] = Q_REDIS_URL

LEADS_PAGE_SIZE = 50
# The leads table counts matching leads up to this many ("1,000+" past it: counting a million on every request would
# cost more than the page) and keeps a count this many seconds for the same filter; pages past the cap are keyset ones.
LEADS_COUNT_CAP = env.int("LEADS_COUNT_CAP", default=1000)
LEADS_COUNT_CACHE_SECONDS = env.int("LEADS_COUNT_CACHE_SECONDS", default=30)
# Cards per board column before "Show more": a laptop shows about five at a time, and each one costs render time.
BOARD_COLUMN_SIZE = 15

# Logs go to the console (gunicorn and the job cluster write them to their stderr): one JSON object a line in
# production (LOG_FORMAT=json, the default when DEBUG is off), plain lines in development. Every line of a request
# (and of the jobs it queued) carries its `request_id`; emails and phone numbers are masked in every line.
LOG_FORMAT = env.str("LOG_FORMAT", default="text" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "refusals_without_traceback": {"()": "leadflow.log_filters.RefusalsWithoutTraceback"},
        "request_id": {"()": "leadflow.request_ids.RequestIdFilter"},
        "personal_data": {"()": "leadflow.redaction.PersonalDataFilter"},
    },
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            # django.request's `request` object would be written out as its repr.
            "reserved_attrs": [*RESERVED_ATTRS, "request"],
            "timestamp": False,
        },
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["refusals_without_traceback", "request_id", "personal_data"],
        },
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # Django's own loggers write through ours alone: its default console handler (in debug) printed each line twice.
    "loggers": {
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # Every request has its own line from leadflow.requests (with the request id): Django's runserver line and
        # the 4xx warnings would say it again.
        "django.server": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        # urllib3 logs each retry with the full URL, whose query may hold a provider's key (IndiaMART's CRM key, a
        # Graph token): the session reports failures itself, without it.
        "urllib3": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        # The twilio package logs every request and its headers at INFO: failures are kept on the messages instead.
        "twilio": {"handlers": ["console"], "level": "WARNING", "propagate": False},
    },
}

# Prometheus scrapes /metrics from these addresses (networks allowed; the direct peer, so behind a proxy that is
# the proxy), or from anywhere with `Authorization: Bearer <METRICS_TOKEN>`. Counts over the database are kept in
# the cache this long between scrapes.
METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=["127.0.0.1", "::1"])
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_CACHE_SECONDS = env.int("METRICS_CACHE_SECONDS", default=15)
PROMETHEUS_EXPORT_MIGRATIONS = False
# /healthz says the job queue is stalled when no cluster beats or a task has waited longer than this.
HEALTH_QUEUE_STALL_SECONDS = env.int("HEALTH_QUEUE_STALL_SECONDS", default=300)

# Errors (web and jobs) to Sentry when SENTRY_DSN is set, without personal data (leadflow/sentry.py).
SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    sentry_start(
        dsn=SENTRY_DSN,
        environment=env.str("SENTRY_ENVIRONMENT", default="production"),
        release=env.str("SENTRY_RELEASE", default=""),
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
    )

# CRM sync (crm/sync/): each CRM's API at its <CRM>_BASE_URL, a token from the environment when a connection stores
# none. A rate-limited call waits Retry-After (capped by HTTP_RETRY_AFTER_MAX) and is tried again this many times
# before the run fails, to resume at the next run.
HUBSPOT_BASE_URL = env.str("HUBSPOT_BASE_URL", default="https://api.hubapi.com")
HUBSPOT_TOKEN = env.str("HUBSPOT_TOKEN", default="")
PIPEDRIVE_BASE_URL = env.str("PIPEDRIVE_BASE_URL", default="https://api.pipedrive.com")
PIPEDRIVE_TOKEN = env.str("PIPEDRIVE_TOKEN", default="")
# Pipedrive allows about 80 requests in 2 seconds per token; Leadflow keeps well below.
PIPEDRIVE_REQUESTS_PER_SECOND = env.float("PIPEDRIVE_REQUESTS_PER_SECOND", default=10.0)
SYNC_RATE_LIMIT_RETRIES = env.int("SYNC_RATE_LIMIT_RETRIES", default=3)
SYNC_STALL_SECONDS = env.int("SYNC_STALL_SECONDS", default=900)

# Each CRM's API root is a setting so tests and private networks can point elsewhere;
# credentials normally come from the connection's encrypted store, these environment values only fill what it lacks.
# Salesforce: the login (or My Domain) URL for the OAuth client credentials flow; the REST API version; the object
# people sync to; a CA bundle to trust besides the system's (simple-salesforce speaks HTTPS only).
SALESFORCE_BASE_URL = env.str("SALESFORCE_BASE_URL", default="https://login.salesforce.com")
SALESFORCE_API_VERSION = env.str("SALESFORCE_API_VERSION", default="62.0")
SALESFORCE_SOBJECT = env.str("SALESFORCE_SOBJECT", default="Lead")
SALESFORCE_CA_BUNDLE = env.str("SALESFORCE_CA_BUNDLE", default="")
SALESFORCE_CLIENT_ID = env.str("SALESFORCE_CLIENT_ID", default="")
SALESFORCE_CLIENT_SECRET = env.str("SALESFORCE_CLIENT_SECRET", default="")
# GoHighLevel (API v2): a private integration token or OAuth access token, and the sub-account's location id.
GOHIGHLEVEL_BASE_URL = env.str("GOHIGHLEVEL_BASE_URL", default="https://services.leadconnectorhq.com")
GOHIGHLEVEL_API_VERSION = env.str("GOHIGHLEVEL_API_VERSION", default="2021-07-28")
GOHIGHLEVEL_TOKEN = env.str("GOHIGHLEVEL_TOKEN", default="")
GOHIGHLEVEL_LOCATION_ID = env.str("GOHIGHLEVEL_LOCATION_ID", default="")
# GoHighLevel allows 100 requests in 10 seconds per sub-account: requests a second the client spaces its calls to.
GOHIGHLEVEL_RATE_PER_SECOND = env.float("GOHIGHLEVEL_RATE_PER_SECOND", default=10.0)

# The REST API (/api/v1/, leadflow.api): personal tokens or the browser's session; errors as problem details;
# requests per token per API_THROTTLE_RATE ("600/min"); bodies above API_MAX_BODY_BYTES refused with 413 (file
# uploads to imports go by IMPORT_MAX_BYTES).
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=5 * 1024 * 1024)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "leadflow.api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["leadflow.api.permissions.ApiAccess"],
    "DEFAULT_THROTTLE_CLASSES": ["leadflow.api.throttles.TokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api_token": env.str("API_THROTTLE_RATE", default="600/min")},
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "leadflow.api.pagination.ApiCursorPagination",
    "DEFAULT_SCHEMA_CLASS": "leadflow.api.schema.ProblemAutoSchema",
    "EXCEPTION_HANDLER": "leadflow.api.problems.problem_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Leadflow API",
    "DESCRIPTION": "Leads, companies, lists, notes, tasks, stages, imports, enrichment, scoring, sequences and CRM "
    "sync runs. "
    "Authenticate with `Authorization: Bearer <token>`; errors are RFC 9457 problem details.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "StageKindEnum": "crm.models.pipeline.Stage.Kind",
        "TaskKindEnum": "crm.models.activity.Task.Kind",
        "ConversationMessageKindEnum": "outreach.models.conversations.ConversationMessage.Kind",
        "SyncDirectionEnum": "crm.models.sync.CrmConnection.Direction",
        "SyncRunStatusEnum": "crm.models.sync.SyncRun.Status",
    },
}
