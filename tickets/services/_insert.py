"""The one-statement insert of a new ticket with its first rows: the intake fast path.

Every channel's new ticket goes through `ticket_insert`: one INSERT statement (a chain of
CTEs) writes the next number of the desk's counter, the ticket, its first message, its
created event, its acknowledgement, the routing rules' events and its SLA clocks, built by the
intake service as unsaved model instances. The statement is generated from the models'
fields, so a new column needs no change here.

What it buys, measured (`make bench`, intake figure; an A/B of the same `ticket_open` with
this statement sent through Django's cursor, %s placeholders and client-side binding, on
2026-12-07): one round trip instead of five or more, and a plan PostgreSQL makes once per
connection (`prepare=True` on a kept psycopg cursor) instead of parsing and planning a
statement of sixty parameters for every ticket: about 0.5 ms of a ticket's 4-5 ms.

What it gives up, and how that is held in check:
- Model `save()` and the `pre_save` / `post_save` signals do not run for these rows (Ticket,
  Message, TicketEvent, Acknowledgement, SlaClock, TicketCounter).
  `tests/tickets/test_intake_insert.py` fails if anything listens to those signals.
- Django's cursor class is bypassed (its binding, its `CursorWrapper`). The statement still
  goes through the connection's `execute_wrapper()` hooks (tracing, metrics) and into its
  query log when queries are logged, so `django_assert_num_queries` counts it.
- The cursor is kept on Django's connection wrapper (`_new_ticket_cursor`) and made again
  when the connection is.
The tests insert tickets through it and compare every stored column with the model's own
preparation of the same objects.
"""

from __future__ import annotations

import functools
import itertools
import time
from typing import Any

import psycopg
from django.db import DEFAULT_DB_ALIAS, connection, connections, models

from tickets.models import (
    Acknowledgement,
    Message,
    Ticket,
    TicketCounter,
    TicketEvent,
)

# Fields whose Python value psycopg takes as it is (Django's preparation returns it unchanged).
_PLAIN_FIELDS = (
    models.CharField, models.TextField, models.EmailField, models.SlugField, models.BooleanField,
    models.IntegerField, models.BigIntegerField, models.SmallIntegerField,
    models.PositiveIntegerField, models.PositiveSmallIntegerField, models.FloatField,
    models.ForeignKey, models.DateTimeField,
)  # fmt: skip


@functools.cache
def _insert_columns(model: type[models.Model], link: str | None) -> tuple[tuple[Any, ...], str]:
    """The fields `model`'s INSERT writes (all but the key, `link` and generated columns),
    each with whether its value needs Django's preparation (`pre_save`, `get_db_prep_save`)."""
    fields = tuple(
        (field, not _taken_as_is(field))
        for field in model._meta.concrete_fields
        if not (field.primary_key or field.column == link or field.generated)
    )
    columns = ", ".join(connection.ops.quote_name(field.column) for field, _prep in fields)
    return fields, columns


def _taken_as_is(field: models.Field) -> bool:
    return type(field) in _PLAIN_FIELDS and not (
        getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
    )


def _insert_params(obj: Any, link: str | None) -> list[Any]:
    """The values `obj`'s INSERT writes, prepared as its model's fields prepare them."""
    fields, _columns = _insert_columns(type(obj), link)
    return [
        field.get_db_prep_save(field.pre_save(obj, add=True), connection)
        if prepare
        else getattr(obj, field.attname)
        for field, prepare in fields
    ]


