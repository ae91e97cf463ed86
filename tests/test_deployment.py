"""The docker compose file describes the deployment the README promises."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from helpdesk.embedded import UVICORN_LIMITS

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(not shutil.which("docker-compose"), reason="docker-compose is not installed")
def test_docker_compose_accepts_the_file_and_runs_every_process():
    result = subprocess.run(
        ["docker-compose", "-f", "docker-compose.yml", "config", "--services"],  # noqa: S607
        cwd=ROOT,
        env={**os.environ, "SECRET_KEY": "compose-check"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert set(result.stdout.split()) == {"postgres", "redis", "migrate", "web", "worker", "beat"}


def test_every_way_of_starting_the_web_server_applies_uvicorns_limits():
    dockerfile = (ROOT / "Dockerfile").read_text()
    dockerfile_command = json.loads(dockerfile.split("\nCMD ")[1].splitlines()[0])
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    limits = " ".join(UVICORN_LIMITS)  # what `make run` and the tests' server pass
    assert limits in " ".join(dockerfile_command)
    assert limits in " ".join(compose["services"]["web"]["command"])
