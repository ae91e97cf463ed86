"""Admins see and edit the targets as one grid of contract tier, priority and metric."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django import forms
from pytest_django.asserts import assertContains, assertNotContains

from helpdesk.tenancy import tenant_context
from sla.forms import BusinessDurationField
from sla.models import SlaClock, SlaPolicy, SlaReplan, SlaTarget
from tests.factories import (
    BusinessCalendarFactory,
    ContactFactory,
    OrganizationFactory,
    SlaPolicyFactory,
    SlaTargetFactory,
)
from tests.sla.test_admin_and_page import inline
from tickets import services

MATRIX = "/admin/sla/slapolicy/matrix/"
MONDAY_9 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # 09:00 in Berlin
REFUSED = "Write hours and minutes, e.g. 4h, 1h 30m or 45m."


def open_ticket(acme, tier="", priority="high"):
    with tenant_context(acme):
        organization = OrganizationFactory(tenant=acme, tier=tier) if tier else None
        requester = ContactFactory(tenant=acme, organization=organization)
        ticket = services.ticket_open(
            requester=requester, subject="Down", channel="email", priority=priority
        )
        return SlaClock.objects.select_related("policy").get(ticket=ticket, metric="first_response")


def minutes(acme, policy, priority="high", metric="first_response"):
    with tenant_context(acme):
        return SlaTarget.objects.get(policy=policy, priority=priority).minutes(metric)


def test_the_grid_shows_the_standard_policys_targets_in_hours_for_all_other_customers(
    acme_admin_client, standard_policy
):
    page = acme_admin_client.get(MATRIX)
    assertContains(page, "All other customers")
    assertContains(page, 'name="others-high-first_response" value="4h"')
    assertContains(page, 'name="others-medium-resolution" value="5d"')  # 8-hour business days
    assertContains(page, "From the ticket&#x27;s arrival to the first public reply of an agent.")


def test_the_policy_list_links_to_the_matrix(acme_admin_client, standard_policy):
    assertContains(acme_admin_client.get("/admin/sla/slapolicy/"), f'href="{MATRIX}"')


def test_a_cell_edited_in_the_grid_is_the_target_the_policy_page_shows(
    acme, acme_admin_client, standard_policy
):
    response = acme_admin_client.post(MATRIX, {"others-high-first_response": "1h 30m"})
    assert response.status_code == 302
    page = acme_admin_client.get(f"/admin/sla/slapolicy/{standard_policy.pk}/change/")
    assertContains(page, 'value="1h 30m"')
    assert minutes(acme, standard_policy) == 90


def test_a_target_changed_on_the_policy_page_appears_in_the_grid(acme, acme_admin_client):
    policy = SlaPolicyFactory(tenant=acme, name="Premium", tier="premium")
    target = SlaTargetFactory(tenant=acme, policy=policy, priority="high")
    form = {
        "name": "Premium", "position": "0", "is_active": "on", "tier": "premium",
        "conditions": "{}", "calendar": "",
        **inline("targets", [{"id": str(target.pk), "policy": str(policy.pk),
                              "priority": "high", "first_response_minutes": "2h 15m"}]),
        "targets-INITIAL_FORMS": "1",
        **inline("pause_rules", []), **inline("warnings", []),
    }  # fmt: skip
    response = acme_admin_client.post(f"/admin/sla/slapolicy/{policy.pk}/change/", form)
    assert response.status_code == 302
    page = acme_admin_client.get(MATRIX)
    assertContains(page, 'name="premium-high-first_response" value="2h 15m"')


def test_filling_in_the_premium_row_gives_the_next_premium_ticket_its_targets(
    acme, acme_admin_client, standard_policy
):
    open_ticket(acme)  # the desk's set-up is compiled before the change
    response = acme_admin_client.post(MATRIX, {"premium-high-first_response": "1h"})
    assert response.status_code == 302
    premium = open_ticket(acme, tier="premium")
    assert (premium.policy.name, premium.policy.tier, premium.target_minutes) == (
        "Premium customers",
        "premium",
        60,
    )


def test_tickets_of_other_customers_keep_the_catch_all_after_the_premium_row_is_filled_in(
    acme, acme_admin_client, standard_policy
):
    acme_admin_client.post(MATRIX, {"premium-high-first_response": "1h"})
    other = open_ticket(acme, tier="standard")
    assert (other.policy, other.target_minutes) == (standard_policy, 240)


def test_a_new_premium_policy_is_tried_before_the_catch_all_even_at_order_zero(
    acme, acme_admin_client, standard_policy
):
    with tenant_context(acme):
        SlaPolicy.objects.filter(pk=standard_policy.pk).update(position=0)
    acme_admin_client.post(MATRIX, {"premium-high-first_response": "1h"})
    with tenant_context(acme):
        assert [policy.name for policy in SlaPolicy.objects.all()] == [
            "Premium customers",
            "Standard",
        ]


def test_a_duration_in_words_is_refused_and_nothing_is_saved(
    acme, acme_admin_client, standard_policy
):
    response = acme_admin_client.post(
        MATRIX,
        {"others-high-first_response": "4 hours please", "others-medium-first_response": "1h"},
    )
    assert response.status_code == 200
    assertContains(response, "Write days, hours and minutes, e.g. 2d, 1d 4h, 1h 30m or 45m.")
    assertContains(response, 'value="4 hours please"')
    assertContains(response, 'name="others-medium-first_response" value="1h"')
    assert minutes(acme, standard_policy, priority="medium") == 480


def test_a_priority_emptied_in_the_grid_has_no_targets_left(
    acme, acme_admin_client, standard_policy
):
    shown = {"first_response": "1d", "next_reply": "1d", "resolution": "5d"}
    form = {}
    for metric, value in shown.items():
        form[f"others-medium-{metric}"] = ""
        form[f"initial-others-medium-{metric}"] = value
    assert acme_admin_client.post(MATRIX, form).status_code == 302
    with tenant_context(acme):
        assert not SlaTarget.objects.filter(policy=standard_policy, priority="medium").exists()


def test_the_calendar_chosen_for_a_tier_is_saved_on_its_policy(acme, acme_admin_client):
    around_the_clock = BusinessCalendarFactory(tenant=acme, name="24/7", coverage="always")
    response = acme_admin_client.post(
        MATRIX,
        {"enterprise-critical-first_response": "15m", "enterprise-calendar": around_the_clock.pk},
    )
    assert response.status_code == 302
    with tenant_context(acme):
        assert SlaPolicy.objects.get(tier="enterprise").calendar == around_the_clock


def test_a_calendar_without_targets_is_refused_for_a_row_without_a_policy(acme, acme_admin_client):
    around_the_clock = BusinessCalendarFactory(tenant=acme, name="24/7", coverage="always")
    response = acme_admin_client.post(MATRIX, {"premium-calendar": around_the_clock.pk})
    assertContains(response, "Fill in at least one target: a calendar alone creates no policy.")
    with tenant_context(acme):
        assert not SlaPolicy.objects.exists()


def test_a_changed_target_re_plans_the_running_clocks_of_its_policy(
    acme, acme_admin_client, standard_policy, django_capture_on_commit_callbacks
):
    with time_machine.travel(MONDAY_9, tick=False):
        first = open_ticket(acme)  # first response due 13:00 Berlin
    with (
        time_machine.travel(MONDAY_9 + timedelta(minutes=10), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = acme_admin_client.post(MATRIX, {"others-high-first_response": "1h"}, follow=True)
    assertContains(response, "Saved. 2 running clocks are being re-planned.")
    with tenant_context(acme):
        replan = SlaReplan.objects.get(policy=standard_policy)
        first.refresh_from_db()
    assert (replan.reason, replan.state, first.due_at) == (
        "Policy matrix: “Standard” changed",
        "done",
        MONDAY_9 + timedelta(hours=1),
    )


def test_an_agent_cannot_open_the_policy_matrix(acme_agent_client, standard_policy):
    response = acme_agent_client.get(MATRIX, follow=True)
    assert response.status_code == 403
    assertNotContains(response, "All other customers", status_code=403)


def test_another_desks_admin_sees_and_changes_only_their_own_matrix(
    acme, globex, globex_admin_client, standard_policy
):
    page = globex_admin_client.get(MATRIX)
    assertNotContains(page, f"/admin/sla/slapolicy/{standard_policy.pk}/change/")
    assertNotContains(page, 'value="4h"')
    globex_admin_client.post(MATRIX, {"others-high-first_response": "1h"})
    assert minutes(acme, standard_policy) == 240
    with tenant_context(globex):
        assert SlaPolicy.objects.get().name == "All other customers"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("4h", 240),
        ("1h 30m", 90),
        ("1H30M", 90),
        (" 45 m ", 45),
        ("0m", 0),
        ("1:30", 90),
        ("90m", 90),
        ("", None),
        ("   ", None),
    ],
)
def test_a_duration_in_hours_and_minutes_is_understood(typed, expected):
    assert BusinessDurationField().clean(typed) == expected


@pytest.mark.parametrize(
    "typed", ["30", "4 hours please", "1.5h", "h", "1:75", "-1h", "٤h", "1m 2h", "9999999h"]
)
def test_a_duration_not_in_hours_and_minutes_is_refused_with_the_forms_it_takes(typed):
    with pytest.raises(forms.ValidationError, match=REFUSED):
        BusinessDurationField().clean(typed)


@pytest.mark.parametrize(
    ("stored", "shown"), [(240, "4h"), (90, "1h 30m"), (45, "45m"), (0, "0m"), (None, "")]
)
def test_a_stored_target_is_shown_in_hours_and_minutes(stored, shown):
    assert BusinessDurationField().prepare_value(stored) == shown
