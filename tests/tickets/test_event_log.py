"""The ticket event log has one writer (tickets/events.py) and one documented schema."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tickets import events
from tickets.models import TicketEvent

ROOT = Path(__file__).resolve().parents[2]
# demo's bench_seed fills every table of a million-ticket desk in SQL, by design.
PRODUCT = ("helpdesk", "rules", "sla", "tickets", "integrations", "reports", "escalations")
WRITES = {"create", "bulk_create", "update", "get_or_create", "update_or_create", "delete"}


def product_files() -> list[Path]:
    return [
        path
        for app in PRODUCT
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts
    ]


def event_log_writes(path: Path) -> list[str]:
    """Where `path` builds or writes TicketEvent rows itself."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id == "TicketEvent":
                found.append(f"{path.name}:{node.lineno} TicketEvent(...)")
            if (
                isinstance(func, ast.Attribute)
                and func.attr in WRITES
                and "TicketEvent" in ast.unparse(func.value)
            ):
                found.append(f"{path.name}:{node.lineno} {ast.unparse(func)}")
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value.lower()
            if TicketEvent._meta.db_table in text and ("insert" in text or "update" in text):
                found.append(f"{path.name}:{node.lineno} SQL writing the event table")
    return found


def test_only_the_events_module_writes_the_event_log():
    writers = {
        str(path.relative_to(ROOT)): found
        for path in product_files()
        if path != ROOT / "tickets" / "events.py" and (found := event_log_writes(path))
    }
    assert writers == {}


def test_every_kind_of_event_has_its_documented_data():
    assert set(events.DATA_KEYS) == set(TicketEvent.Kind.values)
    for kind in TicketEvent.Kind.values:
        assert f"- {kind}" in events.__doc__ or f", {kind}:" in events.__doc__


def test_an_event_with_undocumented_data_is_refused():
    with pytest.raises(ValueError, match="no colour"):
        events.event_build(ticket=1, tenant_id=1, kind=TicketEvent.Kind.STATUS, colour="red")
