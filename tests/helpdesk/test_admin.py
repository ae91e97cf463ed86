"""Django admin: tenant admins see their own desk only; operators manage tenants."""

from __future__ import annotations

from django.test import Client
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from helpdesk.models import Membership, User
from helpdesk.tenancy import Role, tenant_context
from tests.factories import TeamFactory


def test_a_tenant_admin_sees_only_their_desks_members(acme_admin_client, acme_agent, globex_agent):
    page = acme_admin_client.get("/admin/helpdesk/membership/")
    assertContains(page, "agent@acme.example")
    assertNotContains(page, "agent@globex.example")


def test_a_tenant_admin_cannot_open_another_desks_membership(
    acme_admin_client, globex, globex_agent
):
    with tenant_context(globex):
        foreign = Membership.objects.get(user=globex_agent)
    response = acme_admin_client.get(f"/admin/helpdesk/membership/{foreign.pk}/change/")
    assert response.status_code == 302  # admin's "does not exist" redirect, no data shown
    assertNotContains(acme_admin_client.get(response.url), "agent@globex.example")


def test_a_tenant_admin_does_not_manage_tenants_or_global_users(acme_admin_client):
    index = acme_admin_client.get("/admin/")
    assertContains(index, "Memberships")
    assertNotContains(index, "Tenants")
    assert acme_admin_client.get("/admin/helpdesk/tenant/").status_code == 403
    assert acme_admin_client.get("/admin/helpdesk/user/").status_code == 403


def test_agents_may_not_use_the_admin(acme_agent_client):
    response = acme_agent_client.get("/admin/", follow=True)
    assertContains(response, "Only this help desk&#x27;s admins", status_code=403)


def test_anonymous_visitors_of_the_admin_log_in_on_the_desks_login_page(anonymous_acme_client):
    response = anonymous_acme_client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/login/?next=/admin/"


def test_a_tenant_admin_adds_a_member_by_email(acme, acme_admin_client):
    response = acme_admin_client.post(
        "/admin/helpdesk/membership/add/",
        {
            "email": "New.Agent@Acme.example",
            "full_name": "New Agent",
            "role": "agent",
            "is_active": "on",
        },
    )
    assertRedirects(response, "/admin/helpdesk/membership/", fetch_redirect_response=False)
    with tenant_context(acme):
        membership = Membership.objects.get(user__email="new.agent@acme.example")
    assert membership.role == Role.AGENT


def test_adding_an_existing_member_again_is_refused_with_a_clear_error(
    acme_admin_client, acme_agent
):
    response = acme_admin_client.post(
        "/admin/helpdesk/membership/add/",
        {"email": "agent@acme.example", "role": "manager", "is_active": "on"},
    )
    assertContains(response, "already a member of this help desk")


def test_team_member_choices_offer_only_this_desks_people(
    acme, acme_admin_client, acme_agent, globex_agent
):
    team = TeamFactory(tenant=acme)
    page = acme_admin_client.get(f"/admin/tickets/team/{team.pk}/change/")
    assertContains(page, f">{acme_agent}</option>")
    assertNotContains(page, f">{globex_agent}</option>")


def test_the_platform_operator_manages_tenants_at_the_platform_address(acme, db):
    operator = User.objects.create_superuser("ops@example.com", "x")
    client = Client(HTTP_HOST="localhost")
    client.force_login(operator)
    page = client.get("/admin/helpdesk/tenant/")
    assertContains(page, "Acme Corporation")
    assertNotContains(client.get("/admin/"), "Memberships")  # no tenant active here


def test_membership_changes_are_kept_in_history(acme, acme_admin, acme_admin_client, acme_agent):
    with tenant_context(acme):
        membership = Membership.objects.get(user=acme_agent)
    acme_admin_client.post(
        f"/admin/helpdesk/membership/{membership.pk}/change/",
        {"role": "manager", "is_active": "on"},
    )
    page = acme_admin_client.get(f"/admin/helpdesk/membership/{membership.pk}/history/")
    assertContains(page, str(acme_admin))
    with tenant_context(acme):
        assert [h.role for h in membership.history.order_by("history_date")] == [
            "agent",
            "manager",
        ]
