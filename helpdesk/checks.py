"""System checks that keep the tenancy fence honest."""

from __future__ import annotations

from typing import Any

from django.core import checks
from django.db import connections


@checks.register(checks.Tags.database)
def database_role_obeys_row_level_security(databases: Any = None, **kwargs: Any) -> list[Any]:
    """Refuse to run as a role that bypasses row-level security (a superuser, or BYPASSRLS)."""
    errors = []
    for alias in databases or []:
        with connections[alias].cursor() as cursor:
            cursor.execute(
                "SELECT rolname, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
            )
            name, superuser, bypass = cursor.fetchone()
        if superuser or bypass:
            errors.append(
                checks.Error(
                    f"The database role {name!r} bypasses row-level security.",
                    hint="Connect as an ordinary role (NOSUPERUSER NOBYPASSRLS), e.g. "
                    "`python -m helpdesk.embedded ensure-role --admin-url <superuser url>`.",
                    id="helpdesk.E001",
                )
            )
    return errors
