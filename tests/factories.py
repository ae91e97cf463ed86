"""Factories for every model; tenant-owned ones enter their tenant's context themselves."""

from __future__ import annotations

from datetime import time
from typing import Any

import factory
from factory.django import DjangoModelFactory

from helpdesk.models import Domain, Membership, Tenant, User
from helpdesk.tenancy import Role, tenant_context
from sla.models import (
    BusinessCalendar,
    SlaPauseRule,
    SlaPolicy,
    SlaTarget,
    SlaWarning,
    WorkingHours,
)
from tickets.models import (
    AgentProfile,
    Contact,
    Organization,
    RoutingRule,
    Team,
    TeamMember,
    Ticket,
)


class TenantFactory(DjangoModelFactory):
    class Meta:
        model = Tenant
        django_get_or_create = ["slug"]

    slug = factory.Sequence(lambda n: f"desk{n}")
    name = factory.LazyAttribute(lambda o: f"{o.slug.title()} Ltd")
    ticket_prefix = factory.LazyAttribute(lambda o: o.slug.upper().replace("-", "")[:10])
    time_zone = "Europe/Berlin"


class DomainFactory(DjangoModelFactory):
    class Meta:
        model = Domain

    tenant = factory.SubFactory(TenantFactory)
    domain = factory.Sequence(lambda n: f"support{n}.example.com")
    is_primary = True


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["email"]

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    full_name = factory.Faker("name")
    password = factory.django.Password("correct horse battery staple")


class TenantOwnedFactory(DjangoModelFactory):
    """Saves the row inside its tenant's context, as every tenant-owned write must be."""

    class Meta:
        abstract = True

    tenant = factory.SubFactory(TenantFactory)

    @classmethod
    def _create(cls, model_class: type, *args: Any, **kwargs: Any) -> Any:
        tenant = kwargs.pop("tenant")
        with tenant_context(tenant):
            obj = model_class(*args, **kwargs)
            obj.save()
        return obj


class MembershipFactory(TenantOwnedFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    role = Role.AGENT


class TeamFactory(TenantOwnedFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")


class TeamMemberFactory(TenantOwnedFactory):
    class Meta:
        model = TeamMember

    team = factory.SubFactory(TeamFactory, tenant=factory.SelfAttribute("..tenant"))
    user = factory.SubFactory(UserFactory)


class AgentProfileFactory(TenantOwnedFactory):
    class Meta:
        model = AgentProfile

    user = factory.SubFactory(UserFactory)
    availability = AgentProfile.Availability.ONLINE
    capacity = 10


class OrganizationFactory(TenantOwnedFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Customer {n} GmbH")
    tier = Organization.Tier.STANDARD


class ContactFactory(TenantOwnedFactory):
    class Meta:
        model = Contact

    name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"requester{n}@customer.example")


class TicketFactory(TenantOwnedFactory):
    """A ticket with a number of its own; where numbering matters use `ticket_open`."""

    class Meta:
        model = Ticket

    number = factory.Sequence(lambda n: 100_000 + n)
    subject = factory.Sequence(lambda n: f"Problem number {n}")
    requester = factory.SubFactory(ContactFactory, tenant=factory.SelfAttribute("..tenant"))
    channel = Ticket.Channel.PORTAL


class BusinessCalendarFactory(TenantOwnedFactory):
    class Meta:
        model = BusinessCalendar

    name = factory.Sequence(lambda n: f"Calendar {n}")
    time_zone = "Europe/Berlin"


class WorkingHoursFactory(TenantOwnedFactory):
    class Meta:
        model = WorkingHours

    calendar = factory.SubFactory(BusinessCalendarFactory, tenant=factory.SelfAttribute("..tenant"))
    weekday = 0
    start = time(9)
    end = time(17)


class SlaPolicyFactory(TenantOwnedFactory):
    class Meta:
        model = SlaPolicy

    name = factory.Sequence(lambda n: f"Policy {n}")


class SlaTargetFactory(TenantOwnedFactory):
    class Meta:
        model = SlaTarget

    policy = factory.SubFactory(SlaPolicyFactory, tenant=factory.SelfAttribute("..tenant"))
    priority = Ticket.Priority.MEDIUM
    first_response_minutes = 60


class SlaWarningFactory(TenantOwnedFactory):
    class Meta:
        model = SlaWarning

    policy = factory.SubFactory(SlaPolicyFactory, tenant=factory.SelfAttribute("..tenant"))
    metric = "first_response"
    percent = 75


class SlaPauseRuleFactory(TenantOwnedFactory):
    class Meta:
        model = SlaPauseRule

    policy = factory.SubFactory(SlaPolicyFactory, tenant=factory.SelfAttribute("..tenant"))
    metric = "resolution"
    statuses = factory.LazyFunction(lambda: ["pending"])


class RoutingRuleFactory(TenantOwnedFactory):
    """A rule stored as is; to see it act on tickets, save it with `routing_rule_save`."""

    class Meta:
        model = RoutingRule

    name = factory.Sequence(lambda n: f"Rule {n}")
    position = factory.Sequence(lambda n: n * 10)
    conditions = factory.LazyFunction(lambda: {"field": "subject", "op": "contains", "value": "x"})
    actions = factory.LazyFunction(lambda: [{"action": "add_tags", "value": ["x"]}])
