"""Agents work queues: built-in and saved views, filters, keyset pages, counts, bulk changes."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from pytest_django.asserts import assertContains, assertNotContains

from helpdesk.tenancy import Role, tenant_context
from tests.conftest import client_for, member
from tests.factories import ContactFactory, TeamFactory, TeamMemberFactory
from tickets import services
from tickets.models import SavedView, Ticket


def open_ticket(tenant, subject, **fields) -> Ticket:
    with tenant_context(tenant):
        requester = fields.pop("requester", None) or ContactFactory(tenant=tenant)
        return services.ticket_open(
            requester=requester, subject=subject, channel="portal", **fields
        )


def saved(tenant, name) -> SavedView:
    with tenant_context(tenant):
        return SavedView.objects.get(name=name)


def rows(response) -> list[str]:
    return re.findall(r'class="row-link">([A-Z]+-\d+)<', response.content.decode())


def test_my_tickets_lists_what_the_agent_owns_and_nothing_else(acme, acme_agent, acme_agent_client):
    mine = open_ticket(acme, "Mine", assignee=acme_agent)
    open_ticket(acme, "Nobody's")
    page = acme_agent_client.get("/workspace/queues/mine/")
    assert rows(page) == [mine.reference]


def test_unassigned_lists_the_agents_teams_tickets_without_owner(
    acme, acme_team, acme_agent_client
):
    waiting = open_ticket(acme, "Waiting in L1", team=acme_team)
    with tenant_context(acme):
        other_team = TeamFactory(tenant=acme, name="Billing")
    open_ticket(acme, "Billing's", team=other_team)
    assert rows(acme_agent_client.get("/workspace/queues/unassigned/")) == [waiting.reference]


def test_a_team_queue_shows_that_teams_open_tickets(acme, acme_team, acme_agent_client):
    ticket = open_ticket(acme, "Team work", team=acme_team)
    page = acme_agent_client.get(f"/workspace/teams/{acme_team.pk}/")
    assert rows(page) == [ticket.reference]


def test_pages_follow_each_other_without_gaps_or_repeats(acme, acme_team, acme_agent_client):
    made = [open_ticket(acme, f"Ticket {n}", team=acme_team).reference for n in range(120)]
    seen, url = [], f"/workspace/teams/{acme_team.pk}/"
    while url:
        page = acme_agent_client.get(url, headers={"HX-Request": "true"} if seen else {})
        seen += rows(page)
        cursor = re.search(r'hx-get="\?(?:[^"]*&amp;)?after=([\w-]+)"', page.content.decode())
        url = f"/workspace/teams/{acme_team.pk}/?after={cursor.group(1)}" if cursor else ""
    assert seen == list(reversed(made))


def test_most_urgent_first_puts_critical_tickets_on_top(acme, acme_team, acme_agent_client):
    low = open_ticket(acme, "Low", team=acme_team, priority="low")
    critical = open_ticket(acme, "Critical", team=acme_team, priority="critical")
    medium = open_ticket(acme, "Medium", team=acme_team, priority="medium")
    page = acme_agent_client.get(f"/workspace/teams/{acme_team.pk}/?sort=urgent")
    assert rows(page) == [critical.reference, medium.reference, low.reference]


def test_a_garbled_page_cursor_starts_from_the_top(acme, acme_team, acme_agent_client):
    ticket = open_ticket(acme, "Only one", team=acme_team)
    page = acme_agent_client.get(f"/workspace/teams/{acme_team.pk}/?after=%%%garbage")
    assert rows(page) == [ticket.reference]


def test_filters_narrow_a_queue_by_priority_and_text(acme, acme_team, acme_agent_client):
    invoice = open_ticket(acme, "Invoice wrong", team=acme_team, priority="high")
    open_ticket(acme, "Invoice late", team=acme_team, priority="low")
    open_ticket(acme, "Printer", team=acme_team, priority="high")
    page = acme_agent_client.get(
        f"/workspace/teams/{acme_team.pk}/?priority=high&priority=critical&q=invoice"
    )
    assert rows(page) == [invoice.reference]


def test_searching_a_ticket_reference_finds_that_ticket(acme, acme_manager_client):
    wanted = open_ticket(acme, "Needle")
    open_ticket(acme, "Haystack")
    page = acme_manager_client.get(f"/workspace/queues/all/?q={wanted.reference}")
    assert rows(page) == [wanted.reference]


def test_all_tickets_is_for_managers_only(acme, acme_agent_client, acme_manager_client):
    assert acme_agent_client.get("/workspace/queues/all/").status_code == 404
    assert acme_manager_client.get("/workspace/queues/all/").status_code == 200


def test_a_saved_view_keeps_its_filters(acme, acme_agent_client):
    open_ticket(acme, "Calm", priority="low")
    urgent = open_ticket(acme, "Fire", priority="critical")
    response = acme_agent_client.post(
        "/workspace/views/new/", {"name": "Fires", "query": "priority=critical"}
    )
    view = saved(acme, "Fires")
    assert response.url == f"/workspace/views/{view.pk}/"
    assert rows(acme_agent_client.get(response.url)) == [urgent.reference]


def test_a_shared_view_is_seen_by_colleagues_and_a_private_one_is_not(acme, acme_agent_client):
    acme_agent_client.post("/workspace/views/new/", {"name": "Mine only", "query": ""})
    acme_agent_client.post(
        "/workspace/views/new/", {"name": "Team view", "query": "", "is_shared": "on"}
    )
    colleague = client_for(acme, member(acme, "colleague@acme.example", Role.AGENT))
    private = saved(acme, "Mine only")
    shared = saved(acme, "Team view")
    assert colleague.get(f"/workspace/views/{private.pk}/").status_code == 404
    assertContains(colleague.get(f"/workspace/views/{shared.pk}/"), "Team view")
    colleague.post(f"/workspace/views/{shared.pk}/delete/")
    assert saved(acme, "Team view") == shared


def test_queue_counts_show_how_many_tickets_wait(acme, acme_team, acme_agent_client):
    for n in range(3):
        open_ticket(acme, f"Waiting {n}", team=acme_team)
    counts = acme_agent_client.get("/workspace/counts/").content.decode()
    assert re.search(r'id="count-unassigned"[^>]*>3<', counts)
    assert re.search(rf'id="count-team-{acme_team.pk}"[^>]*>3<', counts)


def test_bulk_assign_gives_every_selected_ticket_an_owner(acme, acme_agent, acme_agent_client):
    tickets = [open_ticket(acme, f"Bulk {n}") for n in range(3)]
    acme_agent_client.post(
        "/workspace/bulk/",
        {"tickets": [t.pk for t in tickets], "action": "assign", "agent": acme_agent.pk},
    )
    with tenant_context(acme):
        assert set(Ticket.objects.values_list("assignee", flat=True)) == {acme_agent.pk}


def test_bulk_status_reports_the_tickets_it_could_not_change(acme, acme_agent_client):
    open_one = open_ticket(acme, "Open one")
    closed = open_ticket(acme, "Closed one")
    with tenant_context(acme):
        services.ticket_status_change(ticket=closed, status="closed", by=None)
    response = acme_agent_client.post(
        "/workspace/bulk/",
        {"tickets": [open_one.pk, closed.pk], "action": "status", "status": "pending"},
        follow=True,
    )
    assertContains(response, "1 ticket changed.")
    assertContains(response, f"{closed.reference}: A Closed ticket cannot become Pending.")


def test_bulk_changes_never_touch_another_desks_tickets(
    acme, globex, acme_agent, acme_agent_client
):
    theirs = open_ticket(globex, "Globex ticket")
    acme_agent_client.post(
        "/workspace/bulk/", {"tickets": [theirs.pk], "action": "assign", "agent": acme_agent.pk}
    )
    with tenant_context(globex):
        assert Ticket.objects.get(pk=theirs.pk).assignee_id is None


def test_another_desks_team_queue_and_views_are_not_found(
    acme, globex, acme_agent_client, globex_agent_client
):
    acme_agent_client.post(
        "/workspace/views/new/", {"name": "Acme view", "query": "", "is_shared": "on"}
    )
    view = saved(acme, "Acme view")
    with tenant_context(acme):
        team = TeamFactory(tenant=acme, name="Acme team")
    assert globex_agent_client.get(f"/workspace/teams/{team.pk}/").status_code == 404
    assert globex_agent_client.get(f"/workspace/views/{view.pk}/").status_code == 404


# --- merge, spam, mentions, collisions ---------------------------------------------------------


def test_merging_moves_the_conversation_and_closes_the_merged_ticket(
    acme, acme_agent, acme_agent_client
):
    requester = ContactFactory(tenant=acme, email="ann@example.com")
    first = open_ticket(acme, "Printer broken", requester=requester, description="It smokes")
    second = open_ticket(acme, "Printer still broken", requester=requester)
    response = acme_agent_client.post(
        f"/workspace/tickets/{first.number}/merge/",
        {"target": second.reference, "confirmed": "1"},
    )
    assert response.url == f"/workspace/tickets/{second.number}/"
    assertContains(acme_agent_client.get(response.url), "It smokes")
    with tenant_context(acme):
        first.refresh_from_db()
        assert (first.status, first.merged_into_id) == ("closed", second.pk)


def test_a_reply_to_a_merged_ticket_lands_on_the_ticket_it_was_merged_into(acme, acme_agent):
    requester = ContactFactory(tenant=acme, email="ann@example.com")
    first = open_ticket(acme, "One", requester=requester)
    second = open_ticket(acme, "Two", requester=requester)
    with tenant_context(acme):
        services.ticket_merge(source=first, target=second, by=acme_agent)
        message = services.ticket_reply_add(
            ticket=first, text="Any news?", channel="email", author_contact=requester
        )
    assert message.ticket_id == second.pk


def test_a_ticket_cannot_be_merged_into_itself(acme, acme_agent_client):
    ticket = open_ticket(acme, "Alone")
    response = acme_agent_client.post(
        f"/workspace/tickets/{ticket.number}/merge/", {"target": ticket.reference}, follow=True
    )
    assertContains(response, "A ticket cannot be merged into itself.")


def test_spam_leaves_the_queues_and_the_blocked_sender_gets_no_acknowledgement(
    acme, acme_team, acme_agent_client
):
    spammer = ContactFactory(tenant=acme, email="spam@example.com")
    ticket = open_ticket(acme, "Cheap pills", requester=spammer, team=acme_team)
    acme_agent_client.post(f"/workspace/tickets/{ticket.number}/spam/", {"block": "1"})
    assertNotContains(acme_agent_client.get("/workspace/"), "Cheap pills")
    with tenant_context(acme):
        spammer.refresh_from_db()  # as every channel finds the sender anew
    again = open_ticket(acme, "More pills", requester=spammer, team=acme_team)
    with tenant_context(acme):
        again.refresh_from_db()
        assert (again.is_spam, again.status) == (True, "closed")
        assert again.acknowledgement.via == "none"


def test_a_note_mentioning_a_colleague_mails_them_once(
    acme, acme_agent, acme_agent_client, mailoutbox, django_capture_on_commit_callbacks
):
    colleague = member(acme, "bea.klein@acme.example", Role.AGENT)
    ticket = open_ticket(acme, "Need help")
    with django_capture_on_commit_callbacks(execute=True):
        acme_agent_client.post(
            f"/workspace/tickets/{ticket.number}/compose/",
            {"kind": "note", "text": "@bea.klein can you look at the VPN logs?"},
        )
    mails = [mail for mail in mailoutbox if colleague.email in mail.to[0]]
    assert len(mails) == 1
    assert "VPN logs" in mails[0].body
    with tenant_context(acme):
        from tickets.tasks import send_mention_notification

        event = ticket.events.get(kind="mentioned")
        send_mention_notification(acme.pk, event.pk)
    assert len([mail for mail in mailoutbox if colleague.email in mail.to[0]]) == 1


def test_a_reply_written_while_someone_else_replied_is_held_back_with_a_warning(
    acme, acme_agent, acme_agent_client
):
    ticket = open_ticket(acme, "Collision")
    page = acme_agent_client.get(f"/workspace/tickets/{ticket.number}/").content.decode()
    seen = re.search(r'name="seen" value="(\d+)"', page).group(1)
    colleague = member(acme, "fast@acme.example", Role.AGENT)
    with tenant_context(acme):
        services.ticket_reply_add(
            ticket=ticket, text="Already answered", channel="portal", author_user=colleague
        )
    late = {"kind": "public", "text": "My answer", "seen": seen}
    response = acme_agent_client.post(f"/workspace/tickets/{ticket.number}/compose/", late)
    assert response.status_code == 409
    assertContains(response, "Someone replied while you were writing", status_code=409)
    assertContains(response, "My answer", status_code=409)  # the draft is kept
    resent = re.search(r'name="seen" value="(\d+)"', response.content.decode()).group(1)
    again = acme_agent_client.post(
        f"/workspace/tickets/{ticket.number}/compose/", {**late, "seen": resent}
    )
    assert again.status_code == 302
    with tenant_context(acme):
        assert ticket.messages.filter(body_text="My answer").exists()


@pytest.mark.parametrize("url", ["/workspace/queues/nonsense/", "/workspace/views/999999/"])
def test_unknown_queues_are_not_found(acme_agent_client, url):
    assert acme_agent_client.get(url).status_code == 404


# --- SLA in the queues ---------------------------------------------------------------------------


@pytest.fixture
def acme_sla(acme):
    from sla import services as sla_services

    with tenant_context(acme):
        sla_services.sla_defaults_create(time_zone="Europe/Berlin")


def test_breaching_soon_lists_the_ticket_due_first_on_top(acme, acme_sla, acme_agent_client):
    import time_machine
    from django.utils import timezone

    from sla import services as sla_services

    relaxed = open_ticket(acme, "Relaxed", priority="low")
    urgent = open_ticket(acme, "Urgent", priority="critical")
    with time_machine.travel(timezone.now() + timedelta(days=30), tick=False), tenant_context(acme):
        sla_services.clocks_sweep(now=timezone.now())  # both past due: both listed
    page = acme_agent_client.get("/workspace/queues/breaching/")
    assert rows(page) == [urgent.reference, relaxed.reference]


def test_a_ticket_past_its_due_time_is_found_by_the_breached_filter(
    acme, acme_sla, acme_manager_client
):
    import time_machine
    from django.utils import timezone

    from sla import services as sla_services

    late = open_ticket(acme, "Late", priority="critical")
    with time_machine.travel(timezone.now() + timedelta(days=30), tick=False), tenant_context(acme):
        sla_services.clocks_sweep(now=timezone.now())
    open_ticket(acme, "Fresh", priority="low")
    page = acme_manager_client.get("/workspace/queues/all/?sla=breached")
    assert late.reference in rows(page)
    assert "Fresh" not in page.content.decode()


def test_queue_rows_show_when_the_next_sla_target_is_due(acme, acme_sla, acme_agent_client):
    open_ticket(acme, "Timed", priority="high")
    assertContains(acme_agent_client.get("/workspace/"), 'class="due')


def test_a_macro_applied_in_bulk_answers_every_selected_ticket(acme, acme_agent, acme_agent_client):
    from tickets.models import Macro

    with tenant_context(acme):
        macro = Macro.objects.create(name="Thanks", body="Thank you, {requester_name}!")
    tickets = [open_ticket(acme, f"Question {n}") for n in range(2)]
    acme_agent_client.post(
        "/workspace/bulk/",
        {"tickets": [t.pk for t in tickets], "action": "macro", "macro": macro.pk},
    )
    with tenant_context(acme):
        for ticket in tickets:
            assert ticket.messages.filter(body_text__startswith="Thank you,").exists()


def test_the_workspace_shows_which_teammates_are_online(
    acme, acme_team, acme_agent, acme_agent_client
):
    from tickets import assignment

    colleague = member(acme, "carl@acme.example", Role.AGENT)
    with tenant_context(acme):
        TeamMemberFactory(tenant=acme, team=acme_team, user=colleague)
        assignment.agent_availability_set(agent=colleague, availability="online")
    panel = acme_agent_client.get("/workspace/teammates/").content.decode()
    online = rf'availability-online" aria-hidden="true"></span> {re.escape(str(colleague))}'
    assert re.search(online, panel)


# --- private teams (an internal HR desk beside the customer desk) ---------------------------


@pytest.fixture
def hr_ticket(acme):
    with tenant_context(acme):
        hr = TeamFactory(tenant=acme, name="HR", department="HR", is_private=True)
    return open_ticket(acme, "Salary question", team=hr), hr


def test_agents_outside_a_private_team_cannot_open_or_list_its_tickets(
    acme, hr_ticket, acme_agent_client
):
    ticket, hr = hr_ticket
    assert acme_agent_client.get(f"/workspace/tickets/{ticket.number}/").status_code == 404
    assert acme_agent_client.get(f"/workspace/teams/{hr.pk}/").status_code == 404
    assertNotContains(acme_agent_client.get("/workspace/queues/unassigned/"), "Salary question")


def test_members_of_a_private_team_and_managers_see_its_tickets(
    acme, hr_ticket, acme_manager_client
):
    ticket, hr = hr_ticket
    hr_agent = member(acme, "hilda@acme.example", Role.AGENT)
    with tenant_context(acme):
        TeamMemberFactory(tenant=acme, team=hr, user=hr_agent)
    hr_client = client_for(acme, hr_agent)
    assertContains(hr_client.get(f"/workspace/teams/{hr.pk}/"), "Salary question")
    assert hr_client.get(f"/workspace/tickets/{ticket.number}/").status_code == 200
    assert acme_manager_client.get(f"/workspace/tickets/{ticket.number}/").status_code == 200


def test_bulk_changes_skip_a_private_teams_tickets(acme, acme_agent, hr_ticket, acme_agent_client):
    ticket, _hr = hr_ticket
    acme_agent_client.post(
        "/workspace/bulk/", {"tickets": [ticket.pk], "action": "assign", "agent": acme_agent.pk}
    )
    with tenant_context(acme):
        assert Ticket.objects.get(pk=ticket.pk).assignee_id is None
