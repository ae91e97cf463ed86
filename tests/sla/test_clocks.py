"""A ticket's SLA clocks follow business hours, pauses, replies and policy changes exactly."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from helpdesk.tenancy import tenant_context
from sla import services as sla_services
from sla.models import Holiday, SlaClock
from sla.selectors import (
    business_hours_inside,
    ticket_clocks,
)
from tests.factories import (
    BusinessCalendarFactory,
    ContactFactory,
    OrganizationFactory,
    SlaPolicyFactory,
    SlaTargetFactory,
)
from tickets import services
from tickets.models import Acknowledgement, Ticket

# November 2026 in Berlin is UTC+1. Monday 23 November, 09:00 Berlin:
MONDAY_9 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


@pytest.fixture
def requester(acme):
    return ContactFactory(tenant=acme, name="Carol", email="carol@bigbank.example")


def open_ticket(acme, requester, at, **fields):
    with time_machine.travel(at, tick=False), tenant_context(acme):
        return services.ticket_open(
            requester=requester, subject="Printer on fire", channel="email", **fields
        )


def clock(acme, ticket, metric):
    with tenant_context(acme):
        clocks = SlaClock.objects.filter(ticket=ticket, metric=metric).order_by("-pk")
        return clocks.first()


def agent_reply(acme, ticket, agent, at, **fields):
    with time_machine.travel(at, tick=False), tenant_context(acme):
        return services.ticket_reply_add(
            ticket=ticket, text="On it.", channel="portal", author_user=agent, **fields
        )


def requester_reply(acme, ticket, at):
    with time_machine.travel(at, tick=False), tenant_context(acme):
        return services.ticket_reply_add(
            ticket=ticket, text="Still broken.", channel="email", author_contact=ticket.requester
        )


def test_the_first_response_of_a_friday_afternoon_ticket_is_due_on_monday_morning(
    acme, requester, standard_policy
):
    friday_15 = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
    ticket = open_ticket(acme, requester, friday_15, priority="high")
    # 2 business hours on Friday (15-17), the other 2 on Monday (09-11 Berlin = 08-10 UTC).
    assert clock(acme, ticket, "first_response").due_at == datetime(2026, 11, 23, 10, tzinfo=UTC)


def test_the_acknowledgement_promises_the_first_response_due_time(acme, requester, standard_policy):
    friday_15 = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
    ticket = open_ticket(acme, requester, friday_15, priority="high")
    with tenant_context(acme):
        ack = Acknowledgement.objects.get(ticket=ticket)
    assert ack.expected_response_at == datetime(2026, 11, 23, 10, tzinfo=UTC)


def test_without_a_matching_policy_the_acknowledgement_keeps_the_desks_response_target(
    acme, requester, standard_policy
):
    ticket = open_ticket(acme, requester, MONDAY_9, priority="low")  # no target for low
    with tenant_context(acme):
        ack = Acknowledgement.objects.get(ticket=ticket)
        assert not SlaClock.objects.filter(ticket=ticket).exists()
    assert ack.expected_response_at == MONDAY_9 + timedelta(hours=48)


def test_the_warning_comes_at_three_quarters_of_the_target(acme, requester, standard_policy):
    ticket = open_ticket(acme, requester, MONDAY_9, priority="medium")
    first = clock(acme, ticket, "first_response")
    assert (first.warn_at, first.due_at) == (MONDAY_9 + 6 * HOUR, MONDAY_9 + 8 * HOUR)


def test_a_public_agent_reply_meets_the_first_response(
    acme, acme_agent, requester, standard_policy
):
    ticket = open_ticket(acme, requester, MONDAY_9, priority="medium")
    agent_reply(acme, ticket, acme_agent, MONDAY_9 + 2 * HOUR)
    first = clock(acme, ticket, "first_response")
    assert (first.state, first.fulfilled_at) == ("fulfilled", MONDAY_9 + 2 * HOUR)
    assert first.elapsed_minutes == 120
    assert first.breached_at is None


def test_an_internal_note_does_not_count_as_a_first_response(
    acme, acme_agent, requester, standard_policy
):
    ticket = open_ticket(acme, requester, MONDAY_9, priority="medium")
    with time_machine.travel(MONDAY_9 + HOUR, tick=False), tenant_context(acme):
        services.ticket_note_add(ticket=ticket, author=acme_agent, text="Asked the printer team")
    assert clock(acme, ticket, "first_response").state == "running"


def test_a_late_first_response_is_recorded_as_breached_at_its_due_time(
    acme, acme_agent, requester, standard_policy
):
    ticket = open_ticket(acme, requester, MONDAY_9, priority="high")
    agent_reply(acme, ticket, acme_agent, MONDAY_9 + 5 * HOUR)
    first = clock(acme, ticket, "first_response")
    assert (first.state, first.breached_at) == ("fulfilled", MONDAY_9 + 4 * HOUR)


def test_waiting_on_the_requester_pauses_resolution_until_they_answer(
    acme, acme_agent, requester, standard_policy
):
    ticket = open_ticket(acme, requester, MONDAY_9, priority="medium")  # 40 business hours
    agent_reply(acme, ticket, acme_agent, MONDAY_9 + HOUR, status="pending")
    paused = clock(acme, ticket, "resolution")
    assert (paused.state, paused.elapsed_minutes, paused.due_at) == ("paused", 60, None)
    # The requester answers on Tuesday 10:00 Berlin: 39 business hours are left from then.
    requester_reply(acme, ticket, MONDAY_9 + 25 * HOUR)
    resumed = clock(acme, ticket, "resolution")
    assert resumed.state == "running"
    assert resumed.paused_seconds == 24 * 3600
    # Tue 10-17 (7 h), Wed-Fri (24 h), Mon 09-17 (8 h) = 39 h: due Monday 30 November 17:00.
    assert resumed.due_at == datetime(2026, 11, 30, 16, tzinfo=UTC)


def test_the_requesters_answer_starts_the_next_reply_clock(
    acme, acme_agent, requester, standard_policy
):
    ticket = open_ticket(acme, requester, MONDAY_9, priority="high")
    agent_reply(acme, ticket, acme_agent, MONDAY_9 + HOUR)
    requester_reply(acme, ticket, MONDAY_9 + 2 * HOUR)
    next_reply = clock(acme, ticket, "next_reply")
    assert (next_reply.started_at, next_reply.due_at) == (MONDAY_9 + 2 * HOUR, MONDAY_9 + 6 * HOUR)
    agent_reply(acme, ticket, acme_agent, MONDAY_9 + 3 * HOUR)
    assert clock(acme, ticket, "next_reply").state == "fulfilled"


def test_a_second_requester_message_does_not_restart_the_next_reply_clock(
    acme, acme_agent, requester, standard_policy
):
    ticket = open_ticket(acme, requester, MONDAY_9, priority="high")
    agent_reply(acme, ticket, acme_agent, MONDAY_9 + HOUR)
    requester_reply(acme, ticket, MONDAY_9 + 2 * HOUR)
    requester_reply(acme, ticket, MONDAY_9 + 3 * HOUR)
    with tenant_context(acme):
        assert SlaClock.objects.filter(ticket=ticket, metric="next_reply").count() == 1
    assert clock(acme, ticket, "next_reply").started_at == MONDAY_9 + 2 * HOUR


def test_solving_meets_resolution_and_reopening_leaves_it_met(
    acme, acme_agent, requester, standard_policy
):
    ticket = open_ticket(acme, requester, MONDAY_9, priority="high")  # 16 business hours
    agent_reply(acme, ticket, acme_agent, MONDAY_9 + 2 * HOUR, status="solved")
    requester_reply(acme, ticket, MONDAY_9 + 24 * HOUR)  # Tuesday 09:00 Berlin
    resolution = clock(acme, ticket, "resolution")
    assert (resolution.state, resolution.elapsed_minutes) == ("fulfilled", 120)
    assert resolution.fulfilled_at == MONDAY_9 + 2 * HOUR


def test_reopening_resumes_the_full_resolution_without_the_time_solved(
    acme, acme_agent, requester, standard_policy
):
    with tenant_context(acme):
        target = standard_policy.targets.get(priority="high")
        target.full_resolution_minutes = 960  # 16 business hours
        target.save()
    ticket = open_ticket(acme, requester, MONDAY_9, priority="high")
    agent_reply(acme, ticket, acme_agent, MONDAY_9 + 2 * HOUR, status="solved")
    assert clock(acme, ticket, "full_resolution").state == "fulfilled"
    requester_reply(acme, ticket, MONDAY_9 + 24 * HOUR)  # Tuesday 09:00 Berlin
    reopened = clock(acme, ticket, "full_resolution")
    assert (reopened.state, reopened.fulfilled_at) == ("running", None)
    # 14 h left from Tuesday 09:00: Tuesday's 8 h and 6 h on Wednesday, due 15:00 Berlin.
    assert reopened.due_at == datetime(2026, 11, 25, 14, tzinfo=UTC)


def test_solving_without_a_reply_stops_the_first_response_clock_unmet_and_unbreached(
    acme, acme_agent, requester, standard_policy
):
    ticket = open_ticket(acme, requester, MONDAY_9, priority="high")
    with time_machine.travel(MONDAY_9 + HOUR, tick=False), tenant_context(acme):
        services.ticket_status_change(ticket=ticket, status="solved", by=acme_agent)
    first = clock(acme, ticket, "first_response")
    assert (first.state, first.fulfilled_at, first.breached_at) == ("stopped", None, None)


def test_raising_the_priority_counts_the_new_target_from_the_tickets_start(
    acme, acme_agent, requester, standard_policy
):
    ticket = open_ticket(acme, requester, MONDAY_9, priority="medium")
    with time_machine.travel(MONDAY_9 + HOUR, tick=False), tenant_context(acme):
        services.ticket_update(ticket=ticket, by=acme_agent, priority="critical")
    first = clock(acme, ticket, "first_response")
    assert (first.priority, first.target_minutes) == ("critical", 60)
    assert first.due_at == MONDAY_9 + HOUR  # one business hour used of one: due now


def test_a_priority_the_policy_has_no_target_for_stops_the_clocks(
    acme, acme_agent, requester, standard_policy
):
    ticket = open_ticket(acme, requester, MONDAY_9, priority="medium")
    with time_machine.travel(MONDAY_9 + HOUR, tick=False), tenant_context(acme):
        services.ticket_update(ticket=ticket, by=acme_agent, priority="low")
    assert clock(acme, ticket, "first_response").state == "stopped"


def test_enterprise_customers_get_the_around_the_clock_policy(acme, requester, standard_policy):
    around_the_clock = BusinessCalendarFactory(
        tenant=acme, name="24/7", region="global-247", coverage="always", time_zone="UTC"
    )
    enterprise = SlaPolicyFactory(
        tenant=acme, name="Enterprise", position=1, calendar=around_the_clock,
        conditions={"field": "customer_segment", "op": "is", "value": "enterprise"},
    )  # fmt: skip
    SlaTargetFactory(tenant=acme, policy=enterprise, priority="high", first_response_minutes=60)
    with tenant_context(acme):
        requester.organization = OrganizationFactory(tenant=acme, tier="enterprise")
        requester.save()
    saturday_night = datetime(2026, 11, 21, 22, 0, tzinfo=UTC)
    ticket = open_ticket(acme, requester, saturday_night, priority="high")
    first = clock(acme, ticket, "first_response")
    assert (first.policy_id, first.due_at) == (enterprise.pk, saturday_night + HOUR)


def test_a_custom_holiday_is_skipped(acme, requester, standard_policy, office_hours):
    with tenant_context(acme):
        Holiday.objects.create(calendar=office_hours, date=date(2026, 11, 24), name="Team day")
    ticket = open_ticket(acme, requester, MONDAY_9 + 6 * HOUR, priority="high")  # Mon 15:00
    # Monday 15-17, Tuesday off, Wednesday 09-11 Berlin.
    assert clock(acme, ticket, "first_response").due_at == datetime(2026, 11, 25, 10, tzinfo=UTC)


def test_public_holidays_of_the_calendars_country_are_skipped(
    acme, requester, standard_policy, office_hours
):
    with tenant_context(acme):
        office_hours.holiday_country = "DE"
        office_hours.save()
    christmas_eve_16 = datetime(2026, 12, 24, 15, 0, tzinfo=UTC)
    ticket = open_ticket(acme, requester, christmas_eve_16, priority="high")
    # Thursday 16-17, Friday 25 off (holiday), weekend, Monday 28 09:00-12:00 Berlin.
    assert clock(acme, ticket, "first_response").due_at == datetime(2026, 12, 28, 11, tzinfo=UTC)


def test_the_ticket_lists_its_clocks_with_the_business_time_left(acme, requester, standard_policy):
    ticket = open_ticket(acme, requester, MONDAY_9, priority="medium")
    with tenant_context(acme):
        states = ticket_clocks(ticket_id=ticket.pk, now=MONDAY_9 + 7 * HOUR)  # Monday 16:00
    remaining = {state.clock.metric: state.remaining_minutes for state in states}
    assert remaining == {"first_response": 60, "resolution": 40 * 60 - 7 * 60}


def test_business_hours_follow_the_regions_calendar(acme, office_hours):
    BusinessCalendarFactory(tenant=acme, name="APAC", region="APAC", coverage="always")
    sunday = datetime(2026, 11, 22, 12, tzinfo=UTC)
    with tenant_context(acme):
        assert business_hours_inside(at=MONDAY_9) is True
        assert business_hours_inside(at=sunday) is False
        assert business_hours_inside(at=sunday, region="APAC") is True


def test_a_desk_without_a_calendar_cannot_say_whether_it_is_open(acme):
    with tenant_context(acme):
        assert business_hours_inside(at=MONDAY_9) is None


def test_tickets_of_a_desk_without_policies_run_no_clocks(acme, requester):
    ticket = open_ticket(acme, requester, MONDAY_9, priority="high")
    with tenant_context(acme):
        assert not SlaClock.objects.filter(ticket=ticket).exists()
    assert ticket.status == Ticket.Status.NEW


def test_the_standard_set_up_runs_enterprise_tickets_around_the_clock(acme, requester):
    with tenant_context(acme):
        assert sla_services.sla_defaults_create(time_zone="Europe/Berlin", holiday_country="DE")
        assert not sla_services.sla_defaults_create(time_zone="Europe/Berlin")
        requester.organization = OrganizationFactory(tenant=acme, tier="enterprise")
        requester.save()
    saturday_night = datetime(2026, 11, 21, 22, 0, tzinfo=UTC)
    enterprise = open_ticket(acme, requester, saturday_night, priority="critical")
    standard = open_ticket(acme, ContactFactory(tenant=acme), saturday_night, priority="critical")
    assert clock(acme, enterprise, "first_response").due_at == saturday_night + HOUR
    assert clock(acme, enterprise, "periodic_update").due_at == saturday_night + 2 * HOUR
    assert clock(acme, standard, "first_response").due_at == MONDAY_9 + HOUR


def test_queue_rows_show_each_tickets_soonest_due_time(acme, requester, standard_policy):
    high = open_ticket(acme, requester, MONDAY_9, priority="high")  # due 13:00 Berlin
    medium = open_ticket(acme, requester, MONDAY_9, priority="medium")  # due 17:00 Berlin
    with tenant_context(acme):
        from tickets.models import Ticket
        from tickets.selectors import queue_rows

        rows = queue_rows(Ticket.objects.filter(pk__in=[high.pk, medium.pk]))
        assert {ticket.pk: ticket.next_due for ticket in rows} == {  # as queue rows show it
            high.pk: MONDAY_9 + 4 * HOUR,
            medium.pk: MONDAY_9 + 8 * HOUR,
        }
