"""What a ticket sends: acknowledgement, agents' replies, mentions, SLA notices; once each."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from enum import StrEnum

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from helpdesk import presence
from helpdesk import selectors as platform_selectors
from helpdesk.models import User
from helpdesk.tenancy import STAFF_ROLES, Role
from sla import services as sla_services
from tickets import events
from tickets.models import (
    Acknowledgement,
    Message,
    Ticket,
    TicketEvent,
)
from tickets.services.messages import message_add

logger = logging.getLogger(__name__)


def mention_notification_send(*, event_id: int) -> None:
    """Mail an agent that a colleague mentioned them in a note, once."""
    from tickets import emails

    with transaction.atomic():
        event = (
            TicketEvent.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("ticket__tenant", "actor")
            .filter(pk=event_id, kind=TicketEvent.Kind.MENTIONED, data__mailed=False)
            .first()
        )
        if event is None:
            return  # mailed already, or another worker is mailing it
        agent = User.objects.filter(pk=event.data.get("agent"), is_active=True).first()
        note = Message.objects.filter(pk=event.data.get("message")).first()
        if agent is not None and note is not None:
            emails.send_mention(note, agent, event.actor)
        events.event_data_update(event=event, mailed=True)


class AckOutcome(StrEnum):
    """What one try to send an acknowledgement did."""

    SENT = "sent"
    DONE = "done"  # sent before, not to be sent, or given up on before
    BUSY = "busy"  # another transaction holds it (a worker sending it): try again later
    GAVE_UP = "gave up"  # this try failed for good: the ticket says it could not notify


class AcknowledgementBusy(Exception):
    """Another transaction held the acknowledgement; whether it was sent is not known yet."""


ACK_MAX_ATTEMPTS = 5  # tries before the ticket shows "could not notify"
# A recipient no server could ever take (an address or name that cannot be encoded): no retry.
ACK_PERMANENT_ERRORS: tuple[type[Exception], ...] = (ValueError, UnicodeError)


def _unsent_acknowledgements() -> QuerySet[Acknowledgement]:
    return Acknowledgement.objects.filter(sent_at=None, failed_at=None).exclude(
        via=Acknowledgement.Via.NONE
    )


def acknowledgement_send(*, acknowledgement_id: int) -> AckOutcome:
    """Send the acknowledgement once, however often the task is delivered.

    Locks only the acknowledgement's own row, so a neighbour's write to its ticket, requester
    or desk never makes it look sent. A failed try is counted in a transaction of its own (the
    failing one rolls back); after ACK_MAX_ATTEMPTS, or at once for a recipient that cannot be
    encoded, the ticket records that its requester could not be notified, and the error is
    not raised again. A transient failure before that is raised, for the caller to retry.
    """
    from tickets import emails, selectors

    try:
        with transaction.atomic():
            ack = (
                _unsent_acknowledgements()
                .select_for_update(skip_locked=True, of=("self",))
                .select_related("ticket__requester", "ticket__tenant")
                .filter(pk=acknowledgement_id)
                .first()
            )
            if ack is None:
                pending = _unsent_acknowledgements().filter(pk=acknowledgement_id).exists()
                return AckOutcome.BUSY if pending else AckOutcome.DONE
            ack.attempts += 1
            if ack.via == Acknowledgement.Via.EMAIL:
                emails.send_acknowledgement(ack)
            else:
                # The visitor reads it in the chat, while they stay; the words depend on
                # whether an agent is there to join them.
                online = selectors.chat_agents_online(ticket=ack.ticket)
                message_add(
                    ticket=ack.ticket,
                    kind=Message.Kind.PUBLIC,
                    author_type=Message.Author.SYSTEM,
                    channel=Ticket.Channel.CHAT,
                    text=emails.acknowledgement_chat_text(ack, agents_online=online),
                    delivery=Message.Delivery.CHAT,
                )
                events.ticket_publish(ack.ticket, "ticket.replied")
            ack.sent_at = timezone.now()
            ack.save(update_fields=["sent_at", "attempts"])
            events.event_record(
                ticket=ack.ticket,
                kind=TicketEvent.Kind.ACKNOWLEDGED,
                source=ack.via,
                to=ack.recipient,
            )
            return AckOutcome.SENT
    except Exception as error:
        if _acknowledgement_failed(acknowledgement_id, error):
            logger.warning("acknowledgement %s given up: %s", acknowledgement_id, error)
            return AckOutcome.GAVE_UP
        raise


def _acknowledgement_failed(acknowledgement_id: int, error: Exception) -> bool:
    """Count a failed try (committed, unlike the try); True when it was the last one."""
    with transaction.atomic():
        ack = (
            _unsent_acknowledgements()
            .select_for_update(of=("self",))
            .select_related("ticket")
            .filter(pk=acknowledgement_id)
            .first()
        )
        if ack is None:
            return False  # sent meanwhile by another worker
        ack.attempts += 1
        reason = f"{type(error).__name__}: {error}"[:500]
        if ack.attempts < ACK_MAX_ATTEMPTS and not isinstance(error, ACK_PERMANENT_ERRORS):
            ack.save(update_fields=["attempts"])
            return False
        ack.failed_at, ack.failure = timezone.now(), reason
        ack.save(update_fields=["attempts", "failed_at", "failure"])
        events.event_record(
            ticket=ack.ticket,
            kind=TicketEvent.Kind.NOT_NOTIFIED,
            source=ack.via,
            to=ack.recipient,
            reason=reason,
            attempts=ack.attempts,
        )
        events.ticket_publish(ack.ticket, "ticket.changed")
    return True


def reply_notification_send(*, message_id: int) -> None:
    """Deliver an agent's public reply to the requester, once, and record how it went out.

    The way is the one the ticket page showed before sending (`selectors.reply_path`): the
    open chat, email, the portal, or none (then the message says why it was not sent).
    """
    from tickets import emails, selectors

    with transaction.atomic():
        message = (
            Message.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("ticket__requester__user", "ticket__tenant", "author_user")
            .filter(pk=message_id, notified_at=None, kind=Message.Kind.PUBLIC)
            .filter(author_type=Message.Author.AGENT)
            .first()
        )
        if message is None:
            return
        path = selectors.reply_path(ticket=message.ticket)
        if path.via == Message.Delivery.EMAIL:
            emails.send_reply(message)
            events.event_record(
                ticket=message.ticket, kind=TicketEvent.Kind.NOTIFIED, source="email", to=path.to
            )
        # A chat visitor still in the chat reads it there (their socket hears the ticket);
        # one who has left gets it by mail, as the chat promised.
        message.delivery, message.delivery_note = path.via, path.to or path.reason
        message.notified_at = timezone.now()
        message.save(update_fields=["notified_at", "delivery", "delivery_note"])
        events.ticket_publish(message.ticket)


def acknowledgements_sweep(*, now: datetime, older_than: timedelta = timedelta(minutes=1)) -> int:
    """Send acknowledgements whose task was never queued or got lost (Redis or worker down)."""
    waiting = list(
        _unsent_acknowledgements()
        .filter(created_at__lt=now - older_than)
        .order_by("created_at")
        .values_list("pk", flat=True)[:200]
    )
    for pk in waiting:
        try:
            acknowledgement_send(acknowledgement_id=pk)
        except Exception:
            logger.exception("acknowledgement %s could not be sent; retrying later", pk)
    return len(waiting)


def clock_notifications_send(*, clock_ids: Iterable[int], what: str) -> None:
    """Tell each clock's warning or breach to the people responsible for its ticket, once."""
    for clock_id in clock_ids:
        clock_notification_send(clock_id=clock_id, what=what)


