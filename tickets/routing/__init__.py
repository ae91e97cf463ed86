"""Routing rules: each desk's ordered rules applied to tickets as they arrive and change."""

from tickets.routing.selectors import (
    ActiveRule,
    RuleSet,
    business_hours_inside,
    facts_of,
    known_ids,
    routing_rules_changed,
    rule_compile,
    rule_set,
)
from tickets.routing.services import (
    Outcome,
    RuleTrial,
    routed_events,
    routed_summary,
    routing_rule_delete,
    routing_rule_save,
    rule_set_try,
    rules_depend_on_changed,
    ticket_reroute,
    ticket_route_new,
)

__all__ = [
    "ActiveRule",
    "Outcome",
    "RuleSet",
    "RuleTrial",
    "business_hours_inside",
    "facts_of",
    "known_ids",
    "routed_events",
    "routed_summary",
    "routing_rule_delete",
    "routing_rule_save",
    "routing_rules_changed",
    "rule_compile",
    "rule_set",
    "rule_set_try",
    "rules_depend_on_changed",
    "ticket_reroute",
    "ticket_route_new",
]
