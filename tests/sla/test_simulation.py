"""A ticket's history replayed under a draft policy comes out as the live engine would time it."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sla.business_time import BusinessCalendar, Interval
from sla.selectors import CompiledPolicy, SlaConfig
from sla.services import TicketSnapshot
from sla.simulation import Change, ClockOutcome, Outcome, replay_config, ticket_replay

MONDAY_9 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # 09:00 in Berlin
HOUR = timedelta(hours=1)
END = MONDAY_9 + timedelta(days=30)
OFFICE = BusinessCalendar(
    "Europe/Berlin", tuple(Interval(day, time(9), time(17)) for day in range(5))
)
DESK = SlaConfig(
    time_zone="Europe/Berlin",
    policies=(),
    calendars={1: OFFICE},
    region_calendars={"": 1},
)


def draft(**targets: int) -> CompiledPolicy:
    return CompiledPolicy(
        pk=7, name="Gold draft", tier="", conditions=None, calendar_id=None,
        targets={"high": targets},
    )  # fmt: skip


def ticket(**fields) -> TicketSnapshot:
    return TicketSnapshot(
        id=1, tenant_id=1, priority=fields.get("priority", "high"), region="",
        status=fields.get("status", "new"), created_at=MONDAY_9,
    )  # fmt: skip


def replay(policy, changes, end=END, calendar=None):
    policy, config = replay_config(DESK, policy, calendar)
    return ticket_replay(ticket(), changes, policy, config, end=end)


def test_an_answer_after_two_hours_breaches_a_one_hour_first_response():
    (first,) = replay(draft(first_response=60), [Change.reply(MONDAY_9 + 2 * HOUR, by_agent=True)])
    assert first == ClockOutcome(
        metric="first_response", priority="high", target_minutes=60, outcome=Outcome.BREACHED,
        minutes_used=120, breached_at=MONDAY_9 + HOUR,
    )  # fmt: skip


def test_an_answer_after_two_hours_meets_a_four_hour_first_response():
    (first,) = replay(draft(first_response=240), [Change.reply(MONDAY_9 + 2 * HOUR, by_agent=True)])
    assert (first.outcome, first.minutes_used, first.breached_at) == (Outcome.MET, 120, None)


def test_the_requesters_own_message_does_not_answer_the_first_response():
    (first,) = replay(
        draft(first_response=60),
        [Change.reply(MONDAY_9 + 30 * timedelta(minutes=1), by_agent=False)],
    )
    assert (first.outcome, first.breached_at) == (Outcome.BREACHED, MONDAY_9 + HOUR)


def test_a_clock_still_running_at_the_periods_end_is_running_unless_its_due_time_passed():
    running = replay(draft(first_response=240), [], end=MONDAY_9 + 3 * HOUR)
    overdue = replay(draft(first_response=120), [], end=MONDAY_9 + 3 * HOUR)
    assert (running[0].outcome, running[0].minutes_used) == (Outcome.RUNNING, 180)
    assert (overdue[0].outcome, overdue[0].breached_at) == (Outcome.BREACHED, MONDAY_9 + 2 * HOUR)


def test_changes_after_the_periods_end_are_not_replayed():
    (first,) = replay(
        draft(first_response=240),
        [Change.reply(MONDAY_9 + 5 * HOUR, by_agent=True)],
        end=MONDAY_9 + 3 * HOUR,
    )
    assert first.outcome == Outcome.RUNNING


def test_a_ticket_solved_without_an_answer_stops_the_first_response():
    clocks = replay(
        draft(first_response=240, resolution=480),
        [Change.status_to(MONDAY_9 + HOUR, "solved")],
    )
    assert {c.metric: c.outcome for c in clocks} == {
        "first_response": Outcome.STOPPED,
        "resolution": Outcome.MET,
    }


def test_resolution_does_not_count_the_time_waiting_on_the_requester():
    clocks = replay(
        draft(resolution=240),
        [
            Change.reply(MONDAY_9 + HOUR, by_agent=True),
            Change.status_to(MONDAY_9 + HOUR, "pending"),
            Change.status_to(MONDAY_9 + 5 * HOUR, "open"),
            Change.status_to(MONDAY_9 + 6 * HOUR, "solved"),
        ],
    )
    (resolution,) = clocks
    assert (resolution.outcome, resolution.minutes_used) == (Outcome.MET, 120)


def test_the_requesters_answer_after_a_reply_starts_a_next_reply_that_can_breach():
    clocks = replay(
        draft(first_response=60, next_reply=60),
        [
            Change.reply(MONDAY_9 + 30 * timedelta(minutes=1), by_agent=True),
            Change.reply(MONDAY_9 + 2 * HOUR, by_agent=False),
            Change.reply(MONDAY_9 + 4 * HOUR, by_agent=True),
        ],
    )
    assert [(c.metric, c.outcome) for c in clocks] == [
        ("first_response", Outcome.MET),
        ("next_reply", Outcome.BREACHED),
    ]
    assert clocks[1].breached_at == MONDAY_9 + 3 * HOUR


def test_a_raised_priority_counts_the_time_used_against_the_new_target():
    policy = CompiledPolicy(
        pk=7, name="Gold draft", tier="", conditions=None, calendar_id=None,
        targets={"medium": {"first_response": 480}, "high": {"first_response": 60}},
    )  # fmt: skip
    policy, config = replay_config(DESK, policy)
    (first,) = ticket_replay(
        ticket(priority="medium"),
        [Change.fields(MONDAY_9 + 2 * HOUR, priority="high")],
        policy,
        config,
        end=END,
    )
    assert (first.priority, first.outcome, first.breached_at) == (
        "high",
        Outcome.BREACHED,
        MONDAY_9 + 2 * HOUR,
    )


def test_a_draft_calendar_counts_the_targets_in_its_hours():
    around_the_clock = BusinessCalendar.twenty_four_seven("Europe/Berlin")
    # Friday 16:00 Berlin: four office hours run into Monday, around the clock into Friday 20:00.
    friday_4pm = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
    policy, config = replay_config(DESK, draft(first_response=240), (99, around_the_clock))
    snapshot = TicketSnapshot(
        id=1, tenant_id=1, priority="high", region="", status="new", created_at=friday_4pm
    )
    reply = [Change.reply(friday_4pm + 5 * HOUR, by_agent=True)]
    (first,) = ticket_replay(snapshot, reply, policy, config, end=END)
    assert (first.outcome, first.breached_at) == (Outcome.BREACHED, friday_4pm + 4 * HOUR)


def test_the_drafts_metric_without_a_target_runs_no_clock():
    assert replay(draft(), [Change.reply(MONDAY_9 + HOUR, by_agent=True)]) == []
