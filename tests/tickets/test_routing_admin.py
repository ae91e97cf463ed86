"""Tenant admins write, order, switch and test routing rules in the admin."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pytest_django.asserts import assertContains, assertNotContains

from helpdesk.tenancy import tenant_context
from tests.factories import ContactFactory, RoutingRuleFactory, TeamFactory
from tickets import routing, services
from tickets.models import RoutingRule, Ticket, TicketEvent

RULES = "/admin/tickets/routingrule/"
INVOICES = {"field": "subject", "op": "contains", "value": "invoice"}


@pytest.fixture
def billing(acme):
    return TeamFactory(tenant=acme, name="Billing")


@pytest.fixture
def invoices_rule(acme, billing):
    with tenant_context(acme):
        return routing.routing_rule_save(
            rule=RoutingRule(
                name="Invoices EU",
                position=1,
                conditions=INVOICES,
                actions=[{"action": "set_team", "value": billing.pk}],
            )
        )


def rule_form(**fields):
    data = {
        "name": "Invoices",
        "position": 1,
        "is_enabled": "on",
        "trigger": "create",
        "conditions": json.dumps(INVOICES),
        "actions": json.dumps([{"action": "add_tags", "value": ["invoice"]}]),
        "description": "",
    }
    return {**data, **fields}


def test_an_admin_writes_a_rule_that_acts_on_the_next_ticket(acme, acme_admin_client):
    response = acme_admin_client.post(f"{RULES}add/", rule_form())
    assert response.status_code == 302
    with tenant_context(acme):
        ticket = services.ticket_open(
            requester=ContactFactory(tenant=acme), subject="Invoice missing", channel="portal"
        )
    assert ticket.tags == ["invoice"]


def test_a_mistake_in_conditions_is_shown_with_its_place(acme_admin_client):
    conditions = {"all": [{"field": "subjekt", "op": "contains", "value": "x"}]}
    response = acme_admin_client.post(f"{RULES}add/", rule_form(conditions=json.dumps(conditions)))
    assertContains(response, "conditions.all[0]: unknown field")
    assertContains(response, "did you mean")


def test_a_team_of_another_desk_cannot_be_named(acme_admin_client, globex):
    foreign = TeamFactory(tenant=globex, name="Globex team")
    actions = [{"action": "set_team", "value": foreign.pk}]
    response = acme_admin_client.post(f"{RULES}add/", rule_form(actions=json.dumps(actions)))
    assertContains(response, f"actions[0].value: there is no team with id {foreign.pk}")


def test_text_that_is_not_json_is_refused(acme_admin_client):
    response = acme_admin_client.post(f"{RULES}add/", rule_form(actions="[{action: stop}]"))
    assertContains(response, "Enter a valid JSON")


def test_the_rule_list_lets_the_admin_reorder_and_switch_rules(acme_admin_client, invoices_rule):
    page = acme_admin_client.get(RULES)
    assertContains(page, 'name="form-0-position"')
    assertContains(page, 'name="form-0-is_enabled"')
    assertContains(page, f"{RULES}test/")


def test_the_form_explains_fields_with_an_example(acme_admin_client):
    page = acme_admin_client.get(f"{RULES}add/")
    assertContains(page, "requester_domain")
    assertContains(page, "&quot;all&quot;")


def test_testing_a_sample_shows_which_rules_fire_and_writes_nothing(
    acme, acme_admin_client, invoices_rule
):
    with CaptureQueriesContext(connection) as queries:
        page = acme_admin_client.get(
            f"{RULES}test/",
            {
                "subject": "Invoice 4711",
                "channel": "email",
                "priority": "medium",
                "trigger": "create",
                "requester_email": "anna@firma.de",
            },
        )
    assertContains(page, "1 rule would fire.")
    assertContains(page, "Routed to Billing by rule “Invoices EU”")
    writes = [q["sql"] for q in queries.captured_queries if q["sql"].split()[0] in
              ("INSERT", "UPDATE", "DELETE")]  # fmt: skip
    assert writes == []


def test_testing_an_existing_ticket_changes_nothing_on_it(acme, acme_admin_client, billing):
    with tenant_context(acme):
        ticket = services.ticket_open(
            requester=ContactFactory(tenant=acme), subject="Invoice missing", channel="email"
        )
    with tenant_context(acme):
        routing.routing_rule_save(
            rule=RoutingRule(
                name="Later rule",
                conditions=INVOICES,
                actions=[{"action": "set_team", "value": billing.pk}],
            )
        )
    page = acme_admin_client.get(
        f"{RULES}test/",
        {"number": ticket.number, "trigger": "create", "channel": "email", "priority": "medium"},
    )
    assertContains(page, "Routed to Billing by rule “Later rule”")
    with tenant_context(acme):
        stored = Ticket.objects.get(pk=ticket.pk)
        assert stored.team_id is None
        assert not stored.events.filter(kind=TicketEvent.Kind.ROUTED).exists()


def test_a_sample_no_rule_matches_says_so(acme_admin_client, invoices_rule):
    page = acme_admin_client.get(
        f"{RULES}test/",
        {"subject": "Printer", "channel": "chat", "priority": "low", "trigger": "create"},
    )
    assertContains(page, "No rule would fire.")


def test_another_desks_ticket_cannot_be_tested(acme, globex_admin_client):
    with tenant_context(acme):
        ticket = services.ticket_open(
            requester=ContactFactory(tenant=acme), subject="Acme secret", channel="email"
        )
    page = globex_admin_client.get(
        f"{RULES}test/",
        {"number": ticket.number, "trigger": "create", "channel": "email", "priority": "medium"},
    )
    assertContains(page, "There is no ticket with this number")
    assertNotContains(page, "Acme secret")


def test_another_desks_rule_is_not_shown(acme_admin_client, globex, globex_admin):
    with tenant_context(globex):
        foreign = routing.routing_rule_save(
            rule=RoutingRule(name="Globex secret rule", actions=[{"action": "stop"}])
        )
    assertNotContains(acme_admin_client.get(RULES), "Globex secret rule")
    response = acme_admin_client.get(f"{RULES}{foreign.pk}/change/")
    assert response.status_code == 302


def test_agents_cannot_open_the_rule_tester(acme_agent_client):
    response = acme_agent_client.get(f"{RULES}test/", follow=True)
    assert response.status_code == 403


def test_a_new_rule_is_offered_the_place_after_the_last(acme, acme_admin_client):
    RoutingRuleFactory(tenant=acme, position=40)
    page = acme_admin_client.get(f"{RULES}add/")
    assertContains(page, 'name="position" value="50"')
