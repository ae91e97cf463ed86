"""`manage.py seed_demo` builds the demo desks and can run again without change."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from django.test import Client

from helpdesk.models import Tenant, User
from helpdesk.tenancy import tenant_context
from tickets import assignment
from tickets import services as ticket_services
from tickets.models import Contact, Organization, Team, Ticket, TicketEvent


def counts() -> dict[str, int]:
    result = {"users": User.objects.count(), "tenants": Tenant.objects.count()}
    for tenant in Tenant.objects.all():
        with tenant_context(tenant):
            result[f"{tenant.slug} tickets"] = Ticket.objects.count()
            result[f"{tenant.slug} tiers"] = Organization.objects.values("tier").distinct().count()
    return result


@pytest.mark.django_db
def test_seeding_twice_changes_nothing_the_second_time():
    call_command("seed_demo")
    first = counts()
    call_command("seed_demo")
    assert counts() == first
    assert first["acme tiers"] == 3
    assert first["acme tickets"] >= 6


@pytest.mark.django_db
def test_demo_tickets_come_from_every_channel():
    call_command("seed_demo")
    with tenant_context(Tenant.objects.get(slug="acme")):
        channels = set(Ticket.objects.values_list("channel", flat=True))
    assert channels == set(Ticket.Channel.values)


@pytest.mark.django_db
def test_demo_logins_work_on_their_desks():
    call_command("seed_demo")
    client = Client(HTTP_HOST="acme.localhost")
    response = client.post(
        "/accounts/login/", {"username": "alice.agent@acme.test", "password": "demo"}
    )
    assert response.status_code == 302
    assert client.get("/workspace/").status_code == 200


@pytest.mark.django_db
def test_demo_tickets_show_what_the_routing_rules_did():
    call_command("seed_demo")
    with tenant_context(Tenant.objects.get(slug="acme")):
        german = Ticket.objects.get(subject__startswith="Rechnung")
        outage = Ticket.objects.get(subject="Order sync API returns 502")
        summaries = list(
            german.events.filter(kind="routed").values_list("data__summary", flat=True)
        )
        assert (german.language, german.team.name) == ("de", "Billing")
    assert "Routed to DACH Support by rule “German requesters to the DACH team”" in summaries[0]
    # The "after hours" rule also tags it when the seed runs outside acme's business hours.
    assert outage.priority == "critical"
    assert "outage" in outage.tags


@pytest.mark.django_db
def test_the_demo_desk_shares_views_and_a_note_mentions_a_manager():
    call_command("seed_demo")
    with tenant_context(Tenant.objects.get(slug="acme")):
        from tickets.models import SavedView, TicketEvent

        assert set(SavedView.objects.filter(is_shared=True).values_list("name", flat=True)) == {
            "Enterprise customers",
            "Critical and high",
        }
        assert TicketEvent.objects.filter(kind="mentioned").exists()


@pytest.mark.django_db
def test_the_demo_shows_hidden_remote_images_and_a_mail_needing_attention():
    call_command("seed_demo")
    client = Client(HTTP_HOST="acme.localhost")
    client.post("/accounts/login/", {"username": "alice.agent@acme.test", "password": "demo"})
    with tenant_context(Tenant.objects.get(slug="acme")):
        ticket = Ticket.objects.get(subject="Screenshot of the error page")
    page = client.get(ticket.get_absolute_url()).content.decode()
    assert "Remote images are hidden" in page
    assert not re.search(r'(?<![-\w])src="https://tracker\.example', page)  # not fetched
    assert 'alt="Our logo"' in page
    attention = client.get("/workspace/mail/").content.decode()
    assert "Invoice question" in attention and "Process again" in attention


@pytest.mark.django_db
def test_demo_teams_give_their_tickets_to_agents_by_strategy():
    call_command("seed_demo")
    with tenant_context(Tenant.objects.get(slug="acme")):
        strategies = set(
            TicketEvent.objects.filter(kind=TicketEvent.Kind.ASSIGNED).values_list(
                "data__strategy", flat=True
            )
        )
    assert {"round_robin", "least_open"} <= strategies


@pytest.mark.django_db
def test_the_benchmark_generator_fills_every_table_it_writes():
    """bench_seed writes rows in SQL: a new NOT NULL column must not break `make bench`."""
    call_command("bench_seed", tenants=2, tickets=300, seed=1)
    with tenant_context(Tenant.objects.get(slug="bench001")):
        assert Ticket.objects.count() > 0


@pytest.mark.django_db
def test_every_open_demo_ticket_has_a_team():
    call_command("seed_demo")
    for tenant in Tenant.objects.all():
        with tenant_context(tenant):
            without = Ticket.objects.filter(status__in=Ticket.OPEN_STATUSES, team=None)
            assert list(without.values_list("subject", flat=True)) == [], tenant.slug


@pytest.mark.django_db
def test_every_demo_team_has_a_lead_and_an_agent_with_room_online():
    call_command("seed_demo")
    for tenant in Tenant.objects.all():
        with tenant_context(tenant):
            for team in Team.objects.all():
                assert team.memberships.filter(is_lead=True).exists(), team.name
                reason = assignment.waiting_reason(
                    ticket=Ticket(team=team, status=Ticket.Status.NEW)
                )
                if team.assignment_strategy != Team.Strategy.MANUAL:
                    assert reason.code == assignment.Waiting.NEXT_IN_LINE, team.name


@pytest.mark.django_db
def test_a_ticket_no_rule_routes_lands_in_the_fallback_team_and_with_an_agent_at_once():
    call_command("seed_demo")
    with tenant_context(Tenant.objects.get(slug="acme")):
        requester = Contact.objects.get(email="dan@corner.test")
        ticket = ticket_services.ticket_open(
            requester=requester, subject="Receipt printer prints blank pages", channel="portal"
        )
        assert ticket.team.name == "L1 Support"  # the desk's fallback team
        assert ticket.assignee is not None
        assert TicketEvent.objects.filter(
            ticket=ticket, kind=TicketEvent.Kind.ASSIGNED, source="assignment"
        ).exists()
