"""What a rule does when its conditions match, and the plan of changes it would make.

Admins write actions as a JSON list::

    [{"action": "set_team", "value": 4},
     {"action": "add_tags", "value": ["invoice", "eu"]},
     {"action": "assign", "value": {"strategy": "round_robin"}},
     {"action": "stop"}]

`validate_actions` parses them (ids must exist in the tenant when the caller passes `KnownIds`);
`plan` and `plan_rule_set` compute, without touching anything, what would change. The service
that applies a plan lives elsewhere; nothing here touches the database.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.conf import settings
from django.utils.translation import gettext as _

from rules.conditions import (
    CATEGORY_IDS,
    PRIORITIES,
    STATUSES,
    Condition,
    Facts,
    RuleError,
    did_you_mean,
    prepare_facts,
    type_name,
)

STRATEGIES = ("round_robin", "least_open", "skills", "manual")
MAX_TAG_LENGTH = 50  # Ticket.tags holds CharField(max_length=50)
MAX_DEPARTMENT_LENGTH = 80  # Ticket.department
# The ticket field (and fact) each set_* action or mark_vip changes.
FIELD_OF = {
    "set_team": "team",
    "set_category": "category",
    "set_department": "department",
    "set_priority": "priority",
    "set_language": "language",
    "mark_vip": "is_vip",
    "set_status": "status",
}
ACTIONS = (*(name for name in FIELD_OF if name != "set_status"), "add_tags", "remove_tags",
           "assign", "stop")  # fmt: skip
# Time-based automations (tickets.automations) also write to the thread and send mail; they
# move tickets through the status services but never pick owners or stop.
MESSAGE_ACTIONS = ("add_note", "notify_requester", "notify_assignee", "notify_team_lead")
AUTOMATION_ACTIONS = (
    "set_status", "set_priority", "set_team", "set_category", "set_department", "set_language",
    "add_tags", "remove_tags", *MESSAGE_ACTIONS,
)  # fmt: skip
MAX_MESSAGE_LENGTH = 5000
ACTION_KEYS = ("action", "value")


@dataclass(frozen=True, slots=True)
class Assignment:
    """Who should own the ticket: one agent, or the team's strategy picks one."""

    strategy: str | None = None  # one of STRATEGIES
    agent: int | None = None


@dataclass(frozen=True, slots=True)
class Action:
    """One validated action; lists are stored as tuples, `assign` as an `Assignment`."""

    name: str
    value: Any = None


@dataclass(frozen=True, slots=True)
class KnownIds:
    """The tenant's ids that actions may name, gathered by the caller."""

    team_ids: Collection[int]
    category_ids: Collection[int]
    agent_ids: Collection[int]


# --- validation ----------------------------------------------------------------------------


def validate_actions(
    data: Any, known: KnownIds | None = None, allowed: Sequence[str] = ACTIONS
) -> tuple[Action, ...]:
    """Parse an admin's actions, or raise `RuleError` listing every problem with its path.

    `allowed` names the actions the caller can apply (`AUTOMATION_ACTIONS` for automations).
    """
    problems: list[tuple[str, str]] = []
    if not isinstance(data, list):
        raise RuleError(
            [
                (
                    "actions",
                    _('must be a list like [{"action": "set_team", "value": 3}], not %(got)s')
                    % {"got": type_name(data)},
                )
            ]
        )
    if not data:
        raise RuleError([("actions", _("a rule needs at least one action"))])
    actions: list[Action] = []
    first_at: dict[str, int] = {}
    for index, item in enumerate(data):
        path = f"actions[{index}]"
        action = _parse_action(item, path, known, problems, allowed)
        if action is None:
            continue
        if action.name in first_at:
            problems.append(
                (
                    path,
                    _('"%(action)s" already appears at actions[%(first)s]; a rule does it once')
                    % {"action": action.name, "first": first_at[action.name]},
                )
            )
            continue
        first_at[action.name] = index
        actions.append(action)
    if problems:
        raise RuleError(problems)
    return tuple(actions)


