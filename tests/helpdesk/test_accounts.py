"""Logging in and out, landing by role, password reset and the language switcher."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from pytest_django.asserts import assertContains, assertRedirects

from helpdesk import services
from helpdesk.tenancy import Role, tenant_context
from tests.conftest import PASSWORD, client_for


def log_in(client: Client, email: str, password: str = PASSWORD):
    return client.post("/accounts/login/", {"username": email, "password": password})


def test_a_member_logs_in_with_email_and_password(acme, acme_agent):
    client = client_for(acme)
    response = log_in(client, "agent@acme.example")
    assertRedirects(response, "/", fetch_redirect_response=False)
    assert client.get("/workspace/").status_code == 200


def test_the_email_address_is_not_case_sensitive_at_login(acme, acme_agent):
    response = log_in(client_for(acme), "Agent@ACME.example")
    assert response.status_code == 302


def test_a_wrong_password_is_refused_with_a_clear_message(acme, acme_agent):
    response = log_in(client_for(acme), "agent@acme.example", "wrong")
    assertContains(response, "Please enter a correct email address and password")


def test_a_user_of_another_desk_cannot_log_in_here_even_with_the_right_password(acme, globex_agent):
    response = log_in(client_for(acme), "agent@globex.example")
    assertContains(response, "Please enter a correct email address and password")
    assert "_auth_user_id" not in client_for(acme).session


@pytest.mark.parametrize(
    ("fixture", "destination"),
    [
        ("acme_agent_client", "/workspace/"),
        ("acme_customer_client", "/portal/"),
        ("acme_manager_client", "/reports/"),
        ("acme_admin_client", "/reports/"),
    ],
)
def test_the_landing_page_sends_each_role_to_its_work(request, fixture, destination):
    client = request.getfixturevalue(fixture)
    assertRedirects(client.get("/"), destination, fetch_redirect_response=False)


def test_a_logged_in_user_without_membership_gets_no_access(acme, globex_agent):
    client = client_for(acme, globex_agent)
    assertContains(client.get("/"), "no access to this help desk", status_code=403)
    assert client.get("/workspace/").status_code == 403


def test_customers_cannot_open_the_agent_workspace(acme_customer_client):
    assert acme_customer_client.get("/workspace/").status_code == 403


def test_agents_cannot_open_the_managers_dashboard(acme_agent_client):
    assert acme_agent_client.get("/reports/").status_code == 403


def test_anonymous_visitors_are_sent_to_log_in_first(anonymous_acme_client):
    response = anonymous_acme_client.get("/workspace/")
    assertRedirects(response, "/accounts/login/?next=/workspace/", fetch_redirect_response=False)


def test_logging_out_ends_the_session(acme_agent_client):
    acme_agent_client.post("/accounts/logout/")
    assert acme_agent_client.get("/workspace/").status_code == 302


def test_navigation_shows_what_the_role_may_open(acme_manager_client, acme_customer_client):
    page = acme_manager_client.get("/reports/")
    assertContains(page, 'href="/workspace/"')
    assertContains(page, 'href="/reports/"')
    assert 'href="/admin/"' not in page.content.decode()
    portal = acme_customer_client.get("/portal/")
    assert 'href="/workspace/"' not in portal.content.decode()


def test_password_reset_mails_a_link_to_this_desks_address(acme, acme_agent):
    client = client_for(acme)
    client.post("/accounts/password-reset/", {"email": "agent@acme.example"})
    assert len(mail.outbox) == 1
    assert "Acme Corporation" in mail.outbox[0].subject
    link = re.search(r"https?://acme\.localhost/accounts/reset/\S+", mail.outbox[0].body)
    assert link is not None
    path = link.group(0).split("acme.localhost", 1)[1]
    form_page = client.get(path, follow=True)
    response = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "a brand new secret 42", "new_password2": "a brand new secret 42"},
    )
    assertRedirects(response, "/accounts/reset/done/", fetch_redirect_response=False)
    assert (
        log_in(client_for(acme), "agent@acme.example", "a brand new secret 42").status_code == 302
    )


def test_password_reset_sends_nothing_for_an_address_of_another_desk(acme, globex_agent):
    response = client_for(acme).post("/accounts/password-reset/", {"email": "agent@globex.example"})
    assert response.status_code == 302  # same answer as for a member: nothing is revealed
    assert mail.outbox == []


def test_the_language_switcher_shows_the_desk_in_german(acme_agent_client):
    acme_agent_client.post("/i18n/setlang/", {"language": "de", "next": "/workspace/"})
    page = acme_agent_client.get("/workspace/")
    assertContains(page, '<html lang="de">')
    assertContains(page, "Abmelden")
    assertContains(page, "Meine Arbeit")


def both_desks_member(acme, globex):
    from tests.conftest import member

    user = member(acme, "both@example.com", Role.AGENT)
    with tenant_context(globex):
        services.membership_grant(email="both@example.com", role=Role.AGENT)
    return user


def test_a_login_on_one_desk_is_no_login_on_another_even_for_a_member_of_both(acme, globex):
    both_desks_member(acme, globex)
    on_acme = client_for(acme)
    assert log_in(on_acme, "both@example.com", PASSWORD).status_code == 302
    assert on_acme.get("/workspace/").status_code == 200
    copied = client_for(globex)
    copied.cookies = on_acme.cookies  # the same session cookie, presented on the other desk
    assert copied.get("/workspace/").status_code == 302  # to the login page
    assert on_acme.get("/workspace/").status_code == 200  # still logged in where it was made


def test_a_password_reset_link_from_one_desk_is_invalid_on_another(acme, globex):
    both_desks_member(acme, globex)
    client_for(acme).post("/accounts/password-reset/", {"email": "both@example.com"})
    link = re.search(r"https?://acme\.localhost(/accounts/reset/\S+)", mail.outbox[0].body)
    elsewhere = client_for(globex).get(link.group(1), follow=True)
    assert "new_password1" not in elsewhere.content.decode()  # the link is refused there
    here = client_for(acme).get(link.group(1), follow=True)
    assert "new_password1" in here.content.decode()


def test_a_password_reset_link_uses_the_desks_configured_address(acme, acme_agent):
    from helpdesk.models import Domain

    Domain.objects.create(tenant=acme, domain="help.acme.example", is_primary=True)
    client_for(acme).post("/accounts/password-reset/", {"email": "agent@acme.example"})
    assert "://help.acme.example/accounts/reset/" in mail.outbox[0].body
