"""Times left on workspace pages: worded alike by the server and the page keeping them ticking."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from helpdesk.tenancy import tenant_context
from sla import services as sla_services
from tests.factories import ContactFactory
from tickets import services
from tickets.models import Ticket

MONDAY_9 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # 09:00 in Berlin
MINUTE = timedelta(minutes=1)
GERMAN = {"HTTP_ACCEPT_LANGUAGE": "de"}


@pytest.fixture
def urgent(acme) -> Ticket:
    """A critical ticket opened Monday 09:00: its first response is due at 10:00."""
    with time_machine.travel(MONDAY_9, tick=False), tenant_context(acme):
        sla_services.sla_defaults_create(time_zone="Europe/Berlin")
        return services.ticket_open(
            requester=ContactFactory(tenant=acme),
            subject="Server down",
            channel="portal",
            priority="critical",
        )


def due_cell(response) -> str:
    return re.search(r'<time [^>]*class="due[^>]*>[^<]*</time>', response.content.decode()).group(0)


def clock_left(response) -> str:
    return re.search(
        r'<time [^>]*data-tick="business"[^>]*>[^<]*</time>', response.content.decode()
    ).group(0)


def test_a_queue_row_says_how_long_until_its_ticket_is_due(urgent, acme_agent_client):
    with time_machine.travel(MONDAY_9 + 35 * MINUTE, tick=False):
        cell = due_cell(acme_agent_client.get("/workspace/"))
    assert ">in 25 min</time>" in cell
    assert 'data-tick="due"' in cell


def test_a_queue_row_past_due_says_overdue_in_german_too(urgent, acme_agent_client):
    with time_machine.travel(MONDAY_9 + 63 * MINUTE, tick=False):
        cell = due_cell(acme_agent_client.get("/workspace/", **GERMAN))
    assert ">seit 3 Min. überfällig</time>" in cell
    assert "overdue" in re.search(r'class="([^"]*)"', cell).group(1)


def test_a_ticket_page_counts_business_time_left_from_where_business_hours_end(
    urgent, acme_agent_client
):
    with time_machine.travel(MONDAY_9 + 35 * MINUTE, tick=False):
        left = clock_left(acme_agent_client.get(f"/workspace/tickets/{urgent.number}/"))
    assert ">25 min business time left</time>" in left
    assert 'data-left="1500.000"' in left
    assert 'data-counting="1"' in left
    assert 'data-changes="2026-11-23T16:00:00.000+00:00"' in left  # 17:00 in Berlin


def test_a_ticket_page_outside_business_hours_holds_the_time_left_until_they_open(
    urgent, acme_agent_client
):
    with time_machine.travel(MONDAY_9 + 9 * 60 * MINUTE, tick=False):  # 18:00 in Berlin
        left = clock_left(acme_agent_client.get(f"/workspace/tickets/{urgent.number}/"))
    assert ">7 h 00 min business time overdue</time>" in left
    assert 'data-counting=""' in left
    assert 'data-changes="2026-11-24T08:00:00.000+00:00"' in left  # Tuesday 09:00


def test_the_page_is_given_the_words_of_its_language_to_keep_times_ticking(acme_agent_client):
    page = acme_agent_client.get("/workspace/", **GERMAN).content.decode()
    words = re.search(
        r'<script src="[^"]*ticking\.js" defer data-now="[^"]+" data-words="([^"]+)"', page
    )
    assert json.loads(words.group(1).replace("&quot;", '"'))["in"] == "in %(left)s"
    assert json.loads(words.group(1).replace("&quot;", '"'))["m"] == "%(minutes)d Min."
