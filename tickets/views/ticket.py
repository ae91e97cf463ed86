"""One ticket as agents work it: its page, replies and notes, status, owner, fields, merge."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from helpdesk.tenancy import Role, TenantRequest, role_required
from sla import selectors as sla_selectors
from tickets import assignment, forms, macros, selectors, services
from tickets.models import Attachment, Message, Ticket
from tickets.views.common import agent_ticket, attachment_response, form_errors, ticket_by_reference

HISTORY_LENGTH = 50  # the newest events a ticket page lists


def _ticket_region(request: TenantRequest, ticket: Ticket, region: str) -> HttpResponse | None:
    """One live region of the ticket page, for htmx asking for it; None for any other request.

    The page's alerts (SLA warnings and breaches, why it waits for an owner), thread, SLA
    clocks and history each refresh themselves when the ticket changes.
    """
    if region == "thread-region":
        thread = selectors.ticket_thread(ticket=ticket, public_only=False)
        return render(request, "tickets/_thread.html", {"ticket": ticket, "thread": thread})
    if region == "sla-region":
        clocks = sla_selectors.ticket_clocks(ticket_id=ticket.pk)
        return render(request, "sla/_ticket_clocks.html", {"ticket": ticket, "clocks": clocks})
    if region == "alerts-region":
        clocks = sla_selectors.ticket_clocks(ticket_id=ticket.pk)
        waiting = assignment.waiting_reasons(tickets=[ticket])
        context = {"ticket": ticket, "clocks": clocks, "waiting": waiting}
        return render(request, "tickets/_ticket_alerts.html", context)
    if region == "history-region":
        events = selectors.ticket_events(ticket=ticket)[:HISTORY_LENGTH]
        return render(request, "tickets/_ticket_history.html", {"events": events})
    return None


def _ticket_page(
    request: TenantRequest,
    ticket: Ticket,
    collision: list[Message] | None = None,
    **forms_: object,
) -> HttpResponse:
    thread = list(selectors.ticket_thread(ticket=ticket, public_only=False))
    composer = forms_.get("composer") or forms.ComposerForm(
        initial={"seen": max((message.pk for message in thread), default=0)}
    )
    events = list(selectors.ticket_events(ticket=ticket)[:HISTORY_LENGTH])
    if collision:
        composer.data = composer.data.copy()
        composer.data["seen"] = str(max(message.pk for message in thread))
        composer.data["confirmed"] = ""
    context = {
        "collision": collision or [],
        "merge_form": forms.MergeForm(),
        "ticket": ticket,
        "thread": thread,
        "events": events,
        "merges_to_undo": selectors.merges_to_undo(ticket=ticket, events=events),
        "clocks": sla_selectors.ticket_clocks(ticket_id=ticket.pk),
        "waiting": assignment.waiting_reasons(tickets=[ticket]),
        "other_tickets": selectors.requester_other_tickets(ticket=ticket),
        "composer": composer,
        "assign_form": forms_.get("assign_form")
        or forms.AssignForm(initial={"assignee": ticket.assignee_id, "team": ticket.team_id}),
        "fields_form": forms_.get("fields_form")
        or forms.FieldsForm(
            initial={
                "priority": ticket.priority,
                "category": ticket.category_id,
                "product": ticket.product_id,
                "department": ticket.department,
                "tags": " ".join(ticket.tags),
            }
        ),
        "status_form": forms.StatusForm(initial={"status": ticket.status}),
        "next_statuses": [status for status in Ticket.Status if ticket.can_become(status)],
        "macros": macros.macros_for(agent=request.user),
        "reply_path": selectors.reply_path(ticket=ticket),
    }
    status = 400 if any(getattr(f, "errors", None) for f in forms_.values()) else 200
    status = 409 if collision else status
    return render(request, "tickets/ticket_detail.html", context, status=status)


@role_required(Role.AGENT)
@require_GET
def ticket_detail(request: TenantRequest, number: int) -> HttpResponse:
    """One ticket as agents see it: thread, notes, fields, events, requester.

    htmx asking for one of its live regions (thread, SLA clocks, history) gets that alone.
    """
    ticket = agent_ticket(request, number)
    if request.htmx and (region := _ticket_region(request, ticket, request.htmx.target or "")):
        return region
    return _ticket_page(request, ticket)


@role_required(Role.AGENT)
@require_POST
def ticket_compose(request: TenantRequest, number: int) -> HttpResponse:
    """Send a public reply or add an internal note, optionally setting the status."""
    ticket = agent_ticket(request, number)
    form = forms.ComposerForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            composed = services.ticket_compose(
                ticket=ticket, author=request.user, kind=data["kind"], text=data["text"],
                attachments=data["attachments"], status=data["status"], seen=data["seen"],
                confirmed=data["confirmed"],
            )  # fmt: skip
        except ValidationError as error:
            form_errors(form, error)
        else:
            if composed.collision:
                # Someone answered while this agent was writing: show it, keep the draft.
                return _ticket_page(request, ticket, composer=form, collision=composed.collision)
            if data["kind"] == "note":
                messages.success(request, _("Note added."))
            else:
                _reply_outcome_say(request, selectors.reply_path(ticket=ticket))
            return redirect(ticket)
    return _ticket_page(request, ticket, composer=form)


def _reply_outcome_say(request: TenantRequest, path: selectors.ReplyPath) -> None:
    """Tell the agent truthfully where the reply they just wrote went (the delivery code
    takes the same way)."""
    Delivery = Message.Delivery
    if path.via == Delivery.EMAIL:
        messages.success(request, _("Reply sent by email to %(to)s.") % {"to": path.to})
    elif path.via == Delivery.CHAT:
        messages.success(request, _("Reply sent in the chat."))
    elif path.via == Delivery.PORTAL:
        messages.success(
            request,
            _("Reply saved: the requester sees it in the portal when they sign in."),
        )
    else:
        messages.warning(
            request,
            _("Reply saved but not sent: %(reason)s. Add an email address to reach them.")
            % {"reason": path.reason},
        )


def _loaded(request: TenantRequest) -> datetime | None:
    """When the agent's page showed the ticket (its `updated_at` then, a hidden field of the
    ticket page's forms); None when the form does not say."""
    value = request.POST.get("loaded", "")
    try:
        loaded = parse_datetime(value) if value else None
    except ValueError:
        return None
    return loaded if loaded is not None and loaded.tzinfo is not None else None


