"""The desk's own teams, categories, agents ... as the rule builder lists them.

Shown by name, stored as the ids (or names) the rule language compares; `rules.builder` sits
below the tickets app and gets these through its `VALUE_SOURCES` hook (see `apps.py`).
"""

from __future__ import annotations

from typing import Any

from helpdesk import selectors as platform_selectors
from helpdesk.tenancy import STAFF_ROLES
from rules.facts import category_paths
from tickets.models import Category, Organization, Product, Team


def teams() -> list[tuple[Any, str]]:
    """The active desk's teams, by name."""
    return [(pk, name) for pk, name in Team.objects.order_by("name").values_list("pk", "name")]


def _paths() -> list[tuple[int, list[str]]]:
    paths = category_paths(Category.objects.only("pk", "name", "parent_id"))
    named = [(pk, [name for _pk, name in path]) for pk, path in paths.items()]
    return sorted(named, key=lambda item: [name.casefold() for name in item[1]])


def categories() -> list[tuple[Any, str]]:
    """The active desk's categories by id, shown as their path (Billing, then Invoices)."""
    return [(pk, " › ".join(names)) for pk, names in _paths()]  # noqa: RUF001


def category_names() -> list[tuple[Any, str]]:
    """The active desk's category paths as lists of names, for "category (by names)"."""
    return [(names, " › ".join(names)) for _pk, names in _paths()]  # noqa: RUF001


def products() -> list[tuple[Any, str]]:
    """The active desk's product lines, by name."""
    return list(Product.objects.order_by("name").values_list("pk", "name"))


def organizations() -> list[tuple[Any, str]]:
    """The active desk's customer organisations, by name."""
    return list(Organization.objects.order_by("name").values_list("pk", "name"))


def agents() -> list[tuple[Any, str]]:
    """The active desk's agents, managers and admins, by name."""
    users = platform_selectors.tenant_users(roles=STAFF_ROLES).values_list(
        "pk", "full_name", "email"
    )
    return [(pk, full_name or email) for pk, full_name, email in users]


SOURCES = {
    "team": teams,
    "category": categories,
    "category_path": category_names,
    "product": products,
    "organization": organizations,
    "agent": agents,
}
