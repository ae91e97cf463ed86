"""The agent's ticket page: thread, replies, notes, owner, fields, phone calls."""

from __future__ import annotations

import pytest
from django.core import mail
from pytest_django.asserts import assertContains

from helpdesk.tenancy import Role, tenant_context
from tests.conftest import member
from tests.factories import ContactFactory
from tickets import services
from tickets.models import Contact, Message, Ticket


@pytest.fixture
def ticket(acme):
    with tenant_context(acme):
        requester = ContactFactory(tenant=acme, email="carol@bigbank.example", name="Carol")
        return services.ticket_open(
            requester=requester, subject="Payment rejected", description="Error 0x41",
            channel="email",
        )  # fmt: skip


def test_the_page_shows_thread_requester_and_history(acme_agent_client, ticket):
    page = acme_agent_client.get(f"/workspace/tickets/{ticket.number}/")
    assertContains(page, "Error 0x41")
    assertContains(page, "carol@bigbank.example")
    assertContains(page, "Created")


def test_an_agent_reply_is_mailed_to_the_requester(
    acme, acme_agent_client, ticket, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = acme_agent_client.post(
            f"/workspace/tickets/{ticket.number}/compose/",
            {"kind": "public", "text": "We are looking into it.", "status": "pending"},
        )
    assert response.status_code == 302
    [sent] = [m for m in mail.outbox if "looking into it" in m.body]
    assert sent.to == ["Carol <carol@bigbank.example>"]
    assert f"[{ticket.reference}]" in sent.subject
    with tenant_context(acme):
        ticket.refresh_from_db()
    assert ticket.status == "pending"


def test_an_internal_note_is_shown_as_a_note_and_never_mailed(acme, acme_agent_client, ticket):
    mail.outbox.clear()
    acme_agent_client.post(
        f"/workspace/tickets/{ticket.number}/compose/", {"kind": "note", "text": "VIP, hurry"}
    )
    assert mail.outbox == []
    page = acme_agent_client.get(f"/workspace/tickets/{ticket.number}/")
    assertContains(page, 'class="entry note')
    with tenant_context(acme):
        assert ticket.messages.filter(kind=Message.Kind.NOTE).exists()


def test_an_empty_reply_is_refused_with_a_message(acme_agent_client, ticket):
    response = acme_agent_client.post(
        f"/workspace/tickets/{ticket.number}/compose/", {"kind": "public", "text": ""}
    )
    assertContains(response, "This field is required", status_code=400)


def test_an_agent_takes_ownership_and_moves_the_team(
    acme, acme_agent, acme_team, acme_agent_client, ticket
):
    acme_agent_client.post(
        f"/workspace/tickets/{ticket.number}/assign/",
        {"assignee": acme_agent.pk, "team": acme_team.pk},
    )
    with tenant_context(acme):
        ticket.refresh_from_db()
    assert (ticket.assignee_id, ticket.team_id, ticket.status) == (
        acme_agent.pk,
        acme_team.pk,
        "open",
    )


def test_solving_from_the_page_records_who_did_it(acme, acme_agent, acme_agent_client, ticket):
    acme_agent_client.post(f"/workspace/tickets/{ticket.number}/status/", {"status": "solved"})
    with tenant_context(acme):
        event = ticket.events.get(kind="status")
    assert (event.actor_id, event.data["new"]) == (acme_agent.pk, "solved")


def test_an_agent_logs_a_call_from_a_known_caller(acme, acme_agent, acme_agent_client):
    with tenant_context(acme):
        caller = services.contact_for_phone(phone="+49 30 1234567", name="Dan")
    response = acme_agent_client.post(
        "/workspace/phone/",
        {"phone": "0049 30 123 4567", "subject": "Card reader offline",
         "description": "Since the update", "priority": "high"},
    )  # fmt: skip
    assert response.status_code == 302
    with tenant_context(acme):
        ticket = Ticket.objects.get()
        assert Contact.objects.count() == 1
    assert (ticket.channel, ticket.requester_id, ticket.assignee_id) == (
        "phone",
        caller.pk,
        acme_agent.pk,
    )


def test_a_call_from_an_unknown_number_creates_the_caller(acme, acme_agent_client):
    acme_agent_client.post(
        "/workspace/phone/",
        {"phone": "+1 212 555 0100", "name": "New Caller", "subject": "Question",
         "description": "How much?", "priority": "low"},
    )  # fmt: skip
    with tenant_context(acme):
        assert Contact.objects.get().name == "New Caller"


def test_another_desks_agent_cannot_reply_to_this_ticket(globex_agent_client, ticket):
    response = globex_agent_client.post(
        f"/workspace/tickets/{ticket.number}/compose/", {"kind": "public", "text": "Hi"}
    )
    assert response.status_code == 404


def test_customers_cannot_post_to_the_agent_composer(acme_customer_client, ticket):
    response = acme_customer_client.post(
        f"/workspace/tickets/{ticket.number}/compose/", {"kind": "note", "text": "sneaky"}
    )
    assert response.status_code == 403


def test_the_ticket_page_costs_the_same_queries_with_a_long_thread(
    acme, acme_agent, acme_agent_client, ticket, django_assert_max_num_queries
):
    with tenant_context(acme):
        for n in range(30):
            services.ticket_reply_add(
                ticket=ticket, text=f"Reply {n}", channel="email", author_user=acme_agent,
                attachments=[services.IncomingFile(f"log{n}.txt", "text/plain", b"x")],
            )  # fmt: skip
    with django_assert_max_num_queries(22):
        acme_agent_client.get(f"/workspace/tickets/{ticket.number}/")


def test_a_note_whose_status_change_is_refused_is_not_added_either(
    acme, acme_agent, acme_agent_client, ticket
):
    with tenant_context(acme):
        services.ticket_status_change(ticket=ticket, status="solved", by=acme_agent)
    response = acme_agent_client.post(
        f"/workspace/tickets/{ticket.number}/compose/",
        {"kind": "note", "text": "Checked the logs", "status": "new"},  # solved cannot be new
    )
    assertContains(response, "cannot become", status_code=400)
    assertContains(response, "Checked the logs", status_code=400)  # the draft is kept
    with tenant_context(acme):
        assert not ticket.messages.filter(kind=Message.Kind.NOTE).exists()


def test_a_reply_that_collides_with_a_newer_one_is_held_back_with_it(
    acme, acme_agent, acme_agent_client, ticket
):
    page = acme_agent_client.get(f"/workspace/tickets/{ticket.number}/")
    seen = page.context["thread"][-1].pk
    with tenant_context(acme):
        services.ticket_reply_add(
            ticket=ticket, text="Already on it", channel="email",
            author_user=member(acme, "colleague@acme.example", Role.AGENT),
        )  # fmt: skip
    response = acme_agent_client.post(
        f"/workspace/tickets/{ticket.number}/compose/",
        {"kind": "public", "text": "Looking into it", "seen": seen},
    )
    assertContains(response, "Already on it", status_code=409)
    with tenant_context(acme):
        assert not ticket.messages.filter(body_text="Looking into it").exists()