@role_required(Role.AGENT)
@require_POST
def ticket_status(request: TenantRequest, number: int) -> HttpResponse:
    """Move the ticket to another status."""
    ticket = agent_ticket(request, number)
    form = forms.StatusForm(request.POST)
    if form.is_valid():
        try:
            services.ticket_status_change(
                ticket=ticket,
                status=form.cleaned_data["status"],
                by=request.user,
                source="web",
                unchanged_since=_loaded(request),
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
    return redirect(ticket)


@role_required(Role.AGENT)
@require_POST
def ticket_assign(request: TenantRequest, number: int) -> HttpResponse:
    """Give the ticket an owner and a team."""
    ticket = agent_ticket(request, number)
    form = forms.AssignForm(request.POST)
    if form.is_valid():
        try:
            services.ticket_assign(
                ticket=ticket, agent=form.cleaned_data["assignee"], by=request.user,
                team=form.cleaned_data["team"], source="web", unchanged_since=_loaded(request),
            )  # fmt: skip
        except ValidationError as error:
            form_errors(form, error)
        else:
            return redirect(ticket)
    return _ticket_page(request, ticket, assign_form=form)


@role_required(Role.AGENT)
@require_POST
def ticket_fields(request: TenantRequest, number: int) -> HttpResponse:
    """Correct priority, category, product, department and tags."""
    ticket = agent_ticket(request, number)
    form = forms.FieldsForm(request.POST)
    if form.is_valid():
        try:
            services.ticket_update(
                ticket=ticket,
                by=request.user,
                source="web",
                unchanged_since=_loaded(request),
                **form.cleaned_data,
            )
        except ValidationError as error:
            form_errors(form, error)
        else:
            return redirect(ticket)
    return _ticket_page(request, ticket, fields_form=form)


@role_required(Role.AGENT)
@require_POST
def ticket_requester(request: TenantRequest, number: int) -> HttpResponse:
    """Say who asked (a mail without a usable sender address opened the ticket)."""
    ticket = agent_ticket(request, number)
    try:
        services.ticket_requester_set(
            ticket=ticket,
            email=request.POST.get("email", ""),
            name=request.POST.get("name", ""),
            by=request.user,
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Requester set."))
    return redirect(ticket)


def _merge_confirm_page(request: TenantRequest, ticket: Ticket, target: Ticket) -> HttpResponse:
    """Both tickets side by side (reference, subject, requester, messages), to confirm."""
    sides = [
        (_("Merged and closed"), ticket),
        (_("Kept, receives the conversation"), target),
    ]
    context = {
        "ticket": ticket,
        "target": target,
        "sides": [
            (role, side, selectors.ticket_thread(ticket=side, public_only=False).count())
            for role, side in sides
        ],
        "undo_minutes": selectors.MERGE_UNDO_WINDOW // timedelta(minutes=1),
    }
    return render(request, "tickets/merge_confirm.html", context)


@role_required(Role.AGENT)
@require_http_methods(["GET", "POST"])
def ticket_merge(request: TenantRequest, number: int) -> HttpResponse:
    """GET: both tickets side by side, to confirm; POST (confirmed): merge this ticket into
    the other one, its conversation moving there."""
    ticket = agent_ticket(request, number)
    form = forms.MergeForm(request.POST or request.GET)
    target = ticket_by_reference(request, form.data.get("target", "")) if form.is_valid() else None
    if target is None:
        messages.error(request, _("Give the number of the ticket to merge into."))
        return redirect(ticket)
    try:
        services.merge_check(source=ticket, target=target)
        if request.method == "GET" or not request.POST.get("confirmed"):
            return _merge_confirm_page(request, ticket, target)
        services.ticket_merge(source=ticket, target=target, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(ticket)
    messages.success(
        request,
        _("%(source)s was merged into %(target)s.")
        % {"source": ticket.reference, "target": target.reference},
    )
    return redirect(target)


@role_required(Role.AGENT)
@require_POST
def ticket_merge_undo(request: TenantRequest, number: int) -> HttpResponse:
    """Take back this ticket's merge into another one (for 10 minutes after it)."""
    ticket = agent_ticket(request, number)
    target = ticket.merged_into
    try:
        services.ticket_merge_undo(source=ticket, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(target or ticket)
    messages.success(
        request,
        _("The merge was undone: %(source)s is back as it was.") % {"source": ticket.reference},
    )
    return redirect(ticket)


@role_required(Role.AGENT)
@require_POST
def ticket_spam(request: TenantRequest, number: int) -> HttpResponse:
    """File the ticket as spam, and block its sender when the agent ticked that."""
    ticket = agent_ticket(request, number)
    services.ticket_spam_mark(
        ticket=ticket, by=request.user, block_requester=request.POST.get("block") == "1"
    )
    messages.success(request, _("%(ticket)s was filed as spam.") % {"ticket": ticket.reference})
    return redirect("tickets:workspace")


@role_required(Role.AGENT)
@require_POST
def message_remote_images_allow(
    request: TenantRequest, number: int, message_id: int
) -> HttpResponse:
    """Load one message's pictures from other sites, for its agents and its requester alike."""
    ticket = agent_ticket(request, number)
    message = get_object_or_404(
        selectors.ticket_thread(ticket=ticket, public_only=False), pk=message_id
    )
    message = services.message_remote_images_allow(message=message)
    if not request.htmx:
        return redirect(f"{ticket.get_absolute_url()}#message-{message.pk}")
    return render(request, "tickets/_message.html", {"ticket": ticket, "message": message})


@role_required(Role.AGENT)
@require_GET
def attachment_download(request: TenantRequest, number: int, attachment_id: int) -> FileResponse:
    """A file of any message of the ticket, for its agents."""
    ticket = agent_ticket(request, number)
    attachment = get_object_or_404(
        Attachment.objects.select_related("message"), pk=attachment_id, message__ticket=ticket
    )
    return attachment_response(attachment)
