"""`make bench`: seed a benchmark database, measure every capability, print one table.

Each figure is measured next to a baseline taken in the same run on the same machine, and the
ratio is what to compare between runs: the machines are noisy, absolute times alone mean little.
See bench/README.md for what each figure measures and its target.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
sys.path.insert(0, str(ROOT))

from bench_rules import bench_rule  # noqa: E402  (beside this script)

SIZES = {"small": (20, 50_000), "full": (100, 1_000_000)}
# What agents type into the search (bench_seed's vocabulary): a few words of a problem, a
# word's beginning, an error code, a product, words of a subject and of a later message.
SEARCH_QUERIES = (
    "printer error", "password reset", "refund duplicate", "vpn", "outlook crash", "invoic",
    "webhook certificate", "E1234", "Acme Pay", "swollen battery laptop", "calendar sync",
    "licence key installer", "training session", "two-factor", "delivery note customs",
    "screenshot", "escalate blocked", "premium seats", "dashboard slow", "receipt VAT",
)  # fmt: skip
COUNTS_EVERY = 10.0  # seconds: live.js refreshes the navigation's counts at most this often
LIVE_TAIL = 3.0  # seconds after the last change until the web process's CPU is read
LIVE_SETTLE = 5.0  # seconds more the pages may take to show the last changes


@dataclass
class Figure:
    """One measured number, its baseline from the same run, and the target it is held to."""

    name: str
    value: float
    unit: str
    baseline: float | None = None
    baseline_name: str = ""
    target: str = ""
    higher_is_better: bool = False

    @property
    def ratio(self) -> float | None:
        if not self.baseline:
            return None
        return self.value / self.baseline


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing answered on port {port}")


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# --- database --------------------------------------------------------------------------------


def bench_database_url(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def recreate_database(url: str, name: str) -> None:
    """Drop and create the benchmark database, as the application's own (ordinary) role."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def django_env(database_url: str, prefix: str) -> dict[str, str]:
    """Production-like settings for the processes under test; `prefix` names their Redis keys,
    channels and task queue, so two benchmarks of other databases never share them."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "helpdesk.settings",
        "DEBUG": "false",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-only-secret-key-0123456789-abcdefghij"),
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "STATIC_MANIFEST": "false",
        "WHITENOISE_USE_FINDERS": "true",
        "LOG_LEVEL": "WARNING",
        "CHANNELS_PREFIX": prefix,
        "CACHE_PREFIX": prefix,
        # Acknowledgement tasks queued by the intake runs go to a queue of their own,
        # emptied afterwards: no worker of a developer's `make run` picks them up.
        "CELERY_QUEUE": prefix,
    }


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


@contextlib.contextmanager
def server(
    command: list[str], env: dict[str, str], port: int, log: Any = subprocess.PIPE
) -> Iterator[subprocess.Popen]:
    """A server process listening on `port`; its errors go to `log` (a file for a long run:
    an unread pipe fills up and stops the server)."""
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log)
    try:
        wait_for_port(port)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def uvicorn(port: int, processes: int = 1) -> list[str]:
    """uvicorn as every deployment starts it (its limits as in helpdesk/embedded.py)."""
    from helpdesk.embedded import UVICORN_LIMITS

    return [
        *(sys.executable, "-m", "uvicorn", "helpdesk.asgi:application"),
        *(("--workers", str(processes)) if processes > 1 else ()),
        *(
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--lifespan",
            "off",
            "--log-level",
            "warning",
        ),
        *UVICORN_LIMITS,
        "--no-access-log",
    ]


def daphne(port: int) -> list[str]:
    return [
        *(sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port)),
        "helpdesk.asgi:application",
    ]


# --- HTTP load -------------------------------------------------------------------------------


def http_load(
    port: int, host: str, path: str, *, cookie: str = "", requests: int, concurrency: int
) -> tuple[list[float], float]:
    """Send `requests` GETs over `concurrency` keep-alive connections: latencies (ms), req/s."""
    latencies: list[float] = []
    lock = threading.Lock()
    per_worker = requests // concurrency
    headers = {"Host": host, "Cookie": cookie} if cookie else {"Host": host}

    def work() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = []
        for _ in range(per_worker):
            started = time.perf_counter()
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                raise RuntimeError(f"GET {host}{path} answered {response.status}")
            mine.append((time.perf_counter() - started) * 1000)
        conn.close()
        with lock:
            latencies.extend(mine)

    elapsed = run_concurrently(work, concurrency)
    return latencies, len(latencies) / elapsed


def run_concurrently(work: Callable[[], None], count: int) -> float:
    """Run `work` in `count` threads at once; the seconds until all are done."""
    return run_concurrently_each([work] * count)


def run_concurrently_each(works: list[Callable[[], None]]) -> float:
    """Run each of `works` in a thread of its own at once; the seconds until all are done."""
    threads = [threading.Thread(target=work) for work in works]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def paced(work: Callable[[int], None], numbers: range, every: float) -> None:
    """Call `work(n)` for each number, one every `every` seconds (or as fast as it goes)."""
    start = time.perf_counter()
    for i, n in enumerate(numbers):
        time.sleep(max(0.0, start + i * every - time.perf_counter()))
        work(n)


def tickets_open(
    tenant: object, requester: object, team: object, numbers: range, label: str
) -> None:
    """Open one API ticket per number through the service layer, each in its own transaction."""
    from helpdesk.tenancy import tenant_context
    from tickets import services

    for n in numbers:
        with tenant_context(tenant):
            services.ticket_open(
                requester=requester,
                subject=f"{label} {n}",
                description="Body",
                channel="api",
                team=team,
            )


# --- the figures ------------------------------------------------------------------------------


class Bench:
    """Measures every capability that exists, against its same-run baseline."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.figures: list[Figure] = []
        base_url = os.environ.get("DATABASE_URL", "postgres://helpdesk@127.0.0.1:25432/helpdesk")
        self.admin_url = base_url
        self.database_url = bench_database_url(base_url, args.database)
        self.queue = args.database.replace("_", "-")  # Redis prefixes and task queue
        self.env = django_env(self.database_url, self.queue)

    def add(self, figure: Figure) -> None:
        self.figures.append(figure)
        ratio = f"  x{figure.ratio:.2f} of {figure.baseline_name}" if figure.ratio else ""
        print(f"  {figure.name}: {figure.value:,.2f} {figure.unit}{ratio}", flush=True)

    def add_percentiles(
        self, name: str, samples: list[float], baseline: list[float], baseline_name: str,
        targets: dict[str, str],
    ) -> None:  # fmt: skip
        """One figure per percentile (targets' keys: p50, p95, p99), each against its baseline."""
        for label, target in targets.items():
            share = int(label[1:]) / 100
            self.add(
                Figure(
                    name.format(label),
                    percentile(samples, share),
                    "ms",
                    baseline=percentile(baseline, share),
                    baseline_name=baseline_name.format(label),
                    target=target,
                )
            )

    def setup_django(self) -> None:
        os.environ.update(self.env)
        import gc

        import django

        django.setup()
        gc.freeze()  # as the web process does (helpdesk/asgi.py): in-process floors alike

    def seed(self) -> None:
        tenants, tickets = self.args.tenants, self.args.tickets
        print(f"Seeding {tenants} tenants with {tickets:,} tickets into {self.args.database} …")
        recreate_database(self.admin_url, self.args.database)
        manage(self.env, "migrate", "--noinput")
        started = time.monotonic()
        out = manage(
            self.env,
            "bench_seed",
            "--tenants",
            str(tenants),
            "--tickets",
            str(tickets),
            "--seed",
            str(self.args.seed),
        )
        print("  " + out.strip().splitlines()[-1])
        elapsed = time.monotonic() - started
        self.add(
            Figure("seed: tickets generated", tickets / elapsed, "tickets/s", higher_is_better=True)
        )

    # --- intake -----------------------------------------------------------------------------

    def intake(self) -> None:
        """Tickets per second through ticket_open vs raw single-row inserts of the same rows."""
        import psycopg
        from django.db import connection

        from helpdesk.models import Tenant
        from helpdesk.tenancy import tenant_context
        from sla.models import SlaPolicy
        from tickets.models import Contact, Team

        count = self.args.intake
        tenant = Tenant.objects.get(slug="bench001")
        with tenant_context(tenant):
            # A standard-tier requester: the business-hours policy, two clocks a ticket.
            requester = Contact.objects.filter(organization__tier="standard").order_by("pk")[0]
            team = Team.objects.order_by("pk").first()
            policy_id = SlaPolicy.objects.get(position=20).pk

        # Baseline: PostgreSQL alone inserting the same rows ticket_open writes (counter,
        # ticket, first message, created event, acknowledgement, SLA clocks), one
        # transaction each.
        def raw(conn: psycopg.Connection, numbers: range) -> None:
            for n in numbers:
                with conn.transaction():
                    conn.execute("SELECT set_config('app.tenant_id', %s, true)", [str(tenant.pk)])
                    number = conn.execute(
                        "INSERT INTO tickets_ticketcounter (tenant_id, last_number) VALUES (%s, 1)"
                        " ON CONFLICT (tenant_id) DO UPDATE SET last_number ="
                        " tickets_ticketcounter.last_number + 1 RETURNING last_number",
                        [tenant.pk],
                    ).fetchone()[0]
                    ticket_id = conn.execute(
                        "INSERT INTO tickets_ticket (tenant_id, number, subject, description,"
                        " requester_id, channel, status, priority, team_id, department, region,"
                        " customer_segment, language, tags, created_at, updated_at, is_spam,"
                        " is_vip, impact, urgency, status_changed_at)"
                        " VALUES (%s, %s, %s, %s, %s, 'api', 'new', 'medium', %s, '', '', '', '',"
                        " '{}', now(), now(), false, false, '', '', now()) RETURNING id",
                        [tenant.pk, number, f"Raw {n}", "Body", requester.pk, team.pk],
                    ).fetchone()[0]
                    conn.execute(
                        "INSERT INTO tickets_message (tenant_id, ticket_id, kind, author_type,"
                        " author_contact_id, channel, body_text, body_html_raw, body_html,"
                        ' message_id, in_reply_to, "references", created_at)'
                        " VALUES (%s, %s, 'public', 'contact', %s, 'api', 'Body', '',"
                        " '<p>Body</p>', '', '', '', now())",
                        [tenant.pk, ticket_id, requester.pk],
                    )
                    conn.execute(
                        "INSERT INTO tickets_ticketevent (tenant_id, ticket_id, kind,"
                        " actor_contact_id, source, data, created_at)"
                        " VALUES (%s, %s, 'created', %s, 'api', '{}', now())",
                        [tenant.pk, ticket_id, requester.pk],
                    )
                    conn.execute(
                        "INSERT INTO tickets_acknowledgement (tenant_id, ticket_id, via,"
                        " recipient, skipped_reason, expected_response_at, created_at, attempts)"
                        " VALUES (%s, %s, 'email', %s, '', now() + interval '1 day', now(), 0)",
                        [tenant.pk, ticket_id, requester.email],
                    )
                    # Its SLA clocks (first response and resolution of a medium ticket).
                    conn.execute(
                        "INSERT INTO sla_slaclock (tenant_id, ticket_id, metric, state,"
                        " policy_id, priority, target_minutes, started_at, resumed_at,"
                        " elapsed_minutes, paused_seconds, due_at, warn_at, warning,"
                        " warnings_recorded)"
                        " VALUES (%s, %s, 'first_response', 'running', %s, 'medium', 1440,"
                        " now(), now(), 0, 0, now() + interval '1 day', now() + interval '18 h',"
                        " '75%%', '{}'),"
                        " (%s, %s, 'resolution', 'running', %s, 'medium', 7200, now(),"
                        " now(), 0, 0, now() + interval '5 days', now() + interval '90 h',"
                        " '75%%', '{}')",
                        [tenant.pk, ticket_id, policy_id] * 2,
                    )

        def service(numbers: range) -> None:
            tickets_open(tenant, requester, team, numbers, "Service")

        # The machines are noisy: blocks of 50 tickets alternate between the two, so both
        # share the same moments. Each side first opens its connections (database, Redis,
        # broker) and fills its caches with a few untimed tickets: steady intake is measured.
        elapsed = {"raw": 0.0, "service": 0.0}
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            raw(conn, range(-10, 0))
            service(range(-10, 0))
            for start in range(0, count, 50):
                numbers = range(start, min(start + 50, count))
                started = time.perf_counter()
                raw(conn, numbers)
                elapsed["raw"] += time.perf_counter() - started
                started = time.perf_counter()
                service(numbers)
                elapsed["service"] += time.perf_counter() - started
        raw_rate, rate = count / elapsed["raw"], count / elapsed["service"]
        self.add(Figure("intake: raw SQL insert", raw_rate, "tickets/s", higher_is_better=True))
        connection.close()
        self.add(
            Figure(
                "intake: ticket_open service",
                rate,
                "tickets/s",
                baseline=raw_rate,
                baseline_name="raw SQL",
                target="≥ 0.5x raw",
                higher_is_better=True,
            )
        )
        self.intake_with_rules(tenant, requester, team, count)
        api_rate = self.api_intake(tenant, requester.email, count)
        self.add(
            Figure(
                "intake: API POST /tickets, concurrency 4",
                api_rate,
                "tickets/s",
                baseline=raw_rate,
                baseline_name="raw SQL",
                higher_is_better=True,
            )
        )
        from helpdesk.celery import app

        with app.connection_for_write() as conn:
            conn.default_channel.queue_purge(self.queue)

    def intake_with_rules(
        self, tenant: object, requester: object, team: object, count: int
    ) -> None:
        """ticket_open with 200 enabled routing rules (two fire) vs none, in alternating blocks.

        The machines are noisy: alternating blocks of 50 tickets with the rules switched on and
        off lets both sides share the same moments. The first ticket after a switch, which
        recompiles the rules, is not timed.
        """
        from django.db import connection

        from helpdesk.tenancy import tenant_context
        from tickets import routing, services
        from tickets.models import RoutingRule, Team, Ticket

        with tenant_context(tenant):
            team_ids = list(Team.objects.values_list("pk", flat=True))
            # A reused database may hold the rules of a run that was cut short.
            for rule in RoutingRule.objects.filter(name__startswith="bench rule "):
                routing.routing_rule_delete(rule=rule)
            for n in range(200):
                rule = RoutingRule(name=f"bench rule {n}", position=n, **bench_rule(n, team_ids))
                routing.routing_rule_save(rule=rule)

        def switch(enabled: bool) -> None:
            with tenant_context(tenant):
                RoutingRule.objects.update(is_enabled=enabled)
                routing.routing_rules_changed(tenant_id=tenant.pk)
            # After the commit, which bumps the version once more: this ticket recompiles.
            with tenant_context(tenant):
                services.ticket_open(requester=requester, subject="warm-up", channel="api")

        elapsed = {True: 0.0, False: 0.0}
        block = 50
        for start in range(0, count, block):
            for enabled in (False, True):
                switch(enabled)
                started = time.perf_counter()
                tickets_open(
                    tenant, requester, team, range(start, min(start + block, count)), "Routed"
                )
                elapsed[enabled] += time.perf_counter() - started
        # The evaluation alone (rule version check in Redis, facts, 200 rules, applying the
        # plan), without the events' INSERT: what routing costs a ticket no rule fires on.
        samples = []
        with tenant_context(tenant):
            for n in range(count):
                ticket = Ticket(requester=requester, subject=f"Routed {n}", description="Body",
                                channel="api", team=team, tenant_id=tenant.pk)  # fmt: skip
                started = time.perf_counter()
                routing.ticket_route_new(ticket=ticket, text="Body")
                samples.append((time.perf_counter() - started) * 1000)
            for rule in RoutingRule.objects.all():
                routing.routing_rule_delete(rule=rule)
        connection.close()
        plain, routed = count / elapsed[False], count / elapsed[True]
        self.add(
            Figure(
                "intake: ticket_open with 200 active rules",
                routed,
                "tickets/s",
                baseline=plain,
                baseline_name="no rules, alternating",
                higher_is_better=True,
            )
        )
        self.add(
            Figure(
                "intake: routing cost per ticket, 200 rules",
                (elapsed[True] - elapsed[False]) * 1000 / count,
                "ms",
                target="≤ 2 ms (issue 4)",
            )
        )
        self.add(
            Figure(
                "intake: rule evaluation per ticket, 200 rules, p50",
                percentile(samples, 0.5),
                "ms",
                target="≤ 2 ms (issue 4)",
            )
        )

    def api_intake(self, tenant: object, email: str, count: int) -> float:
        """Tickets per second created through the JSON API by 4 clients at once."""
        from django.db import connection

        from helpdesk.tenancy import tenant_context
        from integrations.services import api_token_create

        with tenant_context(tenant):
            _token, secret = api_token_create(name="bench", by=None)
        connection.close()
        body = json.dumps(
            {"subject": "API ticket", "description": "Body", "requester": {"email": email}}
        )
        port = free_port()
        with server(uvicorn(port), self.env, port):
            per_client = count // 4
            errors: list[str] = []

            def post_tickets() -> None:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                headers = {
                    "Host": f"{tenant.slug}.localhost",
                    "Authorization": f"Bearer {secret}",
                    "Content-Type": "application/json",
                }
                for _ in range(per_client):
                    conn.request("POST", "/api/v1/tickets", body=body, headers=headers)
                    response = conn.getresponse()
                    response.read()
                    if response.status != 201:
                        errors.append(str(response.status))
                conn.close()

            elapsed = run_concurrently(post_tickets, 4)
        if errors:
            raise RuntimeError(f"API intake failed: {sorted(set(errors))}")
        return per_client * 4 / elapsed

    # --- pages ------------------------------------------------------------------------------

    def login_cookie(self, tenant_slug: str, email: str) -> str:
        from django.conf import settings
        from django.test import Client

        from helpdesk.models import User

        client = Client(HTTP_HOST=f"{tenant_slug}.localhost")
        client.force_login(User.objects.get(email=email))
        return (
            f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
        )

    def largest_desk(self) -> tuple[str, str]:
        """The biggest tenant's slug and one of its agents (the worst case for queue pages)."""
        from django.db import connection

        from helpdesk.models import Membership, Tenant
        from helpdesk.tenancy import Role, tenant_context
        from tickets.models import TeamMember, Ticket

        sizes = {}
        for tenant in Tenant.objects.filter(slug__startswith="bench"):
            with tenant_context(tenant):
                sizes[tenant.slug] = Ticket.objects.count()
        slug = max(sizes, key=sizes.__getitem__)
        with tenant_context(Tenant.objects.get(slug=slug)):
            # An ordinary agent (not the desk's manager): their pages also check private teams.
            agents = Membership.objects.filter(role=Role.AGENT).values("user_id")
            member = TeamMember.objects.filter(user_id__in=agents).order_by("pk").first()
            agent = member.user.email
        connection.close()
        return slug, agent

    def queue_positions(self, slug: str, email: str, depth: int) -> tuple[int, str, int]:
        """The agent's biggest team, the cursor of the page that starts `depth` rows deep, and
        that depth (less in a queue too short for it: the deepest page that is still full)."""
        from django.db import connection
        from django.db.models import Count

        from helpdesk.models import Tenant, User
        from helpdesk.tenancy import tenant_context
        from tickets import selectors
        from tickets.models import Team

        tenant, agent = Tenant.objects.get(slug=slug), User.objects.get(email=email)
        with tenant_context(tenant):
            team = (
                Team.objects.filter(memberships__user=agent)
                .annotate(size=Count("tickets"))
                .order_by("-size")
                .first()
            )
            tickets = selectors.queue_tickets_base(key="team", agent=agent, team=team)
            depth = max(min(depth, tickets.count() - selectors.PAGE_SIZE), 1)
            # Where the page after the first `depth` rows starts (as the deep page's link).
            cursor = selectors.queue_page(tickets, sort="newest", size=depth).next_cursor
        connection.close()
        return team.pk, cursor, depth

    def queue_floor(
        self, slug: str, email: str, team_id: int, after: str, repeat: int
    ) -> dict[str, list[float]]:
        """A queue page's bare SQL plus rendering its template, in-process: no HTTP, no
        middleware, no ORM and no view code (the context is built once, outside the timing).

        "page": the page's own template (`tickets/queue.html`: navigation, filter and bulk
        bars, rows), the floor issue 6 compares the page with. "rows": its rows alone.
        """
        from django.db import connection
        from django.template.loader import get_template
        from django.test import RequestFactory
        from django_htmx.middleware import HtmxDetails

        from helpdesk.models import Membership, Tenant, User
        from helpdesk.tenancy import tenant_context
        from tickets import selectors
        from tickets.models import Team
        from tickets.views import workspace as views

        templates = {
            "page": get_template("tickets/queue.html"),
            "rows": get_template("tickets/_queue_rows.html"),
        }
        tenant, agent = Tenant.objects.get(slug=slug), User.objects.get(email=email)
        request = RequestFactory().get(
            f"/workspace/teams/{team_id}/", {"after": after} if after else {},
            HTTP_HOST=f"{slug}.localhost",
        )  # fmt: skip
        request.user, request.tenant, request.htmx = agent, tenant, HtmxDetails(request)
        samples: dict[str, list[float]] = {"page": [], "rows": []}
        with tenant_context(tenant):
            request.membership = Membership.objects.get(user=agent, tenant=tenant)
            team = Team.objects.get(pk=team_id)
            base = selectors.queue_tickets_base(key="team", agent=agent, team=team)
            context = views.queue_context(
                request, title=team.name, tickets=base, key="team", team=team
            )
            query = selectors.queue_page_rows(base, sort="newest", after=after)
            sql, params = query.query.sql_with_params()
            templates["page"].render(context, request)  # lazy parts of the context, once
            for _ in range(repeat):
                for name, template in templates.items():
                    started = time.perf_counter()
                    with connection.cursor() as cursor:
                        cursor.execute(sql, params)
                        cursor.fetchall()
                    template.render(context, request)
                    samples[name].append((time.perf_counter() - started) * 1000)
        connection.close()
        return samples

    def pages(self) -> None:
        """Queue pages (first and deep) through the real server, their floors, memory, servers."""
        slug, agent = self.largest_desk()
        cookie = self.login_cookie(slug, agent)
        repeat = self.args.requests
        team_id, deep_cursor, depth = self.queue_positions(slug, agent, depth=5000)
        floors = {
            "first": self.queue_floor(slug, agent, team_id, "", repeat),
            "deep": self.queue_floor(slug, agent, team_id, deep_cursor, repeat),
        }
        paths = {
            "first": f"/workspace/teams/{team_id}/",
            "deep": f"/workspace/teams/{team_id}/?after={deep_cursor}",
        }
        latencies = {}
        port = free_port()
        with server(uvicorn(port), self.env, port) as web:
            worker = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "helpdesk", "worker", "--concurrency=2",
                 "--loglevel=WARNING", "-Q", "bench-idle"],
                cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            try:
                for name, path in paths.items():
                    http_load(port, f"{slug}.localhost", path, cookie=cookie, requests=20,
                              concurrency=1)  # fmt: skip
                    latencies[name], _ = http_load(
                        port, f"{slug}.localhost", path, cookie=cookie, requests=repeat,
                        concurrency=1,
                    )  # fmt: skip
                http_load(port, f"{slug}.localhost", paths["first"], cookie=cookie,
                          requests=repeat, concurrency=4)  # fmt: skip
                web_rss = peak_rss_mib(web.pid)
                worker_rss = peak_rss_mib(worker.pid)
            finally:
                worker.terminate()
                worker.wait(timeout=20)
        for name, label in (("first", "first page"), ("deep", f"page at row {depth:,}")):
            floor = floors[name]["page"]
            self.add(Figure(f"queue floor p95, {label} (SQL + page template)",
                            percentile(floor, 0.95), "ms"))  # fmt: skip
            self.add(Figure(f"queue rows alone p95, {label} (SQL + rows template)",
                            percentile(floors[name]["rows"], 0.95), "ms"))  # fmt: skip
            self.add_percentiles(
                f"queue {label} {{}} ({slug})", latencies[name], floor, "floor {}",
                {"p50": "", "p95": "p95 ≤ 2x floor"},
            )  # fmt: skip
        self.add(Figure("web peak RSS under page load", web_rss, "MiB"))
        self.add(Figure("worker peak RSS", worker_rss, "MiB"))

        rates = {}
        for name, command in (("daphne", daphne), ("uvicorn", uvicorn)):
            port = free_port()
            with server(command(port), self.env, port):
                http_load(port, f"{slug}.localhost", "/accounts/login/", requests=40, concurrency=4)
                _, rates[name] = http_load(
                    port, f"{slug}.localhost", "/accounts/login/", requests=repeat * 2,
                    concurrency=4,
                )  # fmt: skip
        self.add(
            Figure(
                "login page, uvicorn, concurrency 4",
                rates["uvicorn"],
                "req/s",
                baseline=rates["daphne"],
                baseline_name="daphne",
                target="the chosen server (≥ 1x daphne)",
                higher_is_better=True,
            )
        )

    # --- search -----------------------------------------------------------------------------

    def search_floor(self, slug: str, email: str, queries: list[str], repeat: int) -> list[float]:
        """The search page's own statements run bare through a cursor, in-process: the ranked
        tickets with their highlighted subject and message (one statement), the contacts and
        the organisations, each query in turn. No HTTP, middleware, view or template."""
        from django.db import connection

        from helpdesk.models import Tenant, User
        from helpdesk.tenancy import tenant_context
        from tickets import search
        from tickets.models import Contact, Organization

        tenant, agent = Tenant.objects.get(slug=slug), User.objects.get(email=email)
        samples = []
        with tenant_context(tenant):
            statements = []
            for text in queries:
                people = search.name_query(text)
                contacts = (
                    Contact.objects.filter(search.name_match(Contact, people))
                    .select_related("organization")
                    .order_by("name", "pk")[:10]
                )
                organizations = Organization.objects.filter(
                    search.name_match(Organization, people)
                ).order_by("name", "pk")[:10]
                statements.append(
                    [
                        search.ticket_query_sql(text),
                        search.ticket_hits_sql(
                            query=search.ticket_query(text), hidden_teams=[], agent_id=agent.pk
                        ),
                        contacts.query.sql_with_params(),
                        organizations.query.sql_with_params(),
                    ]
                )
            for n in range(repeat):
                started = time.perf_counter()
                for sql, params in statements[n % len(statements)]:
                    with connection.cursor() as cursor:
                        cursor.execute(sql, params)
                        cursor.fetchall()
                samples.append((time.perf_counter() - started) * 1000)
        connection.close()
        return samples

    def search(self) -> None:
        """The agents' search page through the real server over a set of everyday queries,
        against its bare SQL (issue 17)."""
        from urllib.parse import quote

        slug, agent = self.largest_desk()
        cookie = self.login_cookie(slug, agent)
        queries = list(SEARCH_QUERIES)
        repeat = max(self.args.requests, len(queries) * 10)
        floor = self.search_floor(slug, agent, queries, repeat)
        per_query: dict[str, list[float]] = {}
        latencies: list[float] = []
        port = free_port()
        headers = {"Host": f"{slug}.localhost", "Cookie": cookie}
        with server(uvicorn(port), self.env, port):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            # The first round warms connections and caches; one keep-alive connection, as a
            # browser tab.
            for n in range(len(queries) + repeat):
                text = queries[n % len(queries)]
                started = time.perf_counter()
                conn.request("GET", f"/workspace/search/?q={quote(text)}", headers=headers)
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    raise RuntimeError(f"search {text!r} answered {response.status}")
                if n >= len(queries):
                    taken = (time.perf_counter() - started) * 1000
                    latencies.append(taken)
                    per_query.setdefault(text, []).append(taken)
            conn.close()
        slowest = max(per_query, key=lambda text: percentile(per_query[text], 0.95))
        print(f"  slowest query: {slowest!r}, p95 {percentile(per_query[slowest], 0.95):.1f} ms")
        self.add_percentiles(
            f"search page {{}}, {len(queries)} queries ({slug})", latencies, floor,
            "floor {}", {"p50": "", "p95": "p95 < 100 ms and ≤ 2x floor"},
        )  # fmt: skip

    # --- live updates -----------------------------------------------------------------------

    def live(self) -> None:
        """Live updates: reaching agents' sockets, and agents' open queue pages on a busy desk."""
        self.live_sockets()
        self.live_pages()

    def live_sockets(self) -> None:
        """Commit → WebSocket latency with N agents connected, vs a bare channel-layer send."""
        import websockets
        from asgiref.sync import async_to_sync
        from channels.layers import get_channel_layer
        from django.db import connection, transaction

        from helpdesk import live
        from helpdesk.models import Tenant
        from helpdesk.tenancy import tenant_context
        from tickets import services
        from tickets.models import Contact

        slug, agent = self.largest_desk()
        cookie = self.login_cookie(slug, agent)
        tenant = Tenant.objects.get(slug=slug)
        with tenant_context(tenant):
            requester = Contact.objects.order_by("pk").first()
        connection.close()
        sockets, events = self.args.sockets, self.args.events
        received: dict[str, list[float]] = {}
        ready = threading.Event()
        done = threading.Event()

        async def client(index: int, port: int) -> None:
            # The URI names the desk's host (Host and Origin headers); the socket goes to
            # 127.0.0.1, since not every resolver maps *.localhost to loopback.
            async with websockets.connect(
                f"ws://{slug}.localhost:{port}/ws/live/",
                host="127.0.0.1",
                port=port,
                origin=f"http://{slug}.localhost:{port}",
                additional_headers={"Cookie": cookie},
                compression=None,
            ) as ws:
                await ws.recv()  # live.ready
                clients_ready.append(index)
                if len(clients_ready) == sockets:
                    ready.set()
                while not done.is_set():
                    try:
                        message = json.loads(await asyncio.wait_for(ws.recv(), 0.5))
                    except TimeoutError:
                        continue
                    key = str(message.get("ticket") or message.get("mark"))
                    received.setdefault(key, []).append(time.time())

        async def clients(port: int) -> None:
            await asyncio.gather(*(client(n, port) for n in range(sockets)))

        def measure(send: Callable[[int], str]) -> list[float]:
            received.clear()
            sent: dict[str, float] = {}
            for n in range(events):
                key, at = send(n)
                sent[key] = at
                time.sleep(1 / 20)  # 20 events a second, as a busy desk
            time.sleep(1)
            latencies = []
            for key, at in sent.items():
                arrivals = received.get(key, [])
                latencies += [(arrival - at) * 1000 for arrival in arrivals]
                latencies += [float("inf")] * (sockets - len(arrivals))  # lost = infinitely late
            return latencies

        def publish_ticket(n: int) -> tuple[str, float]:
            marks: list[float] = []
            with tenant_context(tenant), transaction.atomic():
                # Registered first, so it runs at commit, just before the service's publish.
                transaction.on_commit(lambda: marks.append(time.time()))
                ticket = services.ticket_open(requester=requester, subject=f"Live {n}",
                                              channel="api")  # fmt: skip
            return str(ticket.pk), marks[0]

        layer = get_channel_layer()

        def bare_send(n: int) -> tuple[str, float]:
            key = f"bare-{n}"
            at = time.time()
            async_to_sync(layer.group_send)(
                live.tenant_group(tenant.pk), {"type": "live.event", "payload": {"mark": key}}
            )
            return key, at

        port = free_port()
        with server(uvicorn(port), self.env, port):
            clients_ready: list[int] = []
            loop = asyncio.new_event_loop()
            thread = threading.Thread(target=lambda: loop.run_until_complete(clients(port)))
            thread.start()
            if not ready.wait(60):
                raise RuntimeError("the WebSocket clients did not connect")
            bare = measure(bare_send)
            commit = measure(publish_ticket)
            done.set()
            thread.join(timeout=30)
        connection.close()
        self.add_percentiles(
            f"live update {{}}, {sockets} agents", commit, bare, "bare group_send {}",
            {"p50": "", "p99": "p99 < 250 ms"},
        )  # fmt: skip
        delivered = sum(1 for value in commit if value != float("inf")) / len(commit)
        self.add(Figure("live updates delivered", delivered * 100, "%", higher_is_better=True))

    # --- live: agents' open queue pages -----------------------------------------------------

    def live_desk(self) -> dict:
        """The first `--agents` agents of the largest desk, each with a session and a queue
        page: every other one on "My work", the others on their own team's queue."""
        from django.db import connection

        from helpdesk.models import Membership, Tenant, User
        from helpdesk.tenancy import STAFF_ROLES, tenant_context
        from tickets.models import Contact, Team, TeamMember

        slug, _agent = self.largest_desk()
        tenant = Tenant.objects.get(slug=slug)
        with tenant_context(tenant):
            staff = set(
                Membership.objects.filter(role__in=STAFF_ROLES).values_list("user_id", flat=True)
            )
            teams_of: dict[int, set[int]] = {}
            for user_id, team_id in TeamMember.objects.values_list("user_id", "team_id"):
                if user_id in staff:
                    teams_of.setdefault(user_id, set()).add(team_id)
            teams = {team.pk: team for team in Team.objects.all()}
            requesters = list(Contact.objects.order_by("pk")[:200])
        agents = sorted(teams_of)[: self.args.agents]
        if len(agents) < self.args.agents:
            raise RuntimeError(f"{slug} has {len(agents)} agents in teams, not {self.args.agents}")
        users = User.objects.in_bulk(list(teams_of))
        pages = []
        for n, agent in enumerate(agents):
            team = min(teams_of[agent])
            on_team = n % 2 == 1
            pages.append(
                {
                    "agent": agent,
                    "cookie": self.login_cookie(slug, users[agent].email),
                    "path": f"/workspace/teams/{team}/" if on_team else "/workspace/",
                    "queue": "team" if on_team else "inbox",
                    "teams": frozenset(teams_of[agent]),
                    "team": team if on_team else None,
                }
            )
        members: dict[int, list[object]] = {}
        for agent, agent_teams in teams_of.items():
            for team_id in agent_teams:
                members.setdefault(team_id, []).append(users[agent])
        connection.close()
        return {"tenant": tenant, "slug": slug, "pages": pages, "teams": teams,
                "members": members, "requesters": requesters}  # fmt: skip

    def live_pool(self, tenant: object) -> list[dict]:
        """The desk's open tickets (in teams), which agents work on during the run."""
        from django.db import connection

        from helpdesk.tenancy import tenant_context
        from tickets.models import Ticket

        with tenant_context(tenant):
            rows = (
                Ticket.objects.filter(status__in=Ticket.OPEN_STATUSES, team__isnull=False)
                .order_by("-created_at", "-id")
                .values("id", "team_id", "assignee_id", "status", "created_at")
            )
            pool = [self._pooled(row["id"], row["team_id"], row["assignee_id"], row["status"],
                                 row["created_at"]) for row in rows]  # fmt: skip
        connection.close()
        return pool

    @staticmethod
    def _pooled(pk: int, team: int | None, assignee: int | None, status: str, created) -> dict:
        from tickets.selectors import SORTS, place_key

        return {
            "id": pk,
            "place": {"team": team, "assignee": assignee, "status": status},
            "key": json.loads(place_key([created, pk], SORTS["newest"])),
            "touched": float("-inf"),
        }

    def live_writes(self, desk: dict, pool: list[dict], seconds: float, rate: float) -> list:
        """A busy desk's changes at `rate` a second for `seconds`, each in its own transaction
        through the ticket services: new tickets into its teams (10 %: a ticket's life is
        about ten changes), agents' replies (45 %), status changes (25 %) and assignments
        (20 %, a quarter of them moving the ticket to another team), on open tickets of the
        desk drawn at random (not touched in the last 3 s). Returns each change: ticket,
        commit time, kind, and where the ticket sat before and after."""
        import random

        from django.db import connection, transaction

        from helpdesk.tenancy import tenant_context
        from tickets import services
        from tickets.models import Ticket

        rng = random.Random(self.args.seed)
        tenant, teams, members = desk["tenant"], desk["teams"], desk["members"]
        team_ids = sorted(members)
        commits = []

        def pick() -> dict | None:
            now = time.monotonic()
            for _ in range(30):
                entry = rng.choice(pool)
                if now - entry["touched"] > 3:
                    return entry
            return None

        def apply(n: int, kind: str, entry: dict | None) -> tuple[Ticket, dict | None]:
            if kind == "created":
                team = teams[rng.choice(team_ids)]
                ticket = services.ticket_open(
                    requester=rng.choice(desk["requesters"]), subject=f"Live ticket {n}",
                    description="The printer on floor 3 shows error 0x41.", channel="api",
                    team=team,
                )  # fmt: skip
                return ticket, None
            place = entry["place"]
            ticket = Ticket(pk=entry["id"], tenant_id=tenant.pk)
            crew = members[place["team"]]
            agent = next((u for u in crew if u.pk == place["assignee"]), None) or rng.choice(crew)
            if kind == "replied":
                message = services.ticket_reply_add(
                    ticket=ticket, text=f"Reply {n}: we are on it.", channel="email",
                    author_user=agent,
                )  # fmt: skip
                return message.ticket, place
            if kind == "status":
                if place["status"] in ("pending", "on_hold"):
                    status = "open"
                else:
                    status = rng.choice(["pending", "pending", "solved", "solved", "on_hold"])
                return services.ticket_status_change(ticket=ticket, status=status, by=agent), place
            if rng.random() < 0.25:  # to another team, nobody's yet
                other = rng.choice([team for team in team_ids if team != place["team"]])
                moved = services.ticket_assign(ticket=ticket, agent=None, by=agent,
                                               team=teams[other])  # fmt: skip
                return moved, place
            owner = rng.choice([u for u in crew if u.pk != place["assignee"]])
            return services.ticket_assign(ticket=ticket, agent=owner, by=agent), place

        started = time.monotonic()
        count = int(seconds * rate)
        for n in range(count):
            time.sleep(max(0.0, started + n / rate - time.monotonic()))
            kind = rng.choices(("created", "replied", "status", "assigned"), (10, 45, 25, 20))[0]
            entry = None if kind == "created" else pick()
            if entry is None:
                kind = "created"
            marks: list[float] = []
            with tenant_context(tenant), transaction.atomic():
                # Registered first, so it runs at commit, just before the service's publish.
                transaction.on_commit(lambda marks=marks: marks.append(time.time()))
                ticket, before = apply(n, kind, entry)
            after = {"team": ticket.team_id, "assignee": ticket.assignee_id,
                     "status": ticket.status}  # fmt: skip
            if entry is None:
                entry = self._pooled(ticket.pk, ticket.team_id, ticket.assignee_id,
                                     ticket.status, ticket.created_at)  # fmt: skip
                pool.append(entry)
            entry["place"], entry["touched"] = after, time.monotonic()
            if ticket.status not in Ticket.OPEN_STATUSES:
                pool.remove(entry)
            commits.append({"ticket": ticket.pk, "at": marks[0], "kind": kind,
                            "before": before or after, "after": after,
                            "key": entry["key"]})  # fmt: skip
        connection.close()
        return commits

    @staticmethod
    def page_delays(page: dict, commits: list[dict]) -> list[float]:
        """Seconds from each change that concerns the page to the page showing it (inf: never).

        A change concerns a page when the ticket's row was shown at the commit, or when the
        ticket entered the queue (new, or moved in) at a place within the rows shown. It is
        shown when a request the page started after the commit returned with it: the whole
        page, its rows region, or the ticket's row (taken out without a request: at once).
        """
        import bisect

        from live_load import ALL, in_queue

        teams = frozenset(page["teams"])
        history, more_history = page["history"], page["more_history"]
        shown = sorted(page["shown"], key=lambda entry: entry[0])
        starts = [entry[0] for entry in shown]
        rows: dict[int, list[int]] = {}
        more, at_row, at_more = False, 0, 0
        delays = []
        for commit in sorted(commits, key=lambda commit: commit["at"]):
            while at_row < len(history) and history[at_row][0] <= commit["at"]:
                _t, ticket, key = history[at_row]
                if key is None:
                    rows.pop(ticket, None)
                else:
                    rows[ticket] = key
                at_row += 1
            while at_more < len(more_history) and more_history[at_more][0] <= commit["at"]:
                more = more_history[at_more][1]
                at_more += 1

            def there(place: dict) -> bool:
                return in_queue(page["queue"], page["agent"], teams, page["team"], place)

            ticket = commit["ticket"]
            entering = there(commit["after"]) and (
                commit["kind"] == "created" or not there(commit["before"])
            )
            within = not more or not rows or commit["key"] < max(rows.values())
            if not (ticket in rows or (entering and within)):
                continue
            delay = float("inf")
            # A region has one request at a time: the first to start after is the first back.
            for _start, end, work in shown[bisect.bisect_left(starts, commit["at"]) :]:
                if work == ALL or ticket in work:
                    delay = end - commit["at"]
                    break
            delays.append(delay)
        return delays

    def live_pages(self) -> None:
        """Agents' open queue pages while the desk changes 20 times a second: the page's regions
        fetching fragments (live.js) vs today's full-page refresh of the whole desk."""
        desk = self.live_desk()
        measured = {mode: self.live_run(desk, mode) for mode in ("fragments", "today")}
        self.live_pages_report(measured, len(desk["pages"]), self.args.live_rate)

    def live_run(self, desk: dict, mode: str) -> dict:
        """One run: a fresh web process, the pages' clients in a process of their own, the
        desk's changes from this one; the web process's CPU from /proc before and after."""
        import multiprocessing

        from live_load import run_clients

        clock = os.sysconf("SC_CLK_TCK")

        def cpu_seconds(pid: int) -> float:
            """CPU of the web tier: the server and its worker processes, every thread."""
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            own = (int(fields[11]) + int(fields[12])) / clock  # utime + stime
            children = [
                int(child)
                for task in Path(f"/proc/{pid}/task").iterdir()
                for child in (task / "children").read_text().split()
            ]
            return own + sum(cpu_seconds(child) for child in children)

        pool = self.live_pool(desk["tenant"])
        port = free_port()
        config = {
            "mode": mode, "port": port, "host": f"{desk['slug']}.localhost",
            "pages": desk["pages"], "clients": len(desk["pages"]),
            "counts_every": COUNTS_EVERY, "settle": LIVE_SETTLE, "check": mode == "fragments",
        }  # fmt: skip
        spawn = multiprocessing.get_context("spawn")
        commands, results = spawn.Queue(), spawn.Queue()
        log = Path(tempfile.gettempdir()) / f"{self.queue}-{mode}-web.log"
        web_tier = uvicorn(port, processes=self.args.web_processes)
        with log.open("w") as errors, server(web_tier, self.env, port, errors) as web:
            clients = spawn.Process(target=run_clients, args=(config, commands, results))
            clients.start()
            try:
                answer = results.get(timeout=180)
                if answer != "ready":
                    raise RuntimeError(f"the live clients did not connect: {answer}")
                time.sleep(1)  # the pages' first counts have loaded
                cpu, began = cpu_seconds(web.pid), time.time()
                commits = self.live_writes(desk, pool, self.args.live_seconds, self.args.live_rate)
                time.sleep(LIVE_TAIL)  # the last changes' requests
                cpu, ended = cpu_seconds(web.pid) - cpu, time.time()
                commands.put("stop")  # after LIVE_SETTLE more seconds of showing changes
                pages = results.get(timeout=120)
                if isinstance(pages, str):
                    raise RuntimeError(f"the live clients failed: {pages}")
            finally:
                clients.join(timeout=30)
                if clients.is_alive():
                    clients.kill()
        delays = [delay for page in pages for delay in self.page_delays(page, commits)]
        requests = [request for page in pages for request in page["requests"]]
        answered = [r for r in requests if began <= r[1] <= ended]  # errors too: they cost
        served = [r for r in answered if "failed" not in r[2]]
        kinds = {
            kind: sum(1 for r in served if r[2] == kind) for kind in ("page", "rows", "counts")
        }
        failed = [r for r in requests if "failed" in r[2]]
        heard = sum(page["heard"] for page in pages) / len(pages)
        took = {
            kind: percentile([(r[1] - r[0]) * 1000 for r in served if r[2] == kind], 0.5)
            for kind, count in kinds.items()
            if count
        }
        never = sum(1 for delay in delays if delay == float("inf"))
        crashed = log.read_text().count("Traceback")
        checked = [page["differences"] for page in pages if page["differences"] is not None]
        stale = [count for count in checked if count]
        print(f"  {mode}: {len(commits)} changes, {len(delays)} (change, page) pairs to show"
              f" ({never} never shown); {len(served)} requests served {kinds}, p50"
              f" {', '.join(f'{k} {v:,.0f} ms' for k, v in took.items())}; {len(failed)}"
              f" failed; {cpu:.1f} web CPU s; a page heard {heard:.0f} changes;"
              f" {len(stale)} of {len(checked)} pages checked differ from a fresh load"
              f" ({sum(stale)} rows); load average {os.getloadavg()[0]:.1f}"
              + (f"; {crashed} server errors in {log}" if crashed else ""),
              flush=True)  # fmt: skip
        return {
            "delays": delays, "cpu": cpu, "events": len(commits), "served": len(served),
            "answered": len(answered), "asked": sum(sum(page["asked"].values()) for page in pages),
        }  # fmt: skip

    def live_pages_report(self, measured: dict, agents: int, rate: float) -> None:
        """Latency and web CPU per change, fragments against today's full-page refresh (whose
        CPU per change is estimated: it saturates the process, see bench/README.md)."""
        new, old = measured["fragments"], measured["today"]
        label = f"{agents} agents' queue pages, {rate:g} changes/s"
        self.add_percentiles(
            f"live pages: change shown {{}}, {label}", [d * 1000 for d in new["delays"]],
            [d * 1000 for d in old["delays"]], "today's full-page refresh {}",
            {"p50": "", "p99": "p99 ≤ 1000 ms"},
        )  # fmt: skip
        old_raw = old["cpu"] / old["events"] * 1000
        per_request = old["cpu"] / max(old["answered"], 1) * 1000
        old_asked = per_request * old["asked"] / old["events"]
        self.add(Figure(f"live pages: web CPU per change, today raw (saturated), {label}",
                        old_raw, "ms"))  # fmt: skip
        self.add(Figure("live pages: web CPU per request served, today", per_request, "ms"))
        self.add(Figure("live pages: requests asked per change, today",
                        old["asked"] / old["events"], "requests"))  # fmt: skip
        self.add(
            Figure(
                f"live pages: web CPU per change, fragments, {label}",
                new["cpu"] / new["events"] * 1000,
                "ms",
                baseline=old_asked,
                baseline_name="today: CPU per request x requests asked",
                target="≤ 0.2x today (5x less)",
            )
        )
        self.add(Figure("live pages: requests served per change, fragments",
                        new["served"] / new["events"], "requests"))  # fmt: skip

    # --- SLA enforcement ----------------------------------------------------------------------

    def _make_due(self, count: int, due: Callable[[int], object]) -> list[tuple[int, int]]:
        """Make `count` running clocks, spread over the tenants, due at `due(n)`."""
        from django.utils import timezone

        from helpdesk.models import Tenant
        from helpdesk.tenancy import tenant_context
        from sla.models import SlaClock

        tenants = list(Tenant.objects.filter(slug__startswith="bench").order_by("pk"))
        share = -(-count // len(tenants))
        chosen: list[tuple[int, int]] = []
        for tenant in sorted(tenants, key=lambda t: t.slug != "bench001"):  # tops up first
            with tenant_context(tenant):
                want = min(share, count - len(chosen))
                ids = list(
                    SlaClock.objects.filter(state="running", breached_at=None)
                    .order_by("-due_at")
                    .values_list("pk", flat=True)[:want]
                )
                for pk in ids:
                    SlaClock.objects.filter(pk=pk).update(
                        warned_at=timezone.now(), warn_at=None, warning="", due_at=due(len(chosen))
                    )
                    chosen.append((tenant.pk, pk))
        return chosen

    def _breach_times(self, chosen: list[tuple[int, int]]) -> dict[int, float]:
        """Seconds from each chosen clock's due time to its breach event (missing: none yet)."""
        from helpdesk.tenancy import tenant_context
        from sla.models import SlaClock
        from tickets.models import TicketEvent

        late: dict[int, float] = {}
        for tenant_id in sorted({tenant_id for tenant_id, _pk in chosen}):
            ids = [pk for t, pk in chosen if t == tenant_id]
            with tenant_context(tenant_id):
                due = dict(SlaClock.objects.filter(pk__in=ids).values_list("pk", "due_at"))
                for clock, at in TicketEvent.objects.filter(
                    kind="sla_breached", data__clock__in=ids
                ).values_list("data__clock", "created_at"):
                    late[clock] = (at - due[clock]).total_seconds()
        return late

    def replan(self) -> None:
        """Re-planning N running clocks after a holiday is added to their calendar."""
        from datetime import date
        from datetime import time as clock_time

        from django.db import connection

        from helpdesk.models import Tenant
        from helpdesk.tenancy import tenant_context
        from sla.models import BusinessCalendar, Holiday, SlaClock, WorkingHours
        from sla.replanning import replan_request, replan_run
        from tickets.models import Ticket

        wanted = self.args.replan_clocks
        tenant = Tenant.objects.get(slug="bench001")
        with tenant_context(tenant):
            calendar = BusinessCalendar.objects.create(name="Bench office", time_zone="UTC")
            WorkingHours.objects.bulk_create(
                WorkingHours(calendar=calendar, weekday=day, start=clock_time(9),
                             end=clock_time(17))
                for day in range(5)
            )  # fmt: skip
            live = SlaClock.objects.filter(state__in=("running", "paused"))
            missing = wanted - live.count()
            if missing > 0:
                self._open_tickets_with_clocks(tenant.pk, -(-missing // 2))
            ids = list(live.order_by("pk").values_list("pk", flat=True)[:wanted])
            SlaClock.objects.filter(pk__in=ids).update(calendar=calendar)
            open_tickets = Ticket.objects.filter(status__in=Ticket.OPEN_STATUSES).count()
        statements = [0]

        def count(execute, sql, params, many, context):
            statements[0] += 1
            return execute(sql, params, many, context)

        with tenant_context(tenant):
            Holiday.objects.create(calendar=calendar, date=date(2026, 12, 24), name="Eve")
            request = replan_request(calendar_id=calendar.pk, reason="Bench: a holiday added")
        before = peak_rss_mib(os.getpid())
        started = time.perf_counter()
        with connection.execute_wrapper(count):  # a transaction per batch, as the task runs it
            done = replan_run(tenant_id=tenant.pk, replan_id=request.pk)
        elapsed = time.perf_counter() - started
        growth = peak_rss_mib(os.getpid()) - before
        if done.done != len(ids) or done.failed:
            raise RuntimeError(f"re-planned {done.done} of {len(ids)}, {done.failed} failed")
        label = f"{len(ids):,} running clocks of {open_tickets:,} open tickets"
        self.add(Figure(f"sla: re-plan after a calendar edit, {label}", elapsed, "s",
                        target="< 60 s"))  # fmt: skip
        self.add(Figure("sla: re-plan statements per 1,000 clocks",
                        statements[0] / len(ids) * 1000, "statements"))  # fmt: skip
        self.add(Figure("sla: re-plan peak RSS growth", growth, "MiB", target="flat"))

    def _open_tickets_with_clocks(self, tenant_id: int, count: int) -> None:
        """`count` more open tickets in a tenant (copies of one), each with two running clocks."""
        from django.db import connection

        from tickets.models import Ticket

        columns = [f.column for f in Ticket._meta.concrete_fields
                   if f.column not in ("id", "number") and not f.generated]  # fmt: skip
        listed = ", ".join(columns)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT last_number FROM tickets_ticketcounter WHERE tenant_id = %s", [tenant_id]
            )
            base = cursor.fetchone()[0]
            cursor.execute(
                f"INSERT INTO tickets_ticket ({listed}, number)"  # noqa: S608 (model columns)
                f" SELECT {listed}, %s + g FROM tickets_ticket t, generate_series(1, %s) g"
                " WHERE t.id = (SELECT min(id) FROM tickets_ticket WHERE status = 'open')",
                [base, count],
            )
            cursor.execute(
                "UPDATE tickets_ticketcounter SET last_number = %s WHERE tenant_id = %s",
                [base + count, tenant_id],
            )
            cursor.execute(
                "INSERT INTO sla_slaclock (tenant_id, ticket_id, metric, state, policy_id,"
                " priority, target_minutes, started_at, resumed_at, elapsed_minutes,"
                " paused_seconds, due_at, warn_at, warning, warnings_recorded)"
                " SELECT t.tenant_id, t.id, m.metric, 'running',"
                " (SELECT id FROM sla_slapolicy WHERE position = 20), t.priority, m.target,"
                " now(), now(), 0, 0, now() + (m.target + t.id %% 600) * interval '1 minute',"
                " now() + (m.target * 0.75 + t.id %% 600) * interval '1 minute', '75%%', '{}'"
                " FROM tickets_ticket t"
                " CROSS JOIN (VALUES ('first_response', 480), ('resolution', 2400))"
                " AS m(metric, target)"
                " WHERE t.number > %s",
                [base],
            )

    def sla(self) -> None:
        """One sweep's time with N clocks due, and breach latency from a real worker + beat."""
        import tempfile

        from django.conf import settings
        from django.db import connection
        from django.utils import timezone

        from helpdesk.models import Tenant
        from helpdesk.tenancy import tenant_context
        from sla.models import SlaClock
        from sla.tasks import sweep
        from tickets import services
        from tickets.models import Contact

        running = 0
        for tenant_id in Tenant.objects.filter(slug__startswith="bench").values_list(
            "pk", flat=True
        ):
            with tenant_context(tenant_id):
                running += SlaClock.objects.filter(state="running").count()
        started = time.perf_counter()
        sweep()
        idle = (time.perf_counter() - started) * 1000
        count = self.args.sla_due
        chosen = self._make_due(count, lambda n: timezone.now() - timedelta(seconds=1))
        started = time.perf_counter()
        sweep()
        busy = (time.perf_counter() - started) * 1000
        recorded = len(self._breach_times(chosen))
        self.add(
            Figure(
                f"sla: one sweep, {len(chosen):,} of {running:,} running clocks due",
                busy,
                "ms",
                baseline=idle,
                baseline_name="sweep with none due",
                target="< 1000 ms",
            )
        )
        if recorded != len(chosen):
            raise RuntimeError(f"the sweep recorded {recorded} of {len(chosen)} breaches")

        # A real worker with beat sweeping every SLA_SWEEP_SECONDS while intake runs: how late
        # after its due time is each breach recorded?
        interval = settings.SLA_SWEEP_SECONDS
        env = {**self.env, "EMAIL_URL": "dummymail://", "CONN_MAX_AGE": "0"}
        schedule = Path(tempfile.mkdtemp()) / "beat-schedule"
        from helpdesk.celery import app

        with app.connection_for_write() as conn:  # the first sweep's mail: not this figure's
            conn.default_channel.queue_purge(self.queue)
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "helpdesk", "worker", "--beat",
             "--schedule", str(schedule), "-Q", self.queue, "--concurrency", "2",
             "--loglevel", "WARNING", "--without-gossip", "--without-mingle"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            time.sleep(5)  # beat's first sweep has run
            spread = 2 * interval
            chosen = self._make_due(
                200, lambda n: timezone.now() + timedelta(seconds=1 + spread * n / 200)
            )
            tenant = Tenant.objects.get(slug="bench001")
            with tenant_context(tenant):
                requester = Contact.objects.order_by("pk")[0]
            deadline = time.monotonic() + spread + interval + 30
            opened = 0
            while time.monotonic() < deadline:
                with tenant_context(tenant):
                    services.ticket_open(
                        requester=requester, subject=f"During sweep {opened}", channel="api"
                    )
                opened += 1
                if opened % 50 == 0 and len(self._breach_times(chosen)) == len(chosen):
                    break
            late = self._breach_times(chosen)
        finally:
            worker.terminate()
            worker.wait(timeout=30)
            connection.close()
        samples = [late.get(pk, float("inf")) * 1000 for _tenant, pk in chosen]
        for label, share in (("p50", 0.5), ("p99", 0.99)):
            self.add(
                Figure(
                    f"sla: breach recorded after due {label}, sweep every {interval:g} s,"
                    f" {opened} tickets opened meanwhile",
                    percentile(samples, share),
                    "ms",
                    target=f"p99 ≤ {(interval + 2) * 1000:,.0f} ms" if label == "p99" else "",
                )
            )

    # --- mail and acknowledgements ----------------------------------------------------------

    def replay(self) -> None:
        """A what-if SLA replay of a draft policy over last quarter's closed tickets."""
        from django.db import connection

        from helpdesk.models import Tenant
        from helpdesk.tenancy import tenant_context
        from reports.models import SlaReplay

        count = self.args.replay_tickets
        tenant = Tenant.objects.filter(slug="replaybench").first()
        if tenant is None:
            started = time.perf_counter()
            tenant = self._replay_seed(count)
            print(f"  seeded {count:,} tickets in {time.perf_counter() - started:.0f} s")
        with tenant_context(tenant), connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM tickets_ticketevent")
            events = cursor.fetchone()[0]

        def run(share: float) -> dict[str, Any]:
            """A replay over `share` of the quarter, in a fresh process of its own."""
            out = subprocess.run(
                [sys.executable, str(ROOT / "bench" / "replay_memory.py"), "replaybench",
                 str(share)],
                cwd=ROOT, env=self.env, capture_output=True, text=True, check=True,
            ).stdout  # fmt: skip
            measured = json.loads(out.strip().splitlines()[-1])
            if measured["state"] != SlaReplay.State.DONE:
                raise RuntimeError(f"the replay ended {measured['state']}")
            return measured

        small, whole = run(0.2), run(1.0)
        results = whole["results"]
        print(f"  {whole['tickets']:,} tickets, {events:,} events; applied {results['applied']:,};"
              f" would have breached {results.get('worse', 0):,},"
              f" would not have {results.get('better', 0):,}")  # fmt: skip
        self.add(
            Figure(
                f"replay: draft policy over {whole['tickets']:,} tickets of last quarter",
                whole["seconds"],
                "s",
                baseline=small["seconds"],
                baseline_name=f"a fifth of the quarter ({small['tickets']:,} tickets)",
                target="< 60 s for 100,000 tickets",
            )
        )
        self.add(
            Figure(
                f"replay: peak memory above the idle process, {whole['tickets']:,} tickets",
                whole["peak"] - whole["idle"],
                "MiB",
                baseline=small["peak"] - small["idle"],
                baseline_name=f"the same for {small['tickets']:,} tickets",
                target="flat: x1 of a fifth's",
            )
        )

    def _replay_seed(self, count: int) -> Any:
        """A Berlin desk with `count` closed tickets of last quarter, their timelines and clocks.

        Each ticket: created, answered by an agent after 0-10 hours (new -> open), every third
        one a requester's follow-up answered three hours later, every fifth one pending for a
        day, solved 6-56 hours after the answer and closed four days later. Its real first
        response and resolution clocks under the standard policies (a first response breached
        when answered after its target in wall minutes: close enough for a benchmark). The
        draft ("Gold draft", inactive) halves the first-response targets.
        """
        from django.db import connection
        from django.utils import timezone

        from helpdesk import services as platform
        from helpdesk.models import User
        from helpdesk.tenancy import tenant_context
        from reports.selectors import last_quarter
        from sla.models import SlaPolicy, SlaTarget
        from sla.services import DEFAULT_TARGETS, sla_defaults_create

        tenant = platform.tenant_create(slug="replaybench", name="Replay Bench", ticket_prefix="RB")
        tenant.time_zone = "Europe/Berlin"
        tenant.save()
        agent = User.objects.create(email="agent@replaybench.bench", full_name="Agent")
        start, end = last_quarter(now=timezone.now(), time_zone=tenant.time_zone)
        with tenant_context(tenant), connection.cursor() as cursor:
            sla_defaults_create(time_zone=tenant.time_zone, holiday_country="DE")
            draft = SlaPolicy.objects.create(name="Gold draft", position=99, is_active=False)
            SlaTarget.objects.bulk_create(
                SlaTarget(policy=draft, priority=priority, first_response_minutes=response // 2,
                          next_reply_minutes=response // 2, resolution_minutes=resolution)
                for priority, (response, resolution) in DEFAULT_TARGETS.items()
            )  # fmt: skip
            cursor.execute(
                "INSERT INTO tickets_organization"
                " (tenant_id, name, tier, region, industry, contract_value, is_vip)"
                " SELECT %s, 'Customer ' || g, (ARRAY['enterprise','premium','standard'])[g],"
                " '', '', 0, false FROM generate_series(1, 3) g",
                [tenant.pk],
            )
            cursor.execute(
                "INSERT INTO tickets_contact (tenant_id, name, email, phone, phone_normalized,"
                " organization_id, language, time_zone, created_at, is_blocked)"
                " SELECT %s, 'Requester ' || g, 'requester' || g || '@customer.bench', '', '',"
                " o.ids[1 + g %% 3], 'en', '', now(), false FROM generate_series(1, 300) g,"
                " (SELECT array_agg(id ORDER BY id) AS ids FROM tickets_organization) o",
                [tenant.pk],
            )
            # Offsets in minutes by ticket number: the agent's answer, the solve after it.
            answer = "((t.number * 7919) %% 600)"
            solve = f"({answer} + 360 + (t.number * 31) %% 3000)"
            cursor.execute(
                "INSERT INTO tickets_ticket (tenant_id, number, subject, description,"
                " requester_id, channel, status, priority, team_id, assignee_id, created_at,"
                " updated_at, first_responded_at, solved_at, closed_at, department, region,"
                " customer_segment, language, tags, is_spam, is_vip, impact, urgency,"
                " status_changed_at)"
                " SELECT %(tenant)s, g, 'Replay ticket ' || g, '', c.ids[1 + g %% 300], 'email',"
                " 'closed', (ARRAY['low','medium','medium','high','critical'])[1 + g * 17 %% 5],"
                " NULL, %(agent)s, x.created, x.created, NULL, NULL, NULL, '', '',"
                " (ARRAY['enterprise','premium','standard'])[1 + g %% 3], 'en', '{}', false,"
                " false, '', '', x.created"
                " FROM generate_series(1, %(count)s) g"
                " CROSS JOIN LATERAL (SELECT %(start)s::timestamptz"
                "   + (g - 1) * (%(end)s::timestamptz - %(start)s::timestamptz) / %(count)s"
                "   AS created) x,"
                " (SELECT array_agg(id ORDER BY id) AS ids FROM tickets_contact) c",
                {"tenant": tenant.pk, "agent": agent.pk, "count": count, "start": start,
                 "end": end},
            )  # fmt: skip
            cursor.execute(
                "UPDATE tickets_ticket t SET"  # noqa: S608 (constants of this function)
                f" first_responded_at = created_at + {answer} * interval '1 minute',"
                f" solved_at = created_at + {solve} * interval '1 minute',"
                f" closed_at = created_at + ({solve} + 5760) * interval '1 minute'",
                [],  # parameters, so the %% above are read as %
            )
            cursor.execute(
                "INSERT INTO tickets_ticketcounter (tenant_id, last_number) VALUES (%s, %s)",
                [tenant.pk, count],
            )
            events = [
                ("'created'", "NULL", "t.requester_id", "'{}'", "0", "true"),
                ("'replied'", "t.assignee_id", "NULL", "'{}'", answer, "true"),
                ("'status'", "t.assignee_id", "NULL",
                 """'{"old": "new", "new": "open"}'""", answer, "true"),
                ("'replied'", "NULL", "t.requester_id", "'{}'", f"{answer} + 120",
                 "t.number %% 3 = 0"),
                ("'replied'", "t.assignee_id", "NULL", "'{}'", f"{answer} + 300",
                 "t.number %% 3 = 0"),
                ("'status'", "t.assignee_id", "NULL",
                 """'{"old": "open", "new": "pending"}'""", f"{answer} + 310",
                 "t.number %% 5 = 0"),
                ("'status'", "NULL", "NULL",
                 """'{"old": "pending", "new": "open"}'""", f"{answer} + 1750",
                 "t.number %% 5 = 0"),
                ("'status'", "t.assignee_id", "NULL",
                 """'{"old": "open", "new": "solved"}'""", solve, "true"),
                ("'status'", "NULL", "NULL",
                 """'{"old": "solved", "new": "closed"}'""", f"{solve} + 5760", "true"),
            ]  # fmt: skip
            for kind, actor, contact, data, minutes, where in events:
                cursor.execute(
                    "INSERT INTO tickets_ticketevent (tenant_id, ticket_id, kind, actor_id,"  # noqa: S608
                    " actor_contact_id, source, data, created_at)"
                    f" SELECT t.tenant_id, t.id, {kind}, {actor}, {contact}, 'email', {data},"
                    f" t.created_at + ({minutes}) * interval '1 minute'"
                    f" FROM tickets_ticket t WHERE {where}",
                    [],
                )
            targets = {
                metric: " ".join(
                    f"WHEN '{priority}' THEN {pair[n]}"
                    for priority, pair in DEFAULT_TARGETS.items()
                )
                for n, metric in enumerate(("first_response", "resolution"))
            }
            cursor.execute(
                "INSERT INTO sla_slaclock (tenant_id, ticket_id, metric, state, policy_id,"  # noqa: S608
                " calendar_id, priority, target_minutes, started_at, elapsed_minutes,"
                " paused_seconds, warning, warnings_recorded, fulfilled_at, breached_at)"
                " SELECT t.tenant_id, t.id, m.metric, 'fulfilled', p.id, NULL, t.priority,"
                " x.target, t.created_at, 0, 0, '', '{}', x.done,"
                " CASE WHEN x.done > t.created_at + x.target * interval '1 minute'"
                "   THEN t.created_at + x.target * interval '1 minute' END"
                " FROM tickets_ticket t"
                " CROSS JOIN (VALUES ('first_response'), ('resolution')) m(metric)"
                " CROSS JOIN LATERAL (SELECT CASE m.metric WHEN 'first_response'"
                f"   THEN CASE t.priority {targets['first_response']} END"
                f"   ELSE CASE t.priority {targets['resolution']} END END AS target,"
                " CASE m.metric WHEN 'first_response' THEN t.first_responded_at"
                "   ELSE t.solved_at END AS done) x"
                " CROSS JOIN LATERAL (SELECT id FROM sla_slapolicy WHERE is_active AND"
                "   (tier = t.customer_segment OR tier = '') ORDER BY position LIMIT 1) p",
                [],
            )
            cursor.execute("ANALYZE")
        return tenant

    def mail(self) -> None:
        """Peak memory of a process receiving one 40 MiB mail, against the mail's size."""
        import tempfile
        from email.message import EmailMessage

        message = EmailMessage()
        message["From"], message["To"] = "carol@bigbank.example", "support@bench001.localhost"
        message["Subject"], message["Message-ID"] = "Crash dump", f"<dump-{time.time()}@bench>"
        message.set_content("The crash dump is attached.")
        # 30 MiB of random bytes: 40 MiB in base64, over the 20 MiB attachment limit.
        message.add_attachment(
            os.urandom(30 * 1024 * 1024), maintype="application", subtype="octet-stream",
            filename="core.dump",
        )  # fmt: skip
        with tempfile.NamedTemporaryFile(suffix=".eml") as file:
            file.write(message.as_bytes())
            file.flush()
            size = file.tell() / 2**20
            del message
            out = subprocess.run(
                [sys.executable, str(ROOT / "bench" / "mail_memory.py"), file.name, "bench001"],
                cwd=ROOT, env={**self.env, "EMAIL_URL": "dummymail://"}, capture_output=True,
                text=True, check=True,
            ).stdout  # fmt: skip
        measured = json.loads(out.strip().splitlines()[-1])
        self.add(
            Figure(
                f"mail: peak memory receiving a {size:.0f} MiB mail, above the idle process",
                measured["peak"] - measured["idle"],
                "MiB",
                baseline=size,
                baseline_name="the mail's size",
                target="≤ 2x the mail's size",
            )
        )

    def acks(self) -> None:
        """Acknowledgement latency under concurrent intake, sent by their own tasks (no beat)."""
        from django.db import connection

        from helpdesk.celery import app
        from helpdesk.models import Tenant
        from helpdesk.tenancy import tenant_context
        from tickets.models import Acknowledgement, Contact, Team

        tenant = Tenant.objects.get(slug="bench001")
        with tenant_context(tenant):
            requesters = list(Contact.objects.order_by("pk")[:4])
            team = Team.objects.order_by("pk").first()
        with app.connection_for_write() as conn:
            conn.default_channel.queue_purge(self.queue)
        # No beat: an acknowledgement its task skipped would wait for the sweep forever here,
        # and is counted as waiting. Started last, so nothing can fail between it and `try`.
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "helpdesk", "worker", "-Q", self.queue,
             "--concurrency", "2", "--loglevel", "WARNING", "--without-gossip",
             "--without-mingle"],
            cwd=ROOT, env={**self.env, "EMAIL_URL": "dummymail://"},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        per_thread, label = max(self.args.intake // 4, 1), f"ack-{time.time():.0f}"

        def unsent(prefix: str) -> int:
            with tenant_context(tenant):
                return Acknowledgement.objects.filter(
                    ticket__subject__startswith=prefix, sent_at=None
                ).count()

        try:
            # The worker is up once it has sent a first acknowledgement.
            tickets_open(tenant, requesters[0], team, range(1), f"{label}-warm")
            deadline = time.monotonic() + 60
            while unsent(f"{label}-warm") and time.monotonic() < deadline:
                time.sleep(0.2)
            # Four clients, each opening a ticket every 100 ms: 40 tickets a second.
            run_concurrently_each(
                [
                    lambda n=n: paced(
                        lambda i: tickets_open(
                            tenant, requesters[n % len(requesters)], team, range(i, i + 1), label
                        ),
                        range(n * per_thread, (n + 1) * per_thread),
                        every=0.1,
                    )
                    for n in range(4)
                ]
            )
            deadline = time.monotonic() + 60
            while unsent(f"{label} ") and time.monotonic() < deadline:
                time.sleep(0.5)
            with tenant_context(tenant):
                rows = list(
                    Acknowledgement.objects.filter(
                        ticket__subject__startswith=f"{label} "
                    ).values_list("ticket__created_at", "sent_at")
                )
        finally:
            worker.terminate()
            worker.wait(timeout=30)
            connection.close()
        latencies = [(sent - created).total_seconds() * 1000 for created, sent in rows if sent]
        waiting = len(rows) - len(latencies)
        for label_, share in (("p50", 0.5), ("p99", 0.99)):
            self.add(
                Figure(
                    f"acks: acknowledgement sent after the ticket opened {label_},"
                    f" {len(rows)} opened by 4 clients at 40 a second",
                    percentile(latencies, share) if latencies else float("inf"),
                    "ms",
                    target="p99 ≤ 1,000 ms" if label_ == "p99" else "",
                )
            )
        self.add(
            Figure(
                "acks: acknowledgements left for the sweep (not sent within 60 s)",
                waiting,
                "",
                target="0",
            )
        )

    # --- output -----------------------------------------------------------------------------

    def report(self, started: float) -> None:
        rows = [("figure", "value", "unit", "baseline", "ratio", "target")]
        for f in self.figures:
            rows.append(
                (
                    f.name,
                    f"{f.value:,.2f}",
                    f.unit,
                    f"{f.baseline:,.2f} ({f.baseline_name})" if f.baseline else "",
                    f"{f.ratio:.2f}" if f.ratio else "",
                    f.target,
                )
            )
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        print()
        for index, row in enumerate(rows):
            print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
            if index == 0:
                print("  ".join("-" * width for width in widths))
        RESULTS.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(tz=UTC).strftime("%Y%m%dT%H%M%SZ")
        path = RESULTS / f"{stamp}.json"
        path.write_text(
            json.dumps(
                {
                    "when": stamp,
                    "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
                    "size": {"tenants": self.args.tenants, "tickets": self.args.tickets},
                    "seconds": round(time.monotonic() - started, 1),
                    "figures": [{**asdict(f), "ratio": f.ratio} for f in self.figures],
                },
                indent=2,
            )
        )
        elapsed = time.monotonic() - started
        print(f"\n{len(self.figures)} figures in {elapsed:.0f} s; {path.relative_to(ROOT)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", choices=SIZES, default="small")
    parser.add_argument("--tenants", type=int)
    parser.add_argument("--tickets", type=int)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--database",
        default=os.environ.get("BENCH_DATABASE"),
        help="the database to seed (default: helpdesk_bench, or helpdesk_bench_<sections> for"
        " --only, so benchmarks of different sections never share one)",
    )
    parser.add_argument("--reuse", action="store_true", help="keep the seeded database")
    parser.add_argument(
        "--web-processes",
        type=int,
        default=2,
        help="uvicorn processes serving the live pages figure (2: the web tier as"
        " docker-compose deploys it on two cores, WEB_CONCURRENCY)",
    )
    parser.add_argument("--intake", type=int, default=500, help="tickets per intake run")
    parser.add_argument("--requests", type=int, default=300, help="page requests per figure")
    parser.add_argument("--sockets", type=int, default=100)
    parser.add_argument("--events", type=int, default=100)
    parser.add_argument("--agents", type=int, default=100, help="open queue pages (live)")
    parser.add_argument("--live-seconds", type=float, default=60, help="busy desk (live)")
    parser.add_argument("--live-rate", type=float, default=20, help="changes a second (live)")
    parser.add_argument("--sla-due", type=int, default=1000, help="clocks due in one sweep")
    parser.add_argument(
        "--replan-clocks", type=int, default=100_000, help="running clocks re-planned (replan)"
    )
    parser.add_argument(
        "--replay-tickets", type=int, default=100_000, help="last quarter's tickets (replay)"
    )
    parser.add_argument(
        "--only",
        nargs="*",
        default=["intake", "pages", "search", "live", "sla", "replan", "mail", "acks", "replay"],
    )
    args = parser.parse_args()
    default_tenants, default_tickets = SIZES[args.size]
    args.tenants = args.tenants or default_tenants
    args.tickets = args.tickets or default_tickets
    if not args.database:
        every = parser.get_default("only")
        args.database = "helpdesk_bench" + (
            "" if args.only == every else "_" + "_".join(sorted(set(args.only)))
        )

    started = time.monotonic()
    bench = Bench(args)
    if not args.reuse:
        bench.seed()
    bench.setup_django()
    for name in args.only:
        print(f"{name} …", flush=True)
        getattr(bench, name)()
    bench.report(started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
