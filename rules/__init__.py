"""The rule language tenant admins write routing rules, triggers and automations in.

Pure: conditions and actions are validated JSON, evaluated against a ticket's facts, and turned
into a plan of changes; storing rules, showing them in admin and applying plans live elsewhere.

    conditions = validate_conditions(rule.conditions_json)        # RuleError names each problem
    actions = validate_actions(rule.actions_json, known=KnownIds(...))
    facts = prepare_facts(ticket_facts(ticket, first_message_text=text, inside_business_hours=True))
    outcome = plan_rule_set([CompiledRule("Invoices EU", conditions, actions)], facts)
"""

from __future__ import annotations

import statistics
import time

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
    "bench_evaluation",
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


def _bench_rules(count: int) -> list[CompiledRule]:
    """`count` rules of 3 to 5 leaves, the mix a real desk has, most of them not matching."""
    words = ["invoice", "refund", "password", "outage", "vpn", "laptop", "contract", "gdpr"]
    rules = []
    for n in range(count):
        word = words[n % len(words)]
        leaves = [
            {"field": "channel", "op": "in", "value": ["email", "portal", "chat"]},
            {"field": "subject", "op": "contains", "value": f"{word} {n}"},
            {"field": "requester_domain", "op": "ends_with", "value": f".example-{n % 50}"},
            {"field": "body", "op": "contains", "value": f"{word} no. {n}"},
            {"field": "tags", "op": "includes", "value": [word, f"tag-{n}"]},
        ]
        if n % 4 == 0:
            leaves[1] = {"field": "subject", "op": "matches", "value": rf"\b{word}[- ]?{n}\b"}
        if n % 10 == 0:
            leaves[3] = {"field": "body", "op": "matches", "value": rf"(order|case) #{n}\d*"}
        if n % 3 == 0:
            tree = ["Billing"] if n % 30 == 0 else ["Billing", "Refunds"]
            leaves[2] = {"field": "category_path", "op": "within_tree", "value": tree}
        size = 3 + n % 3
        conditions = {"all": [leaves[0], {"any": leaves[1:size]}]}
        actions = [
            {"action": "set_team", "value": 1 + n % 9},
            {"action": "add_tags", "value": [f"rule-{n}"]},
        ]
        rules.append(
            CompiledRule(f"rule {n}", validate_conditions(conditions), validate_actions(actions))
        )
    return rules


def bench_evaluation(
    rules: int = 200, rounds: int = 2000, body_chars: int = 2000
) -> dict[str, float]:
    """Milliseconds to evaluate `rules` rules against one ticket (median and 99th percentile).

    Run by hand::

        .venv/bin/python -c "from rules import bench_evaluation as b; print(b())"

    "match" evaluates every rule's conditions on freshly prepared facts (a `body_chars` body);
    "plan" is `plan_rule_set`, which also plans the actions of the rules that fire.
    """
    rule_set = _bench_rules(rules)
    sentence = "Hello team, our last invoice shows a VAT rate we do not recognise. "
    body = (sentence * (body_chars // len(sentence) + 1))[:body_chars]
    facts = {
        "channel": "email", "status": "new", "priority": "medium", "customer_segment": "premium",
        "business_hours": "inside", "is_vip": False, "category": 12, "category_ids": [3, 12],
        "category_path": ["Billing", "Invoices"], "product": 2, "product_name": "Payroll",
        "organization": 8, "organization_name": "Müller GmbH", "contract_value": 120000.0,
        "team": None, "assignee": None, "department": "", "region": "EU", "language": "de",
        "requester_email": "anna@mueller.example-3", "requester_domain": "mueller.example-3",
        "subject": "Rechnung 4711: wrong VAT", "body": body, "tags": ["billing", "eu"],
    }  # fmt: skip

    def match_all() -> list[bool]:
        prepared = prepare_facts(facts)  # once per ticket, as the routing service will
        return [rule.conditions.matches(prepared) for rule in rule_set if rule.conditions]

    figures = {}
    for label, run in (("match", match_all), ("plan", lambda: plan_rule_set(rule_set, facts))):
        samples = []
        for _round in range(rounds):
            start = time.perf_counter_ns()
            run()
            samples.append((time.perf_counter_ns() - start) / 1e6)
        samples.sort()
        figures[f"{label}_median_ms"] = round(statistics.median(samples), 4)
        figures[f"{label}_p99_ms"] = round(samples[int(len(samples) * 0.99)], 4)
    return figures
