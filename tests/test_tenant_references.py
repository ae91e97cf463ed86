"""The database refuses a row of one desk that points at another desk's row.

Row-level security hides other desks' rows from queries, but PostgreSQL's referential checks
bypass it, so the keys between tenant-owned tables must include the tenant. Each relation is
tried through raw SQL, as the application's role, inside one desk's context.
"""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from django.apps import apps
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone

from helpdesk.models import Tenant
from helpdesk.tenancy import tenant_context
from integrations.models import (
    ApiIdempotencyKey,
    ApiToken,
    InboundEmail,
    SocialChannel,
    SocialIdentity,
    SocialThread,
)
from reports.models import SlaReplay, SlaReplayTicket
from sla.models import (
    BusinessCalendar,
    Holiday,
    SlaClock,
    SlaPauseRule,
    SlaPolicy,
    SlaReplan,
    SlaTarget,
    SlaWarning,
    WorkingHours,
)
from tests.factories import TeamFactory, TenantFactory, TicketFactory, UserFactory
from tickets.models import (
    Acknowledgement,
    Attachment,
    Automation,
    AutomationRun,
    Category,
    Contact,
    ContactEmail,
    DeskSettings,
    Macro,
    Message,
    Organization,
    Product,
    Team,
    TeamMember,
    Ticket,
    TicketEvent,
)


def is_tenant_owned(model: type[models.Model]) -> bool:
    return any(field.column == "tenant_id" for field in model._meta.concrete_fields)


def tenant_relations() -> list[tuple[type[models.Model], models.ForeignKey]]:
    """Every key from a tenant-owned model to another tenant-owned model."""
    return [
        (model, field)
        for model in apps.get_models()
        if is_tenant_owned(model)
        for field in model._meta.concrete_fields
        if field.many_to_one or field.one_to_one
        if field.name != "tenant" and field.db_constraint and is_tenant_owned(field.related_model)
    ]


def relation_id(relation: tuple[type[models.Model], models.ForeignKey]) -> str:
    model, field = relation
    return f"{model._meta.label}.{field.name}"


def rows_to_point_at(tenant: Tenant) -> dict[type[models.Model], models.Model]:
    """One row of every tenant-owned model that other rows refer to, none referred to yet."""
    ticket = TicketFactory(tenant=tenant)
    team = TeamFactory(tenant=tenant)
    with tenant_context(tenant):
        calendar = BusinessCalendar.objects.create(name="Office")
        policy = SlaPolicy.objects.create(name="Gold", calendar=calendar)
        now = timezone.now()
        rows = [
            ticket,
            ticket.requester,
            team,
            calendar,
            Organization.objects.create(name="Initech"),
            Message.objects.create(ticket=ticket, body_text="Hi", message_id=f"<{tenant.slug}@x>"),
            Automation.objects.create(name="Escalate", conditions={}, actions={}),
            policy,
            SlaReplay.objects.create(
                policy=policy,
                calendar=calendar,
                period_start=now - timedelta(days=1),
                period_end=now,
            ),
            SocialChannel.objects.create(name="Forum", slug="forum"),
            ApiToken.objects.create(name="CRM", prefix=tenant.slug, secret_hash=tenant.slug),
            Category.objects.create(name="Billing"),
            Product.objects.create(name="Widget"),
        ]
    return {type(row): row for row in rows}


