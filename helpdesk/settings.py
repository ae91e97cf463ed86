"""Helpdesk settings: every value comes from the environment (or an optional `.env`)."""

from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# The development defaults point at the embedded services `make run` starts under var/
# (helpdesk/embedded.py); production sets both variables.
EMBEDDED_DATABASE_URL = "postgres://helpdesk@127.0.0.1:25432/helpdesk"
EMBEDDED_REDIS_URL = "redis://127.0.0.1:63799/0"

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG and not env.bool("HELPDESK_ALLOW_INSECURE_KEY", default=False):
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "insecure-development-key-never-use-in-production"  # noqa: S105

# Tenants live on subdomains of BASE_DOMAIN (acme.localhost) or on their own custom domains,
# which the tenant middleware checks against the Tenant table; ALLOWED_HOSTS is the outer fence.
BASE_DOMAIN = env("BASE_DOMAIN", default="localhost")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[BASE_DOMAIN, f".{BASE_DOMAIN}"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# How people reach the desks, for links in emails: https on the default port in production.
PUBLIC_SCHEME = env("PUBLIC_SCHEME", default="http" if DEBUG else "https")
PUBLIC_PORT = env("PUBLIC_PORT", default="")

INSTALLED_APPS = [
    "helpdesk.apps.HelpdeskAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "channels",
    "django_htmx",
    "guardian",
    "simple_history",
    "anymail",
    "helpdesk",
    "tickets",
    "sla",
    "knowledge",
    "escalations",
    "integrations",
    "reports",
    "demo",
]

MIDDLEWARE = [
    "helpdesk.middleware.LocalDebugMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "helpdesk.middleware.UnstorableTextMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "helpdesk.middleware.TenantMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "helpdesk.urls"
ASGI_APPLICATION = "helpdesk.asgi.application"

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
                "helpdesk.context_processors.tenant",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=EMBEDDED_DATABASE_URL)}
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if env.bool("DATABASE_POOL", default=False):
    # The web process (helpdesk/asgi.py turns this on) runs each request in a thread of its
    # own: a connection kept per thread would be opened again for every request and linger,
    # idle, after it, until the server runs out of connection slots. It borrows from a pool.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 2,
        "max_size": env.int("DATABASE_POOL_SIZE", default=20),
        "timeout": 10,  # a request waits this long for a free connection, then fails
    }
else:  # workers, beat and commands: long-lived threads keep their connection a while
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", default=EMBEDDED_REDIS_URL)

# The pub/sub layer: a group send is one PUBLISH (the core layer's Lua scripts cost ~0.4 ms
# more per event, measured), and on our machines it delivered every message at 300 sockets
# where the core layer dropped 6-10 % (shared/ENVIRONMENT.md). Live events are nudges, not
# storage: nothing needs the core layer's queues.
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {"hosts": [REDIS_URL], "prefix": env("CHANNELS_PREFIX", default="helpdesk")},
    },
}

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env("CACHE_PREFIX", default="helpdesk"),
        # Pages check versions here (helpdesk/process_cache.py) and read the database when
        # Redis cannot answer: a Redis that hangs must not hold them longer than this.
        "OPTIONS": {
            "socket_connect_timeout": 1,
            "socket_timeout": 1,
            # One pool per process: not a connection per request (helpdesk/redis_clients.py).
            "pool_class": "helpdesk.redis_clients.ProcessPool",
        },
    },
}

AUTH_USER_MODEL = "helpdesk.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "landing"
LOGOUT_REDIRECT_URL = "login"
# Guardian's anonymous user would be a global row shared by every tenant; nobody needs it.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False

LANGUAGE_CODE = env("LANGUAGE_CODE", default="en")
LANGUAGES = [("en", _("English")), ("de", _("German"))]
LOCALE_PATHS = [BASE_DIR / "helpdesk" / "locale"]
TIME_ZONE = env("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "var" / "static")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "var" / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Hashed, compressed names need `collectstatic` first (the Dockerfile runs it).
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env.bool("STATIC_MANIFEST", default=not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        ),
    },
}
# Files browsers ask for at the root of every host (/favicon.ico), served by whitenoise.
WHITENOISE_ROOT = BASE_DIR / "static" / "root"
# Without collectstatic (development, tests) whitenoise serves straight from the finders.
WHITENOISE_USE_FINDERS = env.bool("WHITENOISE_USE_FINDERS", default=DEBUG)

