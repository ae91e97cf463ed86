"""Changes agents and integrations make to a ticket: status, owner, fields, merge, spam."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from helpdesk.models import User
from sla import services as sla_services
from tickets import assignment, events, lifecycle, routing, selectors
from tickets.lifecycle import status_set, ticket_lock
from tickets.models import (
    OPEN_TICKET,
    Contact,
    DeskSettings,
    Message,
    Organization,
    Team,
    TeamMember,
    Ticket,
    TicketEvent,
)
from tickets.services.contacts import contact_for_email
from tickets.services.messages import message_add


def _tickets_lock(*tickets: Ticket) -> list[Ticket]:
    """`tickets` read again and locked, in the order given.

    Locked in id order: two agents merging A into B and B into A never deadlock.
    """
    locked = {
        row.pk: row
        for row in Ticket.objects.select_for_update(no_key=True)
        .select_related("tenant")
        .filter(pk__in=[ticket.pk for ticket in tickets])
        .order_by("pk")
    }
    return [locked[ticket.pk] for ticket in tickets]


def _instant(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def merge_check(*, source: Ticket, target: Ticket) -> None:
    """Raise why `source` cannot be merged into `target`, if it cannot (asked before the
    agent confirms, and again under lock when merging)."""
    if source.pk == target.pk:
        raise ValidationError(_("A ticket cannot be merged into itself."))
    if source.merged_into_id is not None:
        raise ValidationError(
            _("%(ticket)s was already merged into another ticket.") % {"ticket": source.reference}
        )
    if target.merged_into_id is not None or target.status == Ticket.Status.CLOSED:
        raise ValidationError(
            _("%(ticket)s is closed; merge into a ticket that is still open.")
            % {"ticket": target.reference}
        )


@transaction.atomic
def ticket_merge(*, source: Ticket, target: Ticket, by: User | None) -> Ticket:
    """Merge `source` into `target`: its thread moves over, and it closes pointing there.

    Replies to the merged ticket (mail, portal, API) then land on the target; the target
    keeps its own SLA clocks. The two merge events record all that moved and what the source
    was (status, dates, clocks), so `ticket_merge_undo` can put it back exactly.
    """
    merge_check(source=source, target=target)
    source, target = _tickets_lock(source, target)
    merge_check(source=source, target=target)
    before = events.placement(source)
    was = {
        "status": source.status,
        "status_changed_at": _instant(source.status_changed_at),
        "solved_at": _instant(source.solved_at),
        "closed_at": _instant(source.closed_at),
        "clocks": sla_services.clocks_snapshot(ticket_id=source.pk),
    }
    moved = list(Message.objects.filter(ticket=source).order_by("pk").values_list("pk", flat=True))
    Message.objects.filter(pk__in=moved).update(ticket=target)
    note = message_add(
        ticket=target,
        kind=Message.Kind.NOTE,
        author_type=Message.Author.SYSTEM,
        channel=target.channel,
        text=_("%(ticket)s (“%(subject)s”) was merged into this ticket.")
        % {"ticket": source.reference, "subject": source.subject},
    )
    tags_added = sorted(set(source.tags) - set(target.tags))
    target.tags = sorted(set(target.tags) | set(source.tags))
    target.save()
    source.merged_into = target
    if source.status != Ticket.Status.CLOSED:
        status_set(source, Ticket.Status.CLOSED, actor=by, source="merge")
    source.save()
    events.event_record(
        ticket=source, kind=TicketEvent.Kind.MERGED, actor=by, into=target.reference, was=was
    )
    events.event_record(
        ticket=target,
        kind=TicketEvent.Kind.MERGED,
        actor=by,
        merged=source.reference,
        messages=len(moved),
        moved=moved,
        note=note.pk,
        tags_added=tags_added,
    )
    events.ticket_publish(source, before=before)
    events.ticket_publish(target, "ticket.replied")
    return target


@transaction.atomic
def ticket_merge_undo(*, source: Ticket, by: User | None) -> Ticket:
    """Take back the merge of `source`, within 10 minutes: it is again as it was before.

    Its messages move back from the ticket it was merged into, it gets back its status, dates
    and SLA clocks (running ones run on as if it had never closed), and the merge note and
    the tags the merge brought leave the other ticket. Messages that arrived on the other
    ticket since stay there. Refused once the other ticket was merged on or lost one of the
    moved messages, which would make the undo inexact.
    """
    into_id = Ticket.objects.filter(pk=source.pk).values_list("merged_into_id", flat=True)[0]
    if into_id is not None:
        source, target = _tickets_lock(source, Ticket(pk=into_id))
    if into_id is None or source.merged_into_id != target.pk:  # undone meanwhile
        raise ValidationError(
            _("%(ticket)s is not merged into another ticket.") % {"ticket": source.reference}
        )
    merged = selectors.merge_event(source=source)
    if merged is None or timezone.now() >= merged.created_at + selectors.MERGE_UNDO_WINDOW:
        raise ValidationError(
            _("A merge can be undone for %(minutes)d minutes only; %(ticket)s was merged earlier.")
            % {
                "minutes": selectors.MERGE_UNDO_WINDOW // timedelta(minutes=1),
                "ticket": source.reference,
            },
            code="too_late",
        )
    into = (
        target.events.filter(
            kind=TicketEvent.Kind.MERGED,
            data__merged=source.reference,
            created_at__gte=merged.created_at,
        )
        .order_by("created_at", "pk")
        .first()
    )
    if target.merged_into_id is not None or into is None:
        raise ValidationError(
            _("%(target)s was merged into another ticket since: undo that merge first.")
            % {"target": target.reference},
            code="impossible",
        )
    moved = into.data["moved"]
    if Message.objects.filter(pk__in=moved, ticket=target).count() != len(moved):
        raise ValidationError(
            _("Messages of %(ticket)s left %(target)s since the merge: it cannot be undone.")
            % {"ticket": source.reference, "target": target.reference},
            code="impossible",
        )
    before = events.placement(source)
    Message.objects.filter(pk__in=moved).update(ticket=source)
    Message.objects.filter(pk=into.data["note"], ticket=target).delete()
    target.tags = [tag for tag in target.tags if tag not in set(into.data["tags_added"])]
    target.save()
    was = merged.data["was"]
    source.merged_into = None
    if source.status != was["status"]:
        events.event_record(
            ticket=source, kind=TicketEvent.Kind.STATUS, actor=by, source="merge_undo",
            old=source.status, new=was["status"],
        )  # fmt: skip
    source.status = was["status"]
    for name in ("status_changed_at", "solved_at", "closed_at"):
        setattr(source, name, datetime.fromisoformat(was[name]) if was[name] else None)
    source.save()
    sla_services.clocks_restore(ticket_id=source.pk, snapshot=was["clocks"])
    events.event_record(
        ticket=source, kind=TicketEvent.Kind.UNMERGED, actor=by, out_of=target.reference
    )
    events.event_record(
        ticket=target,
        kind=TicketEvent.Kind.UNMERGED,
        actor=by,
        restored=source.reference,
        messages=len(moved),
    )
    events.ticket_publish(source, before=before)
    events.ticket_publish(target, "ticket.replied")
    return source


@transaction.atomic
def ticket_spam_mark(*, ticket: Ticket, by: User | None, block_requester: bool = False) -> Ticket:
    """File a ticket as spam: closed, out of every queue, its sender blocked if asked."""
    ticket = ticket_lock(ticket)
    if ticket.is_spam:
        return ticket
    before = events.placement(ticket)
    ticket.is_spam = True
    if ticket.status != Ticket.Status.CLOSED:
        status_set(ticket, Ticket.Status.CLOSED, actor=by, source="spam")
    ticket.save()
    if block_requester:
        Contact.objects.filter(pk=ticket.requester_id).update(is_blocked=True)
    events.event_record(
        ticket=ticket, kind=TicketEvent.Kind.SPAM, actor=by, blocked=block_requester
    )
    events.ticket_publish(ticket, before=before)
    return ticket


@transaction.atomic
def ticket_status_change(
    *,
    ticket: Ticket,
    status: Ticket.Status | str,
    by: User | None,
    source: str = "",
    unchanged_since: datetime | None = None,
) -> Ticket:
    """Move a ticket along its lifecycle (new → open → pending / on hold → solved → closed).

    `unchanged_since` (here and in `ticket_assign`, `ticket_update`): refuse if the ticket
    changed after the person asking loaded it (see `ticket_lock`)."""
    ticket = ticket_lock(ticket, unchanged_since=unchanged_since)
    before = events.placement(ticket)
    status_set(ticket, status, actor=by, source=source)
    ticket.save()
    if ticket.status != before.status:
        routing.ticket_reroute(ticket=ticket)
    events.ticket_publish(ticket, before=before)
    return ticket


@transaction.atomic
def ticket_assign(
    *,
    ticket: Ticket,
    agent: User | None,
    by: User | None,
    team: Team | None = None,
    source: str = "",
    unchanged_since: datetime | None = None,
) -> Ticket:
    """Make `agent` the single owner of `ticket` (None: unassign), optionally moving its team."""
    from helpdesk import selectors as platform_selectors
    from helpdesk.tenancy import STAFF_ROLES

    if (
        agent is not None
        and not platform_selectors.tenant_users(roles=STAFF_ROLES).filter(pk=agent.pk).exists()
    ):
        raise ValidationError(_("Only agents of this help desk can own its tickets."))
    ticket = ticket_lock(ticket, unchanged_since=unchanged_since)
    before = events.placement(ticket)
    old_agent, old_team = ticket.assignee_id, ticket.team_id
    ticket.assignee = agent
    if team is not None:
        ticket.team = team
    # Into a team with no agent named: the team's strategy may pick one.
    strategy = assignment.ticket_team_pick(ticket=ticket) if team is not None else None
    if ticket.assignee_id == old_agent and ticket.team_id == old_team:
        return ticket
    if old_agent is not None and ticket.assignee_id != old_agent and ticket.is_open:
        lifecycle.capacity_freed(ticket=ticket, agent_id=old_agent)
    if agent is not None and ticket.status == Ticket.Status.NEW:
        status_set(ticket, Ticket.Status.OPEN, actor=by, source=source)
    ticket.save()
    events.event_record(
        ticket=ticket,
        kind=TicketEvent.Kind.ASSIGNED,
        actor=by,
        source=source,
        old=old_agent,
        new=ticket.assignee_id,
        old_team=old_team,
        team=ticket.team_id,
        **({"strategy": strategy} if strategy else {}),
    )
    routing.ticket_reroute(ticket=ticket)
    events.ticket_publish(ticket, before=before)
    return ticket


EDITABLE_FIELDS = (
    "priority", "category", "product", "department", "region", "language", "tags", "team",
    "subject",
)  # fmt: skip


@transaction.atomic
def ticket_update(
    *,
    ticket: Ticket,
    by: User | None,
    source: str = "",
    unchanged_since: datetime | None = None,
    **fields: Any,
) -> Ticket:
    """Change a ticket's categorisation fields, recording each old and new value."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(_("These fields cannot be changed here: %s") % ", ".join(unknown))
    ticket = ticket_lock(ticket, unchanged_since=unchanged_since)
    before = events.placement(ticket)
    changes = {}
    for field, value in fields.items():
        if field == "tags":
            value = sorted({tag.strip().lower() for tag in value if tag.strip()})
        old = getattr(ticket, field)
        if old != value:
            changes[field] = [_plain(old), _plain(value)]
            setattr(ticket, field, value)
    if not changes:
        return ticket
    ticket.full_clean(exclude=["requester", "tenant"])
    strategy = assignment.ticket_team_pick(ticket=ticket) if "team" in changes else None
    ticket.save()
    lifecycle.fields_changed(ticket)
    events.event_record(
        ticket=ticket, kind=TicketEvent.Kind.FIELDS, actor=by, source=source, changes=changes
    )
    routing.ticket_reroute(ticket=ticket)
    if strategy:
        assignment.assignment_record(ticket=ticket, strategy=strategy)
    events.ticket_publish(ticket, before=before)
    return ticket


