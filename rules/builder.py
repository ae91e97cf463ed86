"""The rule builder: conditions and actions picked from lists in a form, written as rule JSON.

Tenant admins build a rule row by row (field, operator, value; or action, value), choosing
values by name from the desk's own teams, categories, agents ...; the form field stores the same
JSON `validate_conditions` and `validate_actions` read, and the JSON stays editable as the
"advanced" view (the only view without JavaScript for rules the rows cannot show).

What the rows offer is derived from the rule language itself (`FIELDS`, `operators_for`,
`AUTOMATION_ACTIONS` ...), in `field_descriptions` and `action_descriptions`: a field added to
the language appears in the builder. Values that live in a desk's tables come from
`VALUE_SOURCES`, a plain-value hook the tickets app fills (this package sits below it).

Posted names, per field `name`: `name` (the JSON), `name__mode` ("builder" or "json"),
`name__match` ("all" or "any"), and per row `i`: `name__i__field`, `name__i__op`,
`name__i__value` (several for a multiple choice), or `name__i__action`, `name__i__value`.
A post without `name__mode` is read as JSON, as the form was before the builder.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django import forms
from django.conf import settings
from django.template import loader
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from rules.actions import ACTIONS, AUTOMATION_ACTIONS, MESSAGE_ACTIONS, STRATEGIES
from rules.conditions import ALL_OPS, FIELDS, NO_VALUE_OPS, OP_WORDS, FieldSpec, Kind, operators_for
from rules.vocabulary import Channel, Priority, Status, Tier

# Where the values of id fields come from: source name -> the active desk's (value, label)
# pairs. Filled by the tickets app when it is ready (teams, categories, agents ...).
VALUE_SOURCES: dict[str, Callable[[], Sequence[tuple[Any, str]]]] = {}

# Which source lists a field's (or an action's) values.
FIELD_SOURCES = {
    "team": "team",
    "assignee": "agent",
    "category": "category",
    "category_path": "category_path",
    "product": "product",
    "organization": "organization",
}
ACTION_SOURCES = {"set_team": "team", "set_category": "category"}

FIELD_LABELS = {
    "channel": _("Channel"),
    "status": _("Status"),
    "priority": _("Priority"),
    "customer_segment": _("Organisation tier"),
    "business_hours": _("Arrived in business hours"),
    "is_vip": _("VIP organisation"),
    "category": _("Category"),
    "category_path": _("Category (by names)"),
    "product": _("Product line"),
    "product_name": _("Product line name"),
    "organization": _("Organisation"),
    "organization_name": _("Organisation name"),
    "contract_value": _("Contract value"),
    "team": _("Team"),
    "assignee": _("Assignee"),
    "department": _("Department"),
    "region": _("Region"),
    "language": _("Language"),
    "requester_email": _("Requester's email"),
    "requester_domain": _("Requester's email domain"),
    "subject": _("Subject"),
    "body": _("First message"),
    "tags": _("Tags"),
    "hours_since_created": _("Hours since created"),
    "hours_since_updated": _("Hours since updated"),
    "hours_since_status_changed": _("Hours since the status changed"),
    "hours_since_requester_reply": _("Hours since the requester wrote"),
    "hours_since_agent_reply": _("Hours since an agent replied"),
}
OP_LABELS = {
    "is": _("is"),
    "is_not": _("is not"),
    "in": _("is one of"),
    "not_in": _("is none of"),
    "contains": _("contains"),
    "not_contains": _("does not contain"),
    "starts_with": _("starts with"),
    "ends_with": _("ends with"),
    "matches": _("matches the pattern"),
    "is_empty": _("is empty"),
    "is_not_empty": _("is not empty"),
    "includes": _("includes any of"),
    "excludes": _("includes none of"),
    "within_tree": _("is within"),
    "gt": _("is more than"),
    "lt": _("is less than"),
}
ACTION_LABELS = {
    "set_team": _("Route to team"),
    "set_category": _("Set category"),
    "set_department": _("Set department"),
    "set_priority": _("Set priority"),
    "set_language": _("Set language"),
    "mark_vip": _("Mark as VIP"),
    "set_status": _("Set status"),
    "add_tags": _("Add tags"),
    "remove_tags": _("Remove tags"),
    "assign": _("Assign"),
    "stop": _("Stop: later rules are skipped"),
    "add_note": _("Add an internal note"),
    "notify_requester": _("Email the requester"),
    "notify_assignee": _("Email the assignee"),
    "notify_team_lead": _("Email the team lead"),
}
STRATEGY_LABELS = {
    "round_robin": _("by the team's turn (round robin)"),
    "least_open": _("to the agent with the fewest open tickets"),
    "skills": _("by skills and language"),
    "manual": _("nobody: agents take it from the queue"),
}
CHOICE_LABELS: dict[str, Mapping[str, Any]] = {
    "channel": dict(Channel.choices),
    "status": dict(Status.choices),
    "priority": dict(Priority.choices),
    "customer_segment": dict(Tier.choices),
    "business_hours": {"inside": _("inside"), "outside": _("outside")},
}
YES_NO = [(True, _("yes")), (False, _("no"))]

# How a row's value is entered: no value, one or several of a list, yes/no, a number, text,
# comma-separated words, or a message (a text area).
NONE, SELECT, MULTI, YESNO, NUMBER, TEXT, WORDS, MESSAGE = (
    "none", "select", "multi", "yesno", "number", "text", "words", "message"
)  # fmt: skip


def encode(value: Any) -> str:
    """A value as an option of a select carries it: JSON, so ids stay numbers."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def decode(text: str) -> Any:
    """An option's value back (text that is not JSON is taken as written)."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def _source(name: str | None) -> list[tuple[Any, str]]:
    if name is None or name not in VALUE_SOURCES:
        return []
    return [(value, str(label)) for value, label in VALUE_SOURCES[name]()]


def field_options(spec: FieldSpec) -> list[tuple[Any, str]] | None:
    """The values a field is picked from, by name; None: typed."""
    if spec.name in CHOICE_LABELS:
        labels = CHOICE_LABELS[spec.name]
        return [(choice, str(labels.get(choice, choice))) for choice in spec.choices]
    if spec.choices:
        return [(choice, choice) for choice in spec.choices]
    if spec.name == "language":
        return [(code, str(name)) for code, name in settings.LANGUAGES]
    if spec.kind == Kind.YES_NO:
        return [(value, str(label)) for value, label in YES_NO]
    if FIELD_SOURCES.get(spec.name) in VALUE_SOURCES:
        return _source(FIELD_SOURCES[spec.name])
    return None


def is_listed(spec: FieldSpec) -> bool:
    """Whether a field's values are picked from a list (`field_options`) rather than typed."""
    return bool(
        spec.name in CHOICE_LABELS
        or spec.choices
        or spec.name == "language"
        or spec.kind == Kind.YES_NO
        or FIELD_SOURCES.get(spec.name) in VALUE_SOURCES
    )


