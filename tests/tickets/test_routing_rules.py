"""Routing rules act on tickets as they arrive and as they change, and say what they did."""

from __future__ import annotations

import base64
import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from helpdesk.tenancy import tenant_context
from integrations.services import api_token_create
from rules import RuleError
from tests.conftest import client_for
from tests.factories import ContactFactory, OrganizationFactory, TeamFactory
from tickets import routing, services
from tickets.models import Category, RoutingRule, Ticket, TicketEvent

INVOICES = {"field": "subject", "op": "contains", "value": "invoice"}


@pytest.fixture
def billing(acme):
    return TeamFactory(tenant=acme, name="Billing")


@pytest.fixture
def requester(acme):
    return ContactFactory(tenant=acme, email="anna@mueller.de")


def rule(acme, name, conditions, actions, **fields):
    with tenant_context(acme):
        return routing.routing_rule_save(
            rule=RoutingRule(name=name, conditions=conditions, actions=actions, **fields)
        )


def open_ticket(acme, requester, subject="Invoice 4711 is wrong", **fields):
    with tenant_context(acme):
        return services.ticket_open(
            requester=requester, subject=subject, channel=fields.pop("channel", "email"), **fields
        )


def routed_events(acme, ticket):
    with tenant_context(acme):
        return list(ticket.events.filter(kind=TicketEvent.Kind.ROUTED).order_by("pk"))


def test_a_new_invoice_ticket_lands_in_billing_and_says_which_rule_sent_it(
    acme, billing, requester
):
    rule(acme, "Invoices EU", INVOICES, [{"action": "set_team", "value": billing.pk}])
    ticket = open_ticket(acme, requester)
    with tenant_context(acme):
        assert Ticket.objects.get(pk=ticket.pk).team_id == billing.pk
    [event] = routed_events(acme, ticket)
    assert event.source == "Invoices EU"
    assert event.data["summary"] == "Routed to Billing by rule “Invoices EU”"
    assert event.data["changes"] == {"team": [None, billing.pk]}


def test_routed_values_are_in_the_tickets_first_insert_without_an_update(acme, billing, requester):
    rule(acme, "Invoices", INVOICES, [{"action": "set_priority", "value": "high"}])
    open_ticket(acme, requester, subject="warm the rule cache")
    with CaptureQueriesContext(connection) as queries:
        ticket = open_ticket(acme, requester)
    statements = [q["sql"] for q in queries.captured_queries]
    assert not [sql for sql in statements if sql.startswith("UPDATE")]
    assert not [sql for sql in statements if "routingrule" in sql]
    assert ticket.priority == "high"


def test_the_acknowledgement_promises_the_routed_priority(acme, requester):
    rule(
        acme,
        "Outage",
        {"field": "body", "op": "contains", "value": "outage"},
        [{"action": "set_priority", "value": "critical"}],
    )
    ticket = open_ticket(acme, requester, subject="Help", description="Total outage here")
    with tenant_context(acme):
        promised = ticket.acknowledgement.expected_response_at - ticket.created_at
        assert promised == services.first_response_target("critical")


def test_rules_run_in_order_and_stop_ends_processing(acme, requester):
    rule(acme, "second", INVOICES, [{"action": "add_tags", "value": ["late"]}], position=2)
    rule(
        acme,
        "first",
        INVOICES,
        [{"action": "add_tags", "value": ["billing"]}, {"action": "stop"}],
        position=1,
    )
    ticket = open_ticket(acme, requester)
    assert ticket.tags == ["billing"]
    assert [e.source for e in routed_events(acme, ticket)] == ["first"]


def test_a_disabled_rule_does_nothing(acme, requester):
    rule(acme, "off", INVOICES, [{"action": "add_tags", "value": ["x"]}], is_enabled=False)
    assert open_ticket(acme, requester).tags == []


def test_an_admins_change_reaches_the_very_next_ticket(acme, requester):
    saved = rule(acme, "Tag", INVOICES, [{"action": "add_tags", "value": ["one"]}])
    assert open_ticket(acme, requester).tags == ["one"]
    saved.actions = [{"action": "add_tags", "value": ["two"]}]
    with tenant_context(acme):
        routing.routing_rule_save(rule=saved)
    assert open_ticket(acme, requester).tags == ["two"]


def test_another_process_sees_the_change_through_the_version_in_redis(acme, requester):
    saved = rule(acme, "Tag", INVOICES, [{"action": "add_tags", "value": ["one"]}])
    open_ticket(acme, requester)
    with tenant_context(acme):
        RoutingRule.objects.filter(pk=saved.pk).update(actions=[{"action": "stop"}])
        cached = routing.rule_set()
    routing.routing_rules_changed(tenant_id=acme.pk)  # what the other process's save did
    with tenant_context(acme):
        assert routing.rule_set() is not cached
    assert open_ticket(acme, requester).tags == []


