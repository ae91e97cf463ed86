"""Live regions ask their page's view for their fragment alone: cheap, current, scoped."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from pytest_django.asserts import assertContains, assertNotContains

from helpdesk.tenancy import Role, tenant_context
from tests.conftest import member
from tests.factories import ContactFactory, TeamFactory, TeamMemberFactory
from tickets import services
from tickets.models import Ticket

ROWS = {"HX-Request": "true", "HX-Target": "queue-rows"}


def region(name: str) -> dict[str, str]:
    return {"HX-Request": "true", "HX-Target": name}


def open_ticket(tenant, subject, **fields) -> Ticket:
    with tenant_context(tenant):
        requester = fields.pop("requester", None) or ContactFactory(tenant=tenant)
        return services.ticket_open(
            requester=requester, subject=subject, channel="portal", **fields
        )


def shown(response) -> dict[int, dict[str, str]]:
    """The rows of a rows fragment by ticket id: their key, or that they left the queue."""
    found = {}
    for attributes in re.findall(r"<tr ([^>]*data-ticket[^>]*)>", response.content.decode()):
        ticket = int(re.search(r'data-ticket="(\d+)"', attributes).group(1))
        key = re.search(r'data-key="([^"]*)"', attributes)
        found[ticket] = {"gone": "data-gone" in attributes, "key": key and key.group(1)}
    return found


@pytest.fixture
def billing(acme):
    return TeamFactory(tenant=acme, name="Billing")


@pytest.fixture
def acme_sla(acme):
    from sla import services as sla_services

    with tenant_context(acme):
        sla_services.sla_defaults_create(time_zone="Europe/Berlin")


# --- a queue page's rows ---------------------------------------------------------------------


def test_the_rows_region_gets_its_first_page_without_the_rest_of_the_page(
    acme, acme_team, acme_agent_client
):
    open_ticket(acme, "Printer on fire", team=acme_team)
    response = acme_agent_client.get(f"/workspace/teams/{acme_team.pk}/", headers=ROWS)
    assertContains(response, "Printer on fire")
    assertNotContains(response, "<html")
    assertNotContains(response, "filter-form")
    assertNotContains(response, 'id="bulk-form"')


def test_a_changed_ticket_comes_back_as_its_row_with_its_place_in_the_queue(
    acme, acme_team, acme_agent_client
):
    older = open_ticket(acme, "Older", team=acme_team)
    newer = open_ticket(acme, "Newer", team=acme_team)
    response = acme_agent_client.get(
        f"/workspace/teams/{acme_team.pk}/?rows={newer.pk},{older.pk}", headers=ROWS
    )
    rows = shown(response)
    assert set(rows) == {older.pk, newer.pk}
    assert not rows[newer.pk]["gone"]
    # Newest first: the newer row's key sorts before the older one's.
    assert json.loads(rows[newer.pk]["key"]) < json.loads(rows[older.pk]["key"])
    assertNotContains(response, "No tickets here")


def test_a_ticket_that_left_the_queue_comes_back_as_gone(
    acme, acme_team, acme_agent, billing, acme_agent_client
):
    moved = open_ticket(acme, "Moved away", team=acme_team)
    with tenant_context(acme):
        services.ticket_assign(ticket=moved, agent=None, by=acme_agent, team=billing)
    response = acme_agent_client.get(
        f"/workspace/teams/{acme_team.pk}/?rows={moved.pk}", headers=ROWS
    )
    assert shown(response) == {moved.pk: {"gone": True, "key": None}}
    assertNotContains(response, "Moved away")


def test_a_solved_ticket_leaves_the_agents_work(acme, acme_team, acme_agent, acme_agent_client):
    done = open_ticket(acme, "Done", team=acme_team, assignee=acme_agent)
    with tenant_context(acme):
        services.ticket_status_change(ticket=done, status="solved", by=acme_agent)
    response = acme_agent_client.get(f"/workspace/?rows={done.pk}", headers=ROWS)
    assert shown(response)[done.pk]["gone"]


def test_a_filtered_page_gets_back_only_rows_its_filters_keep(acme, acme_team, acme_agent_client):
    high = open_ticket(acme, "Urgent", team=acme_team, priority="high")
    low = open_ticket(acme, "Whenever", team=acme_team, priority="low")
    response = acme_agent_client.get(
        f"/workspace/teams/{acme_team.pk}/?priority=high&rows={high.pk},{low.pk}", headers=ROWS
    )
    rows = shown(response)
    assert (rows[high.pk]["gone"], rows[low.pk]["gone"]) == (False, True)


def test_a_private_teams_ticket_comes_back_as_gone_to_an_agent_outside_it(
    acme, acme_team, acme_agent_client
):
    vault = TeamFactory(tenant=acme, name="Vault", is_private=True)
    secret = open_ticket(acme, "Vault secret", team=vault)
    response = acme_agent_client.get(f"/workspace/queues/pending/?rows={secret.pk}", headers=ROWS)
    assert shown(response)[secret.pk]["gone"]
    assertNotContains(response, "Vault secret")


def test_another_desks_tickets_come_back_as_gone(acme, globex, globex_agent_client):
    theirs = open_ticket(acme, "Acme secret")
    response = globex_agent_client.get(f"/workspace/?rows={theirs.pk}", headers=ROWS)
    assert shown(response) == {theirs.pk: {"gone": True, "key": None}}
    assertNotContains(response, "Acme secret")


def test_breaching_soon_rows_come_back_placed_by_their_next_due_time(
    acme, acme_sla, acme_agent_client
):
    import time_machine
    from django.utils import timezone

    from sla import services as sla_services

    relaxed = open_ticket(acme, "Relaxed", priority="low")
    urgent = open_ticket(acme, "Urgent", priority="critical")
    with time_machine.travel(timezone.now() + timedelta(days=30), tick=False), tenant_context(acme):
        sla_services.clocks_sweep(now=timezone.now())  # both past due: both listed
    response = acme_agent_client.get(
        f"/workspace/queues/breaching/?rows={relaxed.pk},{urgent.pk}", headers=ROWS
    )
    rows = shown(response)
    assert json.loads(rows[urgent.pk]["key"]) < json.loads(rows[relaxed.pk]["key"])


def test_rows_of_a_page_and_rows_asked_for_by_id_have_the_same_keys(
    acme, acme_team, acme_agent_client
):
    tickets = [open_ticket(acme, f"Ticket {n}", team=acme_team) for n in range(3)]
    url = f"/workspace/teams/{acme_team.pk}/?sort=urgent"
    page = shown(acme_agent_client.get(url, headers=ROWS))
    ids = ",".join(str(ticket.pk) for ticket in tickets)
    assert shown(acme_agent_client.get(f"{url}&rows={ids}", headers=ROWS)) == page


def test_changed_rows_cost_a_fixed_few_queries(
    acme, acme_team, acme_agent_client, django_assert_max_num_queries
):
    tickets = [open_ticket(acme, f"Ticket {n}", team=acme_team) for n in range(60)]
    ids = ",".join(str(ticket.pk) for ticket in tickets[:30])
    url = f"/workspace/teams/{acme_team.pk}/?rows={ids}"
    acme_agent_client.get(url, headers=ROWS)
    # Tenant, session, user, membership, rows with their SLA due times, and the savepoint
    # and the two tenant settings around them.
    with django_assert_max_num_queries(9):
        response = acme_agent_client.get(url, headers=ROWS)
    assert len(shown(response)) == 30


def test_the_rows_region_costs_a_fixed_few_queries(
    acme, acme_team, acme_agent_client, django_assert_max_num_queries
):
    for n in range(60):
        open_ticket(acme, f"Ticket {n}", team=acme_team)
    url = f"/workspace/teams/{acme_team.pk}/"
    acme_agent_client.get(url, headers=ROWS)
    with django_assert_max_num_queries(9):
        response = acme_agent_client.get(url, headers=ROWS)
    assert len(shown(response)) == 50


def test_the_counts_cost_a_fixed_few_queries(
    acme, acme_team, acme_agent_client, django_assert_max_num_queries
):
    for n in range(30):
        open_ticket(acme, f"Ticket {n}", team=acme_team)
    acme_agent_client.get("/workspace/counts/")
    # The request's eight (see above) and one count per queue (the teams are known).
    with django_assert_max_num_queries(14):
        response = acme_agent_client.get("/workspace/counts/")
    assertContains(response, 'id="count-unassigned"')


# --- a ticket's page -------------------------------------------------------------------------


@pytest.fixture
def long_ticket(acme, acme_agent):
    ticket = open_ticket(acme, "Payment rejected", requester=None)
    with tenant_context(acme):
        for n in range(30):
            services.ticket_reply_add(
                ticket=ticket, text=f"Reply {n}", channel="email", author_user=acme_agent,
                attachments=[services.IncomingFile(f"log{n}.txt", "text/plain", b"x")],
            )  # fmt: skip
        services.ticket_note_add(ticket=ticket, author=acme_agent, text="Internal remark")
    return ticket


def test_the_thread_region_gets_the_thread_alone(acme_agent_client, long_ticket):
    response = acme_agent_client.get(
        f"/workspace/tickets/{long_ticket.number}/", headers=region("thread-region")
    )
    assertContains(response, 'id="thread"')
    assertContains(response, "Reply 29")
    assertContains(response, "Internal remark")
    assertNotContains(response, "<html")
    assertNotContains(response, "composer")


def test_the_sla_region_gets_the_tickets_clocks_alone(acme, acme_sla, acme_agent_client):
    ticket = open_ticket(acme, "Timed", priority="high")
    response = acme_agent_client.get(
        f"/workspace/tickets/{ticket.number}/", headers=region("sla-region")
    )
    assertContains(response, f'id="sla-clocks-{ticket.pk}"')
    assertContains(response, "First response")
    assertNotContains(response, 'id="thread"')


def test_the_history_region_gets_the_tickets_events_alone(acme_agent_client, long_ticket):
    response = acme_agent_client.get(
        f"/workspace/tickets/{long_ticket.number}/", headers=region("history-region")
    )
    assertContains(response, '<ol class="events">')  # the page shows them behind "History"
    assertContains(response, "Internal note")
    assertNotContains(response, 'id="thread"')


@pytest.mark.parametrize(
    ("name", "queries"),
    [
        ("thread-region", 11),  # the request's eight, the ticket, messages, attachments
        ("sla-region", 10),  # the request's eight, the ticket, its clocks
        ("history-region", 10),  # the request's eight, the ticket, its events
        ("alerts-region", 11),  # the request's eight, the ticket, its clocks, its team's agents
    ],
)
def test_each_ticket_region_costs_a_fixed_few_queries(
    acme_agent_client, long_ticket, acme_sla, name, queries, django_assert_max_num_queries
):
    url = f"/workspace/tickets/{long_ticket.number}/"
    acme_agent_client.get(url, headers=region(name))
    with django_assert_max_num_queries(queries):
        acme_agent_client.get(url, headers=region(name))


def test_another_desks_agent_gets_no_region_of_this_desks_ticket(globex_agent_client, long_ticket):
    response = globex_agent_client.get(
        f"/workspace/tickets/{long_ticket.number}/", headers=region("thread-region")
    )
    assert response.status_code == 404


def test_an_agent_outside_a_private_team_gets_no_region_of_its_ticket(acme, acme_agent_client):
    vault = TeamFactory(tenant=acme, name="Vault", is_private=True)
    TeamMemberFactory(tenant=acme, team=vault, user=member(acme, "v@acme.example", Role.AGENT))
    secret = open_ticket(acme, "Vault secret", team=vault)
    response = acme_agent_client.get(
        f"/workspace/tickets/{secret.number}/", headers=region("thread-region")
    )
    assert response.status_code == 404


# --- a customer's ticket in the portal ---------------------------------------------------------


@pytest.fixture
def customers_ticket(acme, acme_customer, acme_agent):
    requester = ContactFactory(tenant=acme, user=acme_customer, email=acme_customer.email)
    ticket = open_ticket(acme, "VPN drops", requester=requester)
    with tenant_context(acme):
        for n in range(20):
            services.ticket_reply_add(
                ticket=ticket, text=f"Answer {n}", channel="portal", author_user=acme_agent
            )
        services.ticket_note_add(ticket=ticket, author=acme_agent, text="Internal remark")
    return ticket


def test_the_portal_thread_region_gets_the_public_thread_alone(
    acme_customer_client, customers_ticket
):
    response = acme_customer_client.get(
        f"/portal/tickets/{customers_ticket.number}/", headers=region("thread-region")
    )
    assertContains(response, "Answer 19")
    assertNotContains(response, "Internal remark")
    assertNotContains(response, "<html")
    assertNotContains(response, "composer")


def test_the_portal_thread_region_costs_a_fixed_few_queries(
    acme_customer_client, customers_ticket, django_assert_max_num_queries
):
    url = f"/portal/tickets/{customers_ticket.number}/"
    acme_customer_client.get(url, headers=region("thread-region"))
    # The request's eight, the ticket, its public messages and their attachments.
    with django_assert_max_num_queries(11):
        acme_customer_client.get(url, headers=region("thread-region"))


def test_another_customer_gets_no_thread_of_this_ticket(acme, customers_ticket):
    from tests.conftest import client_for

    stranger = member(acme, "stranger@example.com", Role.CUSTOMER)
    response = client_for(acme, stranger).get(
        f"/portal/tickets/{customers_ticket.number}/", headers=region("thread-region")
    )
    assert response.status_code == 404