def _plain(value: Any) -> Any:
    if hasattr(value, "pk"):
        return str(value)
    return value


@transaction.atomic
def team_delete(*, team: Team, by: User | None) -> None:
    """Remove a team; its unfinished tickets move to the desk's fallback team, never to nobody."""
    desk = DeskSettings.objects.first()
    if desk is not None and desk.fallback_team_id == team.pk:
        raise ValidationError(
            _("The desk's fallback team cannot be removed: choose another fallback team first.")
        )
    if desk is not None:
        moving = Ticket.objects.filter(OPEN_TICKET, team=team).order_by("pk")
        for ticket in moving:
            ticket_update(ticket=ticket, by=by, source="team removed", team=desk.fallback_team)
    team.delete()


@transaction.atomic
def team_member_add(*, team: Team, user: User, is_lead: bool = False) -> TeamMember:
    """Put an agent in a team (or change whether they lead it)."""
    member, _created = TeamMember.objects.update_or_create(
        team=team, user=user, defaults={"is_lead": is_lead}
    )
    return member


@transaction.atomic
def ticket_requester_set(*, ticket: Ticket, email: str, by: User | None, name: str = "") -> Ticket:
    """Say who asked: for a ticket whose mail had no usable sender address ("no reply
    address"), or one logged for the wrong person. The requester is found or created by
    `email`; the SLA clocks follow their organisation's tier."""
    try:
        validate_email(email.strip())
    except ValidationError:
        raise ValidationError({"email": _("Enter an email address.")}) from None
    requester = contact_for_email(email=email, name=name)
    ticket = ticket_lock(ticket)
    if requester.pk == ticket.requester_id:
        return ticket
    before = events.placement(ticket)
    old = ticket.requester
    ticket.requester = requester
    ticket.save()
    lifecycle.fields_changed(ticket)
    events.event_record(
        ticket=ticket,
        kind=TicketEvent.Kind.FIELDS,
        actor=by,
        source="web",
        changes={"requester": [_plain(old), _plain(requester)]},
    )
    events.ticket_publish(ticket, before=before)
    return ticket


