"""Tenant admins set up calendars and policies with validation; agents see the clocks."""

from __future__ import annotations

from datetime import UTC, datetime

import time_machine
from pytest_django.asserts import assertContains

from helpdesk.tenancy import tenant_context
from sla.models import BusinessCalendar, SlaClock, SlaPolicy
from tests.factories import ContactFactory
from tickets import services

MONDAY_9 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def inline(prefix: str, rows: list[dict[str, str]]) -> dict[str, str]:
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for n, row in enumerate(rows):
        data.update({f"{prefix}-{n}-{key}": value for key, value in row.items()})
    return data


def week(days: dict[int, list[tuple[str, str]]]) -> dict[str, str]:
    """The weekly grid as the calendar page posts it: spans per weekday, the others closed."""
    data = {"weekly_hours-shown": "1"}
    for weekday in range(7):
        spans = days.get(weekday, [])
        if not spans:
            data[f"weekly_hours-{weekday}-closed"] = "on"
        for n, (start, end) in enumerate([*spans, ("", ""), ("", "")]):
            data[f"weekly_hours-{weekday}-{n}-start"] = start
            data[f"weekly_hours-{weekday}-{n}-end"] = end
    return data


def calendar_form(**fields: str) -> dict[str, str]:
    return {
        "name": "Berlin office", "region": "", "is_default": "on", "time_zone": "Europe/Berlin",
        "holiday_country": "", "holiday_subdivision": "", "coverage": "hours", **fields,
        **inline("holidays", []),
    }  # fmt: skip


def policy_form(conditions: str, **fields: str) -> dict[str, str]:
    return {
        "name": "Standard", "position": "1", "is_active": "on", "conditions": conditions,
        "calendar": "", "tier": "", **fields,
        **inline("targets", [{"priority": "high", "first_response_minutes": "30m"}]),
        **inline("pause_rules", []), **inline("warnings", []),
    }  # fmt: skip


def test_a_calendar_without_working_hours_is_refused_unless_it_is_open_around_the_clock(
    acme, acme_admin_client
):
    refused = acme_admin_client.post(
        "/admin/sla/businesscalendar/add/", {**calendar_form(), **inline("working_hours", [])}
    )
    assertContains(refused, "Give the calendar working hours, or open it around the clock.")
    accepted = acme_admin_client.post(
        "/admin/sla/businesscalendar/add/",
        {**calendar_form(coverage="always"), "weekly_hours-shown": "1"},
    )
    assert accepted.status_code == 302
    with tenant_context(acme):
        assert BusinessCalendar.objects.get().coverage == "always"


def test_an_unknown_holiday_country_is_refused(acme_admin_client):
    response = acme_admin_client.post(
        "/admin/sla/businesscalendar/add/",
        {
            **calendar_form(holiday_country="XX"),
            **week({0: [("09:00", "17:00")]}),
        },
    )
    assertContains(response, "No public holidays are known for country code")


def test_a_policy_condition_the_rule_language_does_not_know_is_refused(acme_admin_client):
    response = acme_admin_client.post(
        "/admin/sla/slapolicy/add/",
        policy_form('{"field": "shoe_size", "op": "is", "value": "42"}'),
    )
    assertContains(response, "unknown field &quot;shoe_size&quot;")
    assert response.status_code == 200


def test_a_policy_saved_in_admin_applies_to_the_next_ticket_at_once(acme, acme_admin_client):
    with tenant_context(acme):
        requester = ContactFactory(tenant=acme)
        services.ticket_open(requester=requester, subject="Before", channel="email")  # compiles
    response = acme_admin_client.post(
        "/admin/sla/slapolicy/add/",
        policy_form('{"field": "priority", "op": "is", "value": "high"}'),
    )
    assert response.status_code == 302
    with tenant_context(acme):
        ticket = services.ticket_open(
            requester=requester, subject="After", channel="email", priority="high"
        )
        first = SlaClock.objects.get(ticket=ticket, metric="first_response")
        assert (first.policy, first.target_minutes) == (SlaPolicy.objects.get(), 30)


def test_the_ticket_page_shows_the_business_time_left(acme, acme_agent_client, standard_policy):
    with time_machine.travel(MONDAY_9, tick=False), tenant_context(acme):
        requester = ContactFactory(tenant=acme)
        ticket = services.ticket_open(
            requester=requester, subject="Down", channel="email", priority="high"
        )
    with time_machine.travel(MONDAY_9.replace(hour=9), tick=False):  # 10:00 Berlin
        page = acme_agent_client.get(f"/workspace/tickets/{ticket.number}/")
    assertContains(page, "First response")
    assertContains(page, "3 h 00 min business time left")


def test_another_desks_admin_does_not_see_or_open_this_desks_policies(
    acme, globex_admin_client, standard_policy
):
    listing = globex_admin_client.get("/admin/sla/slapolicy/")
    assert listing.status_code == 200
    assert "Standard" not in listing.content.decode()
    response = globex_admin_client.get(f"/admin/sla/slapolicy/{standard_policy.pk}/change/")
    assert response.status_code == 302  # admin's "does not exist" redirect, nothing shown