def _parse_action(
    item: Any,
    path: str,
    known: KnownIds | None,
    problems: list[tuple[str, str]],
    allowed: Sequence[str] = ACTIONS,
) -> Action | None:
    if not isinstance(item, dict):
        problems.append(
            (
                path,
                _('expected an action like {"action": "set_team", "value": 3}, not %(got)s')
                % {"got": type_name(item)},
            )
        )
        return None
    ok = True
    for key in item:
        if key not in ACTION_KEYS:
            problems.append(
                (
                    path,
                    _('unknown key "%(key)s"%(hint)s; an action has "action" and "value"')
                    % {"key": key, "hint": did_you_mean(str(key), ACTION_KEYS)},
                )
            )
            ok = False
    name = item.get("action")
    if name is None:
        problems.append((path, _('missing "action"')))
        return None
    if not isinstance(name, str) or name not in allowed:
        problems.append(
            (
                f"{path}.action",
                _("unknown action %(got)s%(hint)s; use one of %(actions)s")
                % {
                    "got": type_name(name),
                    "hint": did_you_mean(name, allowed) if isinstance(name, str) else "",
                    "actions": ", ".join(allowed),
                },
            )
        )
        return None
    if name == "stop":
        if "value" in item:
            problems.append((f"{path}.value", _('"stop" takes no value')))
            return None
        return Action("stop") if ok else None
    if "value" not in item:
        problems.append((path, _('missing "value" for "%(action)s"') % {"action": name}))
        return None
    before = len(problems)
    value = _check_value(name, item["value"], f"{path}.value", known, problems)
    if not ok or len(problems) > before:
        return None
    return Action(name, value)


def _check_value(
    name: str, value: Any, path: str, known: KnownIds | None, problems: list[tuple[str, str]]
) -> Any:
    def problem(message: str) -> None:
        problems.append((path, message))

    if name in ("set_team", "set_category"):
        what = "team" if name == "set_team" else "category"
        ids = None if known is None else (known.team_ids if what == "team" else known.category_ids)
        return _check_id(value, what, ids, path, problems)
    if name == "set_department":
        if not isinstance(value, str) or not value.strip():
            problem(_("a department is non-empty text, not %(got)s") % {"got": type_name(value)})
        elif len(value.strip()) > MAX_DEPARTMENT_LENGTH:
            problem(
                _("a department has at most %(max)s characters") % {"max": MAX_DEPARTMENT_LENGTH}
            )
        else:
            return value.strip()
        return None
    if name == "set_priority":
        if value not in PRIORITIES or not isinstance(value, str):
            problem(
                _('"priority" must be one of %(choices)s, not %(got)s')
                % {"choices": ", ".join(PRIORITIES), "got": type_name(value)}
            )
        return value
    if name == "set_status":
        if value not in STATUSES or not isinstance(value, str):
            problem(
                _('"status" must be one of %(choices)s, not %(got)s')
                % {"choices": ", ".join(STATUSES), "got": type_name(value)}
            )
        return value
    if name in MESSAGE_ACTIONS:
        if not isinstance(value, str) or not value.strip():
            problem(_("give the message as text, not %(got)s") % {"got": type_name(value)})
        elif len(value) > MAX_MESSAGE_LENGTH:
            problem(
                _("the message has %(length)s characters; at most %(max)s are allowed")
                % {"length": len(value), "max": MAX_MESSAGE_LENGTH}
            )
        return value
    if name == "set_language":
        codes = [code for code, _name in settings.LANGUAGES]
        if value not in codes or not isinstance(value, str):
            problem(
                _('"language" must be one of %(choices)s, not %(got)s')
                % {"choices": ", ".join(codes), "got": type_name(value)}
            )
        return value
    if name in ("add_tags", "remove_tags"):
        return _check_tags(value, path, problems)
    if name == "assign":
        return _check_assignment(value, path, known, problems)
    # mark_vip
    if not isinstance(value, bool):
        problem(_('"mark_vip" is true or false, not %(got)s') % {"got": type_name(value)})
    return value


def _check_id(
    value: Any,
    what: str,
    ids: Collection[int] | None,
    path: str,
    problems: list[tuple[str, str]],
) -> Any:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        problems.append(
            (
                path,
                _("give the %(what)s's id, a whole number above 0, not %(got)s")
                % {"what": what, "got": type_name(value)},
            )
        )
    elif ids is not None and value not in ids:
        problems.append(
            (
                path,
                _("there is no %(what)s with id %(id)s in this help desk")
                % {"what": what, "id": value},
            )
        )
    return value