def value_control(spec: FieldSpec, op: str, listed: bool) -> str:
    """How the value of `field op …` is entered; `listed`: the field has a list of values."""
    if op in NO_VALUE_OPS:
        return NONE
    if spec.kind == Kind.YES_NO:
        return YESNO
    if spec.kind == Kind.NUMBER:
        return NUMBER
    if op in ("in", "not_in"):
        return MULTI if listed else WORDS
    if op in ("includes", "excludes"):
        return WORDS
    if op == "within_tree":
        return SELECT if listed else WORDS
    if op in ("is", "is_not"):
        return SELECT if listed else TEXT
    return TEXT


def field_descriptions() -> dict[str, dict[str, Any]]:
    """Every field of the rule language as the builder offers it, with this desk's values."""
    described = {}
    for spec in FIELDS.values():
        options = field_options(spec)
        ops = operators_for(spec)
        described[spec.name] = {
            "label": str(FIELD_LABELS.get(spec.name, spec.name.replace("_", " ").capitalize())),
            "help": spec.help,
            "ops": [(op, str(OP_LABELS.get(op, OP_WORDS[op]))) for op in ops],
            "controls": {op: value_control(spec, op, is_listed(spec)) for op in ops},
            "options": [(encode(value), label) for value, label in options or ()],
        }
    return described


def action_control(name: str) -> str:
    """How the value of an action is entered."""
    if name == "stop":
        return NONE
    if name == "mark_vip":
        return YESNO
    if name in ("add_tags", "remove_tags"):
        return WORDS
    if name == "set_department":
        return TEXT
    if name in MESSAGE_ACTIONS:
        return MESSAGE
    return SELECT


def action_options(name: str) -> list[tuple[Any, str]]:
    """The values an action is picked from, by name (empty: typed)."""
    if name in ACTION_SOURCES:
        return _source(ACTION_SOURCES[name])
    if name == "set_priority":
        return [(value, str(label)) for value, label in Priority.choices]
    if name == "set_status":
        return [(value, str(label)) for value, label in Status.choices]
    if name == "set_language":
        return [(code, str(label)) for code, label in settings.LANGUAGES]
    if name == "mark_vip":
        return [(value, str(label)) for value, label in YES_NO]
    if name == "assign":
        strategies = [({"strategy": s}, str(STRATEGY_LABELS[s])) for s in STRATEGIES]
        agents = [({"agent": pk}, str(label)) for pk, label in _source("agent")]
        return strategies + agents
    return []


