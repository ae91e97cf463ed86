"""Loaded by pytest before Django (`-p tests.environment`): test-only defaults for settings."""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-not-for-any-deployment")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("STATIC_MANIFEST", "false")
os.environ.setdefault("CHANNELS_PREFIX", "helpdesk-tests")
os.environ.setdefault("CACHE_PREFIX", "helpdesk-tests")
os.environ.setdefault("CONN_MAX_AGE", "0")  # consumer threads close their connections
os.environ.setdefault(
    "CELERY_TASK_ALWAYS_EAGER", "true"
)  # a real worker only where a test starts one
# Links in mails and snippets are asserted without a port, whatever the shell exports.
os.environ["PUBLIC_PORT"] = ""
os.environ["PUBLIC_SCHEME"] = "https"
