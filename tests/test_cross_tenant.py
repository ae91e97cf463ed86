"""Every URL of the project, asked with another tenant's ids, shows nothing of that tenant."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from helpdesk.tenancy import tenant_context
from reports.models import SlaReplay
from sla.models import SlaPolicy
from tests.conftest import client_for
from tests.factories import ContactFactory, OrganizationFactory, TeamFactory, UserFactory
from tickets import services
from tickets.models import Macro, SavedView, Ticket

MARKER = "Zebra-7781 acme confidential"


def patterns(resolver: URLResolver | None = None, prefix: str = "") -> list[str]:
    """Every route of the project as a template such as `workspace/tickets/<int:number>/`."""
    found = []
    for entry in (resolver or get_resolver()).url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            found += patterns(entry, route)
        elif isinstance(entry, URLPattern):
            found.append(route)
    return found


def fill(route: str, ids: list[int]) -> list[str]:
    """Concrete paths for `route`, with every parameter set to each of acme's ids."""
    route = route.lstrip("^").rstrip("$").replace("\\Z", "").replace("\\", "")
    parameter = re.compile(r"<(?:\w+:)?\w+>|\(\?P<\w+>[^)]*\)")
    if not parameter.search(route):
        return ["/" + route]
    return ["/" + parameter.sub(str(value), route) for value in ids]


@pytest.fixture
def acme_data(acme, globex):
    organization = OrganizationFactory(tenant=acme, name=f"{MARKER} org")
    contact = ContactFactory(tenant=acme, name=f"{MARKER} person", organization=organization)
    team = TeamFactory(tenant=acme, name=f"{MARKER} team")
    with tenant_context(acme):
        for n in range(3):  # numbers 1..3 exist at acme only
            ticket = services.ticket_open(
                requester=contact, subject=f"{MARKER} {n}", channel="api", team=team
            )
        view = SavedView.objects.create(
            owner=UserFactory(), name=f"{MARKER} view", is_shared=True, filters={}
        )
        macro = Macro.objects.create(name=f"{MARKER} macro", body=MARKER)
        policy = SlaPolicy.objects.create(name=f"{MARKER} policy", is_active=False)
        replay = SlaReplay.objects.create(
            policy=policy, period_start=timezone.now() - timedelta(days=90),
            period_end=timezone.now(),
        )  # fmt: skip
    return [
        organization.pk, contact.pk, team.pk, ticket.pk, ticket.number, view.pk, macro.pk,
        replay.pk,
    ]  # fmt: skip


@pytest.mark.parametrize("who", ["globex_agent", "globex_admin"])
def test_no_url_shows_another_tenants_data(request, globex, acme_data, who):
    client = client_for(globex, request.getfixturevalue(who))
    with tenant_context(globex):
        assert not Ticket.objects.exists()
    leaks = []
    for route in patterns():
        for path in fill(route, acme_data):
            response = client.get(path)
            if MARKER.encode() in response.content:
                leaks.append(f"{path} -> {response.status_code}")
    assert leaks == []


def test_a_ticket_number_of_another_tenant_is_not_found(globex_agent_client, acme_data):
    assert globex_agent_client.get("/workspace/tickets/3/").status_code == 404
    assert globex_agent_client.get("/portal/tickets/3/").status_code == 404
