"""The one-statement clock update writes exactly the rows Django's bulk_update writes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine

from helpdesk.tenancy import tenant_context
from sla._clock_rows import clock_rows_update
from sla.models import SlaClock
from sla.services import CLOCK_SAVED_FIELDS
from tests.factories import ContactFactory
from tickets import services

MONDAY_9 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def clocks_of_a_new_ticket(acme):
    with time_machine.travel(MONDAY_9, tick=False), tenant_context(acme):
        ticket = services.ticket_open(
            requester=ContactFactory(tenant=acme), subject="Down", channel="email",
            priority="critical",
        )  # fmt: skip
        return list(SlaClock.objects.filter(ticket=ticket).order_by("metric"))


def change(clocks):
    """Every kind of value the planned fields take: set, cleared, lists of labels."""
    for n, clock in enumerate(clocks):
        clock.state = "paused" if n % 2 else "fulfilled"
        clock.policy_id = None if n == 0 else clock.policy_id
        clock.calendar_id = None
        clock.priority = "low"
        clock.target_minutes = 90 + n
        clock.resumed_at = None
        clock.paused_at = MONDAY_9 + timedelta(minutes=n)
        clock.elapsed_minutes = 12.5 + n
        clock.paused_seconds = 61.25
        clock.due_at = None if n % 2 else MONDAY_9 + timedelta(hours=n)
        clock.warn_at = MONDAY_9 + timedelta(seconds=n)
        clock.warning = "30m" if n % 2 else ""
        clock.warned_at = MONDAY_9
        clock.warnings_recorded = ["50%", "30m"][: n % 3]
        clock.breached_at = MONDAY_9 + timedelta(hours=4)
        clock.fulfilled_at = None if n % 2 else MONDAY_9
        clock.stopped_at = None


def saved(acme, clocks):
    with tenant_context(acme):
        rows = SlaClock.objects.filter(pk__in=[c.pk for c in clocks]).order_by("metric")
        return [[getattr(row, SlaClock._meta.get_field(f).attname) for f in CLOCK_SAVED_FIELDS]
                for row in rows]  # fmt: skip


def test_the_fast_clock_update_saves_the_same_values_as_bulk_update(acme, standard_policy):
    fast, plain = clocks_of_a_new_ticket(acme), clocks_of_a_new_ticket(acme)
    change(fast)
    change(plain)
    with tenant_context(acme):
        clock_rows_update(fast, CLOCK_SAVED_FIELDS)
        SlaClock.objects.bulk_update(plain, CLOCK_SAVED_FIELDS)
    assert len(fast) == 3  # first response, resolution, periodic update
    assert saved(acme, fast) == saved(acme, plain)


def test_the_fast_clock_update_writes_only_the_fields_named(acme, standard_policy):
    clocks = clocks_of_a_new_ticket(acme)
    before = saved(acme, clocks)
    for clock in clocks:
        clock.warning, clock.target_minutes = "99%", 1
    with tenant_context(acme):
        clock_rows_update(clocks, ["warning"])
        rows = SlaClock.objects.filter(pk__in=[c.pk for c in clocks])
        assert set(rows.values_list("warning", flat=True)) == {"99%"}
    assert [row[4] for row in saved(acme, clocks)] == [row[4] for row in before]
