"""A desk by its host and a user's membership, kept per process: never stale, never crossed."""

from __future__ import annotations

from django.test import override_settings

from helpdesk.desk_cache import membership_in, tenant_at
from helpdesk.models import Domain, Membership
from helpdesk.tenancy import Role, membership_of, resolve_tenant, tenant_context
from tests.conftest import client_for, host_of, member
from tests.helpdesk.test_process_cache import UNREACHABLE_REDIS


def test_the_kept_desk_is_the_one_the_plain_lookup_finds(acme, globex):
    with tenant_context(acme):
        Domain.objects.create(tenant=acme, domain="help.acme.example")
    hosts = [
        host_of(acme),
        host_of(acme).upper(),
        f"{host_of(globex)}.",
        f"{host_of(globex)}:8000",
        "help.acme.example",
        "nobody.localhost",
        "localhost",
        "acme.localhost.evil.example",
    ]
    for _round in range(2):  # found, then kept
        for host in hosts:
            plain, kept = resolve_tenant(host), tenant_at(host)
            assert (kept and kept.pk) == (plain and plain.pk), host


def test_the_kept_membership_is_the_one_the_plain_lookup_finds(acme, globex):
    both = member(acme, "both@example.com", Role.AGENT)
    with tenant_context(globex):
        Membership.objects.create(user=both, role=Role.CUSTOMER)
    for _round in range(2):
        for tenant, role in ((acme, Role.AGENT), (globex, Role.CUSTOMER)):
            with tenant_context(tenant):
                assert membership_of(both, tenant).role == role
                kept = membership_in(both, tenant)
                assert (kept.tenant_id, kept.role) == (tenant.pk, role)


def test_an_agent_demoted_loses_the_workspace_on_the_next_request(acme, acme_agent):
    client = client_for(acme, acme_agent)
    assert client.get("/workspace/", secure=True).status_code == 200
    with tenant_context(acme):
        membership = Membership.objects.get(user=acme_agent)
        membership.role = Role.CUSTOMER
        membership.save()
    assert client.get("/workspace/", secure=True).status_code == 403


def test_a_deactivated_membership_ends_access_on_the_next_request(acme, acme_agent):
    client = client_for(acme, acme_agent)
    assert client.get("/workspace/", secure=True).status_code == 200
    with tenant_context(acme):
        Membership.objects.filter(user=acme_agent).get().delete()
    assert client.get("/workspace/", secure=True).status_code == 403


def test_a_new_membership_gives_access_at_once(acme, globex, acme_agent):
    client = client_for(globex, acme_agent)
    assert client.get("/workspace/", secure=True).status_code == 403
    with tenant_context(globex):
        Membership.objects.create(user=acme_agent, role=Role.AGENT)
    assert client.get("/workspace/", secure=True).status_code == 200


def test_a_deactivated_desk_stops_answering_on_the_next_request(acme, acme_agent):
    client = client_for(acme, acme_agent)
    assert client.get("/workspace/", secure=True).status_code == 200
    acme.is_active = False
    acme.save()
    assert client.get("/workspace/", secure=True).status_code == 404


def test_a_custom_domain_serves_its_desk_from_when_it_is_added_until_it_is_removed(acme):
    assert tenant_at("support.acme.example") is None
    with tenant_context(acme):
        domain = Domain.objects.create(tenant=acme, domain="support.acme.example")
    assert tenant_at("support.acme.example").pk == acme.pk
    domain.delete()
    assert tenant_at("support.acme.example") is None


def test_a_desk_renamed_is_seen_by_the_next_lookup(acme):
    assert tenant_at(host_of(acme)).name == acme.name
    acme.name = "Acme Renamed"
    acme.save()
    assert tenant_at(host_of(acme)).name == "Acme Renamed"


def test_changing_a_requests_desk_does_not_change_what_other_requests_get(acme):
    first = tenant_at(host_of(acme))
    first.name = "Edited by one request, never saved"
    assert tenant_at(host_of(acme)).name == acme.name


def test_a_users_membership_on_one_desk_is_never_handed_out_on_another(acme, globex):
    agent = member(acme, "agent@acme.example", Role.AGENT)
    with tenant_context(acme):
        assert membership_in(agent, acme).role == Role.AGENT
    with tenant_context(globex):
        assert membership_in(agent, globex) is None
    assert client_for(globex, agent).get("/workspace/", secure=True).status_code == 403


@override_settings(CACHES=UNREACHABLE_REDIS)
def test_without_redis_every_lookup_reads_the_database(acme, acme_agent):
    assert tenant_at(host_of(acme)).pk == acme.pk
    acme.name = "Renamed while Redis is away"
    acme.save()
    assert tenant_at(host_of(acme)).name == "Renamed while Redis is away"
    with tenant_context(acme):
        assert membership_in(acme_agent, acme).role == Role.AGENT
