"""Nothing lands on nobody: what no routing rule sends to a team lands in the fallback team."""

from __future__ import annotations

import json
from email.message import EmailMessage

import pytest
from django.db.models import ProtectedError
from pytest_django.asserts import assertContains

from helpdesk.tenancy import tenant_context
from integrations.chat.services import chat_start
from integrations.email.inbound import email_receive
from integrations.services import api_token_create
from integrations.social.models import SocialChannel
from integrations.social.services import social_message_receive
from tests.conftest import client_for
from tests.factories import ContactFactory, TeamFactory
from tickets import routing, services
from tickets.models import DeskSettings, RoutingRule, Team, Ticket, TicketEvent


@pytest.fixture
def frontline(acme):
    """Acme's fallback team."""
    team = TeamFactory(tenant=acme, name="Frontline")
    with tenant_context(acme):
        routing.desk_settings_save(fallback_team=team)
    return team


def only_ticket(acme) -> Ticket:
    with tenant_context(acme):
        return Ticket.objects.select_related("team").get()


def test_a_portal_ticket_no_rule_routes_lands_in_the_fallback_team(
    acme, frontline, acme_customer, acme_customer_client
):
    ContactFactory(tenant=acme, user=acme_customer, email=acme_customer.email)
    acme_customer_client.post(
        "/portal/new/", {"subject": "Printer", "description": "Jammed.", "priority": "medium"}
    )
    assert only_ticket(acme).team == frontline


def test_an_email_no_rule_routes_lands_in_the_fallback_team(acme, frontline):
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = (
        "carol@bigbank.example",
        "support@acme.localhost",
        "Hi",
    )
    mail["Message-ID"] = "<fallback@bigbank.example>"
    mail.set_content("Floor 3.")
    email_receive(mail.as_bytes(), source="test")
    assert only_ticket(acme).team == frontline


def test_a_chat_no_rule_routes_lands_in_the_fallback_team(acme, frontline):
    with tenant_context(acme):
        chat_start(name="Vera", email="vera@example.com", text="Hello?")
    assert only_ticket(acme).team == frontline


def test_an_api_ticket_no_rule_routes_lands_in_the_fallback_team(acme, acme_admin, frontline):
    with tenant_context(acme):
        _token, secret = api_token_create(name="CRM", by=acme_admin)
    response = client_for(acme).post(
        "/api/v1/tickets",
        json.dumps(
            {
                "subject": "Sync failed",
                "description": "502",
                "requester": {"email": "ops@shop.example"},
            }
        ),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert response.status_code == 201
    assert only_ticket(acme).team == frontline


def test_a_phone_call_logged_without_a_team_lands_in_the_fallback_team(
    acme, acme_agent_client, frontline
):
    acme_agent_client.post(
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
    assert only_ticket(acme).team == frontline


def test_a_social_message_no_rule_routes_lands_in_the_fallback_team(acme, frontline):
    with tenant_context(acme):
        channel = SocialChannel.objects.create(name="WhatsApp", slug="whatsapp", secret="s3cret")
        social_message_receive(
            channel=channel, handle="+491701234567", text="Parcel?", thread_id="t-1", key="m-1"
        )
    assert only_ticket(acme).team == frontline


def test_a_ticket_a_rule_routes_keeps_the_rules_team(acme, frontline):
    billing = TeamFactory(tenant=acme, name="Billing")
    requester = ContactFactory(tenant=acme)
    with tenant_context(acme):
        routing.routing_rule_save(
            rule=RoutingRule(
                name="Invoices",
                conditions={"field": "subject", "op": "contains", "value": "invoice"},
                actions=[{"action": "set_team", "value": billing.pk}],
            )
        )
        ticket = services.ticket_open(requester=requester, subject="Invoice", channel="email")
    assert only_ticket(acme).team == billing
    assert ticket.team_id == billing.pk


def test_the_history_says_no_rule_matched_and_names_the_fallback_team(acme, frontline):
    requester = ContactFactory(tenant=acme)
    with tenant_context(acme):
        ticket = services.ticket_open(requester=requester, subject="Hello", channel="email")
        [event] = ticket.events.filter(kind=TicketEvent.Kind.ROUTED)
    assert event.data["summary"] == "No rule matched: fallback team Frontline"


def test_test_the_rules_says_no_rule_matched_and_names_the_fallback_team(
    acme, frontline, acme_admin_client
):
    response = acme_admin_client.get(
        "/admin/tickets/routingrule/test/",
        {"subject": "Hello", "channel": "email", "priority": "medium", "trigger": "create"},
    )
    assertContains(response, "No rule matched: fallback team Frontline")


def test_the_fallback_team_cannot_be_deleted(acme, frontline):
    with tenant_context(acme), pytest.raises(ProtectedError):
        Team.objects.get(pk=frontline.pk).delete()


def test_deleting_the_fallback_team_in_admin_is_refused_and_says_why(
    acme, frontline, acme_admin_client
):
    response = acme_admin_client.post(
        f"/admin/tickets/team/{frontline.pk}/delete/", {"post": "yes"}, follow=True
    )
    assertContains(response, "the desk&#x27;s fallback team")
    with tenant_context(acme):
        assert Team.objects.filter(pk=frontline.pk).exists()


def test_an_admin_picks_the_fallback_team_from_the_desks_teams(acme, frontline, acme_admin_client):
    billing = TeamFactory(tenant=acme, name="Billing")
    with tenant_context(acme):
        settings_pk = DeskSettings.objects.get().pk
    page = acme_admin_client.get(f"/admin/tickets/desksettings/{settings_pk}/change/")
    assertContains(page, "Billing")
    response = acme_admin_client.post(
        f"/admin/tickets/desksettings/{settings_pk}/change/", {"fallback_team": billing.pk}
    )
    assert response.status_code == 302
    requester = ContactFactory(tenant=acme)
    with tenant_context(acme):
        ticket = services.ticket_open(requester=requester, subject="Hello", channel="email")
    assert ticket.team_id == billing.pk


def test_a_team_of_another_desk_cannot_be_chosen_as_fallback(
    acme, globex, frontline, acme_admin_client
):
    foreign = TeamFactory(tenant=globex, name="Globex Support")
    with tenant_context(acme):
        settings_pk = DeskSettings.objects.get().pk
    page = acme_admin_client.get(f"/admin/tickets/desksettings/{settings_pk}/change/")
    assert "Globex Support" not in page.content.decode()
    response = acme_admin_client.post(
        f"/admin/tickets/desksettings/{settings_pk}/change/", {"fallback_team": foreign.pk}
    )
    assertContains(response, "Select a valid choice")
    with tenant_context(acme):
        assert DeskSettings.objects.get().fallback_team_id == frontline.pk


def test_another_desks_settings_are_not_found(acme, frontline, globex_admin_client):
    with tenant_context(acme):
        settings_pk = DeskSettings.objects.get().pk
    response = globex_admin_client.get(f"/admin/tickets/desksettings/{settings_pk}/change/")
    assert response.status_code in (302, 404)


def test_deleting_a_team_moves_its_open_tickets_to_the_fallback_team(
    acme, frontline, acme_admin_client
):
    billing = TeamFactory(tenant=acme, name="Billing")
    requester = ContactFactory(tenant=acme)
    with tenant_context(acme):
        ticket = services.ticket_open(
            requester=requester, subject="Invoice", channel="email", team=billing
        )
    response = acme_admin_client.post(f"/admin/tickets/team/{billing.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    with tenant_context(acme):
        assert not Team.objects.filter(pk=billing.pk).exists()
        assert Ticket.objects.get(pk=ticket.pk).team_id == frontline.pk
