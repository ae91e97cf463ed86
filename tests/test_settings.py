"""Production settings are safe by default and come from the environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "SECRET_KEY": "x7$Lr2-production-secret-that-is-long-and-random-enough-9f83jd",
    "ALLOWED_HOSTS": ".desk.example.com,desk.example.com",
    "BASE_DOMAIN": "desk.example.com",
    "DATABASE_URL": os.environ.get("DATABASE_URL", ""),
    "REDIS_URL": os.environ.get("REDIS_URL", ""),
}


def manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY"}}
    clean = {k: v for k, v in clean.items() if not k.startswith(("SECURE_", "STATIC_"))}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_deploy_check_is_clean_with_production_variables():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_server_refuses_to_start_without_a_secret_key():
    result = manage("check", **{**PRODUCTION, "SECRET_KEY": ""})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_debug_is_off_unless_asked_for():
    code = "from django.conf import settings; print(settings.DEBUG, settings.SESSION_COOKIE_SECURE)"
    result = manage("shell", "-c", code, **PRODUCTION)
    assert result.stdout.splitlines()[-1] == "False True"
