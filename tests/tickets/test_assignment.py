"""Teams hand their tickets to available agents under capacity, by their strategy."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from django.db import connection
from pytest_django.asserts import assertContains

from helpdesk.models import Tenant, User
from helpdesk.tenancy import Role, tenant_context
from tests.conftest import client_for, member
from tests.factories import AgentProfileFactory, ContactFactory, TeamFactory, TeamMemberFactory
from tickets import assignment, services
from tickets.models import AgentProfile, Team, Ticket, TicketEvent
from tickets.tasks import assignment_sweep

ONLINE, AWAY, OFFLINE = "online", "away", "offline"


def agent(tenant: Tenant, name: str, *teams: Team, availability: str = ONLINE, **profile) -> User:
    """A staff member of `tenant` in `teams`, with an agent profile."""
    user = member(tenant, f"{name}@{tenant.slug}.example", Role.AGENT)
    for team in teams:
        TeamMemberFactory(tenant=tenant, team=team, user=user)
    AgentProfileFactory(tenant=tenant, user=user, availability=availability, **profile)
    return user


def team(tenant: Tenant, strategy: str, name: str = "L1 Support") -> Team:
    return TeamFactory(tenant=tenant, name=name, assignment_strategy=strategy)


def open_ticket(tenant: Tenant, team: Team | None, subject: str = "Help", **fields) -> Ticket:
    with tenant_context(tenant):
        requester = ContactFactory.build(tenant=tenant)
        requester.save()
        return services.ticket_open(
            requester=requester, subject=subject, channel="portal", team=team, **fields
        )


def owner(tenant: Tenant, ticket: Ticket) -> User | None:
    with tenant_context(tenant):
        return Ticket.objects.select_related("assignee").get(pk=ticket.pk).assignee


# --- strategies -----------------------------------------------------------------------------


def test_round_robin_gives_tickets_to_agents_in_turn(acme):
    queue = team(acme, "round_robin")
    agents = [agent(acme, name, queue) for name in ("ann", "ben", "cem")]
    owners = [open_ticket(acme, queue).assignee for _ in range(6)]
    assert owners == agents + agents


def test_an_auto_assigned_ticket_is_open_and_its_event_names_the_strategy(acme):
    queue = team(acme, "round_robin")
    ann = agent(acme, "ann", queue)
    ticket = open_ticket(acme, queue)
    with tenant_context(acme):
        event = ticket.events.get(kind=TicketEvent.Kind.ASSIGNED)
        assert Ticket.objects.get(pk=ticket.pk).status == Ticket.Status.OPEN
    assert (event.source, event.data["new"], event.data["strategy"]) == (
        "assignment",
        ann.pk,
        "round_robin",
    )


def test_least_open_gives_the_ticket_to_the_agent_with_fewest_open_tickets(acme):
    queue = team(acme, "least_open")
    busy, free = agent(acme, "busy", queue), agent(acme, "free", queue)
    open_ticket(acme, None, assignee=busy)
    open_ticket(acme, None, assignee=busy)
    assert open_ticket(acme, queue).assignee == free


def test_skills_prefer_the_agent_who_speaks_the_language_and_knows_the_product(acme):
    queue = team(acme, "skills")
    agent(acme, "english", queue, languages=["en"], skills=["sap"])
    agent(acme, "anyone", queue)
    expert = agent(acme, "expert", queue, languages=["de"], skills=["sap", "billing"])
    ticket = open_ticket(acme, queue, language="de-AT", tags=["SAP"])
    assert ticket.assignee == expert


def test_skills_never_give_a_ticket_to_an_agent_who_does_not_speak_its_language(acme):
    queue = team(acme, "skills")
    agent(acme, "english", queue, languages=["en"])
    assert open_ticket(acme, queue, language="fr").assignee is None


def test_an_explicit_strategy_overrides_the_teams_own(acme):
    queue = team(acme, "manual")
    ann = agent(acme, "ann", queue)
    with tenant_context(acme):
        ticket = Ticket(team=queue, subject="Routed by a rule")
        assert assignment.assignee_pick(ticket=ticket, team=queue, strategy="least_open") == ann


# --- availability and capacity ----------------------------------------------------------------


def test_away_and_offline_agents_get_no_new_tickets_and_the_ticket_waits(acme):
    queue = team(acme, "round_robin")
    agent(acme, "away", queue, availability=AWAY)
    agent(acme, "gone", queue, availability=OFFLINE)
    ticket = open_ticket(acme, queue)
    assert (ticket.assignee, ticket.status) == (None, Ticket.Status.NEW)


def test_an_agent_at_capacity_gets_no_more_tickets(acme):
    queue = team(acme, "least_open")
    agent(acme, "ann", queue, capacity=2)
    owners = [open_ticket(acme, queue).assignee for _ in range(3)]
    assert [user is not None for user in owners] == [True, True, False]


def test_solved_tickets_no_longer_count_against_capacity(acme):
    queue = team(acme, "least_open")
    ann = agent(acme, "ann", queue, capacity=1)
    solved = open_ticket(acme, None, assignee=ann)
    with tenant_context(acme):
        services.ticket_status_change(ticket=solved, status="solved", by=ann)
    assert open_ticket(acme, queue).assignee == ann


def test_a_former_agent_of_the_desk_gets_no_tickets(acme):
    queue = team(acme, "round_robin")
    former = agent(acme, "former", queue)
    with tenant_context(acme):
        former.memberships.update(is_active=False)
    assert open_ticket(acme, queue).assignee is None


def test_an_automatic_team_costs_intake_a_few_queries(acme, django_assert_max_num_queries):
    queue = team(acme, "round_robin")
    agent(acme, "ann", queue)
    with tenant_context(acme):
        requester = ContactFactory.build(tenant=acme)
        requester.save()
        services.ticket_open(requester=requester, subject="Warm", channel="api", team=queue)
        with django_assert_max_num_queries(6):  # locks, candidates, recount, turn, the insert
            services.ticket_open(requester=requester, subject="Hi", channel="api", team=queue)


# --- waiting tickets are given out later ------------------------------------------------------


def test_an_agent_coming_online_gets_waiting_tickets_up_to_capacity(acme):
    queue = team(acme, "round_robin")
    ann = agent(acme, "ann", queue, availability=OFFLINE, capacity=2)
    waiting = [open_ticket(acme, queue, f"Waiting {n}") for n in range(3)]
    with tenant_context(acme):
        assignment.agent_availability_set(agent=ann, availability=ONLINE)
    assert [owner(acme, ticket) for ticket in waiting] == [ann, ann, None]


def test_the_most_urgent_waiting_ticket_is_given_out_first(acme):
    queue = team(acme, "round_robin")
    ann = agent(acme, "ann", queue, availability=OFFLINE, capacity=1)
    open_ticket(acme, queue, "Low", priority="low")
    urgent = open_ticket(acme, queue, "Down", priority="critical")
    with tenant_context(acme):
        assignment.agent_availability_set(agent=ann, availability=ONLINE)
    assert owner(acme, urgent) == ann


def test_solving_a_ticket_gives_the_agent_the_next_waiting_one(
    acme, django_capture_on_commit_callbacks
):
    queue = team(acme, "round_robin")
    ann = agent(acme, "ann", queue, capacity=1)
    first = open_ticket(acme, queue, "First")
    waiting = open_ticket(acme, queue, "Second")
    assert (first.assignee, waiting.assignee) == (ann, None)
    with django_capture_on_commit_callbacks(execute=True), tenant_context(acme):
        services.ticket_status_change(ticket=first, status="solved", by=ann)
    assert owner(acme, waiting) == ann


def test_reassigning_a_ticket_frees_the_agents_room(acme, django_capture_on_commit_callbacks):
    queue = team(acme, "round_robin")
    ann = agent(acme, "ann", queue, capacity=1)
    boss = member(acme, "boss@acme.example", Role.MANAGER)
    first = open_ticket(acme, queue, "First")
    waiting = open_ticket(acme, queue, "Second")
    with django_capture_on_commit_callbacks(execute=True), tenant_context(acme):
        services.ticket_assign(ticket=first, agent=boss, by=boss)
    assert owner(acme, waiting) == ann


def test_the_sweep_gives_out_tickets_whose_moment_was_missed(acme):
    queue = team(acme, "round_robin")
    ann = agent(acme, "ann", queue, availability=OFFLINE)
    waiting = open_ticket(acme, queue)
    with tenant_context(acme):  # online without the service: as if its drain had failed
        AgentProfile.objects.filter(user=ann).update(availability=ONLINE)
    assignment_sweep()
    assert owner(acme, waiting) == ann


def test_a_ticket_moved_unassigned_into_an_automatic_team_gets_an_agent(acme, acme_agent):
    queue = team(acme, "least_open")
    ann = agent(acme, "ann", queue)
    ticket = open_ticket(acme, None)
    with tenant_context(acme):
        services.ticket_update(ticket=ticket, by=acme_agent, team=queue)
    assert owner(acme, ticket) == ann


def test_assigning_a_ticket_to_an_automatic_team_without_an_agent_picks_one(acme, acme_agent):
    queue = team(acme, "least_open")
    ann = agent(acme, "ann", queue)
    ticket = open_ticket(acme, None)
    with tenant_context(acme):
        services.ticket_assign(ticket=ticket, agent=None, team=queue, by=acme_agent)
        event = ticket.events.filter(kind=TicketEvent.Kind.ASSIGNED).get()
    assert (owner(acme, ticket), event.data["strategy"]) == (ann, "least_open")


# --- concurrency: real connections, one per thread --------------------------------------------


def open_at_once(tenant: Tenant, teams: list[Team], per_thread: int) -> list[Ticket]:
    """Each team's thread opens `per_thread` tickets, all threads starting together."""
    start = threading.Barrier(len(teams))
    opened: list[Ticket] = []
    errors: list[BaseException] = []

    def work(queue: Team) -> None:
        try:
            start.wait()
            for n in range(per_thread):
                opened.append(open_ticket(tenant, queue, f"Burst {n}"))
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(queue,)) for queue in teams]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return sorted(opened, key=lambda ticket: ticket.number)


