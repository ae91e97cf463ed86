"""SLA targets and warning lead times are typed and shown in days and hours of the policy's time."""

from __future__ import annotations

from datetime import time

import pytest
from django import forms
from pytest_django.asserts import assertContains

from helpdesk.tenancy import tenant_context
from sla.forms import BusinessDurationField, day_minutes, duration_text
from sla.models import BusinessCalendar, SlaTarget, SlaWarning
from tests.factories import BusinessCalendarFactory, WorkingHoursFactory
from tests.sla.test_admin_and_page import inline

POLICIES = "/admin/sla/slapolicy/"
EIGHT_HOURS = 8 * 60


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("2d", 960), ("1d 4h", 720), ("1D4H", 720), ("3d 30m", 1470), ("4h", 240), ("45m", 45)],
)
def test_a_business_day_is_the_calendars_working_day(typed, expected):
    assert BusinessDurationField(day=EIGHT_HOURS).clean(typed) == expected


@pytest.mark.parametrize(
    ("stored", "shown"),
    [(960, "2d"), (720, "1d 4h"), (1470, "3d 30m"), (240, "4h"), (0, "0m"), (None, "")],
)
def test_a_target_is_shown_in_days_and_hours(stored, shown):
    assert BusinessDurationField(day=EIGHT_HOURS).prepare_value(stored) == shown


def test_a_calendar_day_is_24_hours():
    assert duration_text(2 * 1440 + 240, day=1440) == "2d 4h"


def test_days_are_refused_where_working_days_differ_in_length():
    with pytest.raises(forms.ValidationError, match="Write hours and minutes"):
        BusinessDurationField(day=None).clean("2d")


def test_the_length_of_a_day_comes_from_the_calendar(acme, office_hours):
    with tenant_context(acme):
        around_the_clock = BusinessCalendarFactory(tenant=acme, coverage="always")
        uneven = BusinessCalendarFactory(tenant=acme)
        WorkingHoursFactory(tenant=acme, calendar=uneven, weekday=0, start=time(9), end=time(17))
        WorkingHoursFactory(tenant=acme, calendar=uneven, weekday=4, start=time(9), end=time(13))
        night = BusinessCalendarFactory(tenant=acme)
        WorkingHoursFactory(tenant=acme, calendar=night, weekday=0, start=time(22), end=time(6))
        assert day_minutes(office_hours) == EIGHT_HOURS
        assert day_minutes(None) == EIGHT_HOURS  # the desk's default calendar
        assert day_minutes(around_the_clock) == 1440
        assert day_minutes(uneven) is None
        assert day_minutes(night) == EIGHT_HOURS


def test_the_policy_page_shows_targets_in_business_days_and_says_what_a_day_is(
    acme, acme_admin_client, standard_policy
):
    page = acme_admin_client.get(f"{POLICIES}{standard_policy.pk}/change/")
    assertContains(page, 'value="5d"')  # medium resolution: 2400 business minutes
    assertContains(page, 'value="2d"')  # high resolution: 960
    assertContains(page, "Business time of “Berlin office”")
    assertContains(page, "1d = 8h")


def test_a_policy_on_a_24_7_calendar_says_calendar_time(acme, acme_admin_client, standard_policy):
    with tenant_context(acme):
        BusinessCalendar.objects.filter(is_default=True).update(coverage="always")
    page = acme_admin_client.get(f"{POLICIES}{standard_policy.pk}/change/")
    assertContains(page, "Calendar time: every hour counts; 1d = 24h.")
    assertContains(page, 'value="1d 16h"')  # 2400 minutes


def policy_change(policy, targets, warnings) -> dict[str, str]:
    data = {
        "name": policy.name, "position": str(policy.position), "is_active": "on",
        "tier": "", "calendar": "", "conditions": "{}",
        **inline("targets", targets), **inline("pause_rules", []), **inline("warnings", warnings),
    }  # fmt: skip
    data["targets-INITIAL_FORMS"] = data["warnings-INITIAL_FORMS"] = "0"
    return data


def test_targets_and_warning_lead_times_are_typed_in_days_and_hours(
    acme, acme_admin_client, office_hours
):
    from tests.factories import SlaPolicyFactory

    policy = SlaPolicyFactory(tenant=acme, name="Gold", position=1)
    response = acme_admin_client.post(
        f"{POLICIES}{policy.pk}/change/",
        policy_change(
            policy,
            [{"priority": "high", "first_response_minutes": "4h", "resolution_minutes": "1d 4h"}],
            [{"metric": "resolution", "percent": "", "minutes_before": "2h"}],
        ),
    )
    assert response.status_code == 302, response.content.decode()[-3000:]
    with tenant_context(acme):
        target = SlaTarget.objects.get(policy=policy)
        warning = SlaWarning.objects.get(policy=policy)
    assert (target.first_response_minutes, target.resolution_minutes) == (240, 720)
    assert warning.minutes_before == 120
    page = acme_admin_client.get(f"{POLICIES}{policy.pk}/change/")
    assertContains(page, 'name="warnings-0-minutes_before" value="2h"')


def test_pause_statuses_are_checkboxes(acme_admin_client, standard_policy):
    page = acme_admin_client.get(f"{POLICIES}{standard_policy.pk}/change/")
    assertContains(page, 'type="checkbox" name="pause_rules-__prefix__-statuses" value="pending"')