def clock_notice_recipients(*, ticket: Ticket) -> list[User]:
    """Who hears of an SLA warning or breach of `ticket`: never nobody, while the desk has an
    admin.

    The owner and the team's leads; a ticket nobody owns: its team's leads, else the team's
    members with the workspace open now, else the desk's admins; a ticket without a team:
    the admins. Only active staff of the desk count.
    """
    staff = platform_selectors.tenant_users(roles=STAFF_ROLES)
    people: list[User] = []
    if ticket.team_id is not None:
        members = staff.filter(team_memberships__team_id=ticket.team_id)
        # One filter call: the lead's membership must be of this team, not of any team.
        leads = list(
            staff.filter(team_memberships__team_id=ticket.team_id, team_memberships__is_lead=True)
        )
        if ticket.assignee_id is not None:
            people = list(staff.filter(pk=ticket.assignee_id)) + leads
        elif leads:
            people = leads
        else:
            online = presence.staff_online_ids(ticket.tenant_id)
            people = list(members.filter(pk__in=online)) if online else []
    elif ticket.assignee_id is not None:
        people = list(staff.filter(pk=ticket.assignee_id))
    if not people:
        people = list(platform_selectors.tenant_users(roles=(Role.ADMIN,)))
    return list({person.pk: person for person in people}.values())


def clock_notification_send(*, clock_id: int, what: str) -> None:
    """Tell a clock's warning or breach to the people responsible for its ticket, once: by
    mail, and as a notice on their open workspace pages."""
    from tickets import emails

    with transaction.atomic():
        clock = sla_services.clock_notification_claim(clock_id=clock_id, what=what)
        if clock is None:
            return  # told already, or another worker is telling it
        ticket = (
            Ticket.objects.select_related("tenant", "assignee").filter(pk=clock.ticket_id).first()
        )
        if ticket is not None:
            people = clock_notice_recipients(ticket=ticket)
            recipients = sorted({person.email for person in people if person.email})
            if recipients:
                emails.send_clock_notice(clock, what, ticket, recipients)
            events.sla_alert_publish(ticket=ticket, clock=clock, what=what, people=people)
        sla_services.clock_notification_mark(clock=clock, what=what)
