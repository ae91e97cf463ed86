"""The routing rules the benchmark gives a busy desk, and a by-hand measure of evaluating them.

`make bench` stores `bench_rule(n, team_ids)` as desk rules; `evaluation()` times the rule
language alone, with no desk and no database::

    .venv/bin/python bench/bench_rules.py
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rules import (
    CompiledRule,
    plan_rule_set,
    prepare_facts,
    validate_actions,
    validate_conditions,
)


def bench_rule(n: int, team_ids: list[int]) -> dict[str, object]:
    """Routing rule `n` of a busy desk: 3 to 5 conditions; rules 0 and 100 fire on every ticket."""
    word = ["invoice", "refund", "password", "outage", "vpn", "laptop", "contract", "gdpr"][n % 8]
    leaves: list[dict[str, object]] = [
        {"field": "channel", "op": "in", "value": ["email", "portal", "chat"]},
        {"field": "subject", "op": "contains", "value": f"{word} {n}"},
        {"field": "requester_domain", "op": "ends_with", "value": f".example-{n % 50}"},
        {"field": "body", "op": "contains", "value": f"{word} no. {n}"},
        {"field": "tags", "op": "includes", "value": [word, f"tag-{n}"]},
    ]
    if n % 4 == 0:
        leaves[1] = {"field": "subject", "op": "matches", "value": rf"\b{word}[- ]?{n}\b"}
    if n % 3 == 0:
        leaves[2] = {"field": "category_path", "op": "within_tree", "value": ["Billing"]}
    if n in (0, 100):
        leaves[0] = {"field": "channel", "op": "is", "value": "api"}
        leaves[1] = {"field": "subject", "op": "is_not_empty"}
    actions = [{"action": "add_tags", "value": [f"rule-{n}"]}]
    if team_ids and n != 0:
        actions.insert(0, {"action": "set_team", "value": team_ids[n % len(team_ids)]})
    return {"conditions": {"all": [leaves[0], {"any": leaves[1 : 3 + n % 3]}]}, "actions": actions}


def evaluation(rules: int = 200, rounds: int = 2000, body_chars: int = 2000) -> dict[str, float]:
    """Milliseconds to evaluate `rules` benchmark rules against one ticket (median and p99).

    "match" evaluates every rule's conditions on freshly prepared facts (a `body_chars` body);
    "plan" is `plan_rule_set`, which also plans the actions of the rules that fire.
    """
    rule_set = []
    for n in range(rules):
        rule = bench_rule(n, list(range(1, 10)))
        rule_set.append(
            CompiledRule(
                f"rule {n}",
                validate_conditions(rule["conditions"]),
                validate_actions(rule["actions"]),
            )
        )
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
        prepared = prepare_facts(facts)  # once per ticket, as the routing service does
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


if __name__ == "__main__":
    import django
    from django.conf import settings

    settings.configure(USE_I18N=False)  # the rule language translates its messages
    django.setup()
    print(json.dumps(evaluation(), indent=2))
