"""Tenants acme and globex, their people, and clients logged in on the right host."""

from __future__ import annotations

import email.policy
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from email.parser import BytesParser, Parser
from pathlib import Path
from urllib.parse import quote

import pytest
from django.test import Client
from django.utils import translation

from helpdesk import live, services
from helpdesk.embedded import UVICORN_LIMITS
from helpdesk.models import Tenant, User
from helpdesk.tenancy import Role, tenant_context
from tests.factories import TeamFactory, TeamMemberFactory, UserFactory

PASSWORD = "correct horse battery staple"


def at_once(target: Callable[[], None], count: int) -> None:
    """Run `target` in `count` threads at once and wait for all of them."""
    threads = [threading.Thread(target=target) for _n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def host_of(tenant: Tenant) -> str:
    return f"{tenant.slug}.localhost"


def member(tenant: Tenant, email: str, role: Role) -> User:
    """A user with `role` in `tenant` and the test password."""
    user = UserFactory(email=email)
    with tenant_context(tenant):
        services.membership_grant(email=email, role=role)
    return user


def client_for(tenant: Tenant, user: User | None = None) -> Client:
    """A browser on `tenant`'s host, logged in as `user` if given."""
    client = Client(HTTP_HOST=host_of(tenant))
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture(autouse=True)
def _language_of_each_test_its_own() -> Iterator[None]:
    """A request in German leaves German active in its thread: the next test starts afresh."""
    yield
    translation.deactivate()


@pytest.fixture
def acme(db) -> Tenant:
    return services.tenant_create(slug="acme", name="Acme Corporation", ticket_prefix="ACME")


@pytest.fixture
def globex(db) -> Tenant:
    return services.tenant_create(slug="globex", name="Globex Inc.", ticket_prefix="GLX")


@pytest.fixture
def acme_agent(acme) -> User:
    return member(acme, "agent@acme.example", Role.AGENT)


@pytest.fixture
def acme_customer(acme) -> User:
    return member(acme, "customer@bigbank.example", Role.CUSTOMER)


@pytest.fixture
def acme_manager(acme) -> User:
    return member(acme, "manager@acme.example", Role.MANAGER)


@pytest.fixture
def acme_admin(acme) -> User:
    return member(acme, "admin@acme.example", Role.ADMIN)


@pytest.fixture
def globex_agent(globex) -> User:
    return member(globex, "agent@globex.example", Role.AGENT)


@pytest.fixture
def globex_admin(globex) -> User:
    return member(globex, "admin@globex.example", Role.ADMIN)


@pytest.fixture
def acme_team(acme, acme_agent):
    team = TeamFactory(tenant=acme, name="L1 Support")
    TeamMemberFactory(tenant=acme, team=team, user=acme_agent)
    return team


@pytest.fixture
def acme_agent_client(acme, acme_agent) -> Client:
    return client_for(acme, acme_agent)


@pytest.fixture
def acme_customer_client(acme, acme_customer) -> Client:
    return client_for(acme, acme_customer)


@pytest.fixture
def acme_manager_client(acme, acme_manager) -> Client:
    return client_for(acme, acme_manager)


@pytest.fixture
def acme_admin_client(acme, acme_admin) -> Client:
    return client_for(acme, acme_admin)


@pytest.fixture
def globex_agent_client(globex, globex_agent) -> Client:
    return client_for(globex, globex_agent)


@pytest.fixture
def globex_admin_client(globex, globex_admin) -> Client:
    return client_for(globex, globex_admin)


@pytest.fixture
def anonymous_acme_client(acme) -> Client:
    return client_for(acme)


# --- live updates -----------------------------------------------------------------------------


@pytest.fixture
def live_events(monkeypatch) -> list[live.Event]:
    """The live events published during the test, in order, as they leave after commit.

    They are still delivered as usual (numbered, logged, published through Redis): a test
    asserts on what was published and to which groups, not on a round trip. Events of a
    test inside one transaction leave only with `django_capture_on_commit_callbacks`.
    """
    published: list[live.Event] = []
    submit = live._sender.submit

    def capture(events):
        events = tuple(events)
        published.extend(events)
        submit(events)

    monkeypatch.setattr(live._sender, "submit", capture)
    return published


class ThrowawayRedis:
    """A Redis server of one test's own on a free port of 127.0.0.1, to stop and start again.

    It keeps its data across a restart in an append-only file (as docker-compose runs Redis),
    unless started `empty` (as the embedded server of `make run`, which keeps nothing).
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    @staticmethod
    def _program() -> str:
        from helpdesk.embedded import valkey_binary

        return shutil.which("redis-server") or str(valkey_binary())

    def start(self, *, empty: bool = False) -> None:
        """Start the server and return once it says it accepts connections."""
        if empty:
            shutil.rmtree(self.directory, ignore_errors=True)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [self._program(), "--port", str(self.port), "--bind", "127.0.0.1",
             "--dir", str(self.directory), "--save", "", "--appendonly", "yes"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )  # fmt: skip
        said: list[bytes] = []
        answered, ready = threading.Event(), threading.Event()

        def read_log(log) -> None:  # to its end, so the server never blocks on a full pipe
            for line in log:
                said.append(line)
                if b"Ready to accept connections" in line:
                    ready.set()
                    answered.set()
            answered.set()  # the server exited without being ready: start() says what it said

        threading.Thread(target=read_log, args=(self.process.stdout,), daemon=True).start()
        if not (answered.wait(10) and ready.is_set()):
            raise RuntimeError(f"redis did not start on port {self.port}: {b''.join(said)!r}")

    def stop(self) -> None:
        """Shut the server down (it writes its append-only file first)."""
        if self.process is not None:
            self.process.send_signal(signal.SIGCONT)  # a frozen server cannot shut down
            self.process.terminate()
            self.process.wait(timeout=20)
            self.process = None

    def freeze(self) -> None:
        """Stop the server answering, its data and connections kept: Redis that hangs."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)


@pytest.fixture
def live_redis(settings, tmp_path) -> Iterator[ThrowawayRedis]:
    """Live updates (numbers, event log, channel layer) on a Redis the test may stop and start.

    Sessions and caches stay on the suite's Redis, as when only the live updates' Redis fails.
    """
    server = ThrowawayRedis(tmp_path / "redis")
    server.start()
    settings.REDIS_URL = server.url
    layer = settings.CHANNEL_LAYERS["default"]
    settings.CHANNEL_LAYERS = {
        "default": {**layer, "CONFIG": {**layer["CONFIG"], "hosts": [server.url]}}
    }
    try:
        yield server
    finally:
        if server.process is None:
            server.start()
        server.thaw()
        live._sender.drain()  # what waited for this Redis goes to it, not the next test's
        server.stop()


# --- outside processes: an SMTP sink and a real Celery worker ---------------------------------


class SmtpSink:
    """An SMTP server on 127.0.0.1 that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelope_recipients: list[list[str]] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.envelope_recipients.append(list(envelope.rcpt_tos))
        if envelope.smtp_utf8:  # headers in UTF-8 (RFC 6532), as a receiving server reads them
            parsed = Parser(policy=email.policy.default).parsestr(
                envelope.original_content.decode()
            )
        else:
            parsed = BytesParser(policy=email.policy.default).parsebytes(envelope.original_content)
        self.messages.append(parsed)
        return "250 Message accepted for delivery"

    def wait_for(self, count: int, timeout: float = 20) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.messages


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    """An SMTP sink that takes ASCII addresses only, like many servers still in use."""
    yield from _smtp_sink(enable_SMTPUTF8=False)


@pytest.fixture
def smtputf8_sink() -> Iterator[SmtpSink]:
    """An SMTP sink that offers SMTPUTF8 (RFC 6531): it takes internationalised addresses."""
    yield from _smtp_sink(enable_SMTPUTF8=True)


def _smtp_sink(**options: bool) -> Iterator[SmtpSink]:
    from aiosmtpd.controller import Controller

    sink = SmtpSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port(), **options)
    controller.start()
    sink.port = controller.port
    yield sink
    controller.stop()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def suite_database_url() -> str:
    """The test database, as the suite's own role reaches it, for processes the tests start."""
    from django.db import connection

    db = connection.settings_dict
    login = db["USER"] + (f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else "")
    return f"postgres://{login}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def _start_worker(smtp_port: int) -> subprocess.Popen:
    """A real Celery worker on the test database and Redis, mailing to the SMTP sink."""
    env = {
        **os.environ,
        "DATABASE_URL": suite_database_url(),
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
        "CONN_MAX_AGE": "0",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "helpdesk", "worker", "--pool", "solo",
         "--loglevel", "WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=Path(__file__).resolve().parent.parent, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


@contextmanager
def _through_redis(process: subprocess.Popen) -> Iterator[None]:
    from helpdesk.celery import app

    app.conf.task_always_eager = False  # through Redis to the worker, as in production
    try:
        yield
    finally:
        app.conf.task_always_eager = True
        process.terminate()
        process.wait(timeout=20)


@pytest.fixture
def celery_worker_process(transactional_db, smtp_sink) -> Iterator[subprocess.Popen]:
    """A real worker for one test; the test commits its data (transactional_db)."""
    process = _start_worker(smtp_sink.port)
    with _through_redis(process):
        yield process
        worker_idle()


def worker_idle(timeout: float = 30) -> None:
    """Wait until the worker has taken and finished every queued task.

    A test's data is flushed right after it: a task still running then would lock rows
    against the flush (a deadlock on a slow machine), or act on the next test's data.
    """
    import redis
    from django.conf import settings

    from helpdesk import background

    background.drain()  # tasks queued after commit by this process's background thread
    client = redis.Redis.from_url(settings.REDIS_URL)
    deadline = time.monotonic() + timeout
    # With acks_late a task stays in kombu's "unacked" hash until it has finished.
    while time.monotonic() < deadline:
        if not client.llen(settings.CELERY_TASK_DEFAULT_QUEUE) and not client.hlen("unacked"):
            return
        time.sleep(0.05)


@pytest.fixture(scope="module")
def mail_worker(django_db_setup, django_db_blocker) -> Iterator[SmtpSink]:
    """One real worker and SMTP sink for a whole module of end-to-end tests."""
    from aiosmtpd.controller import Controller

    sink = SmtpSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    sink.port = controller.port
    with django_db_blocker.unblock():
        process = _start_worker(sink.port)
    with _through_redis(process):
        yield sink
    controller.stop()


WEB_SERVER_POOL_SIZE = 6
WEB_SERVER_APP_NAME = "helpdesk-test-web"


class WebServer:
    """The uvicorn process serving every desk on one port of 127.0.0.1."""

    def __init__(self, port: int) -> None:
        self.port = port

    def url(self, tenant: Tenant) -> str:
        # Chromium resolves every *.localhost name to the loopback address by itself.
        return f"http://{host_of(tenant)}:{self.port}"


def _server_env(port: int) -> dict[str, str]:
    """Production settings against the test database, minus what needs TLS or a mail server."""
    return {
        **os.environ,  # the suite's Redis, prefixes, queue and SECRET_KEY
        "DATABASE_URL": suite_database_url(),
        # Its requests borrow from a pool (helpdesk/asgi.py), kept small: a test sees when
        # the server holds more connections than that.
        "DATABASE_POOL_SIZE": str(WEB_SERVER_POOL_SIZE),
        "PGAPPNAME": WEB_SERVER_APP_NAME,  # libpq names its sessions: tests can count them
        "DEBUG": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_HSTS_SECONDS": "0",
        "STATIC_MANIFEST": "false",
        "WHITENOISE_USE_FINDERS": "true",  # live.js and htmx without collectstatic
        # Tasks run in the web process; mail is kept in its memory, so the desk sends mail
        # (with dummymail:// it would rightly say that replies go out by no way at all).
        "CELERY_TASK_ALWAYS_EAGER": "true",
        "EMAIL_URL": "memorymail://",
        "PORT": str(port),
    }


@contextmanager
def serving(log: Path, **env: str) -> Iterator[WebServer]:
    """uvicorn on a free port for as long as the block lasts (about 2 s to start)."""
    port = free_port()
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "helpdesk.asgi:application",
             "--host", "127.0.0.1", "--port", str(port), "--lifespan", "off",
             "--log-level", "warning", *UVICORN_LIMITS],
            cwd=Path(__file__).resolve().parent.parent, env={**_server_env(port), **env},
            stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        _wait_for_port(port, process, log)
        yield WebServer(port)
    finally:
        process.terminate()
        process.wait(timeout=20)


@pytest.fixture(scope="session")
def web_server(django_db_setup, tmp_path_factory) -> Iterator[WebServer]:
    """uvicorn on a free port, started once for the whole run."""
    with serving(tmp_path_factory.mktemp("web") / "uvicorn.log") as server:
        yield server


def _wait_for_port(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"uvicorn did not come up on port {port}:\n{log.read_text()[-3000:]}")
