"""Generate benchmark-scale data fast: many tenants, skewed in size, built inside PostgreSQL."""

# ruff: noqa: S608 - the SQL below interpolates only this module's constants and integer ids.

from __future__ import annotations

import random
import time
from dataclasses import dataclass, replace
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from helpdesk.models import Tenant, User
from helpdesk.tenancy import Role, tenant_context

BENCH_PASSWORD = "bench"  # noqa: S105 - benchmark logins on a benchmark database
TEAMS = ("L1 Support", "L2 Support", "Billing", "IT Service Desk")
TIERS = ("enterprise", "premium", "standard")
REGIONS = ("EMEA", "AMER", "APAC")
# Tickets mostly closed or solved, as in a desk that has run for a year; the rest open.
STATUS_MIX = (
    ["closed"] * 55
    + ["solved"] * 15
    + ["new"] * 8
    + ["open"] * 12
    + ["pending"] * 6
    + ["on_hold"] * 4
)
CHANNEL_MIX = (
    ["email"] * 45 + ["portal"] * 25 + ["chat"] * 12 + ["phone"] * 8 + ["api"] * 6 + ["social"] * 4
)
PRIORITY_MIX = ["low"] * 25 + ["medium"] * 45 + ["high"] * 22 + ["critical"] * 8
# The largest desk has at least this many agents: the live benchmark opens a page for each.
LIVE_AGENTS = 100
# What tickets are about, so a search finds some and not all: a subject, the sentences its
# messages are made of and the products they name cycle through these by ticket and message
# number (a word of one sentence is in a few percent of the messages; an error code in few).
SUBJECTS = (
    "Printer shows an error", "Password reset does not arrive", "Invoice amount is wrong",
    "Refund for a duplicate charge", "VPN connection drops", "Outlook crashes on start",
    "Laptop battery swollen", "Cannot log in to the portal", "Shipment arrived damaged",
    "Contract renewal question", "GDPR data export request", "Slow dashboard loading",
    "Two-factor code rejected", "Upgrade to the premium plan", "Webhook deliveries failing",
    "Monitor flickers after docking", "Cancel my subscription", "Missing delivery note",
    "API returns server errors", "Calendar sync stopped", "Licence key not accepted",
    "Wrong VAT on the receipt", "Mobile app freezes", "Request for a training session",
)  # fmt: skip
SENTENCES = (
    "The printer in the office shows the error again after the update.",
    "I requested a password reset twice but no email arrived.",
    "The invoice lists a seat we cancelled last month.",
    "We were charged twice and would like a refund of the duplicate payment.",
    "The VPN tunnel disconnects every few minutes when I work from home.",
    "Outlook closes itself right after the splash screen.",
    "The battery of my laptop is swollen and the case does not close.",
    "Logging in to the customer portal fails with an unknown account message.",
    "The parcel was crushed and the screen inside is cracked.",
    "Our contract ends next quarter and we want to discuss renewal terms.",
    "Please send an export of all personal data you hold about our users.",
    "The reporting dashboard takes over a minute to load since Tuesday.",
    "The authenticator code is rejected although the phone clock is correct.",
    "We would like to upgrade twenty seats to the premium plan.",
    "Our endpoint receives no webhook calls since the certificate change.",
    "The external monitor flickers whenever the laptop is docked.",
    "Please cancel the subscription at the end of the billing period.",
    "The delivery note was missing from the shipment, customs is asking for it.",
    "Every call to the orders endpoint answers with status five hundred.",
    "Shared calendars stopped syncing to phones yesterday.",
    "The licence key from the order confirmation is not accepted by the installer.",
    "The receipt shows the wrong VAT rate for our country.",
    "The mobile app freezes on the login screen after the latest release.",
    "Could you arrange a training session for our new support staff?",
    "Thanks, that fixed it for now; I will report back if it happens again.",
    "We restarted the device and cleared the cache, without success.",
    "Attached is a screenshot of the message we see.",
    "Could you escalate this? Our team is blocked until it works.",
)  # fmt: skip
PRODUCTS = (
    "Acme Cloud", "Acme Desk", "Acme Mobile", "Acme Pay", "Acme Print", "Acme Sync",
    "Acme Mail", "Acme Shop", "Acme Analytics", "Acme Connect", "Acme Backup", "Acme Voice",
)  # fmt: skip


@dataclass(frozen=True)
class DeskPlan:
    """How big one benchmark tenant is."""

    index: int
    slug: str
    tickets: int
    agents: int
    organizations: int
    contacts: int


