"""Which help desk a request is for comes from its host."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.test import Client
from pytest_django.asserts import assertContains, assertRedirects

from helpdesk.tenancy import tenant_for_domain
from tests.factories import DomainFactory, TicketFactory


def test_a_desk_is_served_at_its_subdomain(acme):
    response = Client(HTTP_HOST="acme.localhost").get("/accounts/login/")
    assertContains(response, "Log in to Acme Corporation")


def test_a_desk_is_served_at_its_custom_domain(acme, settings):
    settings.ALLOWED_HOSTS = ["*"]  # how operators allow custom domains; unknown ones get 404
    DomainFactory(tenant=acme, domain="support.acme.example")
    response = Client(HTTP_HOST="support.acme.example").get("/accounts/login/")
    assertContains(response, "Log in to Acme Corporation")


@pytest.mark.django_db
def test_an_unknown_desk_gets_a_not_found_page(settings):
    settings.ALLOWED_HOSTS = [".localhost", "localhost", "unknown.example"]
    for host in ("nobody.localhost", "unknown.example", "a.b.localhost"):
        response = Client(HTTP_HOST=host).get("/")
        assertContains(response, "There is nothing at this address", status_code=404)


@pytest.mark.parametrize(
    ("domain", "found"),
    [
        ("acme.localhost", True),
        ("ACME.localhost.", True),  # as DNS and mail programs may write it
        ("help.acme-corp.example", True),
        ("www.acme.localhost", False),  # a desk's subdomain has no subdomains of its own
        ("localhost", False),
        ("acme.localhost.example", False),
    ],
)
def test_web_and_mail_find_a_desk_at_its_subdomain_or_custom_domain(acme, domain, found):
    DomainFactory(tenant=acme, domain="help.acme-corp.example")
    assert (tenant_for_domain(domain) == acme) is found


def test_a_closed_desk_is_found_at_none_of_its_domains(acme):
    DomainFactory(tenant=acme, domain="help.acme-corp.example")
    acme.is_active = False
    acme.save()
    assert tenant_for_domain("acme.localhost") is None
    assert tenant_for_domain("help.acme-corp.example") is None


def test_a_closed_desk_is_not_found(acme):
    acme.is_active = False
    acme.save()
    response = Client(HTTP_HOST="acme.localhost").get("/accounts/login/")
    assert response.status_code == 404


@pytest.mark.django_db
def test_a_host_outside_the_allowed_hosts_is_refused():
    response = Client(HTTP_HOST="evil.example").get("/")
    assert response.status_code == 400


@pytest.mark.django_db
def test_the_platform_address_explains_where_desks_live():
    response = Client(HTTP_HOST="localhost").get("/")
    assertContains(response, "Each organisation")


def test_the_platform_address_lists_desks_to_operators_only(acme, django_user_model):
    operator = django_user_model.objects.create_superuser("ops@example.com", "x")
    client = Client(HTTP_HOST="localhost")
    assert "Acme Corporation" not in client.get("/").content.decode()
    client.force_login(operator)
    assertContains(client.get("/"), "Acme Corporation")


def test_desk_pages_are_not_served_at_the_platform_address(acme_agent):
    client = Client(HTTP_HOST="localhost")
    client.force_login(acme_agent)
    assert client.get("/workspace/").status_code == 404


@pytest.mark.django_db
def test_health_check_reports_database_and_redis():
    state = Client(HTTP_HOST="localhost").get("/healthz").json()
    assert (state["database"], state["redis"]) == ("ok", "ok")


def test_the_landing_page_sends_anonymous_visitors_to_log_in(anonymous_acme_client):
    assertRedirects(
        anonymous_acme_client.get("/"), "/accounts/login/", fetch_redirect_response=False
    )


def test_times_are_shown_in_the_desks_time_zone(acme, acme_agent_client, acme_team):
    acme.time_zone = "Asia/Tokyo"
    acme.save()
    TicketFactory(tenant=acme, team=acme_team, created_at=datetime(2026, 1, 5, 23, 30, tzinfo=UTC))
    page = acme_agent_client.get("/workspace/").content.decode()
    assert "2026-01-06T08:30:00+09:00" in page
