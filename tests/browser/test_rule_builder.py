"""Tenant admins build routing rules by picking from lists, in a real browser."""

from __future__ import annotations

import json

import pytest

from tests.browser.conftest import browser_tests
from tests.factories import OrganizationFactory, TeamFactory
from tickets.models import Organization

expect = pytest.importorskip("playwright.async_api").expect
pytestmark = browser_tests


@pytest.fixture
def desk(acme):
    TeamFactory(tenant=acme, name="L1 Support")
    l2 = TeamFactory(tenant=acme, name="L2")
    OrganizationFactory(tenant=acme, name="Big Corp", tier=Organization.Tier.ENTERPRISE)
    return l2


async def test_an_admin_picks_urgent_enterprise_to_l2_from_lists_and_the_test_routes_there(
    acme, acme_admin, desk, open_as
):
    page = await open_as(acme, acme_admin)
    await page.goto("/admin/tickets/routingrule/add/")
    await page.get_by_label("Name:").fill("Urgent enterprise")
    conditions = page.locator(".rule-builder[data-name='conditions']")
    await conditions.locator("[name='conditions__0__field']").select_option(label="Priority")
    await conditions.locator("[name='conditions__0__op']").select_option(label="is")
    await conditions.locator("[name='conditions__0__value']").select_option(label="Critical")
    await conditions.get_by_role("button", name="Add a condition").click()
    await conditions.locator("[name='conditions__1__field']").select_option(
        label="Organisation tier"
    )
    await conditions.locator("[name='conditions__1__value']").select_option(label="Enterprise")
    actions = page.locator(".rule-builder[data-name='actions']")
    await actions.locator("[name='actions__0__action']").select_option(label="Route to team")
    await actions.locator("[name='actions__0__value']").select_option(label="L2")
    # The advanced view shows the JSON the rows make.
    await conditions.get_by_label("Advanced: edit as JSON").check()
    await expect(conditions.locator("textarea")).to_have_value(
        '{\n  "all": [\n    {\n      "field": "priority",\n      "op": "is",\n'
        '      "value": "critical"\n    },\n    {\n      "field": "customer_segment",\n'
        '      "op": "is",\n      "value": "enterprise"\n    }\n  ]\n}'
    )
    await conditions.get_by_label("Pick conditions from lists").check()
    await expect(conditions.locator("[name='conditions__1__value']")).to_have_value('"enterprise"')
    await page.get_by_role("button", name="Save", exact=True).click()
    await expect(page.locator(".messagelist")).to_contain_text("Urgent enterprise")

    await page.get_by_role("link", name="Test the rules").click()
    await page.get_by_label("organisation").select_option(label="Big Corp")
    await page.get_by_label("priority").select_option(label="Critical")
    await page.get_by_label("subject").fill("Production is down")
    await page.get_by_role("button", name="Test the rules").click()
    await expect(page.locator("#content")).to_contain_text(
        "Routed to L2 by rule “Urgent enterprise”"
    )


async def test_an_admin_builds_a_group_of_any_conditions_inside_the_rule(
    acme, acme_admin, desk, open_as
):
    page = await open_as(acme, acme_admin)
    await page.goto("/admin/tickets/routingrule/add/")
    await page.get_by_label("Name:").fill("VIP or enterprise")
    conditions = page.locator(".rule-builder[data-name='conditions']")
    await conditions.locator("[name='conditions__0__field']").select_option(label="Priority")
    await conditions.locator("[name='conditions__0__op']").select_option(label="is one of")
    await conditions.get_by_label("Low").check()
    await conditions.get_by_label("Medium").check()
    await conditions.get_by_role("button", name="Add a group").click()
    group = conditions.locator(".rule-builder-group")
    await group.locator(".rule-builder-group-match").select_option(label="any of these is true")
    await group.locator("[name='conditions__1__0__field']").select_option(label="VIP organisation")
    await group.locator("[name='conditions__1__0__value']").select_option(label="yes")
    await group.get_by_role("button", name="Add a condition to this group").click()
    await group.locator("[name='conditions__1__1__field']").select_option(label="Organisation tier")
    await group.locator("[name='conditions__1__1__value']").select_option(label="Enterprise")
    # Not saved: the server process keeps the admin log's content type ids, which the flush
    # between browser tests renews (tests/tickets/test_rule_builder.py saves groups).
    await conditions.get_by_label("Advanced: edit as JSON").check()
    shown = json.loads(await conditions.locator("textarea").input_value())
    assert shown == {
        "all": [
            {"field": "priority", "op": "in", "value": ["low", "medium"]},
            {
                "any": [
                    {"field": "is_vip", "op": "is", "value": True},
                    {"field": "customer_segment", "op": "is", "value": "enterprise"},
                ]
            },
        ]
    }
    await conditions.get_by_label("Pick conditions from lists").check()
    await expect(group.locator("[name='conditions__1__1__value']")).to_have_value('"enterprise"')
