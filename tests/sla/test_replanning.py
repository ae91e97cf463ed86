"""Editing a calendar or a policy re-plans the running clocks it governs, keeping time used."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from django.test import override_settings

from helpdesk.tenancy import tenant_context
from sla.models import Holiday, SlaClock, SlaReplan, WorkingHours
from sla.replanning import replan_request, replan_run
from tests.factories import ContactFactory, SlaPauseRuleFactory
from tests.sla.test_admin_and_page import week
from tickets import services
from tickets.models import TicketEvent

MONDAY_9 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # 09:00 in Berlin
HOUR = timedelta(hours=1)


def open_ticket(acme, at=MONDAY_9, priority="high"):
    with time_machine.travel(at, tick=False), tenant_context(acme):
        return services.ticket_open(
            requester=ContactFactory(tenant=acme), subject="Down", channel="email",
            priority=priority,
        )  # fmt: skip


def clock(acme, ticket, metric):
    with tenant_context(acme):
        return SlaClock.objects.filter(ticket=ticket, metric=metric).order_by("-pk").first()


def replan(acme, at, **subject):
    """Ask for a re-plan at `at` and run it as the worker would."""
    with time_machine.travel(at, tick=False):
        with tenant_context(acme):
            request = replan_request(reason="Edited", **subject)
        return replan_run(tenant_id=acme.pk, replan_id=request.pk)


def test_a_holiday_added_to_the_calendar_moves_the_running_resolution(
    acme, office_hours, standard_policy
):
    ticket = open_ticket(acme)  # resolution 16 business hours: due Tuesday 17:00 Berlin
    with tenant_context(acme):
        Holiday.objects.create(calendar=office_hours, date=date(2026, 11, 24), name="Day off")
    replan(acme, MONDAY_9 + HOUR, calendar_id=office_hours.pk)
    # Monday's 8 h, Tuesday off, Wednesday's 8 h: due Wednesday 17:00 Berlin.
    assert clock(acme, ticket, "resolution").due_at == datetime(2026, 11, 25, 16, tzinfo=UTC)


def test_shorter_working_hours_keep_the_business_time_already_used(
    acme, office_hours, standard_policy
):
    ticket = open_ticket(acme)
    with tenant_context(acme):
        for hours in WorkingHours.objects.filter(calendar=office_hours):
            hours.end = time(13)
            hours.save()
    replan(acme, MONDAY_9 + 4 * HOUR, calendar_id=office_hours.pk)  # Monday 13:00 Berlin
    resolution = clock(acme, ticket, "resolution")
    # 4 h used on Monday; the other 12 h at 4 h a day: Tuesday, Wednesday, Thursday 13:00.
    assert (resolution.elapsed_minutes, resolution.due_at) == (
        240,
        datetime(2026, 11, 26, 12, tzinfo=UTC),
    )


def test_a_changed_target_reaches_running_clocks_and_the_tickets_history(acme, standard_policy):
    ticket = open_ticket(acme)
    with tenant_context(acme):
        target = standard_policy.targets.get(priority="high")
        target.first_response_minutes = 60
        target.save()
    replan(acme, MONDAY_9 + 10 * timedelta(minutes=1), policy_id=standard_policy.pk)
    assert clock(acme, ticket, "first_response").due_at == MONDAY_9 + HOUR
    with tenant_context(acme):
        event = TicketEvent.objects.get(ticket=ticket, kind="sla_replanned")
    first = next(c for c in event.data["clocks"] if c["metric"] == "first_response")
    assert (event.data["reason"], first["old"], first["new"]) == (
        "Edited",
        (MONDAY_9 + 4 * HOUR).isoformat(),
        (MONDAY_9 + HOUR).isoformat(),
    )


def test_a_clock_overdue_when_re_planned_records_its_breach_at_its_old_due_time(
    acme, office_hours, standard_policy
):
    ticket = open_ticket(acme)  # first response due 13:00 Berlin
    with tenant_context(acme):
        Holiday.objects.create(calendar=office_hours, date=date(2026, 11, 23), name="Day off")
    replan(acme, MONDAY_9 + 4 * HOUR + timedelta(seconds=1), calendar_id=office_hours.pk)
    assert clock(acme, ticket, "first_response").breached_at == MONDAY_9 + 4 * HOUR


def test_a_pause_added_to_a_policy_pauses_the_running_clocks_of_pending_tickets(
    acme, acme_agent, standard_policy
):
    ticket = open_ticket(acme)
    with time_machine.travel(MONDAY_9 + HOUR, tick=False), tenant_context(acme):
        services.ticket_status_change(ticket=ticket, status="pending", by=acme_agent)
    assert clock(acme, ticket, "first_response").state == "running"
    SlaPauseRuleFactory(
        tenant=acme, policy=standard_policy, metric="first_response", statuses=["pending"]
    )
    replan(acme, MONDAY_9 + 2 * HOUR, policy_id=standard_policy.pk)
    first = clock(acme, ticket, "first_response")
    assert (first.state, first.elapsed_minutes, first.due_at) == ("paused", 120, None)


@override_settings(SLA_REPLAN_BATCH=2)
def test_a_re_plan_whose_worker_died_goes_on_after_the_last_batch_it_committed(
    acme, office_hours, standard_policy
):
    tickets = [open_ticket(acme) for _ in range(5)]
    with tenant_context(acme):
        Holiday.objects.create(calendar=office_hours, date=date(2026, 11, 24), name="Day off")
    calls = []

    def dies_in_the_second_batch():
        calls.append(1)
        if len(calls) == 2:
            raise SystemExit("worker killed")
        return MONDAY_9 + HOUR

    with time_machine.travel(MONDAY_9 + HOUR, tick=False), tenant_context(acme):
        request = replan_request(reason="Edited", calendar_id=office_hours.pk)
        with pytest.raises(SystemExit):
            replan_run(tenant_id=acme.pk, replan_id=request.pk, now=dies_in_the_second_batch)
        half = SlaReplan.objects.get()
        assert (half.state, half.done, half.total) == ("running", 2, 10)
        finished = replan_run(tenant_id=acme.pk, replan_id=request.pk)
        replanned = TicketEvent.objects.filter(kind="sla_replanned")
        assert (finished.state, finished.done) == ("done", 10)
        assert sorted(replanned.values_list("ticket", flat=True)) == sorted(t.pk for t in tickets)


def test_a_clock_that_cannot_be_re_planned_is_counted_and_the_others_still_are(
    acme, office_hours, standard_policy
):
    broken, fine = open_ticket(acme), open_ticket(acme)
    with tenant_context(acme):  # a damaged row: running, but with no time it resumed at
        SlaClock.objects.filter(ticket=broken, metric="resolution").update(resumed_at=None)
        Holiday.objects.create(calendar=office_hours, date=date(2026, 11, 24), name="Day off")
    finished = replan(acme, MONDAY_9 + HOUR, calendar_id=office_hours.pk)
    assert (finished.state, finished.done, finished.failed) == ("done", 3, 1)
    assert clock(acme, fine, "resolution").due_at == datetime(2026, 11, 25, 16, tzinfo=UTC)


def test_a_newer_edit_of_the_same_calendar_supersedes_a_re_plan_not_finished(
    acme, office_hours, standard_policy
):
    open_ticket(acme)
    with tenant_context(acme):
        older = replan_request(reason="First edit", calendar_id=office_hours.pk)
        newer = replan_request(reason="Second edit", calendar_id=office_hours.pk)
        older.refresh_from_db()
    assert (older.state, newer.state) == ("superseded", "queued")


def test_saving_a_calendar_in_admin_re_plans_its_clocks_and_shows_the_progress(
    acme, acme_admin_client, office_hours, standard_policy, django_capture_on_commit_callbacks
):
    ticket = open_ticket(acme)
    form = {
        "name": "Berlin office", "region": "", "is_default": "on", "time_zone": "Europe/Berlin",
        "holiday_country": "", "holiday_subdivision": "", "coverage": "hours",
        "holidays-TOTAL_FORMS": "1", "holidays-INITIAL_FORMS": "0",
        "holidays-MIN_NUM_FORMS": "0", "holidays-MAX_NUM_FORMS": "1000",
        "holidays-0-date": "2026-11-24", "holidays-0-name": "Day off",
        **week({day: [("09:00", "17:00")] for day in range(5)}),
    }  # fmt: skip
    with (
        time_machine.travel(MONDAY_9 + HOUR, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = acme_admin_client.post(
            f"/admin/sla/businesscalendar/{office_hours.pk}/change/", form, follow=True
        )
    assert "2 running clocks are being re-planned" in response.content.decode()
    assert clock(acme, ticket, "resolution").due_at == datetime(2026, 11, 25, 16, tzinfo=UTC)
    listing = acme_admin_client.get("/admin/sla/slareplan/")
    assert "2 of 2" in listing.content.decode()
