"""Queue pages over the live socket: each hears the tickets of the queues it may show."""

from __future__ import annotations

import asyncio

import pytest
from django.db import connection

from helpdesk import live
from helpdesk.tenancy import Role, tenant_context
from tests.conftest import client_for, member
from tests.factories import ContactFactory, TeamFactory, TeamMemberFactory
from tests.helpdesk.test_live import connected, socket
from tickets import services

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def billing(acme):
    return TeamFactory(tenant=acme, name="Billing")


@pytest.fixture
def vault(acme):
    return TeamFactory(tenant=acme, name="Vault", is_private=True)


def open_ticket(tenant, subject: str, **fields):
    """Open a ticket as a web process would: in its own thread, committed."""
    try:
        with tenant_context(tenant):
            requester = ContactFactory.build(tenant=tenant)
            requester.save()
            return services.ticket_open(
                requester=requester, subject=subject, channel="api", **fields
            )
    finally:
        connection.close()


async def open_socket(tenant, user):
    communicator = socket(
        f"{tenant.slug}.localhost", await asyncio.to_thread(client_for, tenant, user)
    )
    assert await connected(communicator)
    return communicator


async def heard(communicator) -> dict:
    return await communicator.receive_json_from(timeout=5)


async def test_an_agent_hears_their_teams_tickets_and_not_other_teams(
    acme, acme_agent, acme_team, billing
):
    communicator = await open_socket(acme, acme_agent)
    await asyncio.to_thread(open_ticket, acme, "Billing's problem", team=billing)
    mine = await asyncio.to_thread(open_ticket, acme, "Our problem", team=acme_team)
    event = await heard(communicator)  # the first thing heard is the own team's ticket
    assert (event["type"], event["ticket"], event["team"]) == (
        "ticket.created",
        mine.pk,
        acme_team.pk,
    )
    assert await communicator.receive_nothing(timeout=0.3)
    await communicator.disconnect()


async def test_a_manager_hears_every_teams_tickets(acme, acme_manager, billing, vault):
    communicator = await open_socket(acme, acme_manager)
    public = await asyncio.to_thread(open_ticket, acme, "Billing's", team=billing)
    private = await asyncio.to_thread(open_ticket, acme, "In the vault", team=vault)
    assert (await heard(communicator))["ticket"] == public.pk
    assert (await heard(communicator))["ticket"] == private.pk
    await communicator.disconnect()


async def test_a_page_showing_another_teams_queue_hears_that_team(
    acme, acme_agent, acme_team, billing
):
    communicator = await open_socket(acme, acme_agent)
    await communicator.send_json_to({"type": "queue.watch", "queue": "team", "team": billing.pk})
    ticket = await asyncio.to_thread(open_ticket, acme, "Billing's problem", team=billing)
    assert (await heard(communicator))["ticket"] == ticket.pk
    await communicator.disconnect()


async def test_a_pending_page_hears_every_public_team_but_no_private_one(
    acme, acme_agent, acme_team, billing, vault
):
    communicator = await open_socket(acme, acme_agent)
    await communicator.send_json_to({"type": "queue.watch", "queue": "pending"})
    await asyncio.to_thread(open_ticket, acme, "In the vault", team=vault)
    public = await asyncio.to_thread(open_ticket, acme, "Billing's", team=billing)
    assert (await heard(communicator))["ticket"] == public.pk
    assert await communicator.receive_nothing(timeout=0.3)
    await communicator.disconnect()


async def test_an_agent_cannot_watch_a_private_teams_queue_they_are_not_in(acme, acme_agent, vault):
    communicator = await open_socket(acme, acme_agent)
    await communicator.send_json_to({"type": "queue.watch", "queue": "team", "team": vault.pk})
    assert (await heard(communicator))["type"] == "queue.refused"
    await asyncio.to_thread(open_ticket, acme, "In the vault", team=vault)
    assert await communicator.receive_nothing(timeout=0.3)
    await communicator.disconnect()


async def test_a_private_teams_members_hear_its_tickets(acme, vault):
    vera = await asyncio.to_thread(member, acme, "vera@acme.example", Role.AGENT)
    await asyncio.to_thread(TeamMemberFactory, tenant=acme, team=vault, user=vera)
    communicator = await open_socket(acme, vera)
    ticket = await asyncio.to_thread(open_ticket, acme, "In the vault", team=vault)
    assert (await heard(communicator))["ticket"] == ticket.pk
    await communicator.disconnect()


async def test_only_managers_may_watch_all_tickets(acme, acme_agent):
    communicator = await open_socket(acme, acme_agent)
    await communicator.send_json_to({"type": "queue.watch", "queue": "all"})
    assert (await heard(communicator))["type"] == "queue.refused"
    await communicator.disconnect()


async def test_a_page_cannot_watch_another_desks_team(acme, globex, acme_agent):
    theirs = await asyncio.to_thread(TeamFactory, tenant=globex, name="Globex Ops")
    communicator = await open_socket(acme, acme_agent)
    await communicator.send_json_to({"type": "queue.watch", "queue": "team", "team": theirs.pk})
    assert (await heard(communicator))["type"] == "queue.refused"
    await asyncio.to_thread(open_ticket, globex, "Globex secret", team=theirs)
    assert await communicator.receive_nothing(timeout=0.3)
    await communicator.disconnect()


async def test_a_page_that_reconnects_catches_up_on_the_queue_it_watches(
    acme, acme_agent, acme_team, billing
):
    since = await asyncio.to_thread(live.current_seq, acme.pk)
    missed = await asyncio.to_thread(open_ticket, acme, "While you were away", team=billing)
    await asyncio.to_thread(live._sender.drain)
    communicator = await open_socket(acme, acme_agent)
    await communicator.send_json_to({"type": "queue.watch", "queue": "team", "team": billing.pk})
    await communicator.send_json_to({"type": "catch_up", "since": since})
    assert (await heard(communicator))["ticket"] == missed.pk
    await communicator.disconnect()
