"""Every URL of the desk, asked by an agent outside a private team, shows and changes nothing of it.

The cross-tenant probe (tests/test_cross_tenant.py) does this for other desks; here the fence
is the private team inside one desk (HR, legal): its tickets are for its members and the
desk's managers only.
"""

from __future__ import annotations

import pytest

from helpdesk.tenancy import Role, tenant_context
from tests.conftest import client_for, member
from tests.factories import ContactFactory, TeamFactory, TeamMemberFactory
from tests.test_cross_tenant import fill, patterns
from tickets import services
from tickets.models import Message, Ticket, TicketEvent

MARKER = "Quokka-4417 salary confidential"


@pytest.fixture
def private_data(acme):
    """A private HR team's ticket with a note and a file, and every id that names them."""
    with tenant_context(acme):
        # Its name is offered wherever tickets can be handed to a team; its tickets are not.
        hr = TeamFactory(tenant=acme, name="HR", is_private=True)
        hilda = member(acme, "hilda@acme.example", Role.AGENT)
        TeamMemberFactory(tenant=acme, team=hr, user=hilda)
        ticket = services.ticket_open(
            requester=ContactFactory(tenant=acme, name=f"{MARKER} person"),
            subject=f"{MARKER} raise", description=MARKER, channel="portal", team=hr,
        )  # fmt: skip
        note = services.ticket_note_add(
            ticket=ticket, author=hilda, text=MARKER,
            attachments=[services.IncomingFile("salary.txt", "text/plain", MARKER.encode())],
        )  # fmt: skip
        attachment = note.attachments.get()
    ids = [hr.pk, ticket.pk, ticket.number, note.pk, attachment.pk]
    return ticket, hilda, ids


def snapshot(acme, ticket) -> tuple:
    with tenant_context(acme):
        fresh = Ticket.objects.get(pk=ticket.pk)
        return (
            fresh.updated_at,
            fresh.status,
            fresh.assignee_id,
            Message.objects.filter(ticket=ticket).count(),
            TicketEvent.objects.filter(ticket=ticket).count(),
        )


def test_a_member_of_the_private_team_sees_its_ticket(acme, private_data):
    ticket, hilda, _ids = private_data
    page = client_for(acme, hilda).get(f"/workspace/tickets/{ticket.number}/")
    assert MARKER.encode() in page.content


def test_no_url_shows_a_private_teams_ticket_to_an_agent_outside_it(acme, private_data, acme_agent):
    _ticket, _hilda, ids = private_data
    client = client_for(acme, acme_agent)
    leaks = []
    for route in patterns():
        for path in fill(route, ids):
            response = client.get(path)
            if MARKER.encode() in response.content:
                leaks.append(f"{path} -> {response.status_code}")
    assert leaks == []


def post_everywhere(client, ids, agent) -> None:
    """POST a form that would reply, solve, assign or merge to every workspace URL."""
    forms = {
        "text": "Let me in", "kind": "public", "status": "solved", "assignee": agent.pk,
        "priority": "critical", "target": "ACME-1", "tickets": ids, "action": "status",
        "confirmed": "1",
    }  # fmt: skip
    for route in patterns():
        if route.startswith("workspace/"):  # the portal and the API have fences of their own
            for path in fill(route, ids):
                client.post(path, forms)


def test_no_url_changes_a_private_teams_ticket_for_an_agent_outside_it(
    acme, private_data, acme_agent
):
    ticket, _hilda, ids = private_data
    before = snapshot(acme, ticket)
    post_everywhere(client_for(acme, acme_agent), ids, acme_agent)
    assert snapshot(acme, ticket) == before


def test_the_same_requests_by_a_member_do_change_it(acme, private_data):
    ticket, hilda, ids = private_data
    before = snapshot(acme, ticket)
    post_everywhere(client_for(acme, hilda), ids, hilda)
    assert snapshot(acme, ticket) != before
