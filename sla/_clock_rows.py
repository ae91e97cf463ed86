"""Fast path: saving the planned fields of many clocks in one statement.

Django's `bulk_update` writes one `CASE WHEN id = … THEN …` per field and row: a re-plan batch
of 1,000 clocks and 17 fields is a statement of 17,000 branches that PostgreSQL parses and
plans slowly (the re-plan bench spent most of its time there). This sends one array per column
and joins them to the rows by id (`UPDATE … FROM unnest(…)`): one short statement whatever the
batch size. It gives up what `bulk_update` gives up too (no signals, no `save()`), and nothing
else: values go as parameters, row-level security applies as to any statement of the tenant.
`clocks_save` in `sla.services` is the one caller; tests/sla/test_clock_rows.py holds it to the
rows `bulk_update` writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection

from sla.models import SlaClock

# Each saved field with the SQL type its array is sent as.
_TYPES = {
    "state": "text", "policy": "bigint", "calendar": "bigint", "priority": "text",
    "target_minutes": "integer", "resumed_at": "timestamptz", "paused_at": "timestamptz",
    "elapsed_minutes": "double precision", "paused_seconds": "double precision",
    "due_at": "timestamptz", "warn_at": "timestamptz", "warning": "text",
    "warned_at": "timestamptz", "warnings_recorded": "text", "breached_at": "timestamptz",
    "fulfilled_at": "timestamptz", "stopped_at": "timestamptz",
}  # fmt: skip


def _text_array(labels: Sequence[str]) -> str:
    """A text[] literal of warning labels ("50%", "30m": no quotes or backslashes in them)."""
    return "{" + ",".join('"' + label.replace("\\", "\\\\").replace('"', '\\"') + '"'
                          for label in labels) + "}"  # fmt: skip


def clock_rows_update(clocks: Sequence[SlaClock], fields: Sequence[str]) -> None:
    """Write `fields` of `clocks` (saved rows) in one statement."""
    if not clocks:
        return
    columns = [SlaClock._meta.get_field(name) for name in fields]
    unnest = ", ".join(f"%s::{_TYPES[name]}[]" for name in fields)
    names = ", ".join(column.column for column in columns)
    sets = ", ".join(
        f"{column.column} = v.{column.column}"
        + ("::text[]" if column.name == "warnings_recorded" else "")
        for column in columns
    )
    values: list[Any] = [[clock.pk for clock in clocks]]
    for column in columns:
        if column.name == "warnings_recorded":
            values.append([_text_array(clock.warnings_recorded) for clock in clocks])
        else:
            values.append([getattr(clock, column.attname) for clock in clocks])
    table = SlaClock._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS c SET {sets}"  # noqa: S608 (names from model metadata)
            f" FROM unnest(%s::bigint[], {unnest}) AS v(id, {names}) WHERE c.id = v.id",
            values,
        )
