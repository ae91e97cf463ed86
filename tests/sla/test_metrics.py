"""Each SLA metric times what it promises, pauses per metric, and warns as often as asked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from helpdesk.tenancy import tenant_context
from sla.models import SlaClock
from sla.services import clocks_sweep
from tests.factories import ContactFactory, SlaPauseRuleFactory, SlaWarningFactory
from tickets import services
from tickets.models import TicketEvent

MONDAY_9 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # 09:00 in Berlin
HOUR = timedelta(hours=1)


@pytest.fixture
def targets(acme, standard_policy):
    """Sets further targets of high tickets under the standard policy (business minutes)."""

    def set_targets(**minutes: int) -> None:
        with tenant_context(acme):
            target = standard_policy.targets.get(priority="high")
            for metric, value in minutes.items():
                setattr(target, f"{metric}_minutes", value)
            target.save()

    return set_targets


def open_ticket(acme, at=MONDAY_9):
    with time_machine.travel(at, tick=False), tenant_context(acme):
        return services.ticket_open(
            requester=ContactFactory(tenant=acme), subject="Down", channel="email",
            priority="high",
        )  # fmt: skip


def set_status(acme, ticket, status, at, agent):
    with time_machine.travel(at, tick=False), tenant_context(acme):
        services.ticket_status_change(ticket=ticket, status=status, by=agent)


def clock(acme, ticket, metric):
    with tenant_context(acme):
        return SlaClock.objects.filter(ticket=ticket, metric=metric).order_by("-pk").first()


def sweep(acme, at):
    with time_machine.travel(at, tick=False), tenant_context(acme):
        return clocks_sweep(now=timezone.now())


def test_a_pausable_update_pauses_while_pending_and_a_periodic_update_runs_on(
    acme, acme_agent, targets
):
    targets(periodic_update=120, pausable_update=120)
    ticket = open_ticket(acme)
    set_status(acme, ticket, "pending", MONDAY_9 + HOUR, acme_agent)
    pausable = clock(acme, ticket, "pausable_update")
    periodic = clock(acme, ticket, "periodic_update")
    assert (pausable.state, pausable.elapsed_minutes) == ("paused", 60)
    assert (periodic.state, periodic.due_at) == ("running", MONDAY_9 + 2 * HOUR)


def test_an_agent_update_fulfils_both_updates_and_starts_their_next_periods(
    acme, acme_agent, targets
):
    targets(periodic_update=120, pausable_update=120)
    ticket = open_ticket(acme)
    with time_machine.travel(MONDAY_9 + HOUR, tick=False), tenant_context(acme):
        services.ticket_reply_add(
            ticket=ticket, text="Working on it.", channel="portal", author_user=acme_agent
        )
        updates = SlaClock.objects.filter(ticket=ticket, metric__endswith="_update")
        states = sorted(updates.values_list("metric", "state", "fulfilled_at"))
        next_due = set(updates.filter(state="running").values_list("due_at", flat=True))
    assert states == [
        ("pausable_update", "fulfilled", MONDAY_9 + HOUR),
        ("pausable_update", "running", None),
        ("periodic_update", "fulfilled", MONDAY_9 + HOUR),
        ("periodic_update", "running", None),
    ]
    assert next_due == {MONDAY_9 + 3 * HOUR}


def test_requester_wait_counts_new_open_and_on_hold_but_not_pending(acme, acme_agent, targets):
    targets(requester_wait=600)
    ticket = open_ticket(acme)  # new from 09:00
    set_status(acme, ticket, "open", MONDAY_9 + HOUR, acme_agent)
    set_status(acme, ticket, "pending", MONDAY_9 + 2 * HOUR, acme_agent)
    set_status(acme, ticket, "on_hold", MONDAY_9 + 4 * HOUR, acme_agent)
    set_status(acme, ticket, "solved", MONDAY_9 + 5 * HOUR, acme_agent)
    wait = clock(acme, ticket, "requester_wait")
    # New 09-10, open 10-11, on hold 13-14: three hours; pending 11-13 not counted.
    assert (wait.state, wait.elapsed_minutes) == ("fulfilled", 180)


def test_agent_work_time_counts_only_the_time_open(acme, acme_agent, targets):
    targets(agent_work=600)
    ticket = open_ticket(acme)
    set_status(acme, ticket, "open", MONDAY_9 + HOUR, acme_agent)
    set_status(acme, ticket, "on_hold", MONDAY_9 + 2 * HOUR, acme_agent)
    set_status(acme, ticket, "open", MONDAY_9 + 4 * HOUR, acme_agent)
    set_status(acme, ticket, "solved", MONDAY_9 + 5 * HOUR, acme_agent)
    work = clock(acme, ticket, "agent_work")
    assert (work.state, work.elapsed_minutes) == ("fulfilled", 120)


def test_agent_work_time_waits_while_the_ticket_is_new(acme, targets):
    targets(agent_work=600)
    ticket = open_ticket(acme)
    work = clock(acme, ticket, "agent_work")
    assert (work.state, work.due_at) == ("paused", None)


def test_the_first_response_runs_on_while_pending_unless_the_policy_pauses_it(
    acme, acme_agent, standard_policy
):
    usual = open_ticket(acme)
    set_status(acme, usual, "pending", MONDAY_9 + HOUR, acme_agent)
    SlaPauseRuleFactory(
        tenant=acme, policy=standard_policy, metric="first_response", statuses=["pending"]
    )
    paused = open_ticket(acme)
    set_status(acme, paused, "pending", MONDAY_9 + HOUR, acme_agent)
    assert clock(acme, usual, "first_response").state == "running"
    assert clock(acme, paused, "first_response").state == "paused"


def test_a_metric_whose_pauses_name_no_status_never_pauses(acme, acme_agent, standard_policy):
    SlaPauseRuleFactory(tenant=acme, policy=standard_policy, metric="resolution", statuses=[])
    ticket = open_ticket(acme)
    set_status(acme, ticket, "pending", MONDAY_9 + HOUR, acme_agent)
    resolution = clock(acme, ticket, "resolution")
    assert (resolution.state, resolution.due_at) == (
        "running",
        datetime(2026, 11, 24, 16, tzinfo=UTC),
    )


def test_each_of_several_warnings_is_recorded_once_at_its_own_instant(acme, standard_policy):
    # First response of a high ticket: 4 business hours, warned at 75 % by the policy.
    SlaWarningFactory(tenant=acme, policy=standard_policy, metric="first_response", percent=50)
    SlaWarningFactory(
        tenant=acme, policy=standard_policy, metric="first_response", percent=None,
        minutes_before=30,
    )  # fmt: skip
    ticket = open_ticket(acme)
    sweep(acme, MONDAY_9 + 3 * HOUR + 45 * timedelta(minutes=1))
    sweep(acme, MONDAY_9 + 3 * HOUR + 50 * timedelta(minutes=1))
    with tenant_context(acme):
        warned = list(
            TicketEvent.objects.filter(ticket=ticket, kind="sla_warned")
            .order_by("pk")
            .values_list("data__warning", "data__at")
        )
    assert warned == [
        ("50%", (MONDAY_9 + 2 * HOUR).isoformat()),
        ("75%", (MONDAY_9 + 3 * HOUR).isoformat()),
        ("30m", (MONDAY_9 + 3.5 * HOUR).isoformat()),
    ]


def test_warnings_that_came_due_before_a_reply_are_recorded_with_it(
    acme, acme_agent, standard_policy
):
    SlaWarningFactory(tenant=acme, policy=standard_policy, metric="first_response", percent=50)
    ticket = open_ticket(acme)
    with time_machine.travel(MONDAY_9 + 3.5 * HOUR, tick=False), tenant_context(acme):
        services.ticket_reply_add(
            ticket=ticket, text="Sorry for the wait.", channel="portal", author_user=acme_agent
        )
        given = clock(acme, ticket, "first_response").warnings_recorded
    assert given == ["50%", "75%"]


def test_a_lead_time_longer_than_the_target_warns_as_the_clock_starts(acme, standard_policy):
    SlaWarningFactory(
        tenant=acme, policy=standard_policy, metric="first_response", percent=None,
        minutes_before=600,
    )  # fmt: skip
    ticket = open_ticket(acme)
    first = clock(acme, ticket, "first_response")
    assert (first.warning, first.warn_at) == ("600m", MONDAY_9)
