"""Warnings and breaches are recorded once each and told to everyone who must act on them."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
import time_machine
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.core import mail
from django.db import connection
from django.utils import timezone

from helpdesk import live
from helpdesk.tenancy import Role, tenant_context
from sla import signals
from sla.models import SlaClock
from sla.services import clocks_sweep
from tests.conftest import _through_redis, member
from tests.factories import ContactFactory, TeamMemberFactory
from tickets import services
from tickets.models import TicketEvent

MONDAY_9 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # 09:00 in Berlin
HOUR = timedelta(hours=1)


@pytest.fixture
def high_ticket(acme, acme_agent, acme_team, standard_policy):
    """A high-priority ticket opened Monday 09:00: warned at 12:00, due at 13:00 Berlin."""
    with time_machine.travel(MONDAY_9, tick=False), tenant_context(acme):
        requester = ContactFactory(tenant=acme)
        return services.ticket_open(
            requester=requester, subject="Down", channel="email", priority="high",
            team=acme_team, assignee=acme_agent,
        )  # fmt: skip


def sweep(acme, at):
    with time_machine.travel(at, tick=False), tenant_context(acme):
        return clocks_sweep(now=timezone.now())


def sla_events(acme, ticket):
    with tenant_context(acme):
        return list(
            TicketEvent.objects.filter(ticket=ticket, kind__startswith="sla_").values_list(
                "kind", "data__metric"
            )
        )


def test_nothing_is_recorded_before_the_warning_time(acme, high_ticket):
    assert sweep(acme, MONDAY_9 + 2 * HOUR) == (0, 0)
    assert sla_events(acme, high_ticket) == []


def test_a_warning_is_recorded_once_however_often_the_sweep_runs(acme, high_ticket):
    sweep(acme, MONDAY_9 + 3 * HOUR)
    sweep(acme, MONDAY_9 + 3 * HOUR + timedelta(seconds=5))
    assert sla_events(acme, high_ticket) == [("sla_warned", "first_response")]


def test_a_breach_is_recorded_once_at_its_due_time(acme, high_ticket):
    sweep(acme, MONDAY_9 + 4 * HOUR)
    sweep(acme, MONDAY_9 + 5 * HOUR)
    assert sla_events(acme, high_ticket) == [
        ("sla_warned", "first_response"),
        ("sla_breached", "first_response"),
    ]
    with tenant_context(acme):
        first = SlaClock.objects.get(ticket=high_ticket, metric="first_response")
    assert (first.state, first.breached_at) == ("running", MONDAY_9 + 4 * HOUR)


def test_a_clock_met_in_time_is_never_warned(acme, acme_agent, high_ticket):
    with time_machine.travel(MONDAY_9 + HOUR, tick=False), tenant_context(acme):
        services.ticket_reply_add(
            ticket=high_ticket, text="Looking", channel="portal", author_user=acme_agent
        )
    sweep(acme, MONDAY_9 + 5 * HOUR)
    assert ("sla_warned", "first_response") not in sla_events(acme, high_ticket)


def test_a_paused_clock_does_not_breach(acme, acme_agent, high_ticket):
    with time_machine.travel(MONDAY_9 + HOUR, tick=False), tenant_context(acme):
        services.ticket_status_change(ticket=high_ticket, status="on_hold", by=acme_agent)
    sweep(acme, MONDAY_9 + 60 * HOUR)
    with tenant_context(acme):
        resolution = high_ticket.clocks.get(metric="resolution")
    assert (resolution.state, resolution.breached_at) == ("paused", None)


def test_the_first_response_runs_on_while_a_ticket_is_on_hold(acme, acme_agent, high_ticket):
    with time_machine.travel(MONDAY_9 + HOUR, tick=False), tenant_context(acme):
        services.ticket_status_change(ticket=high_ticket, status="on_hold", by=acme_agent)
    sweep(acme, MONDAY_9 + 5 * HOUR)
    with tenant_context(acme):
        first = high_ticket.clocks.get(metric="first_response")
    assert (first.state, first.breached_at) == ("running", MONDAY_9 + 4 * HOUR)


def test_the_assignee_and_the_team_lead_are_mailed_about_a_breach(
    acme, acme_team, high_ticket, django_capture_on_commit_callbacks
):
    lead = member(acme, "lead@acme.example", Role.AGENT)  # only the desk's staff are told
    TeamMemberFactory(tenant=acme, team=acme_team, user=lead, is_lead=True)
    with django_capture_on_commit_callbacks(execute=True):
        sweep(acme, MONDAY_9 + 4 * HOUR)
    breach_mail = [m for m in mail.outbox if "breached" in m.subject.lower()]
    assert len(breach_mail) == 1
    assert breach_mail[0].to == ["agent@acme.example", "lead@acme.example"]
    assert high_ticket.reference in breach_mail[0].subject


def test_the_escalation_hook_hears_each_warning_and_breach_once(acme, high_ticket):
    heard = []

    def receiver(sender, clocks, what, **kwargs):
        heard.extend((clock.metric, what) for clock in clocks)

    signals.sla_recorded.connect(receiver)
    try:
        sweep(acme, MONDAY_9 + 4 * HOUR)
        sweep(acme, MONDAY_9 + 4 * HOUR)
    finally:
        signals.sla_recorded.disconnect(receiver)
    assert heard == [("first_response", "warned"), ("first_response", "breached")]


@pytest.mark.django_db(transaction=True)
def test_agents_watching_the_ticket_hear_of_the_warning_and_the_breach_live(acme, high_ticket):
    def do_sweep():
        try:
            sweep(acme, MONDAY_9 + 4 * HOUR)
        finally:
            connection.close()

    async def listen():
        layer = get_channel_layer()
        channel = await layer.new_channel()
        await layer.group_add(live.ticket_group(acme.pk, high_ticket.pk), channel)
        await database_sync_to_async(do_sweep)()
        return [(await asyncio.wait_for(layer.receive(channel), 10))["payload"] for _ in range(2)]

    payloads = async_to_sync(listen)()
    assert {(p["type"], p["ticket"], p["metric"]) for p in payloads} == {
        ("sla.warned", high_ticket.pk, "first_response"),
        ("sla.breached", high_ticket.pk, "first_response"),
    }


@pytest.mark.django_db(transaction=True)
def test_a_clock_another_sweeper_holds_is_left_to_it(acme, high_ticket):
    import threading

    claimed, release = threading.Event(), threading.Event()

    def other_sweeper():
        try:
            with tenant_context(acme):
                list(SlaClock.objects.select_for_update().filter(ticket=high_ticket))
                claimed.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=other_sweeper)
    thread.start()
    claimed.wait(10)
    try:
        assert sweep(acme, MONDAY_9 + 4 * HOUR) == (0, 0)
    finally:
        release.set()
        thread.join()
    assert sweep(acme, MONDAY_9 + 4 * HOUR) == (1, 1)


# --- a real worker and beat ----------------------------------------------------------------


def _worker_with_beat(tmp_path: Path, smtp_port: int) -> subprocess.Popen:
    db = connection.settings_dict
    login = db["USER"] + (f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else "")
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{login}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
        "CONN_MAX_AGE": "0",
        "SLA_SWEEP_SECONDS": "1",
        "CELERY_TASK_ALWAYS_EAGER": "false",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "helpdesk", "worker", "--beat", "--pool", "solo",
         "--schedule", str(tmp_path / "beat-schedule"), "--loglevel", "WARNING",
         "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=Path(__file__).resolve().parents[2], env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def test_a_real_worker_and_beat_record_the_warning_and_breach_once_and_mail_them(
    transactional_db, acme, acme_agent, acme_team, standard_policy, smtp_sink, tmp_path
):
    with tenant_context(acme):
        requester = ContactFactory(tenant=acme)
        ticket = services.ticket_open(
            requester=requester, subject="Down", channel="email", priority="high",
            team=acme_team, assignee=acme_agent,
        )  # fmt: skip
        # The first response fell due a moment ago: its warning and breach are both overdue.
        now = timezone.now()
        SlaClock.objects.filter(ticket=ticket, metric="first_response").update(
            warn_at=now - timedelta(seconds=2), due_at=now - timedelta(seconds=1)
        )
    process = _worker_with_beat(tmp_path, smtp_sink.port)
    with _through_redis(process):
        deadline = time.monotonic() + 60
        while len(sla_events(acme, ticket)) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(3)  # a few more sweeps: nothing may be recorded twice
        events = sla_events(acme, ticket)
        mails = smtp_sink.wait_for(2, timeout=30)
    assert sorted(events) == [
        ("sla_breached", "first_response"),
        ("sla_warned", "first_response"),
    ]
    subjects = sorted(str(m["Subject"]) for m in mails if "SLA" in str(m["Subject"]))
    assert len(subjects) == 2
    assert all(ticket.reference in subject for subject in subjects)


def test_a_sweep_records_everything_due_even_beyond_one_batch(acme, acme_agent, high_ticket):
    with time_machine.travel(MONDAY_9, tick=False), tenant_context(acme):
        other = services.ticket_open(
            requester=high_ticket.requester, subject="Also down", channel="email",
            priority="high",
        )  # fmt: skip
    with time_machine.travel(MONDAY_9 + 4 * HOUR, tick=False), tenant_context(acme):
        assert clocks_sweep(now=timezone.now(), batch=1) == (2, 2)
    assert sla_events(acme, other) == [
        ("sla_warned", "first_response"),
        ("sla_breached", "first_response"),
    ]


def test_a_desk_whose_escalation_hook_fails_holds_back_no_other_desk(acme, globex, high_ticket):
    """The periodic sweep: a failing desk is retried next time, the others are recorded now."""
    from sla.services import clocks_sweep_all, sla_defaults_create

    with time_machine.travel(MONDAY_9, tick=False), tenant_context(globex):
        sla_defaults_create(time_zone="UTC")  # standard tier: high 4 h, office hours
        globex_ticket = services.ticket_open(
            requester=ContactFactory(tenant=globex), subject="Down too", channel="email",
            priority="high",
        )  # fmt: skip

    def refuse_acme(sender, clocks, what, **kwargs):
        if what == "breached" and any(clock.tenant_id == acme.pk for clock in clocks):
            raise RuntimeError("escalation matrix unavailable")

    signals.sla_recorded.connect(refuse_acme)
    try:
        with time_machine.travel(MONDAY_9 + 9 * HOUR, tick=False):
            clocks_sweep_all(now=timezone.now())
    finally:
        signals.sla_recorded.disconnect(refuse_acme)
    assert ("sla_breached", "first_response") in sla_events(globex, globex_ticket)
    assert sla_events(acme, high_ticket) == []  # rolled back, nothing half-recorded

    with time_machine.travel(MONDAY_9 + 9 * HOUR + timedelta(seconds=5), tick=False):
        clocks_sweep_all(now=timezone.now())
    assert ("sla_breached", "first_response") in sla_events(acme, high_ticket)
    assert sla_events(globex, globex_ticket).count(("sla_breached", "first_response")) == 1
