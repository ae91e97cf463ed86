"""Tenant admins build routing rules, SLA policy conditions and automations from lists."""

from __future__ import annotations

import json
from html.parser import HTMLParser

import pytest
from pytest_django.asserts import assertContains, assertNotContains

from helpdesk.tenancy import tenant_context
from sla.models import SlaPolicy
from tests.factories import OrganizationFactory, TeamFactory
from tickets import automations, routing
from tickets.models import Automation, Category, RoutingRule

RULES = "/admin/tickets/routingrule/"
POLICIES = "/admin/sla/slapolicy/"
AUTOMATIONS = "/admin/tickets/automation/"


class FormInputs(HTMLParser):
    """What a browser without JavaScript would post for the page's main form."""

    def __init__(self) -> None:
        super().__init__()
        self.pairs: list[tuple[str, str]] = []
        self._template = 0
        self._select: str | None = None
        self._selected: list[str] = []
        self._first: str | None = None
        self._multiple = False
        self._option: str | None = None
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {key: value or "" for key, value in attrs}
        if tag == "template":
            self._template += 1
        if self._template or "disabled" in a:
            return
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            if kind not in ("submit", "button", "file"):
                self.pairs.append((a["name"], a.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "select" and a.get("name"):
            self._select, self._selected, self._first = a["name"], [], None
            self._multiple = "multiple" in a
        elif tag == "option" and self._select is not None:
            value = a.get("value", "")
            self._first = value if self._first is None else self._first
            if "selected" in a:
                self._selected.append(value)
        elif tag == "textarea" and a.get("name"):
            self._textarea, self._text = a["name"], ""

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "template":
            self._template -= 1
        if self._template:
            return
        if tag == "select" and self._select is not None:
            chosen = self._selected or (
                [] if self._multiple or self._first is None else [self._first]
            )
            self.pairs += [(self._select, value) for value in chosen]
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            text = self._text[1:] if self._text.startswith("\n") else self._text
            self.pairs.append((self._textarea, text))
            self._textarea = None


def posted_as_shown(page) -> dict[str, list[str]]:
    parser = FormInputs()
    parser.feed(page.content.decode())
    data: dict[str, list[str]] = {}
    for name, value in parser.pairs:
        if name not in ("csrfmiddlewaretoken", "_continue", "_addanother", "_save"):
            data.setdefault(name, []).append(value)
    return data


@pytest.fixture
def l2(acme):
    return TeamFactory(tenant=acme, name="L2 Support")


def builder_rule(team, **rows: str) -> dict[str, str]:
    return {
        "name": "Urgent enterprise",
        "position": "10",
        "is_enabled": "on",
        "trigger": "create",
        "description": "",
        "conditions__mode": "builder",
        "conditions__match": "all",
        "conditions__0__field": "priority",
        "conditions__0__op": "is",
        "conditions__0__value": '"critical"',
        "conditions__1__field": "customer_segment",
        "conditions__1__op": "is",
        "conditions__1__value": '"enterprise"',
        "conditions__2__field": "",
        "conditions__2__op": "is",
        "actions__mode": "builder",
        "actions__0__action": "set_team",
        "actions__0__value": str(team.pk),
        "actions__1__action": "",
        **rows,
    }


def test_a_rule_picked_from_lists_is_stored_as_rule_json(acme, acme_admin_client, l2):
    response = acme_admin_client.post(f"{RULES}add/", builder_rule(l2))
    assert response.status_code == 302
    with tenant_context(acme):
        rule = RoutingRule.objects.get()
    assert rule.conditions == {
        "all": [
            {"field": "priority", "op": "is", "value": "critical"},
            {"field": "customer_segment", "op": "is", "value": "enterprise"},
        ]
    }
    assert rule.actions == [{"action": "set_team", "value": l2.pk}]


def test_the_builder_offers_the_desks_teams_by_name(acme_admin_client, l2):
    page = acme_admin_client.get(f"{RULES}add/")
    assertContains(page, f'[["{l2.pk}", "L2 Support"]]')
    assertContains(page, 'name="conditions__0__field"')
    assertContains(page, "Organisation tier")


def test_the_builder_lists_no_team_of_another_desk(acme_admin_client, globex):
    TeamFactory(tenant=globex, name="Globex secret team")
    OrganizationFactory(tenant=globex, name="Globex customer")
    page = acme_admin_client.get(f"{RULES}add/")
    assertNotContains(page, "Globex secret team")
    assertNotContains(page, "Globex customer")


def test_a_stored_rule_shows_as_rows_and_saves_back_unchanged(acme, acme_admin_client, l2):
    with tenant_context(acme):
        billing = Category.objects.create(name="Billing")
    enterprise = OrganizationFactory(tenant=acme, name="Big Corp")
    conditions = {
        "any": [
            {"field": "priority", "op": "in", "value": ["high", "critical"]},
            {"field": "organization", "op": "is", "value": enterprise.pk},
            {"field": "category", "op": "within_tree", "value": billing.pk},
            {"field": "subject", "op": "contains", "value": "invoice"},
            {"field": "tags", "op": "includes", "value": ["vip", "eu"]},
            {"field": "contract_value", "op": "gt", "value": 10000},
            {"field": "is_vip", "op": "is", "value": True},
            {"field": "assignee", "op": "is_empty"},
        ]
    }
    actions = [
        {"action": "set_team", "value": l2.pk},
        {"action": "set_priority", "value": "high"},
        {"action": "add_tags", "value": ["vip"]},
        {"action": "assign", "value": {"strategy": "round_robin"}},
        {"action": "stop"},
    ]
    with tenant_context(acme):
        rule = routing.routing_rule_save(
            rule=RoutingRule(name="Many", position=1, conditions=conditions, actions=actions)
        )
    page = acme_admin_client.get(f"{RULES}{rule.pk}/change/")
    assertContains(page, f'<option value="{l2.pk}" selected>L2 Support</option>', html=True)
    assertContains(page, "Big Corp")
    data = posted_as_shown(page)
    assert data["conditions__mode"] == ["builder"]
    response = acme_admin_client.post(f"{RULES}{rule.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    with tenant_context(acme):
        rule.refresh_from_db()
    assert rule.conditions == conditions
    assert rule.actions == actions


def test_a_group_inside_the_rule_shows_as_rows_and_saves_back_unchanged(acme, acme_admin_client):
    vip_or_enterprise = {
        "all": [
            {
                "any": [
                    {"field": "is_vip", "op": "is", "value": True},
                    {"field": "customer_segment", "op": "is", "value": "enterprise"},
                ]
            },
            {"field": "priority", "op": "in", "value": ["low", "medium"]},
        ]
    }
    with tenant_context(acme):
        rule = routing.routing_rule_save(
            rule=RoutingRule(name="VIP", conditions=vip_or_enterprise, actions=[{"action": "stop"}])
        )
    page = acme_admin_client.get(f"{RULES}{rule.pk}/change/")
    assertContains(page, 'name="conditions__0__match"')
    assertContains(page, 'name="conditions__0__1__field"')
    data = posted_as_shown(page)
    assert data["conditions__mode"] == ["builder"]
    assert acme_admin_client.post(f"{RULES}{rule.pk}/change/", data).status_code == 302
    with tenant_context(acme):
        rule.refresh_from_db()
    assert rule.conditions == vip_or_enterprise


def test_groups_three_deep_are_kept_in_the_json_view(acme, acme_admin_client):
    leaf = {"field": "subject", "op": "contains", "value": "x"}
    nested = {"all": [{"any": [{"all": [leaf]}]}]}
    with tenant_context(acme):
        rule = routing.routing_rule_save(
            rule=RoutingRule(name="Nested", conditions=nested, actions=[{"action": "stop"}])
        )
    page = acme_admin_client.get(f"{RULES}{rule.pk}/change/")
    assertContains(page, "edit it as JSON")
    data = posted_as_shown(page)
    assert data["conditions__mode"] == ["json"]
    assert acme_admin_client.post(f"{RULES}{rule.pk}/change/", data).status_code == 302
    with tenant_context(acme):
        rule.refresh_from_db()
    assert rule.conditions == nested


def test_a_wrong_value_is_refused_with_its_message_on_the_row(acme_admin_client, l2):
    data = builder_rule(
        l2,
        conditions__1__field="contract_value",
        conditions__1__op="gt",
        conditions__1__value="lots",
    )
    response = acme_admin_client.post(f"{RULES}add/", data)
    assert response.status_code == 200
    assertContains(
        response,
        '<ul class="errorlist rule-builder-errors"><li>"contract_value" is compared with a '
        'number, not "lots"</li></ul>',
        html=True,
    )


def test_a_team_of_another_desk_posted_into_the_builder_is_refused(acme_admin_client, globex, l2):
    foreign = TeamFactory(tenant=globex, name="Globex team")
    response = acme_admin_client.post(
        f"{RULES}add/", builder_rule(l2, actions__0__value=str(foreign.pk))
    )
    assertContains(response, f"there is no team with id {foreign.pk} in this help desk")


def test_an_sla_policy_condition_is_picked_from_lists(acme, acme_admin_client):
    from tests.sla.test_admin_and_page import policy_form

    data = {
        **policy_form(""),
        "conditions__mode": "builder",
        "conditions__match": "all",
        "conditions__0__field": "channel",
        "conditions__0__op": "in",
        "conditions__0__value": ['"chat"', '"phone"'],
    }
    response = acme_admin_client.post(f"{POLICIES}add/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    with tenant_context(acme):
        policy = SlaPolicy.objects.get()
    assert policy.conditions == {
        "all": [{"field": "channel", "op": "in", "value": ["chat", "phone"]}]
    }
    page = acme_admin_client.get(f"{POLICIES}{policy.pk}/change/")
    assertContains(page, "Phone")
    data = posted_as_shown(page)
    assert acme_admin_client.post(f"{POLICIES}{policy.pk}/change/", data).status_code == 302
    with tenant_context(acme):
        policy.refresh_from_db()
    assert policy.conditions == {
        "all": [{"field": "channel", "op": "in", "value": ["chat", "phone"]}]
    }


def test_an_automation_round_trips_through_the_builder(acme, acme_admin_client, l2):
    conditions = {
        "all": [
            {"field": "status", "op": "is", "value": "pending"},
            {"field": "hours_since_status_changed", "op": "gt", "value": 120},
        ]
    }
    actions = [
        {"action": "notify_requester", "value": "Hello {requester_name}, any news?"},
        {"action": "set_team", "value": l2.pk},
        {"action": "set_status", "value": "closed"},
    ]
    with tenant_context(acme):
        automation = automations.automation_save(
            automation=Automation(name="Close", conditions=conditions, actions=actions)
        )
    page = acme_admin_client.get(f"{AUTOMATIONS}{automation.pk}/change/")
    assertContains(page, "Email the requester")
    data = posted_as_shown(page)
    response = acme_admin_client.post(f"{AUTOMATIONS}{automation.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    with tenant_context(acme):
        automation.refresh_from_db()
    assert automation.conditions == conditions
    assert automation.actions == actions


def test_a_post_of_json_alone_still_saves_as_before(acme, acme_admin_client, l2):
    data = {
        "name": "JSON",
        "position": "1",
        "is_enabled": "on",
        "trigger": "create",
        "description": "",
        "conditions": json.dumps({"field": "subject", "op": "contains", "value": "x"}),
        "actions": json.dumps([{"action": "set_team", "value": l2.pk}]),
    }
    assert acme_admin_client.post(f"{RULES}add/", data).status_code == 302
