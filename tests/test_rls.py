"""Every tenant-owned table is fenced by PostgreSQL row-level security."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import connection

from helpdesk.db import POLICY_NAME
from helpdesk.models import Domain

# Platform tables that carry a tenant id but are read before any tenant is known.
PLATFORM_TABLES = {Domain._meta.db_table}


def tenant_tables() -> list[str]:
    return sorted(
        model._meta.db_table
        for model in apps.get_models()
        if any(field.column == "tenant_id" for field in model._meta.concrete_fields)
        and model._meta.db_table not in PLATFORM_TABLES
    )


@pytest.mark.django_db
@pytest.mark.parametrize("table", tenant_tables())
def test_tenant_table_has_row_level_security_enabled_forced_and_its_policy(table):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = %s", [table]
        )
        enabled, forced = cursor.fetchone()
        cursor.execute(
            "SELECT qual, with_check FROM pg_policies WHERE tablename = %s AND policyname = %s",
            [table, POLICY_NAME],
        )
        policy = cursor.fetchone()
    assert (enabled, forced) == (True, True), f"{table} lacks EnableTenantRLS in its migration"
    assert policy is not None, f"{table} has no {POLICY_NAME} policy"
    assert all("app.tenant_id" in clause for clause in policy)


@pytest.mark.django_db
def test_no_table_in_the_database_has_a_tenant_column_without_the_policy():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE a.attname = 'tenant_id' AND c.relkind = 'r' AND n.nspname = 'public' "
            "AND NOT c.relforcerowsecurity"
        )
        unfenced = {row[0] for row in cursor.fetchall()} - PLATFORM_TABLES
    assert unfenced == set()


@pytest.mark.django_db
def test_the_application_role_cannot_bypass_row_level_security():
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        assert cursor.fetchone() == (False, False)
