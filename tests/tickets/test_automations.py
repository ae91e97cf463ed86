"""Time-based automations fire once on tickets that waited long enough, through the sweep."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from helpdesk.tenancy import tenant_context
from tests.factories import ContactFactory, TeamFactory, TeamMemberFactory, UserFactory
from tickets import automations, services
from tickets.models import Automation, AutomationRun, Ticket, TicketEvent
from tickets.tasks import run_automations

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PENDING_5_DAYS = {
    "all": [
        {"field": "status", "op": "is", "value": "pending"},
        {"field": "hours_since_status_changed", "op": "gt", "value": 120},
    ]
}
PENDING_7_DAYS = {
    "all": [
        {"field": "status", "op": "is", "value": "pending"},
        {"field": "hours_since_status_changed", "op": "gt", "value": 168},
    ]
}
REMIND = [
    {"action": "notify_requester", "value": "Hello {requester_name}, is {ticket_reference} done?"}
]
CLOSE = [
    {"action": "add_note", "value": "No answer for 7 days."},
    {"action": "set_status", "value": "closed"},
]


def automation(tenant, name, conditions, actions, position=0):
    with tenant_context(tenant):
        return automations.automation_save(
            automation=Automation(
                name=name, conditions=conditions, actions=actions, position=position
            )
        )


@pytest.fixture
def pending_ticket(acme, acme_agent):
    requester = ContactFactory(tenant=acme, name="Carol Kunde", email="carol@bigbank.example")
    with time_machine.travel(START, tick=False), tenant_context(acme):
        ticket = services.ticket_open(requester=requester, subject="Invoice copy", channel="email")
        ticket = services.ticket_status_change(ticket=ticket, status="pending", by=acme_agent)
    return ticket


@pytest.fixture
def reminder(acme):
    return automation(acme, "Remind after 5 days pending", PENDING_5_DAYS, REMIND)


def sweep_at(moment: datetime) -> None:
    with time_machine.travel(moment, tick=False):
        run_automations()


def reminders(mailoutbox):
    return [
        mail for mail in mailoutbox if "Reminder" in mail.subject or "Erinnerung" in mail.subject
    ]


def test_a_requester_pending_for_5_days_gets_one_reminder(pending_ticket, reminder, mailoutbox):
    sweep_at(START + timedelta(days=5, hours=1))
    sweep_at(START + timedelta(days=5, hours=2))
    (mail,) = reminders(mailoutbox)
    assert mail.to == ["Carol Kunde <carol@bigbank.example>"]
    assert "Hello Carol Kunde, is ACME-1 done?" in mail.body


def test_no_reminder_before_5_days(pending_ticket, reminder, mailoutbox):
    sweep_at(START + timedelta(days=4, hours=23))
    assert reminders(mailoutbox) == []


def test_the_reminder_is_written_in_the_requesters_language(acme, reminder, mailoutbox):
    requester = ContactFactory(tenant=acme, language="de")
    with time_machine.travel(START, tick=False), tenant_context(acme):
        ticket = services.ticket_open(requester=requester, subject="Rechnung", channel="email")
        services.ticket_status_change(ticket=ticket, status="pending", by=None)
    sweep_at(START + timedelta(days=6))
    assert [mail.subject for mail in reminders(mailoutbox)] == ["[ACME-1] Erinnerung: Rechnung"]


def test_the_reminder_is_on_the_tickets_history_by_automation(acme, pending_ticket, reminder):
    sweep_at(START + timedelta(days=6))
    with tenant_context(acme):
        event = TicketEvent.objects.get(ticket=pending_ticket, kind="notified")
    assert event.source == "automation 'Remind after 5 days pending'"


def test_a_ticket_pending_for_7_days_is_reminded_then_closed(acme, pending_ticket, reminder):
    automation(acme, "Close after 7 days", PENDING_7_DAYS, CLOSE, position=1)
    sweep_at(START + timedelta(days=5, hours=1))
    sweep_at(START + timedelta(days=7, hours=1))
    with tenant_context(acme):
        ticket = Ticket.objects.get(pk=pending_ticket.pk)
        sources = list(
            ticket.events.filter(kind__in=["notified", "noted", "status"])
            .order_by("pk")
            .values_list("kind", "source")
        )
    assert ticket.status == "closed"
    assert sources[-3:] == [
        ("notified", "automation 'Remind after 5 days pending'"),
        ("noted", "automation 'Close after 7 days'"),
        ("status", "automation 'Close after 7 days'"),
    ]


def test_a_requester_who_answers_resets_the_wait(acme, pending_ticket, reminder, mailoutbox):
    with time_machine.travel(START + timedelta(days=3), tick=False), tenant_context(acme):
        services.ticket_reply_add(
            ticket=pending_ticket, text="Still broken", channel="email",
            author_contact=pending_ticket.requester,
        )  # fmt: skip
    sweep_at(START + timedelta(days=6))
    assert reminders(mailoutbox) == []


def test_a_disabled_automation_does_nothing(acme, pending_ticket, reminder, mailoutbox):
    with tenant_context(acme):
        Automation.objects.update(is_enabled=False)
    sweep_at(START + timedelta(days=6))
    assert reminders(mailoutbox) == []


def test_firing_twice_on_the_same_ticket_is_refused(acme, pending_ticket, reminder):
    moment = START + timedelta(days=6)
    with time_machine.travel(moment, tick=False), tenant_context(acme):
        (compiled,) = automations.compiled_automations()
        first = automations.automation_fire(
            compiled=compiled, ticket_id=pending_ticket.pk, now=moment
        )
        second = automations.automation_fire(
            compiled=compiled, ticket_id=pending_ticket.pk, now=moment
        )
        assert AutomationRun.objects.count() == 1
    assert (first, second) == (True, False)


def test_an_action_the_ticket_refuses_is_recorded_and_not_retried(acme, pending_ticket):
    automation(acme, "Reopen", PENDING_5_DAYS, [{"action": "set_status", "value": "new"}])
    sweep_at(START + timedelta(days=6))
    sweep_at(START + timedelta(days=7))
    with tenant_context(acme):
        run = AutomationRun.objects.get()
        assert Ticket.objects.get(pk=pending_ticket.pk).status == "pending"
    assert "cannot become" in run.error


def test_an_unassigned_high_priority_ticket_reaches_the_team_lead(acme, mailoutbox):
    team = TeamFactory(tenant=acme, name="Network")
    lead = UserFactory(email="lena.lead@acme.example", full_name="Lena Lead")
    TeamMemberFactory(tenant=acme, team=team, user=lead, is_lead=True)
    automation(
        acme,
        "Unassigned high for 30 minutes",
        {"all": [
            {"field": "priority", "op": "in", "value": ["high", "critical"]},
            {"field": "assignee", "op": "is_empty"},
            {"field": "hours_since_created", "op": "gt", "value": 0.5},
        ]},
        [{"action": "notify_team_lead", "value": "Nobody has taken {ticket_reference} yet."}],
    )  # fmt: skip
    with time_machine.travel(START, tick=False), tenant_context(acme):
        services.ticket_open(
            requester=ContactFactory(tenant=acme), subject="Core switch down", channel="phone",
            priority="high", team=team,
        )  # fmt: skip
    sweep_at(START + timedelta(minutes=29))
    assert mailoutbox == []
    sweep_at(START + timedelta(minutes=31))
    (mail,) = [mail for mail in mailoutbox if "Needs attention" in mail.subject]
    assert mail.to == ["Lena Lead <lena.lead@acme.example>"]
    assert "Nobody has taken ACME-1 yet." in mail.body


def test_automations_of_another_desk_never_touch_this_desks_tickets(
    globex, pending_ticket, mailoutbox
):
    automation(globex, "Remind", PENDING_5_DAYS, REMIND)
    sweep_at(START + timedelta(days=6))
    assert reminders(mailoutbox) == []


def test_the_sweep_reads_only_tickets_old_enough(acme, pending_ticket, reminder):
    moment = START + timedelta(days=2)
    with tenant_context(acme):
        (compiled,) = automations.compiled_automations()
        assert list(automations.candidate_tickets(compiled, now=moment)) == []
        later = automations.candidate_tickets(compiled, now=START + timedelta(days=6))
        assert [ticket.pk for ticket in later] == [pending_ticket.pk]


# --- admin -----------------------------------------------------------------------------------


def admin_form(**fields):
    return {"name": "Remind", "position": 0, "is_enabled": "on"} | fields


def test_admin_names_the_path_of_a_misspelt_field(acme_admin_client):
    response = acme_admin_client.post(
        reverse("admin:tickets_automation_add"),
        admin_form(
            conditions='{"all": [{"field": "hours_since_status_change", "op": "gt", "value": 5}]}',
            actions='[{"action": "set_status", "value": "closed"}]',
        ),
    )
    assert response.status_code == 200
    assert "all[0]: unknown field" in response.content.decode()


def test_admin_refuses_an_automation_without_elapsed_time(acme_admin_client):
    response = acme_admin_client.post(
        reverse("admin:tickets_automation_add"),
        admin_form(
            conditions='{"field": "status", "op": "is", "value": "pending"}',
            actions='[{"action": "set_status", "value": "closed"}]',
        ),
    )
    assert "needs at least one elapsed-time condition" in response.content.decode()


def test_admin_refuses_an_unknown_placeholder(acme_admin_client):
    response = acme_admin_client.post(
        reverse("admin:tickets_automation_add"),
        admin_form(
            conditions=str(PENDING_5_DAYS).replace("'", '"'),
            actions='[{"action": "notify_requester", "value": "Hi {__class__}"}]',
        ),
    )
    assert "unknown placeholder {__class__}" in response.content.decode()


def test_admin_saves_a_valid_automation(acme, acme_admin_client):
    response = acme_admin_client.post(
        reverse("admin:tickets_automation_add"),
        admin_form(
            conditions=str(PENDING_5_DAYS).replace("'", '"'),
            actions=str(REMIND).replace("'", '"'),
        ),
    )
    assert response.status_code == 302
    with tenant_context(acme):
        assert Automation.objects.get().name == "Remind"


@pytest.mark.django_db(transaction=True)
def test_the_periodic_task_on_a_real_worker_mails_the_reminder(
    acme, celery_worker_process, smtp_sink
):
    requester = ContactFactory(tenant=acme, name="Carol Kunde", email="carol@bigbank.example")
    with tenant_context(acme):
        ticket = services.ticket_open(
            requester=requester, subject="Invoice copy", channel="email", auto_submitted="test"
        )
        services.ticket_status_change(ticket=ticket, status="pending", by=None)
        six_days_ago = timezone.now() - timedelta(days=6)
        Ticket.objects.filter(pk=ticket.pk).update(status_changed_at=six_days_ago)
    automation(acme, "Remind after 5 days pending", PENDING_5_DAYS, REMIND)
    run_automations.delay()
    [received] = smtp_sink.wait_for(1)
    assert received["Subject"] == "[ACME-1] Reminder: Invoice copy"
    assert received["Auto-Submitted"] == "auto-generated"


def test_a_sweep_fires_at_most_its_batch_and_the_next_sweep_goes_on(acme, reminder, mailoutbox):
    with time_machine.travel(START, tick=False), tenant_context(acme):
        for n in range(3):
            ticket = services.ticket_open(
                requester=ContactFactory(tenant=acme), subject=f"Question {n}", channel="email",
            )  # fmt: skip
            services.ticket_status_change(ticket=ticket, status="pending", by=None)
    moment = START + timedelta(days=6)
    with time_machine.travel(moment, tick=False):
        first = automations.automations_run_due(tenant_id=acme.pk, now=moment, limit=2)
        second = automations.automations_run_due(tenant_id=acme.pk, now=moment, limit=2)
    assert (first, second, len(reminders(mailoutbox))) == (2, 1, 3)