def _check_tags(value: Any, path: str, problems: list[tuple[str, str]]) -> tuple[str, ...]:
    if value == []:
        problems.append((path, _("give at least one tag")))
        return ()
    if not isinstance(value, list):
        problems.append(
            (
                path,
                _('give a list of tags, like ["vip", "eu"], not %(got)s')
                % {"got": type_name(value)},
            )
        )
        return ()
    tags: dict[str, None] = {}
    for index, tag in enumerate(value):
        # Stored as tickets store them (ticket_create, ticket_update): trimmed and lower case.
        word = tag.strip().lower() if isinstance(tag, str) else ""
        if not word or len(word) > MAX_TAG_LENGTH or any(c.isspace() or c == "," for c in word):
            problems.append(
                (
                    f"{path}[{index}]",
                    _("a tag is one word of at most %(max)s characters, not %(got)s")
                    % {"max": MAX_TAG_LENGTH, "got": type_name(tag)},
                )
            )
        tags[word] = None
    return tuple(tags)


def _check_assignment(
    value: Any, path: str, known: KnownIds | None, problems: list[tuple[str, str]]
) -> Assignment | None:
    if not isinstance(value, dict) or len(value) != 1 or not {"strategy", "agent"} & set(value):
        problems.append(
            (
                path,
                _('give {"strategy": one of %(strategies)s} or {"agent": an agent id}, not %(got)s')
                % {"strategies": ", ".join(STRATEGIES), "got": type_name(value)},
            )
        )
        return None
    if "agent" in value:
        ids = None if known is None else known.agent_ids
        before = len(problems)
        agent = _check_id(value["agent"], "agent", ids, f"{path}.agent", problems)
        return Assignment(agent=agent) if len(problems) == before else None
    strategy = value["strategy"]
    if strategy not in STRATEGIES or not isinstance(strategy, str):
        problems.append(
            (
                f"{path}.strategy",
                _("the strategy must be one of %(strategies)s, not %(got)s%(hint)s")
                % {
                    "strategies": ", ".join(STRATEGIES),
                    "got": type_name(strategy),
                    "hint": did_you_mean(strategy, STRATEGIES) if isinstance(strategy, str) else "",
                },
            )
        )
        return None
    return Assignment(strategy=strategy)


def actions_to_json(actions: Iterable[Action]) -> list[dict[str, Any]]:
    """The JSON an admin would write for `actions`; `validate_actions` reads it back."""
    data: list[dict[str, Any]] = []
    for action in actions:
        item: dict[str, Any] = {"action": action.name}
        if isinstance(action.value, Assignment):
            strategy, agent = action.value.strategy, action.value.agent
            item["value"] = {"strategy": strategy} if strategy else {"agent": agent}
        elif isinstance(action.value, tuple):
            item["value"] = list(action.value)
        elif action.name != "stop":
            item["value"] = action.value
        data.append(item)
    return data


# --- planning ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Changes:
    """What applying actions would do to a ticket; computing it changes nothing."""

    fields: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # field: (old, new)
    tags_added: tuple[str, ...] = ()
    tags_removed: tuple[str, ...] = ()
    assignment: Assignment | None = None
    stop: bool = False

    @property
    def changes_anything(self) -> bool:
        return bool(self.fields or self.tags_added or self.tags_removed or self.assignment)

    def applied_to(
        self,
        state: Mapping[str, Any],
        category_paths: Mapping[int, Sequence[tuple[int, str]]] | None = None,
    ) -> dict[str, Any]:
        """The facts the ticket would have afterwards, for rules further down the list.

        Returns `Facts` when given `Facts`, keeping what was computed for unchanged facts.

        A new category's ancestors come from `category_paths` (category id: its (id, name)
        pairs, root first; see `rules.facts.category_paths`); without it, later
        `within_tree` conditions see the new category alone.
        """
        after = {name: new for name, (_old, new) in self.fields.items()}
        if "category" in self.fields:
            category = self.fields["category"][1]
            path = (category_paths or {}).get(category) or [(category, "")]
            after[CATEGORY_IDS] = [pk for pk, _name in path]
            after["category_path"] = [name for _pk, name in path if name]
        if self.tags_added or self.tags_removed:
            tags = [tag for tag in state.get("tags") or () if tag not in self.tags_removed]
            after["tags"] = tags + [tag for tag in self.tags_added if tag not in tags]
        if self.assignment is not None and self.assignment.agent is not None:
            after["assignee"] = self.assignment.agent
        if isinstance(state, Facts):
            return state.updated(after)
        return {**state, **after}