def test_a_team_deleted_after_the_rule_was_written_does_not_block_intake(acme, requester):
    team = TeamFactory(tenant=acme, name="Gone")
    rule(acme, "To gone", INVOICES, [{"action": "set_team", "value": team.pk}])
    with tenant_context(acme):
        team.delete()
    ticket = open_ticket(acme, requester)
    assert ticket.team_id is None


def test_conditions_and_actions_are_validated_with_paths_and_known_ids(acme):
    with pytest.raises(RuleError) as error:
        rule(
            acme,
            "bad",
            {"all": [{"field": "subjekt", "op": "contains", "value": "x"}]},
            [{"action": "set_team", "value": 999999}],
        )
    assert [path for path, _message in error.value.problems] == [
        "conditions.all[0]",
        "actions[0].value",
    ]


def test_a_vip_organisation_gets_high_priority_and_the_ticket_is_marked_vip(acme):
    bank = OrganizationFactory(tenant=acme, name="BigBank", tier="enterprise")
    carol = ContactFactory(tenant=acme, organization=bank)
    rule(
        acme,
        "Enterprise",
        {"field": "customer_segment", "op": "is", "value": "enterprise"},
        [{"action": "set_priority", "value": "high"}, {"action": "mark_vip", "value": True}],
    )
    ticket = open_ticket(acme, carol, subject="Anything")
    with tenant_context(acme):
        ticket.refresh_from_db()
    assert (ticket.priority, ticket.is_vip) == ("high", True)


def test_german_requesters_go_to_the_german_team_in_german(acme):
    german = TeamFactory(tenant=acme, name="DACH")
    anna = ContactFactory(tenant=acme, email="anna@firma.de")
    rule(
        acme,
        "German",
        {"field": "requester_domain", "op": "ends_with", "value": ".de"},
        [{"action": "set_language", "value": "de"}, {"action": "set_team", "value": german.pk}],
    )
    ticket = open_ticket(acme, anna, subject="Hallo")
    assert (ticket.language, ticket.team_id) == ("de", german.pk)


def test_a_rule_assigns_an_agent_and_the_ticket_is_open(acme, acme_agent, requester):
    rule(acme, "Mine", INVOICES, [{"action": "assign", "value": {"agent": acme_agent.pk}}])
    ticket = open_ticket(acme, requester)
    with tenant_context(acme):
        ticket.refresh_from_db()
    assert (ticket.assignee_id, ticket.status) == (acme_agent.pk, "open")
    assert "assigned to" in routed_events(acme, ticket)[0].data["summary"]


def test_assignment_by_strategy_asks_the_assignment_module(acme, billing, requester):
    rule(
        acme,
        "RR",
        INVOICES,
        [
            {"action": "set_team", "value": billing.pk},
            {"action": "assign", "value": {"strategy": "round_robin"}},
        ],
    )
    ticket = open_ticket(acme, requester)
    [event] = routed_events(acme, ticket)
    assert event.data["assign"] == {"strategy": "round_robin"}
    assert ticket.assignee_id is None  # the placeholder picks nobody
    assert "no agent available" in event.data["summary"]


def test_business_hours_unknown_matches_neither_inside_nor_outside(acme, requester):
    for when in ("inside", "outside"):
        rule(
            acme,
            when,
            {"field": "business_hours", "op": "is", "value": when},
            [{"action": "add_tags", "value": [when]}],
        )
    assert open_ticket(acme, requester).tags == []


def test_on_update_rules_run_once_when_an_agent_changes_a_ticket(acme, acme_agent, requester):
    rule(
        acme,
        "Critical to L2",
        {"field": "priority", "op": "is", "value": "critical"},
        [{"action": "add_tags", "value": ["escalated"]}],
        trigger="update",
    )
    ticket = open_ticket(acme, requester)
    assert ticket.tags == []
    with tenant_context(acme):
        ticket = services.ticket_update(ticket=ticket, by=acme_agent, priority="critical")
        ticket.refresh_from_db()
        services.ticket_status_change(ticket=ticket, status="pending", by=acme_agent)
        ticket.refresh_from_db()
    assert ticket.tags == ["escalated"]
    assert len(routed_events(acme, ticket)) == 1  # the second change found nothing to do