def one_of_everything(tenant: Tenant) -> dict[type[models.Model], models.Model]:
    """A desk holding one row of every tenant-owned model that takes part in a relation."""
    desk = rows_to_point_at(tenant)
    ticket, contact, message = desk[Ticket], desk[Contact], desk[Message]
    calendar, policy, channel = desk[BusinessCalendar], desk[SlaPolicy], desk[SocialChannel]
    now = timezone.now()
    with tenant_context(tenant):
        rows = [
            TeamMember.objects.create(team=desk[Team], user=UserFactory()),
            ContactEmail.objects.create(contact=contact, email=f"other@{tenant.slug}.example"),
            Attachment.objects.create(message=message, filename="a.txt", size=1),
            Acknowledgement.objects.get_or_create(ticket=ticket)[0],
            TicketEvent.objects.create(ticket=ticket, kind=TicketEvent.Kind.CREATED),
            AutomationRun.objects.create(automation=desk[Automation], ticket=ticket),
            Macro.objects.create(name="Thanks", body="Thanks!"),
            DeskSettings.objects.create(fallback_team=desk[Team]),
            WorkingHours.objects.create(calendar=calendar, weekday=0, start=time(9), end=time(17)),
            Holiday.objects.create(calendar=calendar, date=now.date(), name="Day off"),
            SlaTarget.objects.create(policy=policy, priority="normal", first_response_minutes=60),
            SlaPauseRule.objects.create(policy=policy, metric="resolution", statuses=["pending"]),
            SlaWarning.objects.create(policy=policy, metric="resolution", percent=50),
            SlaReplan.objects.create(calendar=calendar, policy=policy, reason="Edited"),
            SlaClock.objects.create(
                ticket=ticket,
                metric="resolution",
                priority="normal",
                target_minutes=60,
                started_at=now,
                due_at=now,
            ),
            SocialIdentity.objects.create(channel=channel, handle="@x", contact=contact),
            SocialThread.objects.create(channel=channel, thread_id="1", ticket=ticket),
            ApiIdempotencyKey.objects.create(
                token=desk[ApiToken], key="k", request_hash="h", ticket=ticket
            ),
            InboundEmail.objects.create(source="imap", message_id=f"<{tenant.slug}@y>"),
            SlaReplayTicket.objects.create(
                replay=desk[SlaReplay], ticket=ticket, metric="first_response", direction="worse"
            ),
        ]
    return desk | {type(row): row for row in rows}


@pytest.fixture
def desk_a(db) -> dict[type[models.Model], models.Model]:
    return one_of_everything(TenantFactory(slug="desk-a"))


@pytest.fixture
def desk_b(db) -> dict[type[models.Model], models.Model]:
    return rows_to_point_at(TenantFactory(slug="desk-b"))


def point(row: models.Model, field: models.ForeignKey, target: models.Model) -> None:
    """As the app's role, inside `row`'s desk: UPDATE row SET field = target.id (raw SQL)."""
    table = connection.ops.quote_name(type(row)._meta.db_table)
    column = connection.ops.quote_name(field.column)
    with tenant_context(row.tenant_id), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {column} = %s WHERE id = %s", [target.pk, row.pk])  # noqa: S608
        assert cursor.rowcount == 1
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # Django's keys are deferred to commit


@pytest.mark.parametrize("relation", tenant_relations(), ids=relation_id)
def test_a_row_cannot_point_at_another_desks_row(desk_a, desk_b, relation):
    model, field = relation
    with pytest.raises(IntegrityError, match="foreign key"):
        point(desk_a[model], field, desk_b[field.related_model])


@pytest.mark.parametrize("relation", tenant_relations(), ids=relation_id)
def test_a_row_can_point_at_its_own_desks_row(desk_a, relation):
    model, field = relation
    point(desk_a[model], field, desk_a[field.related_model])


def test_every_relation_between_tenant_owned_tables_includes_the_tenant(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.conrelid::regclass::text, a.attname FROM pg_constraint c "
            "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY(c.conkey) "
            "WHERE c.contype = 'f' AND a.attname <> 'tenant_id' "
            "AND EXISTS (SELECT 1 FROM pg_attribute t WHERE t.attrelid = c.conrelid "
            "AND t.attname = 'tenant_id' AND t.attnum = ANY(c.conkey))"
        )
        tenant_including = set(cursor.fetchall())
    relations = {(model._meta.db_table, field.column) for model, field in tenant_relations()}
    assert relations - tenant_including == set()
