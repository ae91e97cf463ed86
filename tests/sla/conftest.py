"""A desk working Monday to Friday 09:00-17:00 in Berlin, and an SLA policy on it."""

from __future__ import annotations

from datetime import time

import pytest

from tests.factories import (
    BusinessCalendarFactory,
    SlaPolicyFactory,
    SlaTargetFactory,
    SlaWarningFactory,
    WorkingHoursFactory,
)


@pytest.fixture
def office_hours(acme):
    """The desk's default calendar: Monday to Friday, 09:00-17:00 Europe/Berlin."""
    calendar = BusinessCalendarFactory(
        tenant=acme, name="Berlin office", time_zone="Europe/Berlin", is_default=True
    )
    for weekday in range(5):
        WorkingHoursFactory(
            tenant=acme, calendar=calendar, weekday=weekday, start=time(9), end=time(17)
        )
    return calendar


@pytest.fixture
def standard_policy(acme, office_hours):
    """Targets in business minutes: high 4 h / 4 h / 16 h, medium 8 h / 8 h / 40 h; a warning
    at three quarters of each; each metric pauses as usual (resolution while pending or on
    hold, responses never)."""
    policy = SlaPolicyFactory(tenant=acme, name="Standard", position=10)
    SlaTargetFactory(
        tenant=acme, policy=policy, priority="high", first_response_minutes=240,
        next_reply_minutes=240, resolution_minutes=960,
    )  # fmt: skip
    SlaTargetFactory(
        tenant=acme, policy=policy, priority="medium", first_response_minutes=480,
        next_reply_minutes=480, resolution_minutes=2400,
    )  # fmt: skip
    SlaTargetFactory(
        tenant=acme, policy=policy, priority="critical", first_response_minutes=60,
        next_reply_minutes=60, resolution_minutes=480, periodic_update_minutes=120,
    )  # fmt: skip
    for metric in ("first_response", "next_reply", "resolution", "periodic_update"):
        SlaWarningFactory(tenant=acme, policy=policy, metric=metric, percent=75)
    return policy
