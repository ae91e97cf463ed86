"""Both fences: the scoped manager and PostgreSQL row-level security."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from helpdesk.tenancy import CrossTenantError, NoTenantError, current_tenant_id, tenant_context
from tests.factories import TicketFactory
from tickets.models import Ticket


@pytest.fixture
def tickets_of_both(acme, globex):
    return TicketFactory(tenant=acme, subject="Acme secret"), TicketFactory(
        tenant=globex, subject="Globex secret"
    )


def raw(sql: str, params: list | None = None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.fetchall() if cursor.description else [(cursor.rowcount,)]


def test_raw_sql_of_one_tenant_reads_none_of_anothers_rows(acme, tickets_of_both):
    with tenant_context(acme):
        subjects = [row[0] for row in raw("SELECT subject FROM tickets_ticket")]
    assert subjects == ["Acme secret"]


def test_raw_sql_of_one_tenant_cannot_update_anothers_rows(acme, globex, tickets_of_both):
    _acme_ticket, globex_ticket = tickets_of_both
    with tenant_context(acme):
        updated = raw(
            "UPDATE tickets_ticket SET subject = 'pwned' WHERE id = %s", [globex_ticket.pk]
        )
    assert updated == [(0,)]
    with tenant_context(globex):
        assert Ticket.objects.get().subject == "Globex secret"


def test_raw_sql_of_one_tenant_cannot_insert_a_row_for_another(acme, globex, tickets_of_both):
    acme_ticket, _ = tickets_of_both
    with (
        tenant_context(acme),
        pytest.raises(DatabaseError, match="row-level security"),
        transaction.atomic(),
    ):
        raw(
            "INSERT INTO tickets_ticket (tenant_id, number, subject, description, channel,"
            " status, priority, requester_id, created_at, updated_at)"
            " VALUES (%s, 9, 'x', '', 'api', 'new', 'low', %s, now(), now())",
            [globex.pk, acme_ticket.requester_id],
        )


def test_a_query_with_no_tenant_set_sees_nothing(tickets_of_both):
    assert raw("SELECT count(*) FROM tickets_ticket") == [(0,)]


def test_the_scoped_manager_refuses_to_work_without_a_tenant(tickets_of_both):
    with pytest.raises(NoTenantError):
        list(Ticket.objects.all())


def test_the_scoped_manager_returns_only_the_active_tenants_rows(acme, globex, tickets_of_both):
    with tenant_context(globex):
        assert list(Ticket.objects.values_list("subject", flat=True)) == ["Globex secret"]


def test_saving_another_tenants_row_is_refused_before_it_reaches_the_database(
    acme, tickets_of_both
):
    _, globex_ticket = tickets_of_both
    with tenant_context(acme), pytest.raises(CrossTenantError):
        globex_ticket.save()


def test_a_nested_tenant_context_hands_the_outer_tenant_back(acme, globex, tickets_of_both):
    with tenant_context(acme):
        with tenant_context(globex):
            assert raw("SELECT subject FROM tickets_ticket") == [("Globex secret",)]
        assert current_tenant_id() == acme.pk
        assert raw("SELECT subject FROM tickets_ticket") == [("Acme secret",)]
    assert raw("SELECT count(*) FROM tickets_ticket") == [(0,)]


def test_the_tenant_setting_ends_with_the_transaction(acme, tickets_of_both):
    with tenant_context(acme):
        pass
    assert raw("SELECT current_setting('app.tenant_id', true)") in ([("",)], [(None,)])


def test_re_entering_the_same_tenant_keeps_it_set_inside_and_after(acme, tickets_of_both):
    with tenant_context(acme):
        with tenant_context(acme):
            assert raw("SELECT subject FROM tickets_ticket") == [("Acme secret",)]
        assert raw("SELECT subject FROM tickets_ticket") == [("Acme secret",)]