def plan(actions: Iterable[Action], ticket_state: Mapping[str, Any]) -> Changes:
    """What `actions` would change on a ticket whose facts are `ticket_state`."""
    wanted: dict[str, Any] = {}
    tags = list(ticket_state.get("tags") or ())
    assignment = None
    stop = False
    for action in actions:
        if action.name in FIELD_OF:
            wanted[FIELD_OF[action.name]] = action.value
        elif action.name == "add_tags":
            tags += [tag for tag in action.value if tag not in tags]
        elif action.name == "remove_tags":
            tags = [tag for tag in tags if tag not in action.value]
        elif action.name == "assign":
            assignment = action.value
        elif action.name == "stop":
            stop = True
    current = ticket_state.get("assignee")
    if assignment is not None and current is not None and assignment.agent == current:
        assignment = None  # already theirs
    return _changes(ticket_state, {**ticket_state, **wanted, "tags": tags}, assignment, stop)


def _changes(
    before: Mapping[str, Any], after: Mapping[str, Any], assignment: Assignment | None, stop: bool
) -> Changes:
    fields = {
        name: (before.get(name), after.get(name))
        for name in FIELD_OF.values()
        if before.get(name) != after.get(name)
    }
    old_tags, new_tags = list(before.get("tags") or ()), list(after.get("tags") or ())
    return Changes(
        fields=fields,
        tags_added=tuple(tag for tag in new_tags if tag not in old_tags),
        tags_removed=tuple(tag for tag in old_tags if tag not in new_tags),
        assignment=assignment,
        stop=stop,
    )


class RuleLike(Protocol):
    """Anything with parsed conditions (None: always) and actions, such as `CompiledRule`."""

    @property
    def conditions(self) -> Condition | None: ...

    @property
    def actions(self) -> Sequence[Action]: ...


@dataclass(frozen=True, slots=True)
class CompiledRule:
    """A rule ready to evaluate: its name, parsed conditions (None: always) and actions."""

    name: str
    conditions: Condition | None
    actions: tuple[Action, ...]


@dataclass(frozen=True, slots=True)
class FiredRule:
    """A rule whose conditions matched, and what its actions would change."""

    rule: Any
    changes: Changes


@dataclass(frozen=True)
class RuleSetPlan:
    """The rules that would fire on a ticket, in order, and everything they would change."""

    fired: tuple[FiredRule, ...]
    changes: Changes
    facts_after: dict[str, Any]

    @property
    def stopped_by(self) -> Any:
        """The rule whose "stop" ended processing, or None."""
        if self.fired and self.fired[-1].changes.stop:
            return self.fired[-1].rule
        return None


def plan_rule_set(
    rules: Iterable[RuleLike],
    facts: Mapping[str, Any],
    category_paths: Mapping[int, Sequence[tuple[int, str]]] | None = None,
) -> RuleSetPlan:
    """Run `rules` in order against a ticket's facts, as the routing service will, on paper.

    Each rule sees the facts as the rules before it left them ("set_priority high" lets a later
    "priority is high" match); a rule whose actions include "stop" is the last one run.
    """
    state = prepare_facts(facts)
    fired: list[FiredRule] = []
    assignment = None
    for rule in rules:
        if rule.conditions is not None and not rule.conditions.matches(state):
            continue
        changes = plan(rule.actions, state)
        fired.append(FiredRule(rule, changes))
        if changes.changes_anything:
            state = prepare_facts(changes.applied_to(state, category_paths))
            assignment = changes.assignment or assignment
        if changes.stop:
            break
    stop = bool(fired) and fired[-1].changes.stop
    return RuleSetPlan(
        fired=tuple(fired),
        changes=_changes(facts, state, assignment, stop),
        facts_after=dict(state),
    )
