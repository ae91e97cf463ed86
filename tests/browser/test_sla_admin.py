"""Tenant admins set up business calendars in a real browser: a weekly grid, no clock notes."""

from __future__ import annotations

import datetime as dt

import pytest
from channels.db import database_sync_to_async

from helpdesk.tenancy import tenant_context
from sla.models import BusinessCalendar, WorkingHours
from tests.browser.conftest import browser_tests

expect = pytest.importorskip("playwright.async_api").expect
pytestmark = browser_tests


@pytest.fixture
def office(acme) -> BusinessCalendar:
    with tenant_context(acme):
        calendar = BusinessCalendar.objects.create(
            name="Berlin office", time_zone="Europe/Berlin", is_default=True
        )
        for day in range(5):
            WorkingHours.objects.create(
                calendar=calendar, weekday=day, start=dt.time(9), end=dt.time(17)
            )
        return calendar


def stored_hours(acme, office) -> list[tuple[int, str, str]]:
    with tenant_context(acme):
        return sorted(
            (h.weekday, f"{h.start:%H:%M}", f"{h.end:%H:%M}")
            for h in WorkingHours.objects.filter(calendar=office)
        )


async def test_an_admin_sets_a_split_day_and_a_closed_day_in_the_weekly_grid(
    acme, acme_admin, office, open_as
):
    # A browser far from the server's zone: Django's clock shortcuts would add "Note: You are
    # 9 hours ahead of server time" under every time and date field.
    page = await open_as(acme, acme_admin, timezone_id="Asia/Tokyo")
    await page.goto(f"/admin/sla/businesscalendar/{office.pk}/change/")
    friday = page.locator("tr.weekly-hours-day[data-weekday='4']")
    await expect(page.get_by_role("rowheader", name="Monday")).to_be_visible()
    await expect(friday.get_by_label("Friday from").first).to_have_value("09:00")
    await friday.get_by_label("Friday until").first.fill("12:00")
    await friday.get_by_label("Friday from").nth(1).fill("13:00")
    await friday.get_by_label("Friday until").nth(1).fill("15:30")
    await page.get_by_label("Wednesday closed").check()
    await page.get_by_role("button", name="Add another Holiday").click()
    await expect(page.locator("input[type='date']").first).to_be_visible()
    await expect(page.locator("#content")).not_to_contain_text("server time")
    await page.locator("input[type='date']").first.fill("2026-12-24")
    await page.get_by_role("button", name="Save and continue editing").click()
    await expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    await expect(friday.get_by_label("Friday until").nth(1)).to_have_value("15:30")
    await expect(page.get_by_label("Wednesday closed")).to_be_checked()
    await expect(page.locator("#content")).not_to_contain_text("server time")
    assert await database_sync_to_async(stored_hours)(acme, office) == [
        (0, "09:00", "17:00"), (1, "09:00", "17:00"), (3, "09:00", "17:00"),
        (4, "09:00", "12:00"), (4, "13:00", "15:30"),
    ]  # fmt: skip