@pytest.mark.django_db(transaction=True)
def test_tickets_arriving_at_once_go_round_in_turn_and_never_over_capacity(acme):
    queue = team(acme, "round_robin")
    agents = [agent(acme, name, queue, capacity=3) for name in ("ann", "ben", "cem", "dov")]
    tickets = open_at_once(acme, [queue] * 4, per_thread=4)
    owners = [ticket.assignee for ticket in tickets]
    assert owners == agents * 3 + [None] * 4  # in number order: every turn once, then full


@pytest.mark.django_db(transaction=True)
def test_an_agent_of_two_teams_is_never_pushed_over_capacity_by_both_at_once(acme):
    first, second = team(acme, "least_open", "Billing"), team(acme, "least_open", "Finance")
    shared = agent(acme, "shared", first, second, capacity=3)
    tickets = open_at_once(acme, [first, second] * 3, per_thread=3)
    with tenant_context(acme):
        owned = Ticket.objects.filter(assignee=shared, status__in=Ticket.OPEN_STATUSES).count()
    assert (owned, sum(ticket.assignee is not None for ticket in tickets)) == (3, 3)


@pytest.mark.django_db(transaction=True)
def test_a_pick_waiting_for_an_agent_counts_the_ticket_another_team_just_gave_them(acme):
    billing, finance = team(acme, "least_open", "Billing"), team(acme, "least_open", "Finance")
    agent(acme, "shared", billing, finance, capacity=1)
    billing_picked, finance_started = threading.Event(), threading.Event()
    opened: dict[str, Ticket] = {}

    def billing_ticket() -> None:
        try:
            with tenant_context(acme):  # one transaction: the agent stays locked until its end
                opened["billing"] = open_ticket(acme, billing)
                billing_picked.set()
                finance_started.wait(timeout=10)
                time.sleep(0.5)  # the finance pick is now waiting for the agent
        finally:
            connection.close()

    def finance_ticket() -> None:
        try:
            billing_picked.wait(timeout=10)
            finance_started.set()
            opened["finance"] = open_ticket(acme, finance)
        finally:
            connection.close()

    threads = [threading.Thread(target=billing_ticket), threading.Thread(target=finance_ticket)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert (opened["billing"].assignee is not None, opened["finance"].assignee) == (True, None)


# --- the availability switch -----------------------------------------------------------------


def test_an_agent_goes_online_from_the_workspace(acme, acme_agent, acme_agent_client):
    response = acme_agent_client.post("/workspace/availability/", {"availability": ONLINE})
    assert response.status_code == 302
    with tenant_context(acme):
        assert assignment.agent_availability(agent=acme_agent) == ONLINE


def test_the_switch_answers_htmx_with_itself(acme_agent_client):
    response = acme_agent_client.post(
        "/workspace/availability/", {"availability": AWAY}, HTTP_HX_REQUEST="true"
    )
    assertContains(response, 'value="away" class="availability-away" aria-pressed="true"')


def test_staff_pages_show_the_switch(acme_agent_client):
    assertContains(acme_agent_client.get("/workspace/"), 'id="availability"')


def test_customers_have_no_availability(acme_customer_client):
    response = acme_customer_client.post("/workspace/availability/", {"availability": ONLINE})
    assert response.status_code == 403


def test_an_agent_of_another_desk_cannot_go_online_here(acme, globex_agent):
    response = client_for(acme, globex_agent).post(
        "/workspace/availability/", {"availability": ONLINE}
    )
    assert response.status_code == 403
    with tenant_context(acme):
        assert not AgentProfile.objects.exists()


@pytest.mark.django_db(transaction=True)
async def test_the_desk_hears_when_an_agent_goes_online(acme, acme_agent, acme_agent_client):
    from tests.helpdesk.test_live import connected, socket

    communicator = socket("acme.localhost", acme_agent_client)
    assert await connected(communicator)

    def go_online() -> None:
        try:
            with tenant_context(acme):
                assignment.agent_availability_set(agent=acme_agent, availability=ONLINE)
        finally:
            connection.close()

    await asyncio.to_thread(go_online)
    event = await communicator.receive_json_from(timeout=5)
    assert (event["type"], event["agent"], event["availability"]) == (
        "agent.status_changed",
        acme_agent.pk,
        ONLINE,
    )
    await communicator.disconnect()


# --- settings --------------------------------------------------------------------------------


def test_a_tenant_admin_sets_a_teams_strategy_and_an_agents_capacity(
    acme, acme_admin_client, acme_agent
):
    queue = team(acme, "manual")
    page = acme_admin_client.get(f"/admin/tickets/team/{queue.pk}/change/")
    assertContains(page, 'name="assignment_strategy"')
    response = acme_admin_client.post(
        "/admin/tickets/agentprofile/add/",
        {"user": acme_agent.pk, "availability": OFFLINE, "capacity": 4,
         "skills": "SAP, Billing", "languages": "de,en"},
    )  # fmt: skip
    assert response.status_code == 302
    with tenant_context(acme):
        profile = AgentProfile.objects.get(user=acme_agent)
    assert (profile.capacity, profile.skills, profile.languages) == (
        4,
        ["billing", "sap"],
        ["de", "en"],
    )


def test_an_agent_has_one_profile_per_desk(acme, acme_admin_client, acme_agent):
    AgentProfileFactory(tenant=acme, user=acme_agent)
    response = acme_admin_client.post(
        "/admin/tickets/agentprofile/add/",
        {"user": acme_agent.pk, "availability": OFFLINE, "capacity": 4},
    )
    assertContains(response, "This agent has a profile already.")
