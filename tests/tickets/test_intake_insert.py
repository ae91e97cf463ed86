"""The intake fast path: one statement stores what Django's own saves would, and stays visible.

`tickets/services/_insert.py` inserts a new ticket and its first rows in one prepared
statement instead of one `save()` each. It must store exactly what the saves would, show up in
Django's query log and execute wrappers, and no code may rely on the save signals it skips.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.db import connection
from django.db.models.signals import post_save, pre_save

from helpdesk.tenancy import tenant_context
from sla.models import SlaClock
from tests.factories import ContactFactory, OrganizationFactory, TeamFactory
from tickets import services
from tickets.models import Acknowledgement, Message, Ticket, TicketCounter, TicketEvent
from tickets.services._insert import ticket_insert

AT = datetime(2026, 12, 7, 9, 30, 15, 123456, tzinfo=UTC)
INTAKE_ROWS = (Ticket, Message, TicketEvent, Acknowledgement, SlaClock, TicketCounter)


def new_rows(tenant, requester, team, message_id):
    """A ticket and its first rows as the intake service builds them: unsaved."""
    ticket = Ticket(
        requester=requester, subject="Printer on fire", description="Smoke", channel="email",
        priority="high", team=team, tags=["hardware", "urgent"], region="EU",
        customer_segment="premium", language="de", created_at=AT, status_changed_at=AT,
    )  # fmt: skip
    ticket.tenant_id = tenant.pk
    message = Message(
        ticket=ticket, kind="public", author_type="contact", author_contact=requester,
        channel="email", body_text="Smoke", body_html="<p>Smoke</p>", message_id=message_id,
        created_at=AT,
    )  # fmt: skip
    event = TicketEvent(
        ticket=ticket, kind="created", actor_contact=requester, source="email", data={},
        created_at=AT,
    )  # fmt: skip
    ack = Acknowledgement(
        ticket=ticket, via="email", recipient=requester.email,
        expected_response_at=AT + timedelta(hours=4), created_at=AT,
    )  # fmt: skip
    clock = SlaClock(
        ticket=ticket, metric="first_response", priority="high", target_minutes=240,
        started_at=AT, resumed_at=AT, due_at=AT + timedelta(hours=4),
        warn_at=AT + timedelta(hours=3), elapsed_minutes=1.5,
    )  # fmt: skip
    for row in (message, event, ack, clock):
        row.tenant_id = tenant.pk
    return ticket, [message, event, ack, clock]


def stored(row) -> dict:
    """Every column of `row` as the database holds it, but its own and its ticket's ids."""
    fresh = type(row).all_tenants.get(pk=row.pk)
    return {
        field.attname: getattr(fresh, field.attname)
        for field in type(row)._meta.concrete_fields
        if field.attname not in ("id", "ticket_id", "number", "updated_at", "message_id")
    }


def test_the_one_statement_stores_what_django_saves_would(acme):
    with tenant_context(acme):
        requester = ContactFactory(tenant=acme, organization=OrganizationFactory(tenant=acme))
        team = TeamFactory(tenant=acme)
        fast_ticket, fast_rows = new_rows(acme, requester, team, "fast@mail.example")
        ticket_insert(fast_ticket, *fast_rows)
        plain_ticket, plain_rows = new_rows(acme, requester, team, "plain@mail.example")
        plain_ticket.number = fast_ticket.number + 1000
        plain_ticket.save()
        for row in plain_rows:
            row.ticket = plain_ticket
            row.save()
        assert stored(fast_ticket) == stored(plain_ticket)
        for fast, plain in zip(fast_rows, plain_rows, strict=True):
            assert stored(fast) == stored(plain)
            assert fast.ticket_id == fast_ticket.pk


def test_a_new_ticket_of_a_manual_team_is_one_statement_in_the_query_log(
    acme, django_assert_num_queries
):
    with tenant_context(acme):
        requester = ContactFactory(tenant=acme)
        team = TeamFactory(tenant=acme)
        # The first ticket loads the desk's rules, SLA policies and targets into the caches.
        services.ticket_open(requester=requester, subject="Warm", channel="api", team=team)
        with django_assert_num_queries(1) as queries:
            services.ticket_open(requester=requester, subject="Hi", channel="api", team=team)
    assert queries.captured_queries[0]["sql"].startswith("WITH n AS (INSERT INTO")


def test_the_intake_statement_goes_through_the_connections_execute_wrappers(acme):
    seen = []

    def trace(execute, sql, params, many, context):
        seen.append(sql.split(" ", 4)[:4])
        return execute(sql, params, many, context)

    with tenant_context(acme):
        requester = ContactFactory(tenant=acme)
        with connection.execute_wrapper(trace):
            services.ticket_open(requester=requester, subject="Traced", channel="api")
    assert ["WITH", "n", "AS", "(INSERT"] in seen


def test_nothing_listens_to_the_save_signals_of_the_rows_intake_inserts():
    listening = {
        f"{signal_name} of {model.__name__}"
        for signal_name, signal in (("pre_save", pre_save), ("post_save", post_save))
        for model in INTAKE_ROWS
        if signal.has_listeners(model)
    }
    assert listening == set(), "intake inserts these rows without save(): see _insert.py"
