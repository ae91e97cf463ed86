"""Who hears of a ticket's change: the pages that may show it, and nobody else."""

from __future__ import annotations

import json

import pytest

from helpdesk import live
from helpdesk.tenancy import Role, tenant_context
from tests.conftest import member
from tests.factories import ContactFactory, TeamFactory, TeamMemberFactory
from tickets import services
from tickets.models import Ticket
from tickets.selectors import place_key


@pytest.fixture
def billing(acme):
    return TeamFactory(tenant=acme, name="Billing")


@pytest.fixture
def vault(acme):
    """A private team with one member of its own."""
    team = TeamFactory(tenant=acme, name="Vault", is_private=True)
    TeamMemberFactory(tenant=acme, team=team, user=member(acme, "vera@acme.example", Role.AGENT))
    return team


def open_ticket(tenant, capture, **fields) -> Ticket:
    with tenant_context(tenant), capture(execute=True):
        requester = ContactFactory(tenant=tenant)
        return services.ticket_open(requester=requester, subject="Help", channel="api", **fields)


def news_of(events: list[live.Event], ticket: Ticket) -> live.Event:
    (news,) = [event for event in events if event.ids.get("ticket") == ticket.pk]
    return news


def test_a_new_ticket_of_a_team_reaches_that_team_and_not_another(
    acme, acme_team, billing, live_events, django_capture_on_commit_callbacks
):
    ticket = open_ticket(acme, django_capture_on_commit_callbacks, team=acme_team)
    groups = news_of(live_events, ticket).groups
    assert live.team_group(acme.pk, acme_team.pk) in groups
    assert live.ticket_group(acme.pk, ticket.pk) in groups
    assert live.team_group(acme.pk, billing.pk) not in groups
    assert live.tenant_group(acme.pk) not in groups  # not every agent's business


def test_a_new_team_ticket_reaches_pages_listing_every_team(
    acme, acme_team, live_events, django_capture_on_commit_callbacks
):
    ticket = open_ticket(acme, django_capture_on_commit_callbacks, team=acme_team)
    assert live.all_teams_group(acme.pk) in news_of(live_events, ticket).groups


def test_a_ticket_without_a_team_reaches_every_agent(
    acme, live_events, django_capture_on_commit_callbacks
):
    ticket = open_ticket(acme, django_capture_on_commit_callbacks)
    assert live.tenant_group(acme.pk) in news_of(live_events, ticket).groups


def test_a_ticket_moved_from_one_team_to_another_reaches_both(
    acme, acme_team, billing, acme_agent, live_events, django_capture_on_commit_callbacks
):
    ticket = open_ticket(acme, django_capture_on_commit_callbacks, team=acme_team)
    live_events.clear()
    with tenant_context(acme), django_capture_on_commit_callbacks(execute=True):
        services.ticket_assign(ticket=ticket, agent=None, by=acme_agent, team=billing)
    news = news_of(live_events, ticket)
    assert live.team_group(acme.pk, acme_team.pk) in news.groups
    assert live.team_group(acme.pk, billing.pk) in news.groups
    assert (news.ids["team"], news.ids["from_team"]) == (billing.pk, acme_team.pk)


def test_a_ticket_assigned_away_reaches_its_former_and_its_new_owner(
    acme, acme_team, acme_agent, live_events, django_capture_on_commit_callbacks
):
    bob = member(acme, "bob@acme.example", Role.AGENT)
    ticket = open_ticket(
        acme, django_capture_on_commit_callbacks, team=acme_team, assignee=acme_agent
    )
    live_events.clear()
    with tenant_context(acme), django_capture_on_commit_callbacks(execute=True):
        services.ticket_assign(ticket=ticket, agent=bob, by=acme_agent)
    news = news_of(live_events, ticket)
    assert live.user_group(acme.pk, acme_agent.pk) in news.groups
    assert live.user_group(acme.pk, bob.pk) in news.groups
    assert (news.ids["assignee"], news.ids["from_assignee"]) == (bob.pk, acme_agent.pk)


def test_a_private_teams_ticket_never_reaches_a_non_members_groups(
    acme, acme_team, acme_agent, vault, live_events, django_capture_on_commit_callbacks
):
    ticket = open_ticket(acme, django_capture_on_commit_callbacks, team=vault)
    groups = set(news_of(live_events, ticket).groups)
    assert groups == {
        live.ticket_group(acme.pk, ticket.pk),
        live.team_group(acme.pk, vault.pk),
    }
    assert live.user_group(acme.pk, acme_agent.pk) not in groups
    assert live.team_group(acme.pk, acme_team.pk) not in groups


def test_a_change_that_moves_nothing_says_where_the_ticket_is_and_no_more(
    acme, acme_team, acme_agent, live_events, django_capture_on_commit_callbacks
):
    ticket = open_ticket(
        acme, django_capture_on_commit_callbacks, team=acme_team, assignee=acme_agent
    )
    live_events.clear()
    with tenant_context(acme), django_capture_on_commit_callbacks(execute=True):
        services.ticket_note_add(ticket=ticket, author=acme_agent, text="Checked the logs")
    news = news_of(live_events, ticket)
    created = json.loads(place_key([ticket.created_at], (("created_at", False),)))[0]
    assert news.ids == {
        "ticket": ticket.pk,
        "team": acme_team.pk,
        "assignee": acme_agent.pk,
        "status": ticket.status,
        "created": created,  # as queue rows place it (their `data-key`)
    }
