"""Tenants acme and globex, their people, and clients logged in on the right host."""

from __future__ import annotations

import pytest
from django.test import Client

from helpdesk import services
from helpdesk.models import Tenant, User
from helpdesk.tenancy import Role, tenant_context
from tests.factories import TeamFactory, TeamMemberFactory, UserFactory

PASSWORD = "correct horse battery staple"


def host_of(tenant: Tenant) -> str:
    return f"{tenant.slug}.localhost"


def member(tenant: Tenant, email: str, role: Role) -> User:
    """A user with `role` in `tenant` and the test password."""
    user = UserFactory(email=email)
    with tenant_context(tenant):
        services.membership_grant(email=email, role=role)
    return user


def client_for(tenant: Tenant, user: User | None = None) -> Client:
    """A browser on `tenant`'s host, logged in as `user` if given."""
    client = Client(HTTP_HOST=host_of(tenant))
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def acme(db) -> Tenant:
    return services.tenant_create(slug="acme", name="Acme Corporation", ticket_prefix="ACME")


@pytest.fixture
def globex(db) -> Tenant:
    return services.tenant_create(slug="globex", name="Globex Inc.", ticket_prefix="GLX")


@pytest.fixture
def acme_agent(acme) -> User:
    return member(acme, "agent@acme.example", Role.AGENT)


@pytest.fixture
def acme_customer(acme) -> User:
    return member(acme, "customer@bigbank.example", Role.CUSTOMER)


@pytest.fixture
def acme_manager(acme) -> User:
    return member(acme, "manager@acme.example", Role.MANAGER)


@pytest.fixture
def acme_admin(acme) -> User:
    return member(acme, "admin@acme.example", Role.ADMIN)


@pytest.fixture
def globex_agent(globex) -> User:
    return member(globex, "agent@globex.example", Role.AGENT)


@pytest.fixture
def globex_admin(globex) -> User:
    return member(globex, "admin@globex.example", Role.ADMIN)


@pytest.fixture
def acme_team(acme, acme_agent):
    team = TeamFactory(tenant=acme, name="L1 Support")
    TeamMemberFactory(tenant=acme, team=team, user=acme_agent)
    return team


@pytest.fixture
def acme_agent_client(acme, acme_agent) -> Client:
    return client_for(acme, acme_agent)


@pytest.fixture
def acme_customer_client(acme, acme_customer) -> Client:
    return client_for(acme, acme_customer)


@pytest.fixture
def acme_manager_client(acme, acme_manager) -> Client:
    return client_for(acme, acme_manager)


@pytest.fixture
def acme_admin_client(acme, acme_admin) -> Client:
    return client_for(acme, acme_admin)


@pytest.fixture
def globex_agent_client(globex, globex_agent) -> Client:
    return client_for(globex, globex_agent)


@pytest.fixture
def globex_admin_client(globex, globex_admin) -> Client:
    return client_for(globex, globex_admin)


@pytest.fixture
def anonymous_acme_client(acme) -> Client:
    return client_for(acme)