def test_on_update_rules_do_not_run_on_creation(acme, requester):
    rule(acme, "Upd", INVOICES, [{"action": "add_tags", "value": ["u"]}], trigger="update")
    assert open_ticket(acme, requester).tags == []


def test_a_requesters_reply_runs_on_update_rules(acme, requester):
    rule(
        acme,
        "Reply",
        {"field": "status", "op": "is", "value": "new"},
        [{"action": "set_priority", "value": "high"}],
        trigger="update",
    )
    ticket = open_ticket(acme, requester)
    with tenant_context(acme):
        services.ticket_reply_add(
            ticket=ticket, text="Any news?", channel="email", author_contact=requester
        )
        ticket.refresh_from_db()
    assert ticket.priority == "high"


def test_tickets_from_the_api_are_routed(acme, acme_admin, billing):
    rule(acme, "Invoices", INVOICES, [{"action": "set_team", "value": billing.pk}])
    with tenant_context(acme):
        _token, secret = api_token_create(name="CRM", by=acme_admin)
    response = client_for(acme).post(
        "/api/v1/tickets",
        json.dumps(
            {
                "subject": "Invoice missing",
                "description": "Where?",
                "requester": {"email": "ops@shop.example"},
            }
        ),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert response.status_code == 201
    with tenant_context(acme):
        assert Ticket.objects.get().team_id == billing.pk


def test_tickets_from_the_portal_are_routed(acme, acme_customer, billing):
    ContactFactory(tenant=acme, user=acme_customer, email=acme_customer.email)
    rule(acme, "Invoices", INVOICES, [{"action": "set_team", "value": billing.pk}])
    response = client_for(acme, acme_customer).post(
        "/portal/new/", {"subject": "My invoice", "description": "Wrong", "priority": "low"}
    )
    assert response.status_code == 302
    with tenant_context(acme):
        assert Ticket.objects.get().team_id == billing.pk


def test_phone_tickets_are_routed(acme, acme_agent):
    rule(
        acme,
        "Phone",
        {"field": "channel", "op": "is", "value": "phone"},
        [{"action": "add_tags", "value": ["call"]}],
    )
    client_for(acme, acme_agent).post(
        "/workspace/phone/",
        {
            "phone": "+49 30 1234567",
            "name": "Dan",
            "email": "dan@corner.example",
            "subject": "Card reader offline",
            "description": "Since the update",
            "priority": "high",
        },
    )
    with tenant_context(acme):
        assert Ticket.objects.get().tags == ["call"]


def test_the_agent_sees_on_the_ticket_page_which_rule_routed_it(
    acme, acme_agent_client, acme_team, billing, requester
):
    rule(acme, "Invoices EU", INVOICES, [{"action": "set_team", "value": acme_team.pk}])
    ticket = open_ticket(acme, requester)
    page = acme_agent_client.get(f"/workspace/tickets/{ticket.number}/")
    assert "Routed to L1 Support by rule “Invoices EU”" in page.content.decode()


def test_a_category_added_after_the_rules_were_read_counts_for_its_tree(acme, requester):
    with tenant_context(acme):
        billing_tree = Category.objects.create(name="Billing")
    rule(
        acme,
        "Billing tree",
        {"field": "category_path", "op": "within_tree", "value": ["Billing"]},
        [{"action": "add_tags", "value": ["billing"]}],
    )
    open_ticket(acme, requester, subject="warm the cache")
    with tenant_context(acme):
        refunds = Category.objects.create(name="Refunds", parent=billing_tree)
    assert open_ticket(acme, requester, subject="Money back", category=refunds).tags == ["billing"]


def test_tickets_from_an_email_webhook_are_routed(acme, billing, settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": "hook:secret"}
    rule(acme, "Invoices", INVOICES, [{"action": "set_team", "value": billing.pk}])
    payload = {
        "FromFull": {"Email": "carol@bigbank.example", "Name": "Carol"},
        "ToFull": [{"Email": "support@acme.localhost", "Name": ""}],
        "OriginalRecipient": "support@acme.localhost",
        "Subject": "Invoice 2026-11",
        "Headers": [{"Name": "Message-ID", "Value": "<first@bigbank.example>"}],
        "TextBody": "Wrong VAT.",
    }
    Client(HTTP_HOST="localhost").post(
        "/anymail/postmark/inbound/", json.dumps(payload), content_type="application/json",
        HTTP_AUTHORIZATION="Basic " + base64.b64encode(b"hook:secret").decode(),
    )  # fmt: skip
    with tenant_context(acme):
        ticket = Ticket.objects.get()
    assert (ticket.channel, ticket.team_id) == ("email", billing.pk)
