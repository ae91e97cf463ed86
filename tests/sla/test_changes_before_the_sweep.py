"""Whatever changes a ticket, and whenever, its SLA clocks end up as the promise says.

A field change by a rule or an automation re-targets the clocks like one by hand; a clock
stopped between its due time and the next sweep keeps its breach.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from helpdesk.tenancy import tenant_context
from sla.models import SlaClock
from tests.factories import ContactFactory, SlaPauseRuleFactory
from tickets import automations, routing, services
from tickets.models import Automation, RoutingRule, TicketEvent

MONDAY_9 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # 09:00 in Berlin
HOUR = timedelta(hours=1)


def open_at_monday_9(acme, agent, priority):
    with time_machine.travel(MONDAY_9, tick=False), tenant_context(acme):
        return services.ticket_open(
            requester=ContactFactory(tenant=acme), subject="Down", channel="email",
            priority=priority, assignee=agent,
        )  # fmt: skip


@pytest.fixture
def medium_ticket(acme, acme_agent, standard_policy):
    """Opened Monday 09:00 Berlin, medium: first response due 8 business hours later."""
    return open_at_monday_9(acme, acme_agent, "medium")


@pytest.fixture
def high_ticket(acme, acme_agent, standard_policy):
    """Opened Monday 09:00 Berlin, high: first response due at 13:00, warned at 12:00."""
    return open_at_monday_9(acme, acme_agent, "high")


def first_response(acme, ticket):
    with tenant_context(acme):
        return SlaClock.objects.filter(ticket=ticket, metric="first_response").get()


def sla_events(acme, ticket):
    with tenant_context(acme):
        return list(
            TicketEvent.objects.filter(ticket=ticket, kind__startswith="sla_")
            .order_by("pk")
            .values_list("kind", "data__at")
        )


def test_an_on_update_rule_that_raises_the_priority_retargets_the_sla_clock(acme, medium_ticket):
    with tenant_context(acme):
        routing.routing_rule_save(
            rule=RoutingRule(
                name="Chasers are urgent",
                trigger=RoutingRule.Trigger.UPDATE,
                conditions={"field": "priority", "op": "is", "value": "medium"},
                actions=[{"action": "set_priority", "value": "high"}],
            )
        )
    with time_machine.travel(MONDAY_9 + HOUR, tick=False), tenant_context(acme):
        services.ticket_reply_add(
            ticket=medium_ticket, text="Any news?", channel="email",
            author_contact=medium_ticket.requester,
        )  # fmt: skip
    clock = first_response(acme, medium_ticket)
    # The high target (4 business hours from 09:00), not the medium one (8 hours).
    assert (clock.priority, clock.target_minutes) == ("high", 240)
    assert clock.due_at == MONDAY_9 + 4 * HOUR


def test_an_automation_that_raises_the_priority_retargets_the_sla_clock(acme, medium_ticket):
    with tenant_context(acme):
        automations.automation_save(
            automation=Automation(
                name="Waiting too long",
                conditions={"all": [
                    {"field": "hours_since_created", "op": "gt", "value": 1},
                    {"field": "priority", "op": "is", "value": "medium"},
                ]},
                actions=[{"action": "set_priority", "value": "high"}],
            )
        )  # fmt: skip
    automations.automations_run_due(tenant_id=acme.pk, now=MONDAY_9 + 2 * HOUR)
    clock = first_response(acme, medium_ticket)
    assert (clock.priority, clock.target_minutes) == ("high", 240)


def test_a_clock_put_on_hold_after_its_due_time_keeps_its_breach_at_that_time(
    acme, acme_agent, standard_policy, high_ticket
):
    SlaPauseRuleFactory(
        tenant=acme, policy=standard_policy, metric="first_response", statuses=["on_hold"]
    )
    # Due at 13:00; put on hold at 13:00:01, before any sweep came by.
    just_after = MONDAY_9 + 4 * HOUR + timedelta(seconds=1)
    with time_machine.travel(just_after, tick=False), tenant_context(acme):
        services.ticket_status_change(ticket=high_ticket, status="on_hold", by=acme_agent)
    clock = first_response(acme, high_ticket)
    assert (clock.state, clock.breached_at) == ("paused", MONDAY_9 + 4 * HOUR)
    assert sla_events(acme, high_ticket) == [
        ("sla_warned", (MONDAY_9 + 3 * HOUR).isoformat()),
        ("sla_breached", (MONDAY_9 + 4 * HOUR).isoformat()),
    ]


def test_a_ticket_solved_after_its_first_response_fell_due_keeps_the_breach(
    acme, acme_agent, high_ticket
):
    with time_machine.travel(MONDAY_9 + 5 * HOUR, tick=False), tenant_context(acme):
        services.ticket_status_change(ticket=high_ticket, status="solved", by=acme_agent)
    clock = first_response(acme, high_ticket)
    assert (clock.state, clock.breached_at) == ("stopped", MONDAY_9 + 4 * HOUR)


def test_a_clock_paused_before_its_due_time_records_nothing(acme, acme_agent, high_ticket):
    with time_machine.travel(MONDAY_9 + 2 * HOUR, tick=False), tenant_context(acme):
        services.ticket_status_change(ticket=high_ticket, status="pending", by=acme_agent)
    assert first_response(acme, high_ticket).breached_at is None
    assert sla_events(acme, high_ticket) == []
