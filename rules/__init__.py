"""The rule language tenant admins write routing rules, triggers and automations in.

Pure: conditions and actions are validated JSON, evaluated against a ticket's facts, and turned
into a plan of changes; storing rules, showing them in admin and applying plans live elsewhere.

    conditions = validate_conditions(rule.conditions_json)        # RuleError names each problem
    actions = validate_actions(rule.actions_json, known=KnownIds(...))
    facts = prepare_facts(ticket_facts(ticket, first_message_text=text, inside_business_hours=True))
    outcome = plan_rule_set([CompiledRule("Invoices EU", conditions, actions)], facts)
"""

from __future__ import annotations

from rules.actions import (
    AUTOMATION_ACTIONS,
    MESSAGE_ACTIONS,
    Action,
    Assignment,
    Changes,
    CompiledRule,
    FiredRule,
    KnownIds,
    RuleSetPlan,
    actions_to_json,
    plan,
    plan_rule_set,
    validate_actions,
)
from rules.conditions import (
    ELAPSED_FIELDS,
    FIELDS,
    Condition,
    Facts,
    Group,
    Leaf,
    RuleError,
    operators_for,
    prepare_facts,
    to_json,
    validate_conditions,
)
from rules.facts import category_paths, ticket_facts

__all__ = [
    "AUTOMATION_ACTIONS",
    "ELAPSED_FIELDS",
    "FIELDS",
    "MESSAGE_ACTIONS",
    "Action",
    "Assignment",
    "Changes",
    "CompiledRule",
    "Condition",
    "Facts",
    "FiredRule",
    "Group",
    "KnownIds",
    "Leaf",
    "RuleError",
    "RuleSetPlan",
    "actions_to_json",
    "category_paths",
    "operators_for",
    "plan",
    "plan_rule_set",
    "prepare_facts",
    "ticket_facts",
    "to_json",
    "validate_actions",
    "validate_conditions",
]
