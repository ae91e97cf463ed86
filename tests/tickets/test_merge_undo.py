"""Merging asks first and can be taken back for 10 minutes, exactly as the tickets were."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from helpdesk.tenancy import tenant_context
from sla.models import SlaClock
from tests.factories import ContactFactory, SlaPolicyFactory, SlaTargetFactory
from tickets import services
from tickets.models import Contact, Message, Ticket

CLOCK_FIELDS = (
    "state", "due_at", "warn_at", "resumed_at", "paused_at", "elapsed_minutes",
    "paused_seconds", "fulfilled_at", "stopped_at",
)  # fmt: skip


@pytest.fixture
def policy(acme):
    policy = SlaPolicyFactory(tenant=acme, name="Standard", position=10)
    SlaTargetFactory(
        tenant=acme, policy=policy, priority="medium", first_response_minutes=480,
        next_reply_minutes=480, resolution_minutes=2400,
    )  # fmt: skip
    return policy


def open_ticket(tenant, subject, **fields) -> Ticket:
    with tenant_context(tenant):
        requester = fields.pop("requester", None) or ContactFactory(tenant=tenant)
        return services.ticket_open(
            requester=requester, subject=subject, channel="portal", **fields
        )


def state_of(tenant, ticket: Ticket) -> dict:
    """What an agent could tell about a ticket: its fields, messages and clocks."""
    with tenant_context(tenant):
        ticket.refresh_from_db()
        return {
            "status": ticket.status,
            "merged_into": ticket.merged_into_id,
            "tags": ticket.tags,
            "dates": (ticket.status_changed_at, ticket.solved_at, ticket.closed_at),
            "messages": list(
                Message.objects.filter(ticket=ticket).order_by("pk").values_list("pk", "kind")
            ),
            "clocks": [
                tuple(getattr(clock, name) for name in CLOCK_FIELDS)
                for clock in SlaClock.objects.filter(ticket=ticket).order_by("pk")
            ],
        }


def test_undoing_a_merge_puts_both_tickets_back_exactly_as_they_were(acme, acme_agent, policy):
    first = open_ticket(acme, "Printer jams", tags=["printer"])
    second = open_ticket(acme, "Printer still jams", tags=["urgent"])
    with tenant_context(acme):
        services.ticket_status_change(ticket=first, status="pending", by=acme_agent)
    before = (state_of(acme, first), state_of(acme, second))
    assert before[0]["clocks"], "the policy runs clocks on the ticket"
    with tenant_context(acme):
        services.ticket_merge(source=first, target=second, by=acme_agent)
    assert state_of(acme, first)["status"] == "closed"
    later = timezone.now() + timedelta(minutes=9)
    with time_machine.travel(later, tick=False), tenant_context(acme):
        services.ticket_merge_undo(source=first, by=acme_agent)
    assert (state_of(acme, first), state_of(acme, second)) == before


def test_an_undone_merge_is_in_both_tickets_history(acme, acme_agent, acme_agent_client):
    first = open_ticket(acme, "One")
    second = open_ticket(acme, "Two")
    with tenant_context(acme):
        services.ticket_merge(source=first, target=second, by=acme_agent)
        services.ticket_merge_undo(source=first, by=acme_agent)
        kinds = list(first.events.order_by("pk").values_list("kind", flat=True))
        assert kinds[-1] == "unmerged"
        assert second.events.order_by("pk").last().data == {
            "restored": first.reference,
            "messages": 1,
        }


def test_a_merge_cannot_be_undone_after_10_minutes(acme, acme_agent):
    first = open_ticket(acme, "One")
    second = open_ticket(acme, "Two")
    with tenant_context(acme):
        services.ticket_merge(source=first, target=second, by=acme_agent)
    too_late = timezone.now() + timedelta(minutes=10, seconds=1)
    refused = pytest.raises(ValidationError, match="10 minutes only")
    with time_machine.travel(too_late, tick=False), tenant_context(acme), refused:
        services.ticket_merge_undo(source=first, by=acme_agent)
    assert state_of(acme, first)["merged_into"] == second.pk


def test_a_merge_cannot_be_undone_once_the_other_ticket_was_merged_on(acme, acme_agent):
    first = open_ticket(acme, "One")
    second = open_ticket(acme, "Two")
    third = open_ticket(acme, "Three")
    with tenant_context(acme):
        services.ticket_merge(source=first, target=second, by=acme_agent)
        services.ticket_merge(source=second, target=third, by=acme_agent)
        with pytest.raises(ValidationError, match="undo that merge first"):
            services.ticket_merge_undo(source=first, by=acme_agent)


def test_a_merge_is_undone_only_once(acme, acme_agent):
    first = open_ticket(acme, "One")
    second = open_ticket(acme, "Two")
    with tenant_context(acme):
        services.ticket_merge(source=first, target=second, by=acme_agent)
        services.ticket_merge_undo(source=first, by=acme_agent)
        with pytest.raises(ValidationError, match="is not merged"):
            services.ticket_merge_undo(source=first, by=acme_agent)


def test_a_reply_that_arrived_after_the_merge_stays_on_the_kept_ticket(acme, acme_agent):
    requester = ContactFactory(tenant=acme, email="ann@example.com")
    first = open_ticket(acme, "One", requester=requester)
    second = open_ticket(acme, "Two", requester=requester)
    with tenant_context(acme):
        services.ticket_merge(source=first, target=second, by=acme_agent)
        late = services.ticket_reply_add(
            ticket=first, text="Any news?", channel="email", author_contact=requester
        )
        services.ticket_merge_undo(source=first, by=acme_agent)
        late.refresh_from_db()
    assert late.ticket_id == second.pk


def test_merging_from_the_ticket_page_first_shows_both_tickets(acme, acme_agent_client):
    first = open_ticket(acme, "Printer jams")
    second = open_ticket(acme, "Scanner smokes")
    response = acme_agent_client.get(
        f"/workspace/tickets/{first.number}/merge/", {"target": second.reference}
    )
    assertContains(response, "Printer jams")
    assertContains(response, "Scanner smokes")
    assertContains(response, "1 message")
    assert state_of(acme, first)["merged_into"] is None


def test_a_merge_posted_without_confirmation_only_asks(acme, acme_agent_client):
    first = open_ticket(acme, "Printer jams")
    second = open_ticket(acme, "Scanner smokes")
    response = acme_agent_client.post(
        f"/workspace/tickets/{first.number}/merge/", {"target": second.reference}
    )
    assertContains(response, "Merge into")
    assert state_of(acme, first)["merged_into"] is None


def test_the_kept_ticket_offers_to_undo_the_merge(acme, acme_agent_client):
    first = open_ticket(acme, "Printer jams")
    second = open_ticket(acme, "Scanner smokes")
    response = acme_agent_client.post(
        f"/workspace/tickets/{first.number}/merge/",
        {"target": second.reference, "confirmed": "1"},
        follow=True,
    )
    assertContains(response, "Undo merge")
    response = acme_agent_client.post(f"/workspace/tickets/{first.number}/merge/undo/", follow=True)
    assertContains(response, "The merge was undone")
    assertNotContains(response, "Undo merge")
    assert state_of(acme, first)["merged_into"] is None


def test_the_merge_undo_of_another_desks_ticket_is_not_found(acme, globex_agent_client):
    first = open_ticket(acme, "One")
    response = globex_agent_client.post(f"/workspace/tickets/{first.number}/merge/undo/")
    assert response.status_code == 404


def test_marking_spam_blocks_the_sender_only_when_ticked(acme, acme_agent_client):
    ticket = open_ticket(acme, "Cheap pills")
    page = acme_agent_client.get(f"/workspace/tickets/{ticket.number}/")
    assertContains(page, '<input type="checkbox" name="block" value="1">', html=False)
    acme_agent_client.post(f"/workspace/tickets/{ticket.number}/spam/", {})
    with tenant_context(acme):
        assert Contact.objects.get(pk=ticket.requester_id).is_blocked is False
