"""Queues: built-in and saved ones, filtered, sorted and paged by keyset, and their counts."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet

from helpdesk.models import User
from sla import selectors as sla_selectors
from tickets.models import (
    Category,
    SavedView,
    Team,
    Ticket,
)
from tickets.selectors.tickets import my_team_ids, tickets_listed

if TYPE_CHECKING:
    from sla.models import SlaClock

# What a queue row shows (`tickets/_queue_rows.html`) and what its cursor needs: a page of 50
# rows builds 300 model instances, and all their columns cost more than the query itself.
QUEUE_ROW_FIELDS = (
    "id", "tenant_id", "number", "subject", "tags", "status", "priority", "priority_rank",
    "created_at", "updated_at", "tenant__ticket_prefix", "requester__name", "requester__email",
    "requester__organization__name", "requester__organization__tier",
    "requester__organization__is_vip", "team__name", "assignee__full_name", "assignee__email",
    # why a ticket nobody owns waits (`assignment.waiting_reasons`)
    "language", "team__assignment_strategy",
)  # fmt: skip


def queue_rows(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """`tickets` with what a queue row shows, and nothing more: with each ticket's earliest
    running SLA due time (`next_due`, None without one), in the same query."""
    return (
        tickets_listed(tickets).only(*QUEUE_ROW_FIELDS).annotate(next_due=sla_selectors.next_due())
    )


# Each sort is a list of (field, descending); the last field is unique, so a position in the
# queue is the row's values of these fields and the next page starts right after it.
SORTS: dict[str, tuple[tuple[str, bool], ...]] = {
    "newest": (("created_at", True), ("id", True)),
    "oldest": (("created_at", False), ("id", False)),
    "updated": (("updated_at", True), ("id", True)),
    "urgent": (("priority_rank", True), ("created_at", False), ("id", False)),
}


PAGE_SIZE = 50


COUNT_CAP = 999  # counts above this show as "999+": counting a huge queue exactly is slow


@dataclass(frozen=True)
class QueuePage:
    """One page of a queue: its tickets and where the next page starts (None: the end).

    Each ticket carries `queue_key`, its place in the queue's order (see `place_key`).
    """

    tickets: list[Ticket]
    next_cursor: str | None


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def place_key(values: list[Any], sort: tuple[tuple[str, bool], ...]) -> str:
    """A row's place in its queue as a JSON list of integers that sorts ascending.

    The values of the sort's fields, datetimes in microseconds, descending ones negated: a
    page can put a row it is given among the rows it shows by comparing keys (live.js).
    """
    key = []
    for value, (_field, descending) in zip(values, sort, strict=True):
        if isinstance(value, datetime):
            value = (value - _EPOCH) // timedelta(microseconds=1)
        key.append(-value if descending else value)
    return json.dumps(key, separators=(",", ":"))


def _keyed(tickets: list[Ticket], sort: tuple[tuple[str, bool], ...]) -> list[Ticket]:
    for ticket in tickets:
        ticket.queue_key = place_key([getattr(ticket, field) for field, _ in sort], sort)
    return tickets


def queue_tickets_base(
    *, key: str, agent: User, team: Team | None = None, team_ids: list[int] | None = None
) -> QuerySet[Ticket]:
    """The tickets of one built-in queue, unsorted and unfiltered.

    mine: open tickets the agent owns; unassigned: open, nobody's, in the agent's teams or
    in no team yet (routing did not place them, so every agent must see them); inbox: both
    (the agent's start page); team: one team's open tickets; pending: tickets
    waiting on their requester; all: every ticket (managers); spam: what was marked as spam.
    `team_ids`: the agent's teams, when the caller knows them (else they are read).
    """
    open_tickets = Ticket.objects.filter(status__in=Ticket.OPEN_STATUSES)
    teams = []
    if key in ("unassigned", "inbox"):
        teams = my_team_ids(agent=agent) if team_ids is None else team_ids
    if key == "mine":
        return open_tickets.filter(assignee=agent)
    waiting = Q(assignee__isnull=True) & (Q(team__in=teams) | Q(team__isnull=True))
    if key == "unassigned":
        return open_tickets.filter(waiting)
    if key == "inbox":
        return open_tickets.filter(Q(assignee=agent) | waiting)
    if key == "team" and team is not None:
        return open_tickets.filter(team=team)
    if key == "pending":
        return Ticket.objects.filter(status=Ticket.Status.PENDING)
    if key == "all_open":
        return open_tickets
    if key == "all":
        return Ticket.objects.filter(is_spam=False)
    if key == "spam":
        return Ticket.objects.filter(is_spam=True)
    raise ValueError(f"unknown queue {key!r}")


TICKET_REFERENCE = re.compile(r"^(?:[A-Za-z][A-Za-z0-9]*-)?(\d{1,18})$")


def tickets_filtered(tickets: QuerySet[Ticket], *, filters: dict[str, Any]) -> QuerySet[Ticket]:
    """Narrow `tickets` by a queue filter form's cleaned data (empty values are ignored)."""
    if filters.get("status"):
        tickets = tickets.filter(status__in=filters["status"])
    if filters.get("priority"):
        tickets = tickets.filter(priority__in=filters["priority"])
    if filters.get("channel"):
        tickets = tickets.filter(channel__in=filters["channel"])
    if filters.get("team"):
        tickets = tickets.filter(team=filters["team"])
    assignee = filters.get("assignee")
    if assignee == "none":
        tickets = tickets.filter(assignee__isnull=True)
    elif isinstance(assignee, User):
        tickets = tickets.filter(assignee=assignee)
    if filters.get("category"):
        tickets = tickets.filter(category__in=category_subtree(filters["category"]))
    if filters.get("product"):
        tickets = tickets.filter(product=filters["product"])
    for field in ("department", "region", "language"):
        if filters.get(field):
            tickets = tickets.filter(**{f"{field}__iexact": filters[field]})
    if filters.get("tier"):
        tickets = tickets.filter(customer_segment=filters["tier"])
    if filters.get("tags"):
        tickets = tickets.filter(tags__overlap=filters["tags"])
    if filters.get("sla"):
        tickets = tickets.filter(sla_selectors.tickets_in_sla_state(filters["sla"]))
    if filters.get("vip"):
        tickets = tickets.filter(requester__organization__is_vip=True)
    text = (filters.get("q") or "").strip()
    if text:
        reference = TICKET_REFERENCE.match(text)
        match = (
            Q(subject__icontains=text)
            | Q(requester__email__iexact=text)
            | Q(requester__name__icontains=text)
        )
        if reference:
            match |= Q(number=int(reference.group(1)))
        tickets = tickets.filter(match)
    return tickets


def category_subtree(category: Category) -> list[int]:
    """A category and every category below it (a filter on Billing finds Billing > Refunds)."""
    ids, frontier = [category.pk], [category.pk]
    while frontier:
        frontier = list(
            Category.objects.filter(parent__in=frontier)
            .exclude(pk__in=ids)
            .values_list("pk", flat=True)
        )
        ids += frontier
    return ids


def _cursor_encode(ticket: Ticket, sort: tuple[tuple[str, bool], ...]) -> str:
    values = []
    for field, _descending in sort:
        value = getattr(ticket, field)
        values.append(value.isoformat() if isinstance(value, datetime) else value)
    raw = json.dumps(values, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _cursor_decode(cursor: str, sort: tuple[tuple[str, bool], ...]) -> list[Any] | None:
    """The sort values a cursor holds, or None for a cursor this sort did not make."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError):
        return None
    if not isinstance(values, list) or len(values) != len(sort):
        return None
    decoded = []
    for (field, _descending), value in zip(sort, values, strict=True):
        if field.endswith("_at"):
            if not isinstance(value, str):
                return None
            try:
                value = datetime.fromisoformat(value)
            except ValueError:
                return None
            if value.tzinfo is None:
                return None
        elif not isinstance(value, int) or isinstance(value, bool):
            return None
        decoded.append(value)
    return decoded


def _after(sort: tuple[tuple[str, bool], ...], values: list[Any]) -> Q:
    """Rows strictly after the position `values` in the order `sort` (a keyset condition)."""
    condition = Q()
    for index in range(len(sort) - 1, -1, -1):
        field, descending = sort[index]
        beyond = Q(**{f"{field}__{'lt' if descending else 'gt'}": values[index]})
        if index == len(sort) - 1:
            condition = beyond
        else:
            condition = beyond | (Q(**{field: values[index]}) & condition)
    # Implied by the above, but only this form lets PostgreSQL start the index range at the
    # cursor: without it a page 5,000 rows deep reads and drops the 5,000 rows before it.
    field, descending = sort[0]
    if values[0] is None:
        return condition
    return Q(**{f"{field}__{'lte' if descending else 'gte'}": values[0]}) & condition


def queue_page(
    tickets: QuerySet[Ticket], *, sort: str, after: str = "", size: int = PAGE_SIZE
) -> QueuePage:
    """One page of `tickets` in `sort` order, starting after the cursor `after`.

    Keyset pagination: the database reads one index range from the cursor on, so page 500
    costs what page 1 costs. A cursor that does not fit the sort starts from the top.
    """
    order = SORTS.get(sort) or SORTS["newest"]
    rows = list(queue_page_rows(tickets, sort=sort, after=after, size=size))
    more = len(rows) > size
    rows = rows[:size]
    cursor = _cursor_encode(rows[-1], order) if more and rows else None
    return QueuePage(_keyed(rows, order), cursor)


def queue_page_rows(
    tickets: QuerySet[Ticket], *, sort: str, after: str = "", size: int = PAGE_SIZE
) -> QuerySet[Ticket]:
    """The rows `queue_page` reads: a page of `tickets` after the cursor `after`, and one row
    more (which says that another page follows)."""
    order = SORTS.get(sort) or SORTS["newest"]
    if after and (values := _cursor_decode(after, order)) is not None:
        tickets = tickets.filter(_after(order, values))
    ordering = [f"-{field}" if descending else field for field, descending in order]
    return queue_rows(tickets).order_by(*ordering)[: size + 1]


def queue_rows_by_id(
    tickets: QuerySet[Ticket], *, ids: Collection[int], sort: str
) -> dict[int, Ticket]:
    """The rows of the tickets `ids` that are in the queue `tickets`, by id, each with its
    `queue_key` in `sort` order (a live page updating only the rows that changed)."""
    order = SORTS.get(sort) or SORTS["newest"]
    rows = list(queue_rows(tickets.filter(pk__in=list(ids))))
    return {ticket.pk: ticket for ticket in _keyed(rows, order)}


def queue_count(tickets: QuerySet[Ticket]) -> int:
    """How many tickets a queue holds, counted up to COUNT_CAP + 1."""
    return tickets.order_by()[: COUNT_CAP + 1].count()


def saved_views(*, agent: User) -> QuerySet[SavedView]:
    """The views an agent may open: their own and those shared with the desk."""
    return SavedView.objects.filter(Q(owner=agent) | Q(is_shared=True)).select_related("owner")


BREACHING_SORT: tuple[tuple[str, bool], ...] = (("due_at", False), ("id", False))


def breaching_clocks(tickets: QuerySet[Ticket]) -> QuerySet[SlaClock]:
    """The "Breaching soon" queue of `tickets`: each one that gave an SLA warning or breached,
    at its earliest such running clock, the most overdue first. Its list and its count."""
    return sla_selectors.clocks_at_risk(tickets)


def breaching_count(tickets: QuerySet[Ticket]) -> int:
    """How many of `tickets` the "Breaching soon" queue lists, counted up to COUNT_CAP + 1."""
    return breaching_clocks(tickets).order_by()[: COUNT_CAP + 1].count()


def breaching_page(
    tickets: QuerySet[Ticket], *, after: str = "", size: int = PAGE_SIZE
) -> QueuePage:
    """A page of the "Breaching soon" queue of `tickets` (see `breaching_clocks`).

    Read from the clocks' own index in due order: each ticket is listed at its earliest
    clock at risk, so paging never shows a ticket twice, and the cost does not grow with the
    number of open tickets.
    """
    clocks = breaching_clocks(tickets)
    if after and (values := _cursor_decode(after, BREACHING_SORT)) is not None:
        clocks = clocks.filter(_after(BREACHING_SORT, values))
    rows = list(
        clocks.select_related(
            "ticket__tenant", "ticket__requester__organization", "ticket__team", "ticket__assignee"
        ).order_by("due_at", "id")[: size + 1]
    )
    more = len(rows) > size
    rows = rows[:size]
    listed = []
    for clock in rows:
        clock.ticket.next_due = clock.due_at
        clock.ticket.queue_key = place_key([clock.due_at, clock.pk], BREACHING_SORT)
        listed.append(clock.ticket)
    return QueuePage(listed, _cursor_encode(rows[-1], BREACHING_SORT) if more and rows else None)


def breaching_rows_by_id(tickets: QuerySet[Ticket], *, ids: Collection[int]) -> dict[int, Ticket]:
    """The rows of the tickets `ids` that are breaching soon among `tickets`, by id, each with
    its `queue_key` (the place of its earliest clock at risk)."""
    page = breaching_page(tickets.filter(pk__in=list(ids)), size=len(ids))
    return {ticket.pk: ticket for ticket in page.tickets}
