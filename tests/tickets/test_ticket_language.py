"""Requesters hear from a ticket in its language; history and references read as the desk
writes them; German counts take the right plural."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import translation
from pytest_django.asserts import assertContains, assertNotContains

from helpdesk.tenancy import Role, tenant_context
from tests.conftest import client_for, member
from tests.factories import ContactFactory
from tickets import macros, routing, services
from tickets.models import Macro, Message, RoutingRule, Ticket
from tickets.services import IncomingFile

GERMAN_FOR_DE = {"field": "requester_domain", "op": "ends_with", "value": ".de"}


@pytest.fixture
def routed_to_german(acme):
    with tenant_context(acme):
        routing.routing_rule_save(
            rule=RoutingRule(
                name="German",
                conditions=GERMAN_FOR_DE,
                actions=[{"action": "set_language", "value": "de"}],
            )
        )


def open_ticket(tenant, requester=None, subject="Drucker brennt", **fields) -> Ticket:
    with tenant_context(tenant):
        requester = requester or ContactFactory(tenant=tenant)
        return services.ticket_open(requester=requester, subject=subject, channel="email", **fields)


def test_a_ticket_routed_to_german_is_acknowledged_in_german(
    acme, routed_to_german, django_capture_on_commit_callbacks
):
    anna = ContactFactory(tenant=acme, name="Anna", email="anna@firma.de")  # no language of hers
    with django_capture_on_commit_callbacks(execute=True):
        ticket = open_ticket(acme, anna)
    [sent] = mail.outbox
    assert sent.subject == f"[{ticket.reference}] Wir haben Ihre Anfrage erhalten: Drucker brennt"
    assert "Guten Tag Anna," in sent.body


def test_an_agents_reply_to_a_german_ticket_is_mailed_in_german(
    acme, acme_agent, routed_to_german, django_capture_on_commit_callbacks
):
    anna = ContactFactory(tenant=acme, name="Anna", email="anna@firma.de", language="en")
    ticket = open_ticket(acme, anna)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True), tenant_context(acme):
        services.ticket_reply_add(
            ticket=ticket, text="Wir kümmern uns.", channel="email", author_user=acme_agent
        )
    [sent] = mail.outbox
    assert f"Ihre Anfrage {ticket.reference}:" in sent.body


def test_the_portal_shows_a_german_ticket_in_german(acme, acme_customer, routed_to_german):
    with tenant_context(acme):
        contact = ContactFactory(tenant=acme, email="kunde@firma.de", user=acme_customer)
    ticket = open_ticket(acme, contact)
    page = client_for(acme, acme_customer).get(
        f"/portal/tickets/{ticket.number}/", HTTP_ACCEPT_LANGUAGE="en"
    )
    assertContains(page, "Meine Tickets")


def test_history_shows_status_changes_in_words(acme, acme_agent, acme_agent_client):
    ticket = open_ticket(acme, subject="Printer")
    with tenant_context(acme):
        services.ticket_status_change(ticket=ticket, status="open", by=acme_agent)
        services.ticket_status_change(ticket=ticket, status="pending", by=acme_agent)
    page = acme_agent_client.get(f"/workspace/tickets/{ticket.number}/")
    assertContains(page, "Open → Pending")
    assertNotContains(page, "open → pending")


def test_history_shows_status_changes_in_german_words(acme, acme_agent, acme_agent_client):
    ticket = open_ticket(acme, subject="Printer")
    with tenant_context(acme):
        services.ticket_status_change(ticket=ticket, status="open", by=acme_agent)
        services.ticket_status_change(ticket=ticket, status="pending", by=acme_agent)
    page = acme_agent_client.get(f"/workspace/tickets/{ticket.number}/", HTTP_ACCEPT_LANGUAGE="de")
    assertContains(page, "Offen → Wartend")


def test_history_shows_changed_fields_and_where_changes_came_from_in_words(
    acme, acme_agent, acme_agent_client
):
    ticket = open_ticket(acme, subject="Printer")
    with tenant_context(acme):
        services.ticket_update(ticket=ticket, by=acme_agent, source="web", priority="high")
    page = acme_agent_client.get(f"/workspace/tickets/{ticket.number}/")
    assertContains(page, "Priority: Medium → High")
    assertContains(page, "(workspace)")
    assertNotContains(page, "(web)")


def test_no_ticket_page_or_mail_names_a_ticket_by_its_bare_number(
    acme, acme_agent, acme_agent_client, acme_customer, django_capture_on_commit_callbacks
):
    with tenant_context(acme):
        contact = ContactFactory(tenant=acme, email="carol@example.com", user=acme_customer)
    with django_capture_on_commit_callbacks(execute=True):
        ticket = open_ticket(acme, contact, subject="Printer")
        with tenant_context(acme):
            services.ticket_reply_add(
                ticket=ticket, text="On it.", channel="email", author_user=acme_agent
            )
    pages = [
        acme_agent_client.get(f"/workspace/tickets/{ticket.number}/"),
        client_for(acme, acme_customer).get(f"/portal/tickets/{ticket.number}/"),
        client_for(acme, acme_customer).get("/portal/"),
    ]
    texts = [page.content.decode() for page in pages]
    texts += [part for sent in mail.outbox for part in (sent.subject, sent.body)]
    assert all(ticket.reference in text for text in texts)
    assert not [text for text in texts if re.search(rf"#{ticket.number}\b", text)]


@pytest.mark.parametrize(
    ("limit", "german"),
    [
        (1, "Es kann höchstens 1 Anhang auf einmal gesendet werden."),
        (2, "Es können höchstens 2 Anhänge auf einmal gesendet werden."),
    ],
)
def test_the_attachment_limit_is_said_with_the_right_german_plural(limit, german):
    files = [IncomingFile(name=f"{n}.txt", content=b"x", content_type="text/plain")
             for n in range(limit + 1)]  # fmt: skip
    with (
        override_settings(ATTACHMENT_MAX_COUNT=limit),
        translation.override("de"),
        pytest.raises(ValidationError) as refused,
    ):
        services.attachments_check(files)
    assert refused.value.messages == [german]


@pytest.mark.parametrize(("count", "german"), [(1, "1 Nachricht"), (2, "2 Nachrichten")])
def test_the_merge_page_counts_messages_with_the_right_german_plural(
    count, german, acme, acme_agent, acme_agent_client
):
    source = open_ticket(acme, subject="One")
    target = open_ticket(acme, subject="Two")
    with tenant_context(acme):
        for _n in range(count - 1):
            services.ticket_note_add(ticket=source, text="More", author=acme_agent)
        assert Message.objects.filter(ticket=source).count() == count
    page = acme_agent_client.get(
        f"/workspace/tickets/{source.number}/merge/",
        {"target": target.reference},
        HTTP_ACCEPT_LANGUAGE="de",
    )
    assertContains(page, f"<dd>{german}</dd>", html=False)


def test_the_notice_of_a_mention_names_the_ticket_by_its_reference(
    acme, acme_agent, live_events, django_capture_on_commit_callbacks
):
    colleague = member(acme, "bea.klein@acme.example", Role.AGENT)
    ticket = open_ticket(acme, subject="VPN")
    with tenant_context(acme), django_capture_on_commit_callbacks(execute=True):
        services.ticket_note_add(ticket=ticket, text="@bea.klein look?", author=acme_agent)
    [notice] = [event for event in live_events if event.type == "ticket.mentioned"]
    assert notice.ids["reference"] == ticket.reference
    assert colleague.pk


def test_a_macro_preview_shows_its_changes_in_words(acme, acme_agent_client):
    ticket = open_ticket(acme, subject="Printer")
    with tenant_context(acme):
        macro = macros.macro_save(
            macro=Macro(name="Solved", body="Done.", set_status="solved"), owner=None
        )
    page = acme_agent_client.get(f"/workspace/tickets/{ticket.number}/macro/", {"macro": macro.pk})
    assertContains(page, "Status: New → Solved")
