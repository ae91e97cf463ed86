"""The condition language of routing rules, triggers and automations: validated once, then fast.

Tenant admins write conditions as JSON, never as code::

    {"all": [
        {"field": "requester_domain", "op": "ends_with", "value": ".de"},
        {"any": [
            {"field": "subject", "op": "contains", "value": "rechnung"},
            {"field": "category_path", "op": "within_tree", "value": ["Billing", "Invoices"]},
        ]},
    ]}

A group is ``{"all": [...]}`` or ``{"any": [...]}`` (groups nest at most `MAX_DEPTH` deep); a leaf
is ``{"field": ..., "op": ..., "value": ...}`` with a field of `FIELDS` and an operator of
`OPERATORS` for that field's kind (``is_empty`` and ``is_not_empty`` take no value).

`validate_conditions` turns the JSON into an immutable `Condition` tree, or raises `RuleError`
naming the path of every problem; `Condition.matches(facts)` evaluates it against a ticket's facts
(`rules.facts.ticket_facts` builds them). Nothing here touches the database.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from enum import StrEnum
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from rules.vocabulary import Channel, Priority, Status, Tier

MAX_DEPTH = 4  # groups inside groups; the leaves of the fourth group are fine
MAX_CHILDREN = 100  # per group
MAX_LIST_VALUES = 1000  # values of one "in", "includes" ... leaf
MAX_TEXT_VALUE = 500  # characters of one text value, patterns included
MAX_MATCHED_TEXT = 10_000  # characters of a fact that text operators look at

# The tickets' own vocabulary (`rules.vocabulary`), which their models use too.
CHANNELS = tuple(Channel.values)
STATUSES = tuple(Status.values)
PRIORITIES = tuple(Priority.values)
TIERS = tuple(Tier.values)
BUSINESS_HOURS = ("inside", "outside")


class Kind(StrEnum):
    """What a fact holds, which decides the operators it accepts."""

    CHOICE = "choice"  # one of a fixed set of lower-case strings, or empty
    TEXT = "text"  # free text, compared case-insensitively
    ID = "id"  # a positive integer id, or None
    YES_NO = "yes/no"  # a boolean
    NUMBER = "number"  # int, float or Decimal, or None
    LIST = "list"  # a list of strings (tags), compared case-insensitively
    PATH = "path"  # category names from the root down, compared case-insensitively


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One fact of a ticket a condition can test."""

    name: str
    kind: Kind
    help: str
    choices: tuple[str, ...] = ()


FIELDS: dict[str, FieldSpec] = {
    spec.name: spec
    for spec in (
        FieldSpec("channel", Kind.CHOICE, "How the ticket arrived.", CHANNELS),
        FieldSpec("status", Kind.CHOICE, "The ticket's status.", STATUSES),
        FieldSpec("priority", Kind.CHOICE, "The ticket's priority.", PRIORITIES),
        FieldSpec("customer_segment", Kind.CHOICE, "The requester organisation's tier.", TIERS),
        FieldSpec(
            "business_hours",
            Kind.CHOICE,
            "Whether the ticket arrived inside or outside the desk's business hours.",
            BUSINESS_HOURS,
        ),
        FieldSpec("is_vip", Kind.YES_NO, "Whether the requester's organisation is a VIP."),
        FieldSpec("category", Kind.ID, "The category's id; within_tree takes its descendants."),
        FieldSpec("category_path", Kind.PATH, "Category names from the root down."),
        FieldSpec("product", Kind.ID, "The product line's id."),
        FieldSpec("product_name", Kind.TEXT, "The product line's name."),
        FieldSpec("organization", Kind.ID, "The requester organisation's id."),
        FieldSpec("organization_name", Kind.TEXT, "The requester organisation's name."),
        FieldSpec("contract_value", Kind.NUMBER, "The organisation's yearly contract value."),
        FieldSpec("team", Kind.ID, "The id of the team that has the ticket."),
        FieldSpec("assignee", Kind.ID, "The id of the agent who owns the ticket."),
        FieldSpec("department", Kind.TEXT, "The ticket's department."),
        FieldSpec("region", Kind.TEXT, "The ticket's (or its organisation's) region."),
        FieldSpec("language", Kind.TEXT, "The ticket's language code, e.g. de."),
        FieldSpec("requester_email", Kind.TEXT, "The requester's email address."),
        FieldSpec("requester_domain", Kind.TEXT, "The domain of the requester's email address."),
        FieldSpec("subject", Kind.TEXT, "The ticket's subject."),
        FieldSpec("body", Kind.TEXT, "The text of the ticket's first message."),
        FieldSpec("tags", Kind.LIST, "The ticket's tags."),
        # Elapsed time, known only to time-based automations (elsewhere empty: never gt/lt).
        FieldSpec("hours_since_created", Kind.NUMBER, "Hours since the ticket arrived."),
        FieldSpec("hours_since_updated", Kind.NUMBER, "Hours since anything changed on it."),
        FieldSpec(
            "hours_since_status_changed", Kind.NUMBER, "Hours since its status last changed."
        ),
        FieldSpec(
            "hours_since_requester_reply", Kind.NUMBER, "Hours since the requester last wrote."
        ),
        FieldSpec(
            "hours_since_agent_reply", Kind.NUMBER, "Hours since an agent last replied publicly."
        ),
    )
}
ELAPSED_FIELDS = (
    "hours_since_created",
    "hours_since_updated",
    "hours_since_status_changed",
    "hours_since_requester_reply",
    "hours_since_agent_reply",
)
# Not a field admins name: the ids of the ticket's category and its ancestors, for within_tree.
CATEGORY_IDS = "category_ids"

