"""What each process keeps of a desk's set-up serves that desk alone, and follows every change.

The SLA set-up, the response targets and the priority matrix are read on every new ticket and
kept per process (`TenantMemo`): one desk's copy never serves another desk, and a change
counts for the very next ticket, in every process.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from helpdesk.tenancy import tenant_context
from sla.models import SlaClock
from tests.factories import ContactFactory, SlaPolicyFactory, SlaTargetFactory
from tickets import priority, services
from tickets.models import PriorityMatrix, ResponseTarget


def new_ticket(tenant, **fields):
    with tenant_context(tenant):
        requester = ContactFactory(tenant=tenant)
        return services.ticket_open(requester=requester, subject="Help", channel="email", **fields)


def clock_targets(tenant, ticket) -> list[int]:
    with tenant_context(tenant):
        return list(SlaClock.objects.filter(ticket=ticket).values_list("target_minutes", flat=True))


@pytest.fixture
def acme_policy(acme):
    policy = SlaPolicyFactory(tenant=acme, name="Acme 24/7", position=1)
    SlaTargetFactory(tenant=acme, policy=policy, priority="high", first_response_minutes=30)
    return policy


def test_one_desks_sla_policies_never_time_another_desks_tickets(acme, globex, acme_policy):
    assert clock_targets(acme, new_ticket(acme, priority="high")) == [30]
    assert clock_targets(globex, new_ticket(globex, priority="high")) == []


def test_a_changed_sla_target_counts_for_the_next_ticket_at_once(acme, acme_policy):
    new_ticket(acme, priority="high")  # the desk's set-up is now kept by this process
    with tenant_context(acme):
        target = acme_policy.targets.get()
        target.first_response_minutes = 45
        target.save()  # as the admin saves it
    assert clock_targets(acme, new_ticket(acme, priority="high")) == [45]


def test_one_desks_response_targets_never_promise_for_another_desk(acme, globex):
    with tenant_context(acme):
        ResponseTarget.objects.create(priority="critical", minutes=10)
    acme_ticket = new_ticket(acme, priority="critical")
    globex_ticket = new_ticket(globex, priority="critical")
    with tenant_context(acme):
        acme_ack = acme_ticket.acknowledgement
        assert acme_ack.expected_response_at == acme_ticket.created_at + timedelta(minutes=10)
    with tenant_context(globex):
        globex_ack = globex_ticket.acknowledgement
        assert globex_ack.expected_response_at == globex_ticket.created_at + timedelta(minutes=60)


def test_a_changed_response_target_counts_for_the_next_ticket_at_once(acme):
    new_ticket(acme, priority="critical")
    with tenant_context(acme):
        ResponseTarget.objects.create(priority="critical", minutes=15)
    ticket = new_ticket(acme, priority="critical")
    with tenant_context(acme):
        expected = ticket.acknowledgement.expected_response_at
    assert expected == ticket.created_at + timedelta(minutes=15)


def test_one_desks_priority_matrix_never_sets_another_desks_priority(acme, globex):
    with tenant_context(acme):
        priority.priority_matrix_save(
            matrix=PriorityMatrix(
                cells={level: {u: "low" for u in ("high", "medium", "low")}
                       for level in ("high", "medium", "low")},
                raise_tiers=[],
            )
        )  # fmt: skip
    assert new_ticket(acme, impact="high", urgency="high").priority == "low"
    assert new_ticket(globex, impact="high", urgency="high").priority == "critical"
