"""A manager runs a draft SLA policy over last quarter's tickets and compares it with reality."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from helpdesk.tenancy import Role, tenant_context
from reports import services
from reports.models import SlaReplay, SlaReplayTicket
from sla.models import SlaClock
from tests.conftest import client_for, member
from tests.factories import (
    ContactFactory,
    OrganizationFactory,
    SlaPolicyFactory,
    SlaTargetFactory,
)
from tickets import services as ticket_services
from tickets.models import Ticket, TicketEvent

NOW = datetime(2026, 4, 15, 10, 0, tzinfo=UTC)  # last quarter: January to March 2026 (Berlin)
QUARTER_START = datetime(2026, 1, 1, tzinfo=UTC) - timedelta(hours=1)  # midnight in Berlin
QUARTER_END = datetime(2026, 4, 1, tzinfo=UTC) - timedelta(hours=2)  # midnight CEST
MONDAY_9 = datetime(2026, 2, 2, 8, 0, tzinfo=UTC)  # 09:00 in Berlin, inside last quarter
HOUR = timedelta(hours=1)
WORSE, BETTER = SlaReplayTicket.Direction.WORSE, SlaReplayTicket.Direction.BETTER


def draft(acme, *, first_response, tier=""):
    """An inactive policy: it applies to no live ticket, only to replays."""
    policy = SlaPolicyFactory(tenant=acme, name="Gold draft", is_active=False, tier=tier)
    SlaTargetFactory(
        tenant=acme, policy=policy, priority="high", first_response_minutes=first_response
    )
    return policy


def answered_ticket(acme, agent, *, after, opened=MONDAY_9, tier="standard"):
    """A high ticket logged at `opened`, answered by `agent` `after` later, solved an hour on."""
    with tenant_context(acme):
        requester = ContactFactory(
            tenant=acme, organization=OrganizationFactory(tenant=acme, tier=tier)
        )
    with time_machine.travel(opened, tick=False), tenant_context(acme):
        ticket = ticket_services.ticket_open(
            requester=requester, subject="Down", channel="email", priority="high"
        )
    with time_machine.travel(opened + after, tick=False), tenant_context(acme):
        ticket_services.ticket_reply_add(
            ticket=ticket, text="On it.", channel="portal", author_user=agent
        )
    with time_machine.travel(opened + after + HOUR, tick=False), tenant_context(acme):
        ticket_services.ticket_status_change(ticket=ticket, status="solved", by=agent)
    return ticket


def replay_last_quarter(acme, manager, policy, capture) -> SlaReplay:
    with time_machine.travel(NOW, tick=False), tenant_context(acme), capture(execute=True):
        replay = services.replay_request(
            policy=policy, start=QUARTER_START, end=QUARTER_END, by=manager
        )
    with tenant_context(acme):
        replay.refresh_from_db()
    return replay


def differences(acme, replay, direction):
    with tenant_context(acme):
        return sorted(
            replay.differences.filter(direction=direction).values_list(
                "ticket__number", "metric", "real_outcome", "draft_outcome"
            )
        )


@pytest.fixture
def globex_manager_client(globex):
    return client_for(globex, member(globex, "manager@globex.example", Role.MANAGER))


def test_tickets_answered_after_two_hours_would_have_breached_a_one_hour_draft(
    acme, acme_agent, acme_manager, standard_policy, django_capture_on_commit_callbacks
):
    first = answered_ticket(acme, acme_agent, after=2 * HOUR)
    second = answered_ticket(acme, acme_agent, after=2 * HOUR, opened=MONDAY_9 + 24 * HOUR)
    replay = replay_last_quarter(
        acme, acme_manager, draft(acme, first_response=60), django_capture_on_commit_callbacks
    )
    assert replay.state == SlaReplay.State.DONE
    assert differences(acme, replay, WORSE) == [
        (first.number, "first_response", "met", "breached"),
        (second.number, "first_response", "met", "breached"),
    ]
    assert differences(acme, replay, BETTER) == []


def test_really_breached_tickets_would_not_have_breached_a_longer_draft_target(
    acme, acme_agent, acme_manager, standard_policy, django_capture_on_commit_callbacks
):
    late = answered_ticket(acme, acme_agent, after=6 * HOUR)  # the live 4 h target breached
    answered_ticket(acme, acme_agent, after=HOUR, opened=MONDAY_9 + 24 * HOUR)
    replay = replay_last_quarter(
        acme, acme_manager, draft(acme, first_response=480), django_capture_on_commit_callbacks
    )
    assert differences(acme, replay, BETTER) == [
        (late.number, "first_response", "breached", "met"),
    ]
    assert (replay.results["better"], replay.results.get("worse", 0)) == (1, 0)


def test_tickets_outside_the_period_or_of_another_tier_are_not_counted(
    acme, acme_agent, acme_manager, standard_policy, django_capture_on_commit_callbacks
):
    counted = answered_ticket(acme, acme_agent, after=2 * HOUR, tier="enterprise")
    answered_ticket(acme, acme_agent, after=2 * HOUR, tier="standard")
    answered_ticket(
        acme, acme_agent, after=2 * HOUR, tier="enterprise", opened=MONDAY_9 - 60 * 24 * HOUR
    )
    policy = draft(acme, first_response=60, tier="enterprise")
    replay = replay_last_quarter(acme, acme_manager, policy, django_capture_on_commit_callbacks)
    assert (replay.total, replay.results["applied"]) == (2, 1)
    assert [row[0] for row in differences(acme, replay, WORSE)] == [counted.number]


def test_a_replay_leaves_the_live_clocks_and_tickets_as_they_were(
    acme, acme_agent, acme_manager, standard_policy, django_capture_on_commit_callbacks
):
    answered_ticket(acme, acme_agent, after=2 * HOUR)
    answered_ticket(acme, acme_agent, after=6 * HOUR, opened=MONDAY_9 + 24 * HOUR)

    def live_rows():
        with tenant_context(acme):
            return (
                list(SlaClock.objects.order_by("pk").values()),
                list(Ticket.objects.order_by("pk").values()),
                TicketEvent.objects.count(),
            )

    before = live_rows()
    replay_last_quarter(
        acme, acme_manager, draft(acme, first_response=60), django_capture_on_commit_callbacks
    )
    assert live_rows() == before


def test_a_period_ending_before_it_starts_is_refused_with_a_clear_message(
    acme, acme_manager_client, standard_policy
):
    with time_machine.travel(NOW, tick=False):
        response = acme_manager_client.post(
            reverse("reports:sla_replay"),
            {"policy": standard_policy.pk, "period": "dates", "date_from": "2026-03-01",
             "date_to": "2026-02-01"},
        )  # fmt: skip
    assertContains(response, "The period must end after it starts.")
    with tenant_context(acme):
        assert not SlaReplay.objects.exists()


def test_a_period_not_over_yet_is_refused(acme, acme_manager_client, standard_policy):
    with time_machine.travel(NOW, tick=False):
        response = acme_manager_client.post(
            reverse("reports:sla_replay"),
            {"policy": standard_policy.pk, "period": "dates", "date_from": "2026-04-01",
             "date_to": "2026-04-30"},
        )  # fmt: skip
    assertContains(response, "The period cannot end in the future")


def test_the_form_marks_inactive_policies_as_drafts(acme, acme_manager_client, standard_policy):
    draft(acme, first_response=60)
    response = acme_manager_client.get(reverse("reports:sla_replay"))
    assertContains(response, "Gold draft (draft)")
    assertNotContains(response, "Standard (draft)")


def test_asking_for_last_quarter_replays_the_quarter_in_the_desks_time_zone(
    acme, acme_agent, acme_manager_client, standard_policy, django_capture_on_commit_callbacks
):
    acme.time_zone = "Europe/Berlin"
    acme.save()
    answered_ticket(acme, acme_agent, after=2 * HOUR)
    policy = draft(acme, first_response=60)
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        response = acme_manager_client.post(
            reverse("reports:sla_replay"), {"policy": policy.pk, "period": "last_quarter"}
        )
    with tenant_context(acme):
        replay = SlaReplay.objects.get()
    assert response.url == reverse("reports:sla_replay_detail", args=[replay.pk])
    assert (replay.period_start, replay.period_end) == (QUARTER_START, QUARTER_END)
    assert replay.state == SlaReplay.State.DONE


def test_the_result_page_shows_compliance_side_by_side_and_links_the_tickets(
    acme, acme_agent, acme_manager, acme_manager_client, standard_policy,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    ticket = answered_ticket(acme, acme_agent, after=2 * HOUR)
    replay = replay_last_quarter(
        acme, acme_manager, draft(acme, first_response=60), django_capture_on_commit_callbacks
    )
    response = acme_manager_client.get(reverse("reports:sla_replay_detail", args=[replay.pk]))
    assertContains(response, "With Gold draft")
    assertContains(response, "100.0 %")  # first response as it happened
    assertContains(response, "0.0 %")  # with the draft
    assertContains(response, "1 would have breached")
    assertContains(response, f'href="{reverse("tickets:ticket_detail", args=[ticket.number])}"')


def test_a_replay_not_run_yet_shows_its_progress_and_polls(
    acme, acme_manager, acme_manager_client, standard_policy
):
    with time_machine.travel(NOW, tick=False), tenant_context(acme):
        replay = services.replay_request(
            policy=standard_policy, start=QUARTER_START, end=QUARTER_END, by=acme_manager
        )
    response = acme_manager_client.get(reverse("reports:sla_replay_detail", args=[replay.pk]))
    assertContains(response, "Waiting")
    assertContains(response, 'hx-trigger="every 2s"')


def test_an_agent_without_the_manager_role_cannot_open_the_replay_page(acme_agent_client):
    response = acme_agent_client.get(reverse("reports:sla_replay"))
    assert response.status_code == 403


def test_another_desks_manager_gets_not_found_for_a_replay(
    acme, acme_manager, standard_policy, globex_manager_client
):
    with time_machine.travel(NOW, tick=False), tenant_context(acme):
        replay = services.replay_request(
            policy=standard_policy, start=QUARTER_START, end=QUARTER_END, by=acme_manager
        )
    response = globex_manager_client.get(reverse("reports:sla_replay_detail", args=[replay.pk]))
    assert response.status_code == 404


def test_the_dashboard_links_the_replay_page(acme_manager_client):
    response = acme_manager_client.get(reverse("reports:dashboard"))
    assertContains(response, reverse("reports:sla_replay"))
