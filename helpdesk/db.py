"""Database plumbing for the tenancy fence: row-level security and tenant-including keys."""

from __future__ import annotations

import hashlib
from typing import Any

from django.db import migrations

POLICY_NAME = "tenant_isolation"
# The setting is missing (NULL) or empty outside tenant_context(): then no row matches.
TENANT_MATCH = "tenant_id = nullif(current_setting('app.tenant_id', true), '')::bigint"


class EnableTenantRLS(migrations.operations.base.Operation):
    """Turn on and force row-level security for one tenant-owned model's table.

    FORCE matters: the application's role owns the tables it migrates, and owners bypass
    plain RLS. Every migration that creates a tenant-owned table adds one of these;
    tests/test_rls.py fails for any table with a tenant_id column that lacks it.
    """

    reversible = True
    reduces_to_sql = True

    def __init__(self, model_name: str) -> None:
        self.model_name = model_name

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return self.__class__.__name__, [self.model_name], {}

    def state_forwards(self, app_label: str, state: Any) -> None:
        pass  # row-level security lives in the database only, not in Django's model state

    def _table(self, app_label: str, state: Any) -> str:
        return state.apps.get_model(app_label, self.model_name)._meta.db_table

    def database_forwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        table = schema_editor.quote_name(self._table(app_label, to_state))
        schema_editor.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        schema_editor.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        schema_editor.execute(
            f"CREATE POLICY {POLICY_NAME} ON {table} "
            f"USING ({TENANT_MATCH}) WITH CHECK ({TENANT_MATCH})"
        )

    def database_backwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        table = schema_editor.quote_name(self._table(app_label, from_state))
        schema_editor.execute(f"DROP POLICY IF EXISTS {POLICY_NAME} ON {table}")
        schema_editor.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        schema_editor.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")

    def describe(self) -> str:
        return f"Enable row-level security on {self.model_name}"

    @property
    def migration_name_fragment(self) -> str:
        return f"rls_{self.model_name.lower()}"


class TenantForeignKey(migrations.operations.base.Operation):
    """Make one relation between tenant-owned tables include the tenant: (tenant_id, x_id).

    Row-level security hides other tenants' rows from queries, but PostgreSQL's referential
    checks bypass it: with a plain `team_id -> team(id)` key, a row of desk A could point at
    desk B's team. This replaces that key with `(tenant_id, team_id) -> team(tenant_id, id)`,
    so the database itself refuses a cross-tenant reference. It replaces rather than adds so
    that each insert still pays for one referential check, not two. The target gets the unique
    index `(tenant_id, id)` such a key needs (created once, shared by every relation to it).

    Like Django's own keys it is deferrable, initially deferred, and a null reference is not
    checked (MATCH SIMPLE). Django never recreates the single-column key: its schema editor
    finds a field's key by the column alone, and this one has two. Every migration that adds
    a relation between tenant-owned models adds one of these;
    tests/test_tenant_references.py fails for a relation without it.
    """

    reversible = True
    reduces_to_sql = False  # it reads the catalogue to find Django's key by its column

    def __init__(self, model_name: str, field_name: str) -> None:
        self.model_name = model_name
        self.field_name = field_name

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return self.__class__.__name__, [self.model_name, self.field_name], {}

    def state_forwards(self, app_label: str, state: Any) -> None:
        pass  # constraints of the database only, not of Django's model state

    def _names(self, app_label: str, state: Any) -> tuple[str, str, str, str]:
        model = state.apps.get_model(app_label, self.model_name)
        field = model._meta.get_field(self.field_name)
        return (
            model._meta.db_table,
            field.column,
            field.related_model._meta.db_table,
            field.target_field.column,
        )

    def database_forwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        table, column, target, target_column = self._names(app_label, to_state)
        quote = schema_editor.quote_name
        schema_editor.execute(
            f"CREATE UNIQUE INDEX IF NOT EXISTS {quote(tenant_key_name(target))} "
            f"ON {quote(target)} (tenant_id, {quote(target_column)})"
        )
        for name in single_column_foreign_keys(schema_editor.connection, table, column):
            schema_editor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
        _foreign_key_add(
            schema_editor, tenant_fk_name(table, column),
            table, ["tenant_id", column], target, ["tenant_id", target_column],
        )  # fmt: skip

    def database_backwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        table, column, target, target_column = self._names(app_label, from_state)
        quote = schema_editor.quote_name
        schema_editor.execute(
            f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(tenant_fk_name(table, column))}"
        )
        _foreign_key_add(
            schema_editor, _identifier(f"{table}_{column}_fk"), table, [column], target,
            [target_column],
        )  # fmt: skip

    def describe(self) -> str:
        return f"Include the tenant in the key of {self.model_name}.{self.field_name}"

    @property
    def migration_name_fragment(self) -> str:
        return f"tenant_fk_{self.model_name.lower()}_{self.field_name}"


def _foreign_key_add(
    schema_editor: Any, name: str, table: str, columns: list[str], target: str,
    target_columns: list[str],
) -> None:  # fmt: skip
    # Deferred to the commit, like the keys Django makes: services keep their write order.
    quote = schema_editor.quote_name
    schema_editor.execute(
        f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} "
        f"FOREIGN KEY ({', '.join(map(quote, columns))}) "
        f"REFERENCES {quote(target)} ({', '.join(map(quote, target_columns))}) "
        "DEFERRABLE INITIALLY DEFERRED"
    )


def tenant_key_name(table: str) -> str:
    """The unique index (tenant_id, id) that tenant-including keys into `table` refer to."""
    return _identifier(f"{table}_tenant_key")


def tenant_fk_name(table: str, column: str) -> str:
    """The tenant-including foreign key of `table.column`."""
    return _identifier(f"{table}_{column}_tenant_fk")


def single_column_foreign_keys(connection: Any, table: str, column: str) -> list[str]:
    """Names of the foreign keys of `table` made of `column` alone (Django's own)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.conname FROM pg_constraint c JOIN pg_attribute a "
            "ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] "
            "WHERE c.contype = 'f' AND c.conrelid = %s::regclass "
            "AND cardinality(c.conkey) = 1 AND a.attname = %s",
            [table, column],
        )
        return [row[0] for row in cursor.fetchall()]


def _identifier(name: str) -> str:
    # PostgreSQL cuts identifiers at 63 bytes; a long name keeps a hash of the whole instead.
    if len(name) <= 63:
        return name
    return f"{name[:54]}_{hashlib.sha1(name.encode()).hexdigest()[:8]}"  # noqa: S324
