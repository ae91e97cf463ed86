"""The self-service portal: customers and confirmed guests file, follow and answer tickets."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from pytest_django.asserts import assertContains, assertNotContains

from helpdesk.models import Membership
from helpdesk.tenancy import tenant_context
from tests.conftest import client_for
from tests.factories import ContactFactory
from tickets import services
from tickets.models import Category, Ticket


@pytest.fixture
def acme_requester(acme, acme_customer):
    return ContactFactory(tenant=acme, user=acme_customer, email=acme_customer.email)


def test_a_customer_files_a_ticket_with_category_and_attachment(
    acme, acme_customer_client, acme_requester
):
    with tenant_context(acme):
        category = Category.objects.create(name="Billing")
    response = acme_customer_client.post(
        "/portal/new/",
        {
            "subject": "Invoice shows the wrong VAT",
            "description": "Invoice 2026-11 has 19% instead of 7%.",
            "category": category.pk,
            "priority": "high",
            "attachments": [SimpleUploadedFile("invoice.pdf", b"%PDF-1.7 ...", "application/pdf")],
        },
    )
    assert response.status_code == 302
    with tenant_context(acme):
        ticket = Ticket.objects.get()
        attachment = ticket.messages.get().attachments.get()
    assert (ticket.channel, ticket.category_id, ticket.priority) == ("portal", category.pk, "high")
    assert attachment.filename == "invoice.pdf"
    page = acme_customer_client.get(response.url)
    assertContains(page, "Invoice 2026-11 has 19%")
    download = acme_customer_client.get(
        f"/portal/tickets/{ticket.number}/attachments/{attachment.pk}/"
    )
    assert b"".join(download.streaming_content) == b"%PDF-1.7 ..."


def test_a_forbidden_attachment_is_refused_and_the_form_keeps_the_text(
    acme, acme_customer_client, acme_requester
):
    response = acme_customer_client.post(
        "/portal/new/",
        {
            "subject": "Here is my tool",
            "description": "See attached.",
            "priority": "medium",
            "attachments": [SimpleUploadedFile("tool.exe", b"MZ", "application/octet-stream")],
        },
    )
    assertContains(response, "tool.exe", status_code=400)
    assertContains(response, "See attached.", status_code=400)
    with tenant_context(acme):
        assert not Ticket.objects.exists()


def test_missing_fields_are_named(acme_customer_client, acme_requester):
    response = acme_customer_client.post("/portal/new/", {"subject": "", "description": ""})
    assertContains(response, "This field is required", count=3, status_code=400)


def test_a_customer_replies_and_sees_only_the_public_thread(
    acme, acme_customer_client, acme_requester, acme_agent
):
    with tenant_context(acme):
        ticket = services.ticket_open(requester=acme_requester, subject="Help", channel="portal")
        services.ticket_note_add(ticket=ticket, author=acme_agent, text="Customer is grumpy")
        services.ticket_reply_add(ticket=ticket, text="We are on it", channel="portal",
                                  author_user=acme_agent)  # fmt: skip
    page = acme_customer_client.get(f"/portal/tickets/{ticket.number}/")
    assertContains(page, "We are on it")
    assertNotContains(page, "grumpy")
    acme_customer_client.post(f"/portal/tickets/{ticket.number}/", {"text": "Thanks, waiting"})
    with tenant_context(acme):
        assert ticket.messages.filter(author_type="contact").count() == 2


def test_a_customer_cannot_download_a_file_of_an_internal_note(
    acme, acme_customer_client, acme_requester, acme_agent
):
    with tenant_context(acme):
        ticket = services.ticket_open(requester=acme_requester, subject="Help", channel="portal")
        note = services.ticket_note_add(
            ticket=ticket, author=acme_agent, text="log",
            attachments=[services.IncomingFile("debug.log", "text/plain", b"secret")],
        )  # fmt: skip
        attachment = note.attachments.get()
    response = acme_customer_client.get(
        f"/portal/tickets/{ticket.number}/attachments/{attachment.pk}/"
    )
    assert response.status_code == 404


def test_a_guest_confirms_their_address_by_link_and_then_files_a_ticket(
    acme, django_capture_on_commit_callbacks
):
    guest = Client(HTTP_HOST="acme.localhost")
    assert guest.get("/portal/new/").url == "/portal/start/"
    with django_capture_on_commit_callbacks(execute=True):
        guest.post("/portal/start/", {"name": "Gus Guest", "email": "gus@guest.example"})
    [invitation] = mail.outbox
    link = re.search(r"https://acme\.localhost(/portal/confirm/\S+/)", invitation.body).group(1)
    assert guest.get(link).url == "/portal/new/"
    response = guest.post(
        "/portal/new/", {"subject": "Where is my order?", "description": "#4711", "priority": "low"}
    )
    assert response.status_code == 302
    with tenant_context(acme):
        ticket = Ticket.objects.select_related("requester").get()
        assert Membership.objects.get(user__email="gus@guest.example").role == "customer"
    assert (ticket.requester.email, ticket.requester.name) == ("gus@guest.example", "Gus Guest")


def test_a_confirmation_link_of_another_desk_is_refused(
    acme, globex, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        Client(HTTP_HOST="globex.localhost").post(
            "/portal/start/", {"name": "Eve", "email": "eve@example.com"}
        )
    link = re.search(r"(/portal/confirm/\S+/)", mail.outbox[0].body).group(1)
    response = Client(HTTP_HOST="acme.localhost").get(link)
    assertContains(response, "not valid", status_code=400)


def test_a_tampered_confirmation_link_is_refused(acme):
    response = Client(HTTP_HOST="acme.localhost").get("/portal/confirm/abc:def/")
    assertContains(response, "not valid", status_code=400)


def test_confirming_as_an_existing_agent_keeps_their_role(
    acme, acme_agent, django_capture_on_commit_callbacks
):
    guest = Client(HTTP_HOST="acme.localhost")
    with django_capture_on_commit_callbacks(execute=True):
        guest.post("/portal/start/", {"name": "Agent", "email": acme_agent.email})
    link = re.search(r"(/portal/confirm/\S+/)", mail.outbox[0].body).group(1)
    guest.get(link)
    with tenant_context(acme):
        assert Membership.objects.get(user=acme_agent).role == "agent"


def test_another_customers_ticket_is_not_found(acme, acme_customer_client, acme_requester):
    with tenant_context(acme):
        other = services.ticket_open(
            requester=ContactFactory(tenant=acme), subject="Not yours", channel="email"
        )
    assert acme_customer_client.get(f"/portal/tickets/{other.number}/").status_code == 404


def test_a_globex_customer_sees_nothing_of_acme(acme, globex, acme_requester):
    with tenant_context(acme):
        ticket = services.ticket_open(requester=acme_requester, subject="Acme only", channel="api")
    from tests.conftest import member

    globex_customer = member(globex, "c@globex.example", "customer")
    client = client_for(globex, globex_customer)
    assert client.get(f"/portal/tickets/{ticket.number}/").status_code == 404
    assertNotContains(client.get("/portal/"), "Acme only")


def test_a_guest_gets_the_sign_in_link_in_the_language_they_asked_in(
    acme, django_capture_on_commit_callbacks
):
    guest = Client(HTTP_HOST="acme.localhost", HTTP_ACCEPT_LANGUAGE="de")
    with django_capture_on_commit_callbacks(execute=True):
        guest.post("/portal/start/", {"name": "Gus", "email": "gus@guest.example"})
    [invitation] = mail.outbox
    assert invitation.subject == "Bestätigen Sie Ihre E-Mail-Adresse für Acme Corporation"
    assert invitation.body.startswith("Guten Tag Gus,")