# Mail: SMTP by default (console in development); any anymail provider by EMAIL_BACKEND plus
# ANYMAIL_* variables, e.g. EMAIL_BACKEND=anymail.backends.postmark.EmailBackend.
EMAIL_CONFIG = env.email_url(
    "EMAIL_URL", default="consolemail://" if DEBUG else "smtp://127.0.0.1:25"
)
EMAIL_BACKEND = env("EMAIL_BACKEND", default=EMAIL_CONFIG["EMAIL_BACKEND"])
if EMAIL_BACKEND == "django.core.mail.backends.smtp.EmailBackend":
    # The same, but it reaches internationalised addresses (SMTPUTF8) instead of mangling them.
    EMAIL_BACKEND = "helpdesk.mail.EmailBackend"
# Django's own EMAIL_* variables, where set, win over the parts of EMAIL_URL.
EMAIL_HOST = env("EMAIL_HOST", default=EMAIL_CONFIG.get("EMAIL_HOST", "localhost"))
EMAIL_PORT = env.int("EMAIL_PORT", default=EMAIL_CONFIG.get("EMAIL_PORT") or 25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default=EMAIL_CONFIG.get("EMAIL_HOST_USER", ""))
EMAIL_HOST_PASSWORD = env(
    "EMAIL_HOST_PASSWORD", default=EMAIL_CONFIG.get("EMAIL_HOST_PASSWORD", "")
)
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=EMAIL_CONFIG.get("EMAIL_USE_TLS", False))
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=EMAIL_CONFIG.get("EMAIL_USE_SSL", False))
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default=f"Helpdesk <support@{BASE_DOMAIN}>")
SERVER_EMAIL = env("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
ANYMAIL = {
    key.removeprefix("ANYMAIL_"): value
    for key, value in env.ENVIRON.items()
    if key.startswith("ANYMAIL_")
}

# Production security: on unless DEBUG. Behind a TLS-terminating proxy set
# SECURE_PROXY_SSL_HEADER=HTTP_X_FORWARDED_PROTO,https.
SECURE = not DEBUG
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=SECURE)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=SECURE)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=SECURE)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=SECURE)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=SECURE)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
# Sessions stay in the database alone: Django's cached_db engine would save about 0.5 ms a
# request, but with Redis unreachable its load() raises, and every page would fail.
X_FRAME_OPTIONS = "DENY"
if env("SECURE_PROXY_SSL_HEADER", default=""):
    SECURE_PROXY_SSL_HEADER = tuple(env.list("SECURE_PROXY_SSL_HEADER"))
# A session cookie belongs to the host that set it: logging in to one tenant's desk
# never logs anyone in to another's.
SESSION_COOKIE_DOMAIN = None

CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = "UTC"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A task delivered to a crashed worker comes back after this long (Redis visibility timeout).
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY", 3600)}
CELERY_BROKER_TRANSPORT_OPTIONS.update(socket_connect_timeout=2, socket_timeout=5)
# With Redis down, queueing gives up after about a second instead of holding the request;
# the periodic sweeps send whatever was not queued once Redis is back.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_QUEUE", default="celery")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
# How often beat sweeps SLA clocks for warnings and breaches, and how many one claim takes.
SLA_SWEEP_SECONDS = env.float("SLA_SWEEP_SECONDS", default=5)
SLA_SWEEP_BATCH = env.int("SLA_SWEEP_BATCH", default=500)
# Clocks re-planned per transaction after a calendar or policy edit.
SLA_REPLAN_BATCH = env.int("SLA_REPLAN_BATCH", default=1000)
# Time-based automations ("pending for 5 days → remind") are checked this often.
AUTOMATION_SWEEP_SECONDS = env.int("AUTOMATION_SWEEP_SECONDS", default=60)
AUTOMATION_BATCH = env.int("AUTOMATION_BATCH", default=500)  # tickets fired per sweep and desk

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"client_errors": {"()": "helpdesk.log_filters.ClientErrorsWithoutTraceback"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["client_errors"],
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Attachments: checked on every channel before anything is stored.
ATTACHMENT_MAX_BYTES = env.int("ATTACHMENT_MAX_BYTES", default=20 * 1024 * 1024)
ATTACHMENT_MAX_COUNT = env.int("ATTACHMENT_MAX_COUNT", default=20)
# The largest mail read whole from a mailbox (what Gmail takes); of a larger one only this much
# is read: its text still opens a ticket, its attachments are not kept.
INBOUND_EMAIL_MAX_BYTES = env.int("INBOUND_EMAIL_MAX_BYTES", default=50 * 1024 * 1024)
ATTACHMENT_BLOCKED_EXTENSIONS = env.list(
    "ATTACHMENT_BLOCKED_EXTENSIONS",
    default=[
        "exe", "com", "bat", "cmd", "scr", "pif", "msi", "msp", "vbs", "vbe", "js", "jse",
        "wsf", "wsh", "ps1", "psm1", "jar", "cpl", "hta", "lnk", "reg", "dll", "sys",
    ],
)  # fmt: skip
ATTACHMENT_BLOCKED_TYPES = env.list(
    "ATTACHMENT_BLOCKED_TYPES",
    default=["application/x-msdownload", "application/x-dosexec", "application/x-msdos-program"],
)
# Request bodies, bounded per kind of route before anything reads them (helpdesk/request_limits.py,
# README.md "Request limits"): larger ones are refused with 413, slower ones with 408.
REQUEST_MAX_BODY_BYTES = env.int("REQUEST_MAX_BODY_BYTES", default=1024 * 1024)  # other routes
# The API takes attachments base64-encoded in its JSON and reads its body itself, up to this.
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=25 * 1024 * 1024)
# The portal's and workspace's forms: up to ATTACHMENT_MAX_COUNT files, but not above 100 MB
# in one submission (the form reads the files into memory), and the form's fields.
UPLOAD_MAX_BODY_BYTES = env.int(
    "UPLOAD_MAX_BODY_BYTES",
    default=min(ATTACHMENT_MAX_BYTES * ATTACHMENT_MAX_COUNT, 100 * 1024 * 1024) + 1024 * 1024,
)
# Inbound mail webhooks: one raw message carrying an attachment at the attachment limit,
# base64-encoded (4/3, with its line breaks 1.37; as an escaped JSON string 1.4) and the
# provider's other fields.
WEBHOOK_MAX_BODY_BYTES = env.int(
    "WEBHOOK_MAX_BODY_BYTES", default=ATTACHMENT_MAX_BYTES * 3 // 2 + 1024 * 1024
)
# A body must keep arriving: no pause longer than this, and all of it within the timeout.
REQUEST_BODY_IDLE_SECONDS = env.float("REQUEST_BODY_IDLE_SECONDS", default=20)
REQUEST_BODY_TIMEOUT_SECONDS = env.float("REQUEST_BODY_TIMEOUT_SECONDS", default=300)
# A request's headers: all of them within this many seconds of its first byte (or of the
# connection's start), and no more bytes than this (helpdesk/http_protocol.py): 408, 431.
REQUEST_HEADER_TIMEOUT_SECONDS = env.float("REQUEST_HEADER_TIMEOUT_SECONDS", default=20)
REQUEST_HEADER_MAX_BYTES = env.int("REQUEST_HEADER_MAX_BYTES", default=64 * 1024)
# Django's own limit on the form fields (not files) and bodies it holds in memory, per
# request. Webhooks post a whole raw mail as one field (Mailgun's body-mime, SendGrid's email)
# or as JSON, so it is as large as a webhook body. Every body is bounded by its route's limit
# before Django reads any of it: elsewhere 1 MB, and the upload forms, which hold their files
# in memory anyway, are bounded as a whole by theirs.
DATA_UPLOAD_MAX_MEMORY_SIZE = WEBHOOK_MAX_BODY_BYTES
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024  # larger uploads and bodies are spooled to disk

# Demo logins are only created by seed_demo; their shared password is printed by `make run`.
DEMO_PASSWORD = env("DEMO_PASSWORD", default="demo")