LEAF_KEYS = ("field", "op", "value")
NO_VALUE_OPS = ("is_empty", "is_not_empty")
TEXT_OPS = ("contains", "not_contains", "starts_with", "ends_with", "matches")
OPERATORS: dict[Kind, tuple[str, ...]] = {
    Kind.CHOICE: ("is", "is_not", "in", "not_in", *NO_VALUE_OPS),
    Kind.TEXT: ("is", "is_not", "in", "not_in", *TEXT_OPS, *NO_VALUE_OPS),
    Kind.ID: ("is", "is_not", "in", "not_in", *NO_VALUE_OPS),
    Kind.YES_NO: ("is", "is_not"),
    Kind.NUMBER: ("gt", "lt", *NO_VALUE_OPS),
    Kind.LIST: ("includes", "excludes", *NO_VALUE_OPS),
    Kind.PATH: ("includes", "excludes", "within_tree", *NO_VALUE_OPS),
}
ALL_OPS = (*dict.fromkeys(op for ops in OPERATORS.values() for op in ops), "within_tree")

OP_WORDS = {
    "is": "is", "is_not": "is not", "in": "is one of", "not_in": "is none of",
    "contains": "contains", "not_contains": "does not contain", "starts_with": "starts with",
    "ends_with": "ends with", "matches": "matches", "is_empty": "is empty",
    "is_not_empty": "is not empty", "includes": "includes any of", "excludes": "includes none of",
    "within_tree": "is within", "gt": "is greater than", "lt": "is less than",
}  # fmt: skip


def operators_for(spec: FieldSpec) -> tuple[str, ...]:
    """The operators a condition on this field may use."""
    if spec.name == "category":
        return (*OPERATORS[Kind.ID], "within_tree")
    return OPERATORS[spec.kind]


class RuleError(ValidationError):
    """Conditions or actions an admin wrote that cannot be used, with every problem's path."""

    def __init__(self, problems: Sequence[tuple[str, str]]) -> None:
        self.problems = tuple(problems)
        super().__init__(
            [
                ValidationError(f"{path}: {message}" if path else message, code="invalid_rule")
                for path, message in self.problems
            ]
        )


# --- facts, prepared once per ticket -------------------------------------------------------