@functools.lru_cache(maxsize=256)  # a shape per count of clocks and routed events
def _new_ticket_sql(shapes: tuple[type[models.Model], ...]) -> str:
    """The one INSERT statement of a new ticket whose rows are of `shapes` after the ticket.

    Built once per shape and written with PostgreSQL's own `$n` placeholders: psycopg does not
    cache the parsing of statements this long, and sends this one as it is.
    """
    q = connection.ops.quote_name
    counter = TicketCounter._meta.db_table
    number = itertools.count(1)

    def placeholders(count: int) -> str:
        return ", ".join(f"${next(number)}" for _n in range(count))

    tenant = placeholders(1)
    ticket_fields, ticket_cols = _insert_columns(Ticket, "number")
    ticket_vals = placeholders(len(ticket_fields))
    aliases = ["m", "e", "a", *(f"x{n}" for n in range(len(shapes) - 3))]
    parts = []
    for alias, model in zip(aliases, shapes, strict=True):
        fields, cols = _insert_columns(model, "ticket_id")
        # Names come from model metadata; every value is a parameter.
        parts.append(
            f"{alias} AS (INSERT INTO {q(model._meta.db_table)} ({cols}, ticket_id)"  # noqa: S608
            f" SELECT {placeholders(len(fields))}, t.id FROM t RETURNING id)"
        )
    return (
        f"WITH n AS (INSERT INTO {q(counter)} (tenant_id, last_number) VALUES ({tenant}, 1)"  # noqa: S608
        f" ON CONFLICT (tenant_id) DO UPDATE SET last_number = {q(counter)}.last_number + 1"
        " RETURNING last_number),"
        f" t AS (INSERT INTO {q(Ticket._meta.db_table)} ({ticket_cols}, number)"
        f" SELECT {ticket_vals}, n.last_number FROM n RETURNING id, number), "
        + ", ".join(parts)
        + " SELECT t.id, t.number, "
        + ", ".join(f"{alias}.id" for alias in aliases)
        + " FROM t, "
        + ", ".join(aliases)
    )


def ticket_insert(
    ticket: Ticket, message: Message, event: TicketEvent, ack: Acknowledgement, *more: Any
) -> None:
    """Insert a new ticket with its number, first message, event and acknowledgement at once.

    `more` are further rows with a `ticket` foreign key (its SLA clocks, the routing rules'
    events), inserted by the same statement. The counter row stays locked until commit:
    concurrent tickets never share a number.
    """
    rows = (message, event, ack, *more)
    sql = _new_ticket_sql(tuple(type(obj) for obj in rows))
    params = [ticket.tenant_id, *_insert_params(ticket, "number")]
    for obj in rows:
        params += _insert_params(obj, "ticket_id")
    db = connections[DEFAULT_DB_ALIAS]
    db.ensure_connection()
    cursor = _insert_cursor(db)
    ticket.pk, ticket.number, *ids = _execute(db, cursor, sql, params)
    for obj, pk in zip(rows, ids, strict=True):
        obj.pk = pk
    for obj in (ticket, *rows):
        obj._state.adding, obj._state.db = False, DEFAULT_DB_ALIAS
    for obj in rows:
        obj.ticket_id = ticket.pk


def _insert_cursor(db: Any) -> psycopg.RawCursor:
    """The connection's cursor for new tickets: kept, so it keeps its adapters for the values
    (a new cursor looks each one up again). It lives and goes with the connection's wrapper."""
    cursor = getattr(db, "_new_ticket_cursor", None)
    if cursor is None or cursor.closed or cursor.connection is not db.connection:
        cursor = db._new_ticket_cursor = psycopg.RawCursor(db.connection)
    return cursor


def _execute(db: Any, cursor: psycopg.RawCursor, sql: str, params: list[Any]) -> tuple[Any, ...]:
    """Run the statement prepared, as Django's cursor would run it for its hooks and its log."""

    def run(sql: str, params: list[Any], many: bool, context: dict[str, Any]) -> Any:
        # Prepared on the server (Django leaves psycopg's automatic preparing off): PostgreSQL
        # plans this statement of many parts once per connection instead of for every ticket.
        return cursor.execute(sql, params, prepare=True)

    executor = run
    for wrapper in reversed(db.execute_wrappers):
        executor = functools.partial(wrapper, executor)
    started = time.monotonic()
    executor(sql, params, False, {"connection": db, "cursor": cursor})
    row = cursor.fetchone()
    if db.queries_logged:
        db.queries_log.append({"sql": sql, "time": f"{time.monotonic() - started:.3f}"})
    return row
