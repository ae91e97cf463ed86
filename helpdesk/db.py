"""Database plumbing for the tenancy fence: the row-level security migration operation."""

from __future__ import annotations

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