class Facts(dict):
    """A ticket's facts with their case-folded forms computed once, however many rules ask.

    `Condition.matches` prepares a plain mapping itself; a caller evaluating many rules against
    one ticket passes `prepare_facts(facts)` so the 10,000 characters of a body are folded once.
    Treat it as read-only: the folded forms are cached.
    """

    __slots__ = ("_folded", "_found", "_sets", "_texts")

    def __init__(self, data: Mapping[str, Any]) -> None:
        super().__init__(data)
        self._folded: dict[str, str] = {}
        self._texts: dict[str, str] = {}
        self._sets: dict[str, frozenset[str]] = {}
        self._found: dict[tuple[re.Pattern[str], str], bool] = {}

    def text(self, name: str) -> str:
        """The fact as text, cut to `MAX_MATCHED_TEXT` characters ("" when empty)."""
        try:
            return self._texts[name]
        except KeyError:
            value = self.get(name)
            text = "" if value is None else str(value)[:MAX_MATCHED_TEXT]
            self._texts[name] = text
            return text

    def folded(self, name: str) -> str:
        """The fact as case-folded text, for case-insensitive comparison."""
        try:
            return self._folded[name]
        except KeyError:
            folded = self._folded[name] = self.text(name).casefold()
            return folded

    def folded_set(self, name: str) -> frozenset[str]:
        """A list fact as a set of case-folded strings."""
        try:
            return self._sets[name]
        except KeyError:
            items = self._sets[name] = frozenset(
                str(item).casefold() for item in self.items_of(name)
            )
            return items

    def items_of(self, name: str) -> Sequence[Any]:
        value = self.get(name)
        return () if value is None else value

    def search(self, pattern: re.Pattern[str], name: str) -> bool:
        """Whether `pattern` occurs in the fact; the same pattern on the same fact runs once."""
        key = (pattern, name)
        try:
            return self._found[key]
        except KeyError:
            found = self._found[key] = pattern.search(self.text(name)) is not None
            return found

    def updated(self, changes: Mapping[str, Any]) -> Facts:
        """These facts with some values replaced, keeping what was computed for the others."""
        facts = Facts({**self, **changes})
        facts._texts = {name: v for name, v in self._texts.items() if name not in changes}
        facts._folded = {name: v for name, v in self._folded.items() if name not in changes}
        facts._sets = {name: v for name, v in self._sets.items() if name not in changes}
        facts._found = {key: v for key, v in self._found.items() if key[1] not in changes}
        return facts


def prepare_facts(facts: Mapping[str, Any]) -> Facts:
    """Facts ready for evaluating many conditions against one ticket."""
    return facts if isinstance(facts, Facts) else Facts(facts)


# --- the parsed tree -----------------------------------------------------------------------

Test = Callable[[Facts], bool]


class Condition:
    """A validated condition: a group of conditions or a single test of one fact."""

    __slots__ = ()

    def matches(self, facts: Mapping[str, Any]) -> bool:
        """Whether a ticket with these facts meets the condition."""
        return self._test(prepare_facts(facts))

    def explain(self, facts: Mapping[str, Any]) -> list[str]:
        """One line per group and leaf saying whether it matched, for the rule-testing tool."""
        lines: list[str] = []
        self._explain(prepare_facts(facts), "", 0, lines)
        return lines

    def _test(self, facts: Facts) -> bool:
        raise NotImplementedError

    def _explain(self, facts: Facts, path: str, indent: int, lines: list[str]) -> bool:
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class Group(Condition):
    """All or any of the child conditions."""

    mode: str  # "all" or "any"
    children: tuple[Condition, ...]
    _child_tests: tuple[Test, ...] = dataclass_field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        # The children's bound tests, looked up once: evaluation is a plain loop over callables.
        tests = tuple(
            child._check if isinstance(child, Leaf) else child._test for child in self.children
        )
        object.__setattr__(self, "_child_tests", tests)

    def _test(self, facts: Facts) -> bool:
        # Plain loops: all()/any() over a generator take twice as long per group.
        if self.mode == "all":
            for test in self._child_tests:  # noqa: SIM110
                if not test(facts):
                    return False
            return True
        for test in self._child_tests:  # noqa: SIM110
            if test(facts):
                return True
        return False

    def _explain(self, facts: Facts, path: str, indent: int, lines: list[str]) -> bool:
        at = len(lines)
        lines.append("")
        results = [
            child._explain(facts, _child_path(path, self.mode, index), indent + 1, lines)
            for index, child in enumerate(self.children)
        ]
        matched = all(results) if self.mode == "all" else any(results)
        lines[at] = "  " * indent + _("%(group)s: %(outcome)s, %(count)s of %(total)s") % {
            "group": f"{path} ({self.mode})" if path else self.mode,
            "outcome": _("matched") if matched else _("failed"),
            "count": sum(results),
            "total": len(results),
        }
        return matched


