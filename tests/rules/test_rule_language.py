"""The language of routing rules: what conditions match, which rules admins cannot save, and
what a rule set would change. Pure: no database."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError

from rules import (
    Assignment,
    CompiledRule,
    KnownIds,
    RuleError,
    actions_to_json,
    category_paths,
    plan,
    plan_rule_set,
    prepare_facts,
    ticket_facts,
    to_json,
    validate_actions,
    validate_conditions,
)

EU_INVOICES = {
    "all": [
        {"field": "channel", "op": "is", "value": "email"},
        {"field": "region", "op": "in", "value": ["EU", "EMEA"]},
        {
            "any": [
                {"field": "subject", "op": "matches", "value": r"\b(invoice|rechnung)\b"},
                {"field": "category_path", "op": "within_tree", "value": ["Billing"]},
            ]
        },
    ]
}


def category(pk, name, parent=None):
    node = SimpleNamespace(pk=pk, name=name, parent=parent, parent_id=parent and parent.pk)
    node.path = lambda: [*(parent.path() if parent else []), node]
    return node


BILLING = category(3, "Billing")
INVOICES = category(12, "Invoices", BILLING)
VAT = category(15, "VAT", INVOICES)
HARDWARE = category(20, "Hardware")


def a_ticket(**overrides):
    organization = SimpleNamespace(
        pk=8, name="Müller GmbH", tier="premium", region="EU", is_vip=False,
        contract_value=Decimal("120000.00"),
    )  # fmt: skip
    requester = SimpleNamespace(email="Anna@Mueller.DE", organization=organization)
    fields = {
        "channel": "email", "status": "new", "priority": "medium", "customer_segment": "",
        "category": None, "product": None, "team": None, "assignee": None, "department": "",
        "region": "", "language": "de", "subject": "Rechnung 4711 ist falsch",
        "description": "Die Umsatzsteuer stimmt nicht.", "tags": ["billing"],
        "requester": requester,
    }  # fmt: skip
    return SimpleNamespace(**{**fields, **overrides})


def facts(**overrides):
    return ticket_facts(a_ticket(), inside_business_hours=True) | overrides


def leaf(field, op, value=None):
    data = {"field": field, "op": op}
    if op not in ("is_empty", "is_not_empty"):
        data["value"] = value
    return validate_conditions({"all": [data]})


def problems_of(data):
    with pytest.raises(RuleError) as raised:
        validate_conditions(data)
    return raised.value.messages


def action_problems_of(data, known=None):
    with pytest.raises(RuleError) as raised:
        validate_actions(data, known)
    return raised.value.messages


# --- matching --------------------------------------------------------------------------------


def test_the_eu_invoices_rule_matches_a_german_billing_email():
    assert validate_conditions(EU_INVOICES).matches(facts())


def test_the_eu_invoices_rule_does_not_match_an_american_billing_email():
    american = a_ticket(subject="Invoice 4711 is wrong", region="US")
    american.requester = SimpleNamespace(email="bob@acme.com", organization=None)
    assert not validate_conditions(EU_INVOICES).matches(ticket_facts(american))


def test_an_any_group_inside_all_needs_only_one_of_its_conditions():
    condition = validate_conditions(EU_INVOICES)
    assert condition.matches(facts(subject="VAT question", category_path=["Billing", "VAT"]))


def test_an_all_group_fails_when_one_condition_fails():
    assert not validate_conditions(EU_INVOICES).matches(facts(channel="chat"))


def test_an_any_group_fails_when_no_condition_matches():
    condition = validate_conditions(EU_INVOICES)
    assert not condition.matches(facts(subject="Printer on fire", category_path=["Hardware"]))


def test_groups_nest_four_levels_deep():
    deepest = {"any": [{"field": "priority", "op": "is", "value": "medium"}]}
    assert validate_conditions({"all": [{"any": [{"all": [deepest]}]}]}).matches(facts())


@pytest.mark.parametrize(
    ("field", "op", "value", "fact", "expected"),
    [
        ("priority", "is", "high", "high", True),
        ("priority", "is_not", "high", "high", False),
        ("priority", "in", ["high", "critical"], "critical", True),
        ("priority", "not_in", ["high", "critical"], "low", True),
        ("subject", "is", "password reset", "Password Reset", True),
        ("subject", "is_not", "password reset", "Password Reset", False),
        ("language", "in", ["de", "at"], "DE", True),
        ("language", "not_in", ["de", "at"], "fr", True),
        ("subject", "contains", "invoice", "Your INVOICE 42", True),
        ("subject", "not_contains", "invoice", "Your INVOICE 42", False),
        ("requester_email", "starts_with", "billing@", "Billing@acme.com", True),
        ("requester_domain", "ends_with", ".de", "mueller.de", True),
        ("subject", "matches", r"^re:\s", "RE: your ticket", True),
        ("department", "is_empty", None, "", True),
        ("department", "is_not_empty", None, "Billing", True),
        ("team", "is", 4, 4, True),
        ("team", "in", [4, 5], 6, False),
        ("assignee", "is_empty", None, None, True),
        ("is_vip", "is", True, True, True),
        ("is_vip", "is_not", True, False, True),
        ("contract_value", "gt", 100000, Decimal("120000.00"), True),
        ("contract_value", "lt", 100000, Decimal("120000.00"), False),
        ("contract_value", "gt", 100000, None, False),
        ("tags", "includes", ["VIP", "urgent"], ["vip"], True),
        ("tags", "excludes", ["spam"], ["vip"], True),
        ("tags", "excludes", ["spam", "vip"], ["vip"], False),
        ("tags", "is_empty", None, [], True),
        ("customer_segment", "is", "enterprise", "premium", False),
    ],
    ids=str,
)
def test_each_operator_decides_as_documented(field, op, value, fact, expected):
    assert leaf(field, op, value).matches({field: fact}) is expected


def test_contains_ignores_case_including_german_sharp_s():
    assert leaf("subject", "contains", "STRASSE").matches({"subject": "Neue Adresse: Hauptstraße"})


def test_a_pattern_matches_anywhere_in_the_text_ignoring_case():
    condition = leaf("body", "matches", r"order\s+#\d{5}")
    assert condition.matches({"body": "Hello,\nabout ORDER  #12345 from May"})


def test_a_pattern_reads_only_the_first_10000_characters():
    body = "x" * 10_000 + " refund"
    assert not leaf("body", "matches", "refund").matches({"body": body})


def test_tags_include_any_of_the_listed_tags():
    assert leaf("tags", "includes", ["vip", "escalated"]).matches({"tags": ["billing", "vip"]})


def test_tags_exclude_fails_when_any_listed_tag_is_present():
    assert not leaf("tags", "excludes", ["spam", "vip"]).matches({"tags": ["vip"]})


def test_within_tree_by_id_matches_a_descendant_category():
    ticket = ticket_facts(a_ticket(category=VAT))
    assert leaf("category", "within_tree", BILLING.pk).matches(ticket)


def test_within_tree_by_id_does_not_match_another_branch():
    ticket = ticket_facts(a_ticket(category=HARDWARE))
    assert not leaf("category", "within_tree", BILLING.pk).matches(ticket)


def test_within_tree_by_names_matches_the_category_and_its_descendants():
    ticket = ticket_facts(a_ticket(category=VAT))
    assert leaf("category_path", "within_tree", ["billing", "Invoices"]).matches(ticket)


def test_within_tree_by_names_needs_the_whole_branch_from_the_root():
    ticket = ticket_facts(a_ticket(category=VAT))
    assert not leaf("category_path", "within_tree", ["Invoices"]).matches(ticket)


def test_outside_business_hours_matches_a_ticket_that_arrived_at_night():
    night = ticket_facts(a_ticket(), inside_business_hours=False)
    assert leaf("business_hours", "is", "outside").matches(night)


def test_business_hours_unknown_to_the_caller_matches_neither_inside_nor_outside():
    unknown = ticket_facts(a_ticket())
    assert not leaf("business_hours", "in", ["inside", "outside"]).matches(unknown)


def test_business_hours_unknown_is_not_taken_for_not_inside_either():
    unknown = ticket_facts(a_ticket())
    assert not leaf("business_hours", "is_not", "inside").matches(unknown)
    assert not leaf("business_hours", "not_in", ["outside"]).matches(unknown)


def test_the_facts_of_a_ticket_come_from_its_requester_organisation_and_category():
    ticket = a_ticket(category=VAT, team=SimpleNamespace(pk=4))
    assert ticket_facts(ticket, first_message_text="Hallo", inside_business_hours=True) == {
        "channel": "email", "status": "new", "priority": "medium",
        "customer_segment": "premium", "business_hours": "inside", "is_vip": False,
        "category": 15, "category_ids": [3, 12, 15],
        "category_path": ["Billing", "Invoices", "VAT"], "product": None, "product_name": "",
        "organization": 8, "organization_name": "Müller GmbH", "contract_value": 120000.0,
        "team": 4, "assignee": None, "department": "", "region": "EU", "language": "de",
        "requester_email": "Anna@Mueller.DE", "requester_domain": "mueller.de",
        "subject": "Rechnung 4711 ist falsch", "body": "Hallo", "tags": ["billing"],
    }  # fmt: skip


def test_explain_says_which_conditions_matched_and_what_the_ticket_had():
    lines = validate_conditions(EU_INVOICES).explain(facts(category_path=["Hardware"]))
    assert lines == [
        "all: matched, 3 of 3",
        '  all[0]: channel is "email": matched (ticket: "email")',
        '  all[1]: region is one of "EU", "EMEA": matched (ticket: "EU")',
        "  all[2] (any): matched, 1 of 2",
        r'    all[2].any[0]: subject matches "\b(invoice|rechnung)\b": matched '
        '(ticket: "Rechnung 4711 ist falsch")',
        '    all[2].any[1]: category_path is within "Billing": failed (ticket: "Hardware")',
    ]


def test_prepared_facts_give_the_same_answer_as_a_plain_mapping():
    condition = validate_conditions(EU_INVOICES)
    assert condition.matches(prepare_facts(facts())) is condition.matches(facts())


# --- conditions admins cannot save -------------------------------------------------------------


def test_a_rule_error_is_a_validation_error_for_forms_and_admin():
    with pytest.raises(ValidationError):
        validate_conditions({"all": []})


def test_an_unknown_field_is_named_with_a_suggestion():
    assert problems_of({"any": [{"field": "prio", "op": "is", "value": "high"}]}) == [
        'any[0]: unknown field "prio" (did you mean "priority"?)'
    ]


def test_a_value_outside_the_choices_lists_the_choices():
    conditions = {"all": [*EU_INVOICES["all"][:2], {"field": "priority", "op": "is", "value": 3}]}
    assert problems_of(conditions) == [
        'all[2].value: "priority" must be one of low, medium, high, critical, not 3'
    ]


def test_an_id_given_as_a_name_is_rejected():
    assert problems_of({"all": [{"field": "team", "op": "is", "value": "Billing"}]}) == [
        'all[0].value: "team" is compared by id: give a whole number above 0, not "Billing"'
    ]


def test_a_list_operator_given_a_single_value_is_rejected():
    assert problems_of({"all": [{"field": "region", "op": "in", "value": "EU"}]}) == [
        'all[0].value: "in" needs a list of values, like ["a", "b"], not "EU"'
    ]


def test_each_wrong_item_of_a_list_is_named():
    value = ["high", "urgent"]
    assert problems_of({"all": [{"field": "priority", "op": "in", "value": value}]}) == [
        'all[0].value[1]: "priority" must be one of low, medium, high, critical, not "urgent"'
    ]


def test_an_operator_of_another_kind_lists_the_ones_that_apply():
    assert problems_of({"all": [{"field": "subject", "op": "gt", "value": 3}]}) == [
        'all[0].op: "gt" does not apply to "subject" (text); use one of is, is_not, in, '
        "not_in, contains, not_contains, starts_with, ends_with, matches, is_empty, is_not_empty"
    ]


def test_a_misspelt_operator_gets_a_suggestion():
    assert problems_of({"all": [{"field": "tags", "op": "include", "value": ["vip"]}]}) == [
        'all[0].op: unknown operator "include" (did you mean "includes"?); "tags" takes '
        "includes, excludes, is_empty, is_not_empty"
    ]


def test_an_invalid_pattern_is_rejected_with_its_position():
    assert problems_of({"all": [{"field": "subject", "op": "matches", "value": "inv(oice"}]}) == [
        "all[0].value: not a valid regular expression at position 3: "
        "missing ), unterminated subpattern"
    ]


def test_a_pattern_that_repeats_a_repetition_is_rejected():
    assert problems_of({"all": [{"field": "body", "op": "matches", "value": r"(\w+\s?)+$"}]}) == [
        "all[0].value: the pattern repeats a group that itself repeats, like (a+)+; such "
        "patterns can run for minutes on some texts, so write it without the nested repetition"
    ]


def test_a_pattern_longer_than_500_characters_is_rejected():
    assert problems_of({"all": [{"field": "body", "op": "matches", "value": "a" * 501}]}) == [
        "all[0].value: the pattern is 501 characters long; at most 500 are allowed"
    ]


def test_an_empty_group_is_rejected():
    assert problems_of({"all": []}) == ['all: "all" needs at least one condition']


def test_a_fifth_level_of_groups_is_rejected():
    too_deep = {"all": [{"any": [{"all": [{"any": [{"all": []}]}]}]}]}
    assert problems_of(too_deep) == [
        "all[0].any[0].all[0].any[0]: groups are nested 5 deep here; at most 4 levels are allowed"
    ]


def test_unknown_keys_are_rejected_with_a_suggestion():
    assert problems_of({"all": [{"feild": "subject", "op": "is_empty"}]}) == [
        'all[0]: unknown key "feild" (did you mean "field"?); a condition has "field", "op" '
        'and "value"',
        'all[0]: missing "field"',
    ]


def test_a_group_with_both_all_and_any_is_rejected():
    leaf_data = {"field": "subject", "op": "is_empty"}
    assert problems_of({"all": [leaf_data], "any": [leaf_data]}) == [
        'a group has either "all" or "any", not both'
    ]


def test_an_operator_without_value_given_one_is_rejected():
    assert problems_of({"all": [{"field": "subject", "op": "is_empty", "value": ""}]}) == [
        'all[0].value: "is_empty" takes no value'
    ]


def test_every_problem_is_reported_at_once():
    conditions = {
        "any": [
            {"field": "prio", "op": "is", "value": "high"},
            {"field": "is_vip", "op": "is", "value": "yes"},
        ]
    }
    assert problems_of(conditions) == [
        'any[0]: unknown field "prio" (did you mean "priority"?)',
        'any[1].value: "is_vip" is true or false, not "yes"',
    ]


def test_conditions_round_trip_through_json():
    assert to_json(validate_conditions(EU_INVOICES)) == EU_INVOICES


def test_reparsed_conditions_equal_the_original():
    condition = validate_conditions(EU_INVOICES)
    assert validate_conditions(to_json(condition)) == condition


# --- actions -----------------------------------------------------------------------------------

ROUTE_TO_BILLING = [
    {"action": "set_team", "value": 4},
    {"action": "set_priority", "value": "high"},
    {"action": "add_tags", "value": ["invoice", "eu"]},
    {"action": "assign", "value": {"strategy": "round_robin"}},
    {"action": "stop"},
]
KNOWN = KnownIds(team_ids={4, 5}, category_ids={3, 12, 15}, agent_ids={21})


def test_valid_actions_round_trip_through_json():
    assert actions_to_json(validate_actions(ROUTE_TO_BILLING, KNOWN)) == ROUTE_TO_BILLING


def test_an_unknown_team_id_is_named():
    assert action_problems_of([{"action": "set_team", "value": 7}], KNOWN) == [
        "actions[0].value: there is no team with id 7 in this help desk"
    ]


def test_an_unknown_agent_is_named():
    assign = {"action": "assign", "value": {"agent": 99}}
    assert action_problems_of([assign], KNOWN) == [
        "actions[0].value.agent: there is no agent with id 99 in this help desk"
    ]


def test_ids_are_checked_as_ids_when_no_tenant_ids_are_given():
    assert action_problems_of([{"action": "set_category", "value": "VAT"}]) == [
        'actions[0].value: give the category\'s id, a whole number above 0, not "VAT"'
    ]


def test_an_unknown_action_gets_a_suggestion():
    assert action_problems_of([{"action": "set_prio", "value": "high"}]) == [
        'actions[0].action: unknown action "set_prio" (did you mean "set_priority"?); use one '
        "of set_team, set_category, set_department, set_priority, set_language, mark_vip, "
        "add_tags, remove_tags, assign, stop"
    ]


def test_a_misspelt_assignment_strategy_gets_a_suggestion():
    assign = {"action": "assign", "value": {"strategy": "round-robin"}}
    assert action_problems_of([assign]) == [
        "actions[0].value.strategy: the strategy must be one of round_robin, least_open, "
        'skills, manual, not "round-robin" (did you mean "round_robin"?)'
    ]


def test_a_tag_with_spaces_is_rejected():
    assert action_problems_of([{"action": "add_tags", "value": ["eu", "two words"]}]) == [
        'actions[0].value[1]: a tag is one word of at most 50 characters, not "two words"'
    ]


def test_stop_takes_no_value():
    assert action_problems_of([{"action": "stop", "value": True}]) == [
        'actions[0].value: "stop" takes no value'
    ]


def test_an_action_given_twice_is_rejected():
    twice = [{"action": "set_team", "value": 4}, {"action": "set_team", "value": 5}]
    assert action_problems_of(twice, KNOWN) == [
        'actions[1]: "set_team" already appears at actions[0]; a rule does it once'
    ]


def test_a_rule_without_actions_is_rejected():
    assert action_problems_of([]) == ["actions: a rule needs at least one action"]


def test_a_language_the_desk_does_not_speak_is_rejected():
    assert action_problems_of([{"action": "set_language", "value": "fr"}]) == [
        'actions[0].value: "language" must be one of en, de, not "fr"'
    ]


# --- plans -------------------------------------------------------------------------------------


def test_a_plan_lists_old_and_new_values_tags_assignment_and_stop():
    changes = plan(validate_actions(ROUTE_TO_BILLING), facts(tags=["billing", "eu"]))
    assert (changes.fields, changes.tags_added, changes.tags_removed) == (
        {"team": (None, 4), "priority": ("medium", "high")},
        ("invoice",),
        (),
    )
    assert (changes.assignment, changes.stop) == (Assignment(strategy="round_robin"), True)


def test_a_plan_leaves_out_what_already_is_so():
    actions = validate_actions([{"action": "set_priority", "value": "medium"}])
    assert not plan(actions, facts()).changes_anything


def test_planning_changes_nothing_in_the_facts_given():
    ticket = facts()
    plan(validate_actions(ROUTE_TO_BILLING), ticket)
    assert (ticket["team"], ticket["tags"]) == (None, ["billing"])


def rule(name, conditions, actions):
    return CompiledRule(name, validate_conditions(conditions), validate_actions(actions))


def test_a_rule_set_stops_after_the_first_rule_with_stop():
    rules = [
        rule("Invoices EU", EU_INVOICES, ROUTE_TO_BILLING),
        rule("German", {"all": [{"field": "language", "op": "is", "value": "de"}]},
             [{"action": "set_team", "value": 5}]),
    ]  # fmt: skip
    outcome = plan_rule_set(rules, facts())
    assert ([fired.rule.name for fired in outcome.fired], outcome.stopped_by.name) == (
        ["Invoices EU"],
        "Invoices EU",
    )
    assert outcome.changes.fields == {"team": (None, 4), "priority": ("medium", "high")}


def test_a_later_rule_sees_what_an_earlier_rule_changed():
    rules = [
        rule("Invoices EU", EU_INVOICES, [{"action": "set_priority", "value": "high"}]),
        rule("High to L2", {"all": [{"field": "priority", "op": "is", "value": "high"}]},
             [{"action": "set_team", "value": 5}, {"action": "remove_tags", "value": ["billing"]}]),
    ]  # fmt: skip
    outcome = plan_rule_set(rules, facts())
    assert (outcome.changes.fields, outcome.changes.tags_removed) == (
        {"team": (None, 5), "priority": ("medium", "high")},
        ("billing",),
    )


def test_a_rule_without_conditions_always_fires():
    catch_all = CompiledRule("Everything else", None, validate_actions(ROUTE_TO_BILLING[:1]))
    assert plan_rule_set([catch_all], facts()).changes.fields == {"team": (None, 4)}


def test_a_moved_category_counts_within_its_new_tree_for_later_rules():
    rules = [
        rule("VAT", EU_INVOICES, [{"action": "set_category", "value": VAT.pk}]),
        rule("Tax desk", {"all": [{"field": "category", "op": "within_tree", "value": 12}]},
             [{"action": "set_department", "value": "Tax"}]),
    ]  # fmt: skip
    paths = category_paths([BILLING, INVOICES, VAT, HARDWARE])
    outcome = plan_rule_set(rules, facts(), category_paths=paths)
    assert outcome.changes.fields == {"category": (None, 15), "department": ("", "Tax")}
