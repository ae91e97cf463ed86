"""A desk an operator opens is usable at once: calendar, SLA policies, a fallback team and an
invited first admin who sets a password from the invitation mail and goes to work."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from django.test import Client
from pytest_django.asserts import assertContains

from helpdesk.models import Membership, Tenant, User
from helpdesk.tenancy import Role, tenant_context
from sla.models import BusinessCalendar, SlaClock, SlaPolicy
from tests.factories import ContactFactory
from tickets import services as ticket_services
from tickets.models import DeskSettings, Team

NEW_PASSWORD = "a brand new secret 42"


@pytest.fixture
def operator_client(db) -> Client:
    operator = User.objects.create_superuser("ops@example.com", "x")
    client = Client(HTTP_HOST="localhost")
    client.force_login(operator)
    return client


def open_desk_in_admin(client: Client, **fields: str):
    form = {
        "slug": "initech",
        "name": "Initech",
        "ticket_prefix": "INI",
        "time_zone": "Europe/Berlin",
        "language": "en",
        "brand_color": "#1f4e8c",
        "is_active": "on",
        "admin_email": "peter@initech.example",
        "admin_name": "Peter Gibbons",
        "domains-TOTAL_FORMS": "0",
        "domains-INITIAL_FORMS": "0",
        "domains-MIN_NUM_FORMS": "0",
        "domains-MAX_NUM_FORMS": "1000",
        **fields,
    }
    return client.post("/admin/helpdesk/tenant/add/", form)


def invitation_link(mailoutbox) -> str:
    [invitation] = mailoutbox
    assert invitation.to == ["peter@initech.example"]
    found = re.search(r"https://initech\.localhost(/accounts/\S+)", invitation.body)
    assert found is not None, invitation.body
    return found.group(1)


def test_the_operators_create_form_asks_for_the_first_admin(operator_client):
    page = operator_client.get("/admin/helpdesk/tenant/add/")
    assertContains(page, 'name="admin_email"')
    assertContains(page, 'name="admin_name"')


def test_a_desk_opened_in_admin_invites_its_first_admin_by_mail(
    operator_client, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = open_desk_in_admin(operator_client)
    assert response.status_code == 302
    assert "Initech" in mailoutbox[0].subject
    assert "Peter Gibbons" in mailoutbox[0].body
    invitation_link(mailoutbox)


def test_a_new_desk_works_for_its_first_admin_without_touching_the_database(
    operator_client, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        open_desk_in_admin(operator_client)
    desk = Client(HTTP_HOST="initech.localhost")
    form_page = desk.get(invitation_link(mailoutbox), follow=True)
    assertContains(form_page, "new_password1")
    landed = desk.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )
    assert landed.status_code == 200
    assertContains(desk.get("/admin/"), "Teams")  # logged in, as the desk's admin

    again = Client(HTTP_HOST="initech.localhost")
    response = again.post(
        "/accounts/login/", {"username": "peter@initech.example", "password": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assertContains(again.get("/admin/tickets/team/"), "Support")
    assertContains(again.get("/admin/sla/slapolicy/"), "Standard (business hours)")
    assertContains(again.get("/admin/sla/slapolicy/matrix/"), "Premium")
    assertContains(again.get("/admin/sla/businesscalendar/"), "Office hours")

    initech = Tenant.objects.get(slug="initech")
    with tenant_context(initech):
        assert Membership.objects.get(user__email="peter@initech.example").role == Role.ADMIN
        ticket = ticket_services.ticket_open(
            requester=ContactFactory(tenant=initech), subject="Stapler missing", channel="email"
        )
        assert ticket.team.name == "Support"
        assert SlaClock.objects.filter(ticket=ticket).exists()


def test_a_new_desk_gets_office_hours_in_its_own_time_zone(
    operator_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        open_desk_in_admin(operator_client)
    with tenant_context(Tenant.objects.get(slug="initech")):
        office = BusinessCalendar.objects.get(is_default=True)
        assert office.time_zone == "Europe/Berlin"
        assert sorted(office.working_hours.values_list("weekday", flat=True)) == [0, 1, 2, 3, 4]
        tiers = set(SlaPolicy.objects.values_list("tier", flat=True))
        assert tiers == {"enterprise", "premium", ""}
        assert DeskSettings.objects.get().fallback_team == Team.objects.get(name="Support")


def test_the_invitation_link_works_once(
    operator_client, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        open_desk_in_admin(operator_client)
    link = invitation_link(mailoutbox)
    desk = Client(HTTP_HOST="initech.localhost")
    form_page = desk.get(link, follow=True)
    desk.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    later = Client(HTTP_HOST="initech.localhost").get(link, follow=True)
    assert "new_password1" not in later.content.decode()


def test_an_operator_opens_a_desk_from_the_command_line(
    db, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        call_command(
            "open_desk", "initech", "--name", "Initech", "--prefix", "INI",
            "--admin-email", "peter@initech.example", "--time-zone", "Europe/Berlin",
        )  # fmt: skip
    invitation_link(mailoutbox)
    with tenant_context(Tenant.objects.get(slug="initech")):
        assert DeskSettings.objects.get().fallback_team.name == "Support"