@dataclass(frozen=True, slots=True)
class Leaf(Condition):
    """One test of one fact: `field` `op` `value`."""

    field: str
    op: str
    value: Any = None  # lists are stored as tuples
    _check: Test = dataclass_field(default=None, compare=False, repr=False)  # type: ignore[assignment]

    def _test(self, facts: Facts) -> bool:
        return self._check(facts)

    def describe(self) -> str:
        """The condition in words: 'subject contains "invoice"'."""
        words = OP_WORDS[self.op]
        if self.op in NO_VALUE_OPS:
            return f"{self.field} {words}"
        return f"{self.field} {words} {_show(self.value)}"

    def _explain(self, facts: Facts, path: str, indent: int, lines: list[str]) -> bool:
        matched = self._check(facts)
        shown = facts.get(self.field)
        if self.op == "within_tree" and self.field == "category":
            shown = facts.get(CATEGORY_IDS) or shown
        lines.append(
            "  " * indent
            + _("%(path)s: %(condition)s: %(outcome)s (ticket: %(actual)s)")
            % {
                "path": path or "condition",
                "condition": self.describe(),
                "outcome": _("matched") if matched else _("failed"),
                "actual": _show(shown, cut=60),
            }
        )
        return matched


def _child_path(path: str, mode: str, index: int) -> str:
    return f"{path}.{mode}[{index}]" if path else f"{mode}[{index}]"


