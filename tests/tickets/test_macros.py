"""Macros: canned replies with placeholders and changes, shared by the desk or an agent's own."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from helpdesk.tenancy import tenant_context
from tests.factories import ContactFactory, TeamFactory
from tickets import macros, services
from tickets.models import Macro, Message, Ticket, TicketEvent

SOLVED_TEXT = "Hello {requester_first_name}, {ticket_reference} is solved. {agent_name}"


@pytest.fixture
def ticket(acme):
    requester = ContactFactory(tenant=acme, name="Carol Kunde", email="carol@bigbank.example")
    with tenant_context(acme):
        return services.ticket_open(
            requester=requester, subject="Printer jam", channel="email", tags=["printer", "eu"]
        )


def shared_macro(acme, **fields):
    with tenant_context(acme):
        return macros.macro_save(macro=Macro(**{"name": "Solved", **fields}), owner=None)


def test_the_preview_fills_placeholders_and_lists_the_changes(acme, acme_agent, ticket):
    macro = shared_macro(
        acme, body=SOLVED_TEXT, set_status="solved", add_tags=["done"], remove_tags=["eu"]
    )
    with tenant_context(acme):
        preview = macros.macro_render(macro=macro, ticket=ticket, agent=acme_agent)
    name = acme_agent.get_full_name()
    assert preview.text == f"Hello Carol, ACME-1 is solved. {name}"
    assert preview.changes == {"status": ("new", "solved")}
    assert (preview.tags_added, preview.tags_removed) == (("done",), ("eu",))


def test_applying_sends_the_reply_and_makes_the_changes(acme, acme_agent, ticket, mailoutbox):
    team = TeamFactory(tenant=acme, name="Printers")
    macro = shared_macro(
        acme, body=SOLVED_TEXT, set_status="solved", set_priority="low", set_team=team,
        add_tags=["done"], assign_to_me=True,
    )  # fmt: skip
    with tenant_context(acme):
        macros.macro_apply(macro=macro, ticket=ticket, agent=acme_agent)
        ticket = Ticket.objects.get(pk=ticket.pk)
        reply = Message.objects.filter(ticket=ticket, author_type="agent").get()
    assert reply.body_text.startswith("Hello Carol, ACME-1 is solved.")
    assert (ticket.status, ticket.priority, ticket.team_id, ticket.assignee_id) == (
        "solved", "low", team.pk, acme_agent.pk,
    )  # fmt: skip
    assert ticket.tags == ["done", "eu", "printer"]
    assert ticket.first_responded_at is not None


def test_a_change_the_ticket_refuses_leaves_the_ticket_untouched(acme, acme_agent, ticket):
    macro = shared_macro(acme, body="We will look again.", set_status="new", set_priority="low")
    with tenant_context(acme):
        services.ticket_status_change(ticket=ticket, status="solved", by=acme_agent)
        with pytest.raises(ValidationError):
            macros.macro_apply(macro=macro, ticket=ticket, agent=acme_agent)
        ticket = Ticket.objects.get(pk=ticket.pk)
        assert not Message.objects.filter(ticket=ticket, author_type="agent").exists()
    assert ticket.priority == "medium"


def test_an_unknown_placeholder_is_refused(acme):
    with pytest.raises(ValidationError, match=r"unknown placeholder \{requester\.password\}"):
        shared_macro(acme, body="Hi {requester.password}")


def test_rendering_never_evaluates_code(acme, acme_agent, ticket):
    macro = Macro(name="x", body="{ticket_subject.__class__} {0} {{requester_name}} %(x)s")
    with tenant_context(acme):
        preview = macros.macro_render(macro=macro, ticket=ticket, agent=acme_agent)
    assert preview.text == "{ticket_subject.__class__} {0} {Carol Kunde} %(x)s"


def test_a_macro_that_does_nothing_is_refused(acme):
    with pytest.raises(ValidationError, match="needs reply text or at least one change"):
        shared_macro(acme, body="  ")


def test_the_reply_event_names_the_macro_for_field_changes(acme, acme_agent, ticket):
    macro = shared_macro(acme, set_priority="high")
    with tenant_context(acme):
        macros.macro_apply(macro=macro, ticket=ticket, agent=acme_agent)
        event = TicketEvent.objects.get(ticket=ticket, kind="fields")
    assert event.source == "macro 'Solved'"


# --- the ticket page and the agent's macro pages ---------------------------------------------


def test_an_agent_applies_a_macro_from_the_ticket_page(acme, acme_agent_client, ticket):
    macro = shared_macro(acme, body="Hello {requester_name}", set_status="pending")
    page = acme_agent_client.get(reverse("tickets:ticket_detail", args=[ticket.number]))
    assertContains(page, 'name="macro"')
    response = acme_agent_client.post(
        reverse("tickets:ticket_macro_apply", args=[ticket.number]), {"macro": macro.pk}
    )
    assert response.status_code == 302
    with tenant_context(acme):
        assert Ticket.objects.get(pk=ticket.pk).status == "pending"


def test_an_agent_previews_a_macro_before_applying_it(acme, acme_agent_client, ticket):
    macro = shared_macro(acme, body="Hello {requester_name}", set_status="pending")
    response = acme_agent_client.get(
        reverse("tickets:ticket_macro_apply", args=[ticket.number]), {"macro": macro.pk}
    )
    assertContains(response, "Hello Carol Kunde")
    with tenant_context(acme):
        assert Ticket.objects.get(pk=ticket.pk).status == "new"


def test_an_agent_creates_a_personal_macro(acme, acme_agent, acme_agent_client):
    response = acme_agent_client.post(
        reverse("tickets:macro_create"),
        {"name": "Need logs", "body": "Hi {requester_first_name}, please send logs.",
         "set_status": "pending", "set_priority": "", "add_tags": "logs, waiting",
         "remove_tags": ""},
    )  # fmt: skip
    assert response.status_code == 302
    with tenant_context(acme):
        macro = Macro.objects.get(name="Need logs")
    assert (macro.owner, macro.add_tags) == (acme_agent, ["logs", "waiting"])


def test_a_personal_macro_with_an_unknown_placeholder_is_shown_as_an_error(acme_agent_client):
    response = acme_agent_client.post(
        reverse("tickets:macro_create"), {"name": "Oops", "body": "Hi {customer}"}
    )
    assertContains(response, "unknown placeholder {customer}", status_code=400)


def test_an_agent_cannot_edit_a_shared_macro(acme, acme_agent_client):
    macro = shared_macro(acme, body="Shared text")
    response = acme_agent_client.get(reverse("tickets:macro_edit", args=[macro.pk]))
    assert response.status_code == 404


def test_an_agent_cannot_apply_or_see_another_agents_macro(
    acme, acme_agent_client, acme_manager, ticket
):
    with tenant_context(acme):
        private = macros.macro_save(
            macro=Macro(name="Manager's own", body="Secret wording"), owner=acme_manager
        )
    assertNotContains(acme_agent_client.get(reverse("tickets:macro_list")), "Manager's own")
    assert (
        acme_agent_client.post(reverse("tickets:macro_delete", args=[private.pk])).status_code
        == 404
    )
    acme_agent_client.post(
        reverse("tickets:ticket_macro_apply", args=[ticket.number]), {"macro": private.pk}
    )
    with tenant_context(acme):
        assert not Message.objects.filter(ticket=ticket, author_type="agent").exists()


def test_an_agent_deletes_their_own_macro(acme, acme_agent, acme_agent_client):
    with tenant_context(acme):
        mine = macros.macro_save(macro=Macro(name="Mine", body="Hi"), owner=acme_agent)
    acme_agent_client.post(reverse("tickets:macro_delete", args=[mine.pk]))
    with tenant_context(acme):
        assert not Macro.objects.exists()


def test_another_desks_agent_cannot_reach_this_desks_macros(acme, globex_agent_client, ticket):
    macro = shared_macro(acme, body="Acme wording")
    assert (
        globex_agent_client.get(reverse("tickets:macro_edit", args=[macro.pk])).status_code == 404
    )
    response = globex_agent_client.post(
        reverse("tickets:ticket_macro_apply", args=[ticket.number]), {"macro": macro.pk}
    )
    assert response.status_code == 404


def test_a_customer_cannot_open_the_macro_pages(acme_customer_client):
    response = acme_customer_client.get(reverse("tickets:macro_list"))
    assert response.status_code in (302, 403)


def test_admin_manages_shared_macros_with_placeholder_checks(acme, acme_admin_client):
    response = acme_admin_client.post(
        reverse("admin:tickets_macro_add"),
        {"name": "Welcome", "body": "Hi {nobody}", "add_tags": "", "remove_tags": ""},
    )
    assertContains(response, "unknown placeholder {nobody}")
    response = acme_admin_client.post(
        reverse("admin:tickets_macro_add"),
        {"name": "Welcome", "body": "Hi {requester_name}", "add_tags": "", "remove_tags": ""},
    )
    assert response.status_code == 302
    with tenant_context(acme):
        assert Macro.objects.get().is_shared