def action_descriptions(allowed: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Every action of `allowed` as the builder offers it, with this desk's values."""
    return {
        name: {
            "label": str(ACTION_LABELS.get(name, name.replace("_", " ").capitalize())),
            "control": action_control(name),
            "options": [(encode(value), label) for value, label in action_options(name)],
        }
        for name in allowed
    }


# --- reading the rows a form posted --------------------------------------------------------


def _typed(control: str, values: list[str]) -> Any:
    """The JSON value of what a row's value control posted."""
    first = values[0] if values else ""
    if control == MULTI:
        return [decode(value) for value in values if value != ""]
    if control in (SELECT, YESNO):
        return decode(first) if first != "" else None
    if control == NUMBER:
        text = first.strip().replace(",", ".")
        try:
            number = float(text)
        except ValueError:
            return first  # refused by validation, on its row
        return int(number) if number.is_integer() and "." not in text else number
    if control == WORDS:
        return [word.strip() for word in first.split(",") if word.strip()]
    return first


def _row_indexes(data: Any, name: str, key: str) -> list[int]:
    pattern = re.compile(rf"{re.escape(name)}__(\d+)__{key}")
    found = {int(match[1]) for k in data if (match := pattern.fullmatch(k))}
    return sorted(found)


def _condition_items(data: Any, prefix: str, depth: int) -> list[dict[str, Any]]:
    """The conditions of the rows under `prefix`: leaves, and (at the top) groups of leaves."""
    items = []
    groups = _row_indexes(data, prefix, "match") if depth == 1 else []
    for index in sorted({*_row_indexes(data, prefix, "field"), *groups}):
        row = f"{prefix}__{index}"
        if index in groups:
            children = _condition_items(data, row, depth + 1)
            if children:  # an emptied group is dropped, as an emptied row is
                items.append({"any" if data.get(f"{row}__match") == "any" else "all": children})
            continue
        field = data.get(f"{row}__field", "")
        if not field:
            continue  # an empty row: left blank, or the one offered for a new condition
        op = data.get(f"{row}__op", "")
        leaf: dict[str, Any] = {"field": field, "op": op}
        spec = FIELDS.get(field)
        control = (
            TEXT if spec is None or op not in ALL_OPS else value_control(spec, op, is_listed(spec))
        )
        if control != NONE:
            leaf["value"] = _typed(control, data.getlist(f"{row}__value"))
        items.append(leaf)
    return items


def conditions_from_rows(data: Any, name: str) -> dict[str, Any]:
    """The conditions JSON of the builder rows in `data` (a QueryDict); {} without rows.

    A row is a condition, or (at the top) a group of conditions with its own all/any.
    """
    items = _condition_items(data, name, 1)
    if not items:
        return {}
    match = "any" if data.get(f"{name}__match") == "any" else "all"
    return {match: items}


def actions_from_rows(data: Any, name: str) -> list[dict[str, Any]]:
    """The actions JSON of the builder rows in `data` (a QueryDict)."""
    actions = []
    for index in _row_indexes(data, name, "action"):
        action = data.get(f"{name}__{index}__action", "")
        if not action:
            continue
        item: dict[str, Any] = {"action": action}
        control = action_control(action)
        if control != NONE:
            item["value"] = _typed(control, data.getlist(f"{name}__{index}__value"))
        actions.append(item)
    return actions


# --- the widget ----------------------------------------------------------------------------


def _group_items(item: Any) -> list[Any] | None:
    """The children of a group {"all": [...]} / {"any": [...]}; None: not a group."""
    if isinstance(item, dict) and len(item) == 1:
        children = item.get("all", item.get("any"))
        if isinstance(children, list) and children:
            return children
    return None


def _keyed(rows: list[dict[str, Any]], prefix: str, blank: dict[str, Any]) -> dict[str, Any]:
    """Give each row (and a group's rows) the prefix of its inputs' names; returns the blank."""
    for index, row in enumerate(rows):
        row["key"] = f"{prefix}__{index}"
        if row.get("type") == "group":
            row["blank"] = _keyed(row["rows"], row["key"], dict(row["blank"]))
    return {**blank, "key": f"{prefix}__{len(rows)}"}


def _row_of(message: str, kind: str) -> int | None:
    """The row a validation message is about: "conditions.all[2].value: …" is row 2."""
    if kind == "conditions":
        found = re.match(r"(?:conditions\.?)?(?:all|any)\[(\d+)\]", message)
    else:
        found = re.match(r"actions\[(\d+)\]", message)
    return int(found[1]) if found else None


def _without_path(message: str) -> str:
    return message.split(": ", 1)[1] if re.match(r"^[\w.\[\]]+: ", message) else message


def _choices(options: list[tuple[str, str]], chosen: list[Any]) -> list[dict[str, Any]]:
    """Options with the chosen values marked; a value the list lacks is kept, shown as is."""
    encoded = [encode(value) for value in chosen]
    rows = [
        {"value": value, "label": label, "selected": value in encoded} for value, label in options
    ]
    known = {value for value, _label in options}
    rows += [
        {"value": value, "label": _("%(value)s (not in this help desk)") % {"value": value},
         "selected": True}
        for value in encoded
        if value not in known
    ]  # fmt: skip
    return rows


def _control_context(control: str, options: list, value: Any) -> dict[str, Any]:
    if control in (SELECT, YESNO):
        chosen = [] if value is None else [value]
        return {"control": control, "choices": _choices(options, chosen)}
    if control == MULTI:
        chosen = value if isinstance(value, list) else [] if value is None else [value]
        return {"control": control, "choices": _choices(options, chosen)}
    if control == WORDS:
        words = value if isinstance(value, list) else [] if value is None else [value]
        return {"control": control, "text": ", ".join(str(word) for word in words)}
    return {"control": control, "text": "" if value is None else value}


class RuleBuilderWidget(forms.Widget):
    """Rows of a rule's conditions or actions, with its JSON as the "advanced" view."""

    template_name = "admin/rules/rule_builder.html"
    kind = "conditions"

    class Media:
        js = ["js/rule-builder.js"]
        css = {"all": ["css/rule-builder.css"]}

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs)
        self.problems: list[str] = []  # the field's errors, shown on their rows too
        self.posted_mode = ""

    def description(self) -> dict[str, Any]:
        raise NotImplementedError

    def rows(self, value: Any, description: dict[str, Any]) -> list[dict[str, Any]] | None:
        """The rows showing `value`; None: the builder cannot show it (use the JSON)."""
        raise NotImplementedError

    def from_rows(self, data: Any, name: str) -> Any:
        raise NotImplementedError

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> str:
        # The project's templates (templates/admin/rules/), which Django's default form
        # renderer does not search.
        context = self.get_context(name, value, attrs)
        return mark_safe(loader.render_to_string(self.template_name, context))  # noqa: S308

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        self.posted_mode = data.get(f"{name}__mode", "")
        if self.posted_mode != "builder":
            return data.get(name)
        return json.dumps(self.from_rows(data, name), ensure_ascii=False)

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return name not in data and f"{name}__mode" not in data

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        text = "" if value is None else str(value)
        description = self.description()
        try:
            parsed = json.loads(text) if text.strip() else None
        except ValueError:
            parsed, rows = text, None
        else:
            rows = self.rows(parsed, description)
        if rows is not None:
            for index, row in enumerate(rows):
                row["errors"] = [
                    _without_path(problem)
                    for problem in self.problems
                    if _row_of(problem, self.kind) == index
                ]
        mode = self.posted_mode or "builder"
        if rows is None:
            mode = "json"
        if parsed is not None and not isinstance(parsed, str):
            text = json.dumps(parsed, indent=2, ensure_ascii=False)
        blank = self.blank_row(description)
        context["builder"] = {
            "kind": self.kind,
            "mode": mode,
            "fits": rows is not None,
            "rows": rows or [],
            "blank": _keyed(rows or [], name, blank),
            "template_row": {**blank, "key": "__new__"},
            "template_group": {
                "type": "group",
                "match": "all",
                "rows": [],
                "key": "__new__",
                "blank": {**blank, "key": "__new____0"},
            },
            "json": text,
            "description": description,
            "match": self.match(parsed),
        }
        return context

    def match(self, parsed: Any) -> str:
        return "all"

    def blank_row(self, description: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError


class ConditionsWidget(RuleBuilderWidget):
    """Conditions as rows "field, operator, value", all or any of them."""

    kind = "conditions"

    def description(self) -> dict[str, Any]:
        return {"fields": field_descriptions()}

    def match(self, parsed: Any) -> str:
        return "any" if isinstance(parsed, dict) and "any" in parsed else "all"

    def rows(self, value: Any, description: dict[str, Any]) -> list[dict[str, Any]] | None:
        if value is None or value == {}:
            return []
        if not isinstance(value, dict):
            return None
        if "field" in value:
            leaves = [value]
        elif len(value) == 1 and isinstance(value.get("all", value.get("any")), list):
            leaves = value.get("all", value.get("any"))
        else:
            return None
        rows = []
        for item in leaves:
            row = self._leaf_row(item, description)
            if row is None and _group_items(item) is not None:
                children = [self._leaf_row(child, description) for child in _group_items(item)]
                if any(child is None for child in children):
                    return None  # groups three deep: only the JSON shows them
                row = {
                    "type": "group",
                    "match": "any" if "any" in item else "all",
                    "rows": children,
                    "blank": self.blank_row(description),
                }
            if row is None:
                return None
            rows.append(row)
        return rows

    def _leaf_row(self, leaf: Any, description: dict[str, Any]) -> dict[str, Any] | None:
        fields = description["fields"]
        if not isinstance(leaf, dict) or "field" not in leaf:
            return None
        field, op = leaf.get("field"), leaf.get("op")
        described = fields.get(field) if isinstance(field, str) else None
        if described is None or not isinstance(op, str) or op not in described["controls"]:
            return None
        control = described["controls"][op]
        return {
            "type": "leaf",
            "field": field,
            "op": op,
            "fields": [(name, f["label"], name == field) for name, f in fields.items()],
            "ops": [(o, label, o == op) for o, label in described["ops"]],
            **_control_context(control, described["options"], leaf.get("value")),
        }

    def blank_row(self, description: dict[str, Any]) -> dict[str, Any]:
        fields = description["fields"]
        ops = {op: label for f in fields.values() for op, label in f["ops"]}
        return {
            "type": "leaf",
            "field": "",
            "op": "",
            "fields": [(name, f["label"], False) for name, f in fields.items()],
            "ops": [(op, label, False) for op, label in ops.items()],
            "control": TEXT,
            "text": "",
        }

    def from_rows(self, data: Any, name: str) -> Any:
        return conditions_from_rows(data, name)


class ActionsWidget(RuleBuilderWidget):
    """Actions as rows "action, value", applied in order."""

    kind = "actions"

    def __init__(self, allowed: Sequence[str] = ACTIONS, attrs: dict | None = None) -> None:
        super().__init__(attrs)
        self.allowed = tuple(allowed)

    def description(self) -> dict[str, Any]:
        return {"actions": action_descriptions(self.allowed)}

    def rows(self, value: Any, description: dict[str, Any]) -> list[dict[str, Any]] | None:
        if value is None:
            return []
        if not isinstance(value, list):
            return None
        actions = description["actions"]
        rows = []
        for item in value:
            if not isinstance(item, dict) or item.get("action") not in actions:
                return None
            name = item["action"]
            described = actions[name]
            rows.append(
                {
                    "action": name,
                    "actions": [(a, d["label"], a == name) for a, d in actions.items()],
                    **_control_context(described["control"], described["options"],
                                       item.get("value")),
                }
            )  # fmt: skip
        return rows

    def blank_row(self, description: dict[str, Any]) -> dict[str, Any]:
        actions = description["actions"]
        return {
            "action": "",
            "actions": [(a, d["label"], False) for a, d in actions.items()],
            "control": TEXT,
            "text": "",
        }

    def from_rows(self, data: Any, name: str) -> Any:
        return actions_from_rows(data, name)


class RuleConditionsField(forms.JSONField):
    """Conditions of a rule, built from lists or written as JSON."""

    widget = ConditionsWidget


class RuleActionsField(forms.JSONField):
    """Actions of a rule, built from lists or written as JSON; `allowed` names the actions."""

    def __init__(self, *, allowed: Sequence[str] = ACTIONS, **kwargs: Any) -> None:
        kwargs.setdefault("widget", ActionsWidget(allowed=allowed))
        super().__init__(**kwargs)


class RuleBuilderFormMixin:
    """Shows each validation problem of a builder field on the row it is about."""

    def full_clean(self) -> None:
        super().full_clean()  # type: ignore[misc]
        for name, field in self.fields.items():  # type: ignore[attr-defined]
            if isinstance(field.widget, RuleBuilderWidget):
                field.widget.problems = [str(e) for e in self.errors.get(name, [])]  # type: ignore[attr-defined]


__all__ = [
    "AUTOMATION_ACTIONS",
    "VALUE_SOURCES",
    "ActionsWidget",
    "ConditionsWidget",
    "RuleActionsField",
    "RuleBuilderFormMixin",
    "RuleConditionsField",
    "action_descriptions",
    "field_descriptions",
]