def plan(tenants: int, tickets: int, seed: int) -> list[DeskPlan]:
    """Split `tickets` over `tenants` with a Zipf-like skew: a few desks are large."""
    rng = random.Random(seed)  # noqa: S311 - reproducible data, not secrets
    weights = [1 / (rank + 1) ** 0.9 for rank in range(tenants)]
    rng.shuffle(weights)
    total = sum(weights)
    desks = []
    for index, weight in enumerate(weights):
        size = max(10, round(tickets * weight / total))
        desks.append(
            DeskPlan(
                index=index,
                slug=f"bench{index:03d}",
                tickets=size,
                agents=max(3, min(60, size // 2_000 + 3)),
                organizations=max(3, min(2_000, size // 50)),
                contacts=max(10, min(50_000, size // 4)),
            )
        )
    largest = max(desks, key=lambda desk: desk.tickets)
    desks[largest.index] = replace(largest, agents=max(largest.agents, LIVE_AGENTS))
    return desks


def _sql_array(values: list[str]) -> str:
    return "ARRAY[" + ",".join(f"'{value}'" for value in values) + "]"


class Command(BaseCommand):
    help = "Create benchmark tenants bench000.. with teams, agents, customers and tickets."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--tenants", type=int, default=20)
        parser.add_argument("--tickets", type=int, default=50_000, help="tickets in all")
        parser.add_argument("--seed", type=int, default=42)

    def handle(self, *args: Any, tenants: int, tickets: int, seed: int, **options: Any) -> None:
        if Tenant.objects.filter(slug__startswith="bench").exists():
            raise CommandError("Benchmark tenants exist already: seed an empty database.")
        started = time.monotonic()
        password = make_password(BENCH_PASSWORD)  # hashed once: hashing is slow on purpose
        for desk in plan(tenants, tickets, seed):
            self._seed_desk(desk, password)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
            # The rows went into the GIN indexes' pending lists, which every search reads
            # through until autovacuum merges them (a manual ANALYZE does not): merge now.
            for index in (
                "ticket_search",
                "message_search",
                "contact_search",
                "organization_search",
            ):
                cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [index])
        elapsed = time.monotonic() - started
        self.stdout.write(
            f"Seeded {tenants} tenants, {tickets} tickets in {elapsed:.1f} s "
            f"({tickets / elapsed:,.0f} tickets/s)"
        )

    @transaction.atomic
    def _seed_desk(self, desk: DeskPlan, password: str) -> None:
        tenant = Tenant.objects.create(
            slug=desk.slug, name=f"Bench Desk {desk.index}", ticket_prefix=f"B{desk.index}"
        )
        users = User.objects.bulk_create(
            User(email=f"agent{n}@{desk.slug}.bench", full_name=f"Agent {n}", password=password)
            for n in range(desk.agents)
        )
        with tenant_context(tenant), connection.cursor() as cursor:
            self._fill(cursor, tenant.pk, desk, [user.pk for user in users])

    def _fill(self, cursor: Any, tenant_id: int, desk: DeskPlan, agent_ids: list[int]) -> None:
        # Everything below is generated by PostgreSQL itself (generate_series), inside the
        # tenant's context so row-level security checks every row; COPY FROM is not allowed
        # on tables with row-level security. Choices cycle through fixed mixes by row number,
        # so a run is reproducible.
        agents = "ARRAY[" + ",".join(map(str, agent_ids)) + "]::bigint[]"
        cursor.execute(
            "INSERT INTO helpdesk_membership (tenant_id, user_id, role, is_active, created_at)"
            " SELECT %s, a, CASE WHEN i = 1 THEN 'manager' ELSE 'agent' END, true, now()"
            f" FROM unnest({agents}) WITH ORDINALITY AS x(a, i)",
            [tenant_id],
        )
        cursor.execute(
            "INSERT INTO tickets_team (tenant_id, name, department, description,"
            " assignment_strategy, is_private)"
            f" SELECT %s, t, t, '', 'manual', false FROM unnest({_sql_array(list(TEAMS))}) t",
            [tenant_id],
        )
        cursor.execute(
            "INSERT INTO tickets_teammember (tenant_id, team_id, user_id, is_lead)"
            " SELECT %s, team.id, x.a, x.i = 1"
            f" FROM unnest({agents}) WITH ORDINALITY AS x(a, i)"
            " JOIN (SELECT id, row_number() OVER (ORDER BY id) AS r FROM tickets_team) team"
            f"   ON team.r = 1 + (x.i - 1) %% {len(TEAMS)}",
            [tenant_id],
        )
        cursor.execute(
            "INSERT INTO tickets_organization"
            " (tenant_id, name, tier, region, industry, contract_value, is_vip)"
            " SELECT %s, 'Customer ' || g,"
            f" ({_sql_array(list(TIERS))})[1 + g %% 3],"
            f" ({_sql_array(list(REGIONS))})[1 + (g / 3) %% 3],"
            " 'Industry ' || (g %% 7), (g %% 97) * 1000, g %% 20 = 0"
            " FROM generate_series(1, %s) g",
            [tenant_id, desk.organizations],
        )
        cursor.execute(
            "INSERT INTO tickets_contact (tenant_id, name, email, phone, phone_normalized,"
            " organization_id, language, time_zone, created_at, is_blocked)"
            " SELECT %s, 'Requester ' || g,"
            " 'requester' || g || '@customer' || (g %% %s) || '.bench',"
            " '+4930' || lpad(g::text, 7, '0'), '+4930' || lpad(g::text, 7, '0'),"
            " o.ids[1 + g %% array_length(o.ids, 1)],"
            " 'en', '', now(), false"
            " FROM generate_series(1, %s) g,"
            " (SELECT array_agg(id ORDER BY id) AS ids FROM tickets_organization) o",
            [tenant_id, desk.organizations, desk.contacts],
        )
        cursor.execute(
            "INSERT INTO tickets_ticket (tenant_id, number, subject, description, requester_id,"
            " channel, status, priority, team_id, assignee_id, created_at, updated_at,"
            " first_responded_at, solved_at, closed_at, department, region,"
            " customer_segment, language, tags, is_spam, is_vip, impact, urgency,"
            " status_changed_at)"
            " SELECT %(tenant)s, g,"
            f" ({_sql_array(list(SUBJECTS))})[1 + (g * 7) %% {len(SUBJECTS)}]"
            f" || ' (' || ({_sql_array(list(PRODUCTS))})[1 + (g * 11) %% {len(PRODUCTS)}]"
            " || ', order ' || (g * 7919 %% 100000) || ')',"
            f" ({_sql_array(list(SENTENCES))})[1 + (g * 7) %% {len(SUBJECTS)}],"
            " c.ids[1 + (g * 31) %% c.n],"
            f" ({_sql_array(CHANNEL_MIX)})[1 + (g * 13) %% {len(CHANNEL_MIX)}],"
            " s.status,"
            f" ({_sql_array(PRIORITY_MIX)})[1 + (g * 17) %% {len(PRIORITY_MIX)}],"
            " t.ids[1 + g %% t.n],"
            f" CASE WHEN g %% 5 = 0 THEN NULL ELSE ({agents})[1 + g %% {len(agent_ids)}] END,"
            " created, created + interval '2 hours',"
            " CASE WHEN s.status <> 'new' THEN created + interval '1 hour' END,"
            " CASE WHEN s.status IN ('solved', 'closed') THEN created + interval '1 day' END,"
            " CASE WHEN s.status = 'closed' THEN created + interval '4 days' END,"
            " '', '', '', 'en', '{}', false, false, '', '', created + interval '2 hours'"
            " FROM generate_series(1, %(tickets)s) g"
            " CROSS JOIN LATERAL (SELECT now() - (%(tickets)s - g) * interval '365 days'"
            "   / %(tickets)s AS created,"
            # The newest tickets are the open ones, as in a real desk.
            f"   CASE WHEN g > %(tickets)s * 0.7 THEN ({_sql_array(STATUS_MIX[55 + 15 :])})"
            f"   [1 + (g * 7) %% {len(STATUS_MIX) - 70}]"
            f"   ELSE ({_sql_array(STATUS_MIX[:70])})[1 + (g * 7) %% 70] END AS status) s,"
            " (SELECT array_agg(id ORDER BY id) AS ids, count(*) AS n FROM tickets_contact) c,"
            " (SELECT array_agg(id ORDER BY id) AS ids, count(*) AS n FROM tickets_team) t",
            {"tenant": tenant_id, "tickets": desk.tickets},
        )
        cursor.execute(
            "INSERT INTO tickets_ticketcounter (tenant_id, last_number) VALUES (%s, %s)",
            [tenant_id, desk.tickets],
        )
        sentences = _sql_array(list(SENTENCES))
        # 3-5 messages a ticket: the requester's opening message, then agent and requester
        # in turn, every fourth agent turn an internal note.
        cursor.execute(
            "INSERT INTO tickets_message (tenant_id, ticket_id, kind, author_type, author_user_id,"
            " author_contact_id, channel, body_text, body_html_raw, body_html, message_id,"
            ' in_reply_to, "references", created_at, notified_at)'
            " SELECT t.tenant_id, t.id,"
            " CASE WHEN m %% 2 = 0 AND (t.number + m) %% 4 = 0 THEN 'note'"
            " ELSE 'public' END,"
            " CASE WHEN m %% 2 = 0 THEN 'agent' ELSE 'contact' END,"
            " CASE WHEN m %% 2 = 0 THEN coalesce(t.assignee_id, %s) END,"
            " CASE WHEN m %% 2 = 1 THEN t.requester_id END,"
            # The opening message is the ticket's description; the others are drawn from
            # the sentences, with a product and an error code of their own.
            " t.channel, CASE WHEN m = 1 THEN t.description ELSE"
            f" ({sentences})[1 + (t.number * 5 + m * 3) %% {len(SENTENCES)}]"
            f" || ' ' || ({sentences})[1 + (t.number + m * 7) %% {len(SENTENCES)}]"
            f" || ' It concerns ' || ({_sql_array(list(PRODUCTS))})"
            f"[1 + (t.number + m) %% {len(PRODUCTS)}]"
            " || ', error E' || ((t.number * 31 + m) %% 5000) || '.' END, '',"
            " '<p>Message ' || m || ' of ticket ' || t.number || '.</p>', '', '', '',"
            " t.created_at + (m - 1) * interval '3 hours',"
            " CASE WHEN m %% 2 = 0 THEN t.created_at + (m - 1) * interval '3 hours' END"
            " FROM tickets_ticket t, generate_series(1, 3 + t.number %% 3) m",
            [agent_ids[0]],
        )
        cursor.execute(
            "INSERT INTO tickets_ticketevent (tenant_id, ticket_id, kind, actor_id,"
            " actor_contact_id, source, data, created_at)"
            " SELECT tenant_id, id, 'created', NULL, requester_id, channel, '{}', created_at"
            " FROM tickets_ticket"
        )
        cursor.execute(
            "INSERT INTO tickets_acknowledgement (tenant_id, ticket_id, via, recipient,"
            " skipped_reason, expected_response_at, created_at, sent_at, attempts)"
            " SELECT t.tenant_id, t.id, CASE WHEN t.channel = 'chat' THEN 'chat' ELSE 'email' END,"
            " c.email, '', t.created_at + interval '4 hours', t.created_at,"
            " t.created_at + interval '2 seconds', 1"
            " FROM tickets_ticket t JOIN tickets_contact c ON c.id = t.requester_id"
        )
        _seed_sla(cursor, tenant_id)
        if desk.index == 0:
            role = Role.ADMIN  # one admin on the first desk, for looking around in admin
            cursor.execute(
                "UPDATE helpdesk_membership SET role = %s WHERE user_id = %s",
                [role, agent_ids[-1]],
            )


def _seed_sla(cursor: Any, tenant_id: int) -> None:
    """The standard SLA policies, and first-response and resolution clocks for open tickets.

    The open tickets are weeks old, so their real due times would all be long past; the clocks
    get due times spread over the next 30 days instead, so a sweep finds nothing due until a
    benchmark makes some clocks due on purpose.
    """
    from sla.services import DEFAULT_TARGETS, sla_defaults_create

    sla_defaults_create(time_zone="UTC")
    minutes = " ".join(
        f"WHEN '{priority}' THEN {targets[0]}" for priority, targets in DEFAULT_TARGETS.items()
    )
    resolution = " ".join(
        f"WHEN '{priority}' THEN {targets[1]}" for priority, targets in DEFAULT_TARGETS.items()
    )
    cursor.execute(
        "INSERT INTO sla_slaclock (tenant_id, ticket_id, metric, state, policy_id, calendar_id,"
        " priority, target_minutes, started_at, resumed_at, paused_at,"
        " elapsed_minutes, paused_seconds, due_at, warn_at, warning, warnings_recorded,"
        " fulfilled_at)"
        " SELECT t.tenant_id, t.id, m.metric, c.state, p.id, NULL, t.priority,"
        " CASE m.metric WHEN 'first_response' THEN CASE t.priority " + minutes + " END"
        " ELSE CASE t.priority " + resolution + " END END,"
        " t.created_at,"
        " CASE WHEN c.state = 'running' THEN now() END,"
        " CASE WHEN c.state = 'paused' THEN now() END, 0, 0,"
        " CASE WHEN c.state = 'running' THEN now() + d.span END,"
        " CASE WHEN c.state = 'running' THEN now() + d.span * 0.75 END,"
        " CASE WHEN c.state = 'running' THEN '75%%' ELSE '' END, '{}',"
        " CASE WHEN c.state = 'fulfilled' THEN t.first_responded_at END"
        " FROM tickets_ticket t"
        " CROSS JOIN (VALUES ('first_response'), ('resolution')) m(metric)"
        " CROSS JOIN LATERAL (SELECT CASE"
        "   WHEN m.metric = 'first_response' AND t.first_responded_at IS NOT NULL"
        "   THEN 'fulfilled'"
        "   WHEN t.status IN ('pending', 'on_hold') THEN 'paused' ELSE 'running' END AS state) c"
        " CROSS JOIN LATERAL (SELECT (10 + (t.id * 7919 + length(m.metric)) %% 43200)"
        "   * interval '1 minute' AS span) d,"
        " (SELECT id FROM sla_slapolicy WHERE position = 20) p"
        " WHERE t.status IN ('new', 'open', 'pending', 'on_hold')",
        [],  # parameters, even none: so "%%" reaches PostgreSQL as "%"
    )
