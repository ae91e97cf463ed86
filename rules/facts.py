"""The facts of a ticket that rule conditions read, built from a ticket without a query.

Load the ticket with ``select_related("requester__organization", "category__parent__parent",
"product", "team")`` (deeper category trees need more ``__parent``) so reading the facts costs no
query. Duck-typed: tests pass `types.SimpleNamespace` objects with the same attributes.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from rules.conditions import CATEGORY_IDS


def ticket_facts(
    ticket: Any, first_message_text: str = "", inside_business_hours: bool | None = None
) -> dict[str, Any]:
    """A ticket's facts by field name (see `rules.conditions.FIELDS`).

    `first_message_text` is the body rules read (the description when empty);
    `inside_business_hours` is the caller's verdict for the arrival time (None: unknown).
    """
    requester = getattr(ticket, "requester", None)
    organization = getattr(requester, "organization", None)
    category = getattr(ticket, "category", None)
    product = getattr(ticket, "product", None)
    path = category.path() if category is not None else []
    email = (getattr(requester, "email", "") or "").strip()
    contract_value = getattr(organization, "contract_value", None)
    if isinstance(contract_value, Decimal):
        contract_value = float(contract_value)
    if inside_business_hours is None:
        business_hours = None
    else:
        business_hours = "inside" if inside_business_hours else "outside"
    return {
        "channel": ticket.channel,
        "status": ticket.status,
        "priority": ticket.priority,
        "customer_segment": ticket.customer_segment or getattr(organization, "tier", "") or "",
        "business_hours": business_hours,
        "is_vip": bool(getattr(ticket, "is_vip", False) or getattr(organization, "is_vip", False)),
        "category": _id(ticket, "category"),
        CATEGORY_IDS: [node.pk for node in path],
        "category_path": [node.name for node in path],
        "product": _id(ticket, "product"),
        "product_name": getattr(product, "name", ""),
        "organization": getattr(organization, "pk", None),
        "organization_name": getattr(organization, "name", ""),
        "contract_value": contract_value,
        "team": _id(ticket, "team"),
        "assignee": _id(ticket, "assignee"),
        "department": ticket.department,
        "region": ticket.region or getattr(organization, "region", "") or "",
        "language": ticket.language,
        "requester_email": email,
        "requester_domain": email.rpartition("@")[2].lower() if "@" in email else "",
        "subject": ticket.subject,
        "body": first_message_text or getattr(ticket, "description", ""),
        "tags": list(ticket.tags or ()),
    }


def _id(ticket: Any, name: str) -> int | None:
    # The `<name>_id` column of a model needs no query; a plain object may carry only `<name>`.
    if hasattr(ticket, f"{name}_id"):
        return getattr(ticket, f"{name}_id")
    related = getattr(ticket, name, None)
    return getattr(related, "pk", None)


def category_paths(categories: Iterable[Any]) -> dict[int, list[tuple[int, str]]]:
    """Each category's (id, name) path from the root, from the tenant's categories in memory.

    For `plan_rule_set`, so a rule that moves a ticket to another category lets later
    `within_tree` conditions see the new category's ancestors without a query.
    """
    by_id = {category.pk: category for category in categories}
    paths: dict[int, list[tuple[int, str]]] = {}
    for pk in by_id:
        path, node, seen = [], by_id.get(pk), set()
        while node is not None and node.pk not in seen:  # a broken tree ends, never loops
            seen.add(node.pk)
            path.append((node.pk, node.name))
            node = by_id.get(node.parent_id)
        paths[pk] = path[::-1]
    return paths