def _show(value: Any, cut: int = 0) -> str:
    if value is None or value == "" or value == () or value == []:
        return _("(empty)")
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(_show(item, cut) for item in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        text = " ".join(value.split())
        if cut and len(text) > cut:
            text = text[: cut - 1] + "…"
        return f'"{text}"'
    return str(value)


def to_json(condition: Condition) -> dict[str, Any]:
    """The JSON an admin would write for `condition`; `validate_conditions` reads it back."""
    if isinstance(condition, Group):
        return {condition.mode: [to_json(child) for child in condition.children]}
    leaf = cast(Leaf, condition)
    data: dict[str, Any] = {"field": leaf.field, "op": leaf.op}
    if leaf.op not in NO_VALUE_OPS:
        data["value"] = list(leaf.value) if isinstance(leaf.value, tuple) else leaf.value
    return data


# --- validation ----------------------------------------------------------------------------


class _Problems:
    def __init__(self) -> None:
        self.found: list[tuple[str, str]] = []

    def add(self, path: str, message: str) -> None:
        self.found.append((path, message))


def validate_conditions(data: Any) -> Condition:
    """Parse an admin's conditions, or raise `RuleError` listing every problem with its path."""
    problems = _Problems()
    condition = _parse(data, "", 1, problems)
    if problems.found:
        raise RuleError(problems.found)
    return cast(Condition, condition)  # no problems: every node parsed


def did_you_mean(word: str, options: Iterable[str]) -> str:
    """' (did you mean "x"?)' for the closest option, or ''."""
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return _(' (did you mean "%(option)s"?)') % {"option": close[0]} if close else ""


def _key_path(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _parse(data: Any, path: str, depth: int, problems: _Problems) -> Condition | None:
    if not isinstance(data, dict):
        problems.add(
            path,
            _(
                'expected a condition {"field": …, "op": …, "value": …} or a group '
                '{"all": […]} / {"any": […]}, not %(got)s'
            )
            % {"got": type_name(data)},
        )
        return None
    if "all" in data or "any" in data:
        return _parse_group(data, path, depth, problems)
    return _parse_leaf(data, path, problems)


def _parse_group(data: dict, path: str, depth: int, problems: _Problems) -> Condition | None:
    if "all" in data and "any" in data:
        problems.add(path, _('a group has either "all" or "any", not both'))
        return None
    mode = "all" if "all" in data else "any"
    ok = True
    for key in data:
        if key != mode:
            problems.add(
                path,
                _('unknown key "%(key)s"; a group has only "%(mode)s"')
                % {"key": key, "mode": mode},
            )
            ok = False
    if depth > MAX_DEPTH:
        problems.add(
            path,
            _("groups are nested %(depth)s deep here; at most %(max)s levels are allowed")
            % {"depth": depth, "max": MAX_DEPTH},
        )
        return None
    items = data[mode]
    if not isinstance(items, list):
        problems.add(
            _key_path(path, mode),
            _('"%(mode)s" must be a list of conditions, not %(got)s')
            % {"mode": mode, "got": type_name(items)},
        )
        return None
    if not items:
        problems.add(
            _key_path(path, mode), _('"%(mode)s" needs at least one condition') % {"mode": mode}
        )
        return None
    if len(items) > MAX_CHILDREN:
        problems.add(
            _key_path(path, mode),
            _('"%(mode)s" has %(count)s conditions; at most %(max)s are allowed')
            % {"mode": mode, "count": len(items), "max": MAX_CHILDREN},
        )
        return None
    children = [
        _parse(item, _child_path(path, mode, index), depth + 1, problems)
        for index, item in enumerate(items)
    ]
    if not ok or any(child is None for child in children):
        return None
    return Group(mode, tuple(children))  # type: ignore[arg-type]


def _parse_leaf(data: dict, path: str, problems: _Problems) -> Condition | None:
    ok = True
    for key in data:
        if key not in LEAF_KEYS:
            problems.add(
                path,
                _('unknown key "%(key)s"%(hint)s; a condition has "field", "op" and "value"')
                % {"key": key, "hint": did_you_mean(str(key), (*LEAF_KEYS, "all", "any"))},
            )
            ok = False
    for key in ("field", "op"):
        if key not in data:
            problems.add(path, _('missing "%(key)s"') % {"key": key})
            ok = False
        elif not isinstance(data[key], str):
            problems.add(
                _key_path(path, key),
                _('"%(key)s" must be a name in quotes, not %(got)s')
                % {"key": key, "got": type_name(data[key])},
            )
            ok = False
    if not ok:
        return None
    name, op = data["field"], data["op"]
    spec = FIELDS.get(name)
    if spec is None:
        problems.add(
            path,
            _('unknown field "%(field)s"%(hint)s')
            % {"field": name, "hint": did_you_mean(name, FIELDS)},
        )
        return None
    ops = operators_for(spec)
    if op not in ops:
        if op in ALL_OPS:
            message = _('"%(op)s" does not apply to "%(field)s" (%(kind)s); use one of %(ops)s')
        else:
            message = _('unknown operator "%(op)s"%(hint)s; "%(field)s" takes %(ops)s')
        problems.add(
            _key_path(path, "op"),
            message
            % {
                "op": op,
                "field": name,
                "kind": spec.kind,
                "ops": ", ".join(ops),
                "hint": did_you_mean(op, ops),
            },
        )
        return None
    if op in NO_VALUE_OPS:
        if "value" in data:
            problems.add(_key_path(path, "value"), _('"%(op)s" takes no value') % {"op": op})
            return None
        return Leaf(name, op, None, _compile(spec, op, None))
    if "value" not in data:
        problems.add(path, _('missing "value" for "%(op)s"') % {"op": op})
        return None
    value_path = _key_path(path, "value")
    before = len(problems.found)
    value, pattern = _check_value(spec, op, data["value"], value_path, problems)
    if len(problems.found) > before:
        return None
    return Leaf(name, op, value, _compile(spec, op, value, pattern))


def type_name(value: Any) -> str:
    """How a JSON value reads in an error message: null, true, "text", a list..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value[:40]}"'
    if isinstance(value, list):
        return _("a list")
    if isinstance(value, dict):
        return _("an object")
    return str(value)


def _check_value(
    spec: FieldSpec, op: str, value: Any, path: str, problems: _Problems
) -> tuple[Any, re.Pattern[str] | None]:
    """The value in stored form (lists as tuples), and the compiled pattern of "matches"."""
    if op in ("in", "not_in", "includes", "excludes") or (
        op == "within_tree" and spec.kind == Kind.PATH
    ):
        if not isinstance(value, list):
            problems.add(
                path,
                _('"%(op)s" needs a list of values, like ["a", "b"], not %(got)s')
                % {"op": op, "got": type_name(value)},
            )
            return None, None
        if not value:
            problems.add(path, _('"%(op)s" needs at least one value') % {"op": op})
            return None, None
        if len(value) > MAX_LIST_VALUES:
            problems.add(
                path,
                _('"%(op)s" has %(count)s values; at most %(max)s are allowed')
                % {"op": op, "count": len(value), "max": MAX_LIST_VALUES},
            )
            return None, None
        items = tuple(
            _check_single(spec, item, f"{path}[{index}]", problems)
            for index, item in enumerate(value)
        )
        return items, None
    if op == "matches":
        return _check_pattern(value, path, problems)
    if spec.kind == Kind.NUMBER:
        if not _is_number(value):
            problems.add(
                path,
                _('"%(field)s" is compared with a number, not %(got)s')
                % {"field": spec.name, "got": type_name(value)},
            )
        return value, None
    if spec.kind == Kind.YES_NO:
        if not isinstance(value, bool):
            problems.add(
                path,
                _('"%(field)s" is true or false, not %(got)s')
                % {"field": spec.name, "got": type_name(value)},
            )
        return value, None
    return _check_single(spec, value, path, problems), None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _check_single(spec: FieldSpec, value: Any, path: str, problems: _Problems) -> Any:
    """One value of a choice, text, id, list or path field."""
    if spec.kind == Kind.CHOICE:
        if value not in spec.choices or not isinstance(value, str):
            problems.add(
                path,
                _('"%(field)s" must be one of %(choices)s, not %(got)s')
                % {
                    "field": spec.name,
                    "choices": ", ".join(spec.choices),
                    "got": type_name(value),
                },
            )
        return value
    if spec.kind == Kind.ID:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            problems.add(
                path,
                _('"%(field)s" is compared by id: give a whole number above 0, not %(got)s')
                % {"field": spec.name, "got": type_name(value)},
            )
        return value
    if not isinstance(value, str) or not value.strip():
        problems.add(
            path,
            _('"%(field)s" needs non-empty text, not %(got)s (to test for no value use "is_empty")')
            % {"field": spec.name, "got": type_name(value)},
        )
    elif len(value) > MAX_TEXT_VALUE:
        problems.add(
            path,
            _("the text is %(length)s characters long; at most %(max)s are allowed")
            % {"length": len(value), "max": MAX_TEXT_VALUE},
        )
    return value


def _check_pattern(
    value: Any, path: str, problems: _Problems
) -> tuple[Any, re.Pattern[str] | None]:
    if not isinstance(value, str) or not value:
        problems.add(
            path,
            _('"matches" needs a regular expression in quotes, not %(got)s')
            % {"got": type_name(value)},
        )
        return value, None
    if len(value) > MAX_TEXT_VALUE:
        problems.add(
            path,
            _("the pattern is %(length)s characters long; at most %(max)s are allowed")
            % {"length": len(value), "max": MAX_TEXT_VALUE},
        )
        return value, None
    try:
        pattern = re.compile(value, re.IGNORECASE)
    except re.error as error:
        problems.add(
            path,
            _("not a valid regular expression at position %(pos)s: %(reason)s")
            % {"pos": error.pos, "reason": error.msg},
        )
        return value, None
    if repeats_a_repetition(value):
        problems.add(
            path,
            _(
                "the pattern repeats a group that itself repeats, like (a+)+; such patterns "
                "can run for minutes on some texts, so write it without the nested repetition"
            ),
        )
        return value, None
    return value, pattern


_UNBOUNDED_BRACE = re.compile(r"\{\d*,\}")
_ANY_BRACE = re.compile(r"\{\d*(,\d*)?\}")


def repeats_a_repetition(pattern: str) -> bool:
    """Whether a group containing a repetition is itself repeated without bound: (a+)+, (x*y)*.

    A heuristic for the patterns that backtrack catastrophically in `re`, which has no timeout.
    It reads the pattern text: escapes and character classes are skipped, groups are tracked.
    """
    stack = [False]  # per open group: does it contain a repetition?
    closed_group_repeats = False  # the token just read is a group that contains one
    i, length = 0, len(pattern)
    while i < length:
        char = pattern[i]
        if char == "\\":
            i, closed_group_repeats = i + 2, False
            continue
        if char == "[":
            i, closed_group_repeats = _after_class(pattern, i), False
            continue
        if char == "(":
            stack.append(False)
        elif char == ")":
            inner = stack.pop() if len(stack) > 1 else False
            stack[-1] = stack[-1] or inner
            closed_group_repeats = inner
            i += 1
            continue
        elif char in "*+" or (char == "{" and _UNBOUNDED_BRACE.match(pattern, i)):
            if closed_group_repeats:
                return True
            stack[-1] = True
        elif char == "{" and (brace := _ANY_BRACE.match(pattern, i)):
            stack[-1] = True
            i = brace.end()
            closed_group_repeats = False
            continue
        closed_group_repeats = False
        i += 1
    return False


def _after_class(pattern: str, start: int) -> int:
    i = start + 1
    if i < len(pattern) and pattern[i] == "^":
        i += 1
    if i < len(pattern) and pattern[i] == "]":
        i += 1  # a "]" first in a class is a literal
    while i < len(pattern) and pattern[i] != "]":
        i += 2 if pattern[i] == "\\" else 1
    return i + 1


# --- compiling leaves to tests -------------------------------------------------------------


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, list | tuple) and not value)


def _compile(spec: FieldSpec, op: str, value: Any, pattern: re.Pattern[str] | None = None) -> Test:
    name = spec.name
    if op == "is_empty":
        return lambda facts: _is_empty(facts.get(name))
    if op == "is_not_empty":
        return lambda facts: not _is_empty(facts.get(name))

    if spec.kind == Kind.TEXT:
        if op == "matches":
            compiled = cast(re.Pattern[str], pattern)  # validation compiled it
            return lambda facts: facts.search(compiled, name)
        if op in ("in", "not_in"):
            wanted = frozenset(item.casefold() for item in value)
            if op == "in":
                return lambda facts: facts.folded(name) in wanted
            return lambda facts: facts.folded(name) not in wanted
        text = value.casefold()
        return {
            "is": lambda facts: facts.folded(name) == text,
            "is_not": lambda facts: facts.folded(name) != text,
            "contains": lambda facts: text in facts.folded(name),
            "not_contains": lambda facts: text not in facts.folded(name),
            "starts_with": lambda facts: facts.folded(name).startswith(text),
            "ends_with": lambda facts: facts.folded(name).endswith(text),
        }[op]

    if spec.kind in (Kind.CHOICE, Kind.ID):
        if op == "within_tree":
            return lambda facts: value in (facts.get(CATEGORY_IDS) or (facts.get(name),))
        if op in ("in", "not_in"):
            members = frozenset(value)
            if op == "in":
                return lambda facts: facts.get(name) in members
            if name == "business_hours":  # unknown hours are neither inside nor outside
                return lambda facts: facts.get(name) not in members and facts.get(name) is not None
            return lambda facts: facts.get(name) not in members
        if op == "is":
            return lambda facts: facts.get(name) == value
        if name == "business_hours":
            return lambda facts: facts.get(name) != value and facts.get(name) is not None
        return lambda facts: facts.get(name) != value

    if spec.kind == Kind.YES_NO:
        wanted_flag = value if op == "is" else not value
        return lambda facts: bool(facts.get(name)) is wanted_flag

    if spec.kind == Kind.NUMBER:

        def compare(facts: Facts) -> bool:
            number = facts.get(name)
            if number is None:
                return False
            return number > value if op == "gt" else number < value

        return compare

    # Kind.LIST and Kind.PATH
    if op == "within_tree":
        prefix = tuple(item.casefold() for item in value)
        size = len(prefix)
        return lambda facts: (
            tuple(str(item).casefold() for item in facts.items_of(name)[:size]) == prefix
        )
    wanted = frozenset(item.casefold() for item in value)
    if op == "includes":
        return lambda facts: not wanted.isdisjoint(facts.folded_set(name))
    return lambda facts: wanted.isdisjoint(facts.folded_set(name))