@transaction.atomic
def organization_update(
    *, organization: Organization, by: User | None, source: str = "web", **fields: Any
) -> Organization:
    """Change a customer organisation; a new tier re-targets its open tickets' SLA clocks.

    Whoever changes it (an admin, a CRM sync), in this one transaction: each open ticket of
    its people takes the new tier, logs the change and has its clocks re-targeted, so a
    customer who signs an enterprise contract is served as one from that moment.
    """
    locked = Organization.objects.select_for_update().get(pk=organization.pk)
    old_tier = locked.tier
    for field, value in fields.items():
        setattr(locked, field, value)
    locked.full_clean()
    locked.save()
    if locked.tier == old_tier:
        return locked
    open_tickets = Ticket.objects.filter(
        requester__organization=locked, status__in=Ticket.OPEN_STATUSES
    ).order_by("pk")
    for ticket in open_tickets:
        ticket = ticket_lock(ticket)
        if ticket.customer_segment == locked.tier:
            continue
        before = events.placement(ticket)
        old, ticket.customer_segment = ticket.customer_segment, locked.tier
        ticket.save()
        lifecycle.fields_changed(ticket)
        events.event_record(
            ticket=ticket, kind=TicketEvent.Kind.FIELDS, actor=by, source=source,
            changes={"customer_segment": [old, locked.tier]},
        )  # fmt: skip
        events.ticket_publish(ticket, before=before)
    return locked
