"""An SLA warning or breach always reaches someone: the owner, else the team's lead, else the
team's members online now, else the desk's admins, by mail and as a notice in their workspace."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.core import mail
from django.db import connection
from django.utils import timezone

from helpdesk import live, presence
from helpdesk.tenancy import Role, tenant_context
from sla.models import SlaClock
from sla.services import clocks_sweep
from tests.conftest import member
from tests.factories import ContactFactory, TeamFactory, TeamMemberFactory
from tickets import services

MONDAY_9 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # 09:00 in Berlin
BREACHED = MONDAY_9 + timedelta(hours=4)  # a high ticket's first response is due at 13:00


@pytest.fixture
def team(acme):
    return TeamFactory(tenant=acme, name="L2 Support")


@pytest.fixture
def bob(acme, team):
    """An agent of the team, not its lead."""
    bob = member(acme, "bob@acme.example", Role.AGENT)
    TeamMemberFactory(tenant=acme, team=team, user=bob)
    return bob


@pytest.fixture
def online_socket(acme):
    """Mark staff members as having their workspace open; forgotten again after the test."""
    sockets = []

    def mark(user) -> None:
        socket = presence.staff_socket(user.pk, f"tests.chain.{user.pk}")
        sockets.append(socket)
        presence.mark_online(acme.pk, socket)

    yield mark
    for socket in sockets:
        presence.mark_offline(acme.pk, socket)


def breach(acme, standard_policy, *, team=None, assignee=None) -> tuple[object, list[str]]:
    """Open a high ticket Monday 09:00, sweep at its breach, tell it; (ticket, mail recipients)."""
    with time_machine.travel(MONDAY_9, tick=False), tenant_context(acme):
        ticket = services.ticket_open(
            requester=ContactFactory(tenant=acme), subject="Down", channel="email",
            priority="high", team=team, assignee=assignee,
        )  # fmt: skip
    with time_machine.travel(BREACHED, tick=False), tenant_context(acme):
        clocks_sweep(now=timezone.now())
        clock = SlaClock.objects.get(ticket=ticket, metric="first_response")
        services.clock_notification_send(clock_id=clock.pk, what="breached")
    told = [m for m in mail.outbox if "breached" in m.subject.lower()]
    assert len(told) <= 1
    return ticket, (told[0].to if told else [])


def test_the_owner_and_the_team_lead_hear_of_a_breach_of_an_owned_ticket(
    acme, standard_policy, team, bob
):
    lead = member(acme, "lead@acme.example", Role.AGENT)
    TeamMemberFactory(tenant=acme, team=team, user=lead, is_lead=True)
    _ticket, to = breach(acme, standard_policy, team=team, assignee=bob)
    assert to == ["bob@acme.example", "lead@acme.example"]


def test_the_team_lead_hears_of_a_breach_of_a_ticket_nobody_owns(
    acme, standard_policy, team, bob, acme_admin, online_socket
):
    lead = member(acme, "lead@acme.example", Role.AGENT)
    TeamMemberFactory(tenant=acme, team=team, user=lead, is_lead=True)
    online_socket(bob)
    _ticket, to = breach(acme, standard_policy, team=team)
    assert to == ["lead@acme.example"]


def test_without_a_lead_the_team_members_online_now_hear_of_the_breach(
    acme, standard_policy, team, bob, acme_admin, online_socket
):
    carla = member(acme, "carla@acme.example", Role.AGENT)
    TeamMemberFactory(tenant=acme, team=team, user=carla)
    online_socket(carla)
    _ticket, to = breach(acme, standard_policy, team=team)
    assert to == ["carla@acme.example"]


def test_without_a_lead_or_anyone_online_the_desks_admins_hear_of_the_breach(
    acme, standard_policy, team, bob, acme_admin
):
    _ticket, to = breach(acme, standard_policy, team=team)
    assert to == ["admin@acme.example"]


def test_the_desks_admins_hear_of_the_breach_of_a_ticket_without_a_team(
    acme, standard_policy, acme_admin, acme_agent
):
    _ticket, to = breach(acme, standard_policy)
    assert to == ["admin@acme.example"]


def test_a_former_admin_is_not_told(acme, standard_policy, acme_admin):
    with tenant_context(acme):
        acme_admin.memberships.update(is_active=False)
    successor = member(acme, "successor@acme.example", Role.ADMIN)
    _ticket, to = breach(acme, standard_policy)
    assert to == [successor.email]


def test_a_warning_of_a_ticket_nobody_owns_reaches_the_lead_too(acme, standard_policy, team):
    lead = member(acme, "lead@acme.example", Role.AGENT)
    TeamMemberFactory(tenant=acme, team=team, user=lead, is_lead=True)
    with time_machine.travel(MONDAY_9, tick=False), tenant_context(acme):
        ticket = services.ticket_open(
            requester=ContactFactory(tenant=acme), subject="Slow", channel="email",
            priority="high", team=team,
        )  # fmt: skip
    with time_machine.travel(MONDAY_9 + timedelta(hours=3), tick=False), tenant_context(acme):
        clocks_sweep(now=timezone.now())
        clock = SlaClock.objects.get(ticket=ticket, metric="first_response")
        services.clock_notification_send(clock_id=clock.pk, what="warned")
    warned = [m for m in mail.outbox if ticket.reference in m.subject]
    assert [m.to for m in warned] == [["lead@acme.example"]]


@pytest.mark.django_db(transaction=True)
def test_the_people_told_also_see_a_notice_in_their_open_workspace(
    acme, standard_policy, team, bob, acme_admin
):
    def sweep_and_tell():
        try:
            breach(acme, standard_policy, team=team)
        finally:
            connection.close()

    async def listen():
        layer = get_channel_layer()
        admin_socket = await layer.new_channel()
        await layer.group_add(live.user_group(acme.pk, acme_admin.pk), admin_socket)
        await database_sync_to_async(sweep_and_tell)()
        return [
            (await asyncio.wait_for(layer.receive(admin_socket), 10))["payload"] for _ in range(2)
        ]

    notices = async_to_sync(listen)()
    assert {(n["type"], n["what"], n["metric"]) for n in notices} == {
        ("sla.alerted", "warned", "first_response"),
        ("sla.alerted", "breached", "first_response"),
    }
    assert notices[0]["reference"].startswith("ACME-")
