"""A ticket nobody owns says why it waits, on its page and in the queue, until it has an owner."""

from __future__ import annotations

from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from helpdesk.models import Tenant, User
from helpdesk.tenancy import Role, tenant_context
from tests.conftest import member
from tests.factories import AgentProfileFactory, ContactFactory, TeamFactory, TeamMemberFactory
from tickets import assignment, services
from tickets.models import Team, Ticket

ONLINE, AWAY, OFFLINE = "online", "away", "offline"


def agent(tenant: Tenant, name: str, *teams: Team, availability: str = ONLINE, **profile) -> User:
    user = member(tenant, f"{name}@{tenant.slug}.example", Role.AGENT)
    for team in teams:
        TeamMemberFactory(tenant=tenant, team=team, user=user)
    AgentProfileFactory(tenant=tenant, user=user, availability=availability, **profile)
    return user


def team(tenant: Tenant, strategy: str, name: str = "L2 Support") -> Team:
    return TeamFactory(tenant=tenant, name=name, assignment_strategy=strategy)


def open_ticket(tenant: Tenant, team: Team | None, subject: str = "Help", **fields) -> Ticket:
    with tenant_context(tenant):
        requester = ContactFactory.build(tenant=tenant)
        requester.save()
        return services.ticket_open(
            requester=requester, subject=subject, channel="portal", team=team, **fields
        )


def reason(tenant: Tenant, ticket: Ticket) -> str | None:
    with tenant_context(tenant):
        ticket = Ticket.objects.select_related("team").get(pk=ticket.pk)
        waiting = assignment.waiting_reason(ticket=ticket)
        return None if waiting is None else waiting.message


def test_a_ticket_waits_because_every_agent_of_its_team_is_at_capacity(acme):
    queue = team(acme, "round_robin")
    agent(acme, "ann", queue, capacity=1)
    open_ticket(acme, queue, "First")
    waiting = open_ticket(acme, queue, "Second")
    assert reason(acme, waiting) == "Waiting: every agent of L2 Support is at capacity."


def test_a_ticket_waits_because_nobody_of_its_team_is_online(acme):
    queue = team(acme, "least_open")
    agent(acme, "ann", queue, availability=AWAY)
    agent(acme, "ben", queue, availability=OFFLINE)
    waiting = open_ticket(acme, queue)
    assert reason(acme, waiting) == "Waiting: nobody of L2 Support is online."


def test_a_ticket_waits_because_its_team_has_no_agents(acme):
    queue = team(acme, "round_robin")
    waiting = open_ticket(acme, queue)
    assert reason(acme, waiting) == "Waiting: L2 Support has no agents."


def test_a_former_agent_does_not_count_as_an_agent_of_the_team(acme):
    queue = team(acme, "round_robin")
    former = agent(acme, "former", queue, availability=OFFLINE)
    with tenant_context(acme):
        former.memberships.update(is_active=False)
    waiting = open_ticket(acme, queue)
    assert reason(acme, waiting) == "Waiting: L2 Support has no agents."


def test_a_ticket_waits_because_auto_assignment_is_off_for_its_team(acme):
    queue = team(acme, "manual")
    agent(acme, "ann", queue)
    waiting = open_ticket(acme, queue)
    assert reason(acme, waiting) == (
        "Waiting: auto-assignment is off for L2 Support; take it from the queue."
    )


def test_a_ticket_waits_because_no_available_agent_speaks_its_language(acme):
    queue = team(acme, "skills")
    agent(acme, "ann", queue, languages=["en"])
    waiting = open_ticket(acme, queue, language="fr")
    assert reason(acme, waiting) == "Waiting: no available agent of L2 Support speaks French."


def test_a_ticket_without_a_team_waits_for_one(acme):
    waiting = open_ticket(acme, None)
    assert reason(acme, waiting) == "Waiting: no team has this ticket yet."


def test_a_ticket_with_an_owner_is_not_waiting(acme):
    queue = team(acme, "round_robin")
    agent(acme, "ann", queue)
    owned = open_ticket(acme, queue)
    assert owned.assignee is not None
    assert reason(acme, owned) is None


def test_the_reason_goes_when_capacity_frees_and_the_ticket_is_assigned(
    acme, django_capture_on_commit_callbacks
):
    queue = team(acme, "round_robin")
    ann = agent(acme, "ann", queue, capacity=1)
    first = open_ticket(acme, queue, "First")
    waiting = open_ticket(acme, queue, "Second")
    assert reason(acme, waiting) == "Waiting: every agent of L2 Support is at capacity."
    with django_capture_on_commit_callbacks(execute=True), tenant_context(acme):
        services.ticket_status_change(ticket=first, status="solved", by=ann)
    assert reason(acme, waiting) is None


def test_the_reason_follows_the_team_when_an_agent_goes_offline(acme):
    queue = team(acme, "round_robin")
    ann = agent(acme, "ann", queue, capacity=1)
    open_ticket(acme, queue, "First")
    waiting = open_ticket(acme, queue, "Second")
    with tenant_context(acme):
        assignment.agent_availability_set(agent=ann, availability=OFFLINE)
    assert reason(acme, waiting) == "Waiting: nobody of L2 Support is online."


# --- where agents read it --------------------------------------------------------------------


def test_the_ticket_page_says_why_the_ticket_waits(acme, acme_agent, acme_agent_client):
    queue = team(acme, "round_robin")
    TeamMemberFactory(tenant=acme, team=queue, user=acme_agent)
    waiting = open_ticket(acme, queue, "Nobody here")
    response = acme_agent_client.get(waiting.get_absolute_url())
    assertContains(response, "Waiting: nobody of L2 Support is online.")


def test_the_team_queue_says_why_each_ticket_waits(acme, acme_agent, acme_agent_client):
    queue = team(acme, "round_robin")
    TeamMemberFactory(tenant=acme, team=queue, user=acme_agent)
    AgentProfileFactory(tenant=acme, user=acme_agent, availability=ONLINE, capacity=1)
    open_ticket(acme, queue, "Taken")
    open_ticket(acme, queue, "Left over")
    response = acme_agent_client.get(reverse("tickets:team_queue", args=[queue.pk]))
    assertContains(response, "Waiting: every agent of L2 Support is at capacity.", count=1)


def test_the_ticket_page_of_an_owned_ticket_shows_no_waiting_reason(
    acme, acme_agent, acme_agent_client
):
    queue = team(acme, "round_robin")
    TeamMemberFactory(tenant=acme, team=queue, user=acme_agent)
    AgentProfileFactory(tenant=acme, user=acme_agent, availability=ONLINE)
    owned = open_ticket(acme, queue, "Mine now")
    response = acme_agent_client.get(owned.get_absolute_url())
    assertNotContains(response, "Waiting:")


def test_the_ticket_pages_alerts_region_answers_alone_and_not_across_desks(
    acme, acme_agent, acme_agent_client, globex_agent_client
):
    queue = team(acme, "manual")
    waiting = open_ticket(acme, queue, "Region")
    headers = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "alerts-region"}
    response = acme_agent_client.get(waiting.get_absolute_url(), **headers)
    assertContains(response, "Waiting: auto-assignment is off for L2 Support")
    assertNotContains(response, "<html")
    assert globex_agent_client.get(waiting.get_absolute_url(), **headers).status_code == 404
