"""What the ticket services do to a ticket over its life, as agents and requesters see it."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from helpdesk.tenancy import tenant_context
from tests.factories import ContactFactory, OrganizationFactory
from tickets import services
from tickets.models import Acknowledgement, Message, Ticket, TicketEvent


@pytest.fixture
def requester(acme):
    organization = OrganizationFactory(tenant=acme, tier="enterprise", region="EMEA")
    return ContactFactory(tenant=acme, email="carol@bigbank.example", organization=organization)


@pytest.fixture
def ticket(acme, requester):
    with tenant_context(acme):
        return services.ticket_open(
            requester=requester, subject="Payment batch rejected", description="Error 0x41",
            channel="email",
        )  # fmt: skip


def in_acme(acme, function, **kwargs):
    with tenant_context(acme):
        return function(**kwargs)


def test_a_new_ticket_carries_its_requesters_segment_and_region(acme, ticket):
    assert (ticket.customer_segment, ticket.region, ticket.status) == ("enterprise", "EMEA", "new")


def test_a_new_ticket_has_its_description_as_the_first_message(acme, ticket):
    with tenant_context(acme):
        message = ticket.messages.get()
    assert (message.author_type, message.kind, message.body_text) == (
        "contact",
        "public",
        "Error 0x41",
    )


def test_every_new_ticket_gets_one_acknowledgement_planned(acme, ticket):
    with tenant_context(acme):
        ack = Acknowledgement.objects.get(ticket=ticket)
    assert (ack.via, ack.recipient) == ("email", "carol@bigbank.example")
    assert ack.expected_response_at is not None


def test_an_automatic_message_gets_no_acknowledgement(acme, requester):
    with tenant_context(acme):
        ticket = services.ticket_open(
            requester=requester, subject="Out of office", channel="email",
            auto_submitted="Auto-Submitted: auto-replied",
        )  # fmt: skip
        assert ticket.acknowledgement.via == "none"


def test_a_ticket_without_a_subject_is_refused(acme, requester):
    with tenant_context(acme), pytest.raises(ValidationError, match="needs a subject"):
        services.ticket_open(requester=requester, subject="   ", channel="portal")


def test_an_agents_first_reply_is_the_first_response_and_opens_the_ticket(acme, ticket, acme_agent):
    in_acme(acme, services.ticket_reply_add, ticket=ticket, text="On it", channel="email",
            author_user=acme_agent)  # fmt: skip
    with tenant_context(acme):
        ticket.refresh_from_db()
    assert ticket.first_responded_at is not None
    assert ticket.status == "open"


def test_an_internal_note_is_not_a_response(acme, ticket, acme_agent):
    in_acme(acme, services.ticket_note_add, ticket=ticket, author=acme_agent, text="Check logs")
    with tenant_context(acme):
        ticket.refresh_from_db()
        assert ticket.first_responded_at is None
        assert ticket.messages.filter(kind=Message.Kind.NOTE).count() == 1


def test_the_requester_writing_after_solved_reopens_the_ticket(acme, ticket, acme_agent, requester):
    in_acme(acme, services.ticket_status_change, ticket=ticket, status="solved", by=acme_agent)
    in_acme(acme, services.ticket_reply_add, ticket=ticket, text="Still broken", channel="email",
            author_contact=requester)  # fmt: skip
    with tenant_context(acme):
        ticket.refresh_from_db()
        kinds = list(ticket.events.values_list("kind", flat=True))
    assert ticket.status == "open"
    assert ticket.solved_at is None
    assert TicketEvent.Kind.REOPENED in kinds


def test_the_requester_answering_a_pending_ticket_puts_it_back_with_the_desk(
    acme, ticket, acme_agent, requester
):
    in_acme(acme, services.ticket_reply_add, ticket=ticket, text="Which account?",
            channel="email", author_user=acme_agent, status="pending")  # fmt: skip
    in_acme(acme, services.ticket_reply_add, ticket=ticket, text="Account 42", channel="email",
            author_contact=requester)  # fmt: skip
    with tenant_context(acme):
        ticket.refresh_from_db()
    assert ticket.status == "open"


def test_writing_to_a_closed_ticket_opens_a_follow_up(acme, ticket, acme_agent, requester):
    in_acme(acme, services.ticket_status_change, ticket=ticket, status="closed", by=acme_agent)
    message = in_acme(acme, services.ticket_reply_add, ticket=ticket, text="New problem",
                      channel="email", author_contact=requester)  # fmt: skip
    with tenant_context(acme):
        follow_up = message.ticket
        assert follow_up.pk != ticket.pk
        assert follow_up.follow_up_of_id == ticket.pk
        assert Ticket.objects.get(pk=ticket.pk).status == "closed"


def test_a_closed_ticket_cannot_be_reopened_by_an_agent(acme, ticket, acme_agent):
    in_acme(acme, services.ticket_status_change, ticket=ticket, status="closed", by=acme_agent)
    with pytest.raises(ValidationError, match="cannot become"):
        in_acme(acme, services.ticket_status_change, ticket=ticket, status="open", by=acme_agent)


def test_only_agents_of_this_desk_can_own_a_ticket(acme, ticket, globex_agent, acme_customer):
    for outsider in (globex_agent, acme_customer):
        with pytest.raises(ValidationError, match="Only agents"):
            in_acme(acme, services.ticket_assign, ticket=ticket, agent=outsider, by=None)


def test_field_changes_are_recorded_with_old_and_new_values(acme, ticket, acme_agent):
    in_acme(acme, services.ticket_update, ticket=ticket, by=acme_agent, priority="critical",
            tags=["Payments", "batch", "payments"])  # fmt: skip
    with tenant_context(acme):
        event = ticket.events.get(kind=TicketEvent.Kind.FIELDS)
        ticket.refresh_from_db()
    assert event.data["changes"]["priority"] == ["medium", "critical"]
    assert ticket.tags == ["batch", "payments"]


def test_html_from_outside_never_carries_script_to_the_browser(acme, requester):
    with tenant_context(acme):
        ticket = services.ticket_open(
            requester=requester, subject="HTML", channel="email", description="x",
            description_html='<p onclick="steal()">Hi<script>alert(1)</script>'
            '<a href="javascript:alert(2)">link</a><img src="x" onerror="alert(3)"></p>',
        )  # fmt: skip
        html = ticket.messages.get().body_html
    for danger in ("<script", "onclick", "javascript:", "onerror"):
        assert danger not in html
    assert "Hi" in html


def test_oversized_and_executable_attachments_are_refused_with_their_names(
    acme, requester, settings
):
    settings.ATTACHMENT_MAX_BYTES = 1000
    files = [
        services.IncomingFile("big.pdf", "application/pdf", b"x" * 2000),
        services.IncomingFile("setup.exe", "application/octet-stream", b"MZ"),
    ]
    with tenant_context(acme), pytest.raises(ValidationError) as refused:
        services.ticket_open(requester=requester, subject="Files", channel="portal",
                             attachments=files)  # fmt: skip
    text = " ".join(refused.value.messages)
    assert "big.pdf" in text
    assert "setup.exe" in text
    with tenant_context(acme):
        assert not Ticket.objects.filter(subject="Files").exists()


def test_contacts_are_matched_by_any_of_their_email_addresses(acme, requester):
    with tenant_context(acme):
        requester.emails.create(email="carol.private@example.org")
        again = services.contact_for_email(email="Carol.Private@example.org")
    assert again.pk == requester.pk


def test_callers_are_matched_by_number_however_it_is_written(acme):
    with tenant_context(acme):
        first = services.contact_for_phone(phone="+49 30 1234-567", name="Caller")
        second = services.contact_for_phone(phone="0049 (30) 1234567")
    assert first.pk == second.pk
