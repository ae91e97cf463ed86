"""The agent workspace and the customer portal."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from helpdesk import services as platform_services
from helpdesk.tenancy import Role, TenantRequest, has_role, role_required
from tickets import assignment, forms, macros, selectors, services
from tickets.models import Attachment, Message, SavedView, Team, Ticket

GUEST_LINK_SALT = "tickets.portal.guest"
GUEST_LINK_MAX_AGE = 24 * 60 * 60


def _form_errors(form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form, field by field where it names fields."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


# --- agent workspace -------------------------------------------------------------------------


QUEUES = {
    "inbox": _lazy("My work"),
    "mine": _lazy("My tickets"),
    "unassigned": _lazy("Unassigned in my teams"),
    "breaching": _lazy("Breaching soon"),
    "pending": _lazy("Pending"),
    "all": _lazy("All tickets"),
    "spam": _lazy("Spam"),
}
MANAGER_QUEUES = {"all", "spam"}


def _queue_page(request: TenantRequest, **queue: Any) -> HttpResponse:
    """A queue page: filters, sort, one keyset page of rows; htmx gets the rows only."""
    context = queue_context(request, **queue)
    if request.htmx and request.GET.get("after"):
        return render(request, "tickets/_queue_rows.html", context)
    return render(request, "tickets/queue.html", context)


def queue_context(
    request: TenantRequest,
    *,
    title: str,
    tickets: QuerySet[Ticket],
    saved: SavedView | None = None,
    key: str = "",
    team: Team | None = None,
    directory: selectors.DeskDirectory | None = None,
) -> dict[str, Any]:
    """What `tickets/queue.html` shows: the filtered page of `tickets`, pickers and links.

    Also what the benchmark renders for its floor (the page's template and nothing else).
    """
    # Teams, categories, products and agents for the pickers and links: no query.
    directory = directory or selectors.desk_directory()
    params = request.GET.copy()
    if saved is not None:
        # A saved view's filters apply; the page's own query string refines them.
        for name, value in saved.filters.items():
            if name not in params:
                params.setlist(name, value if isinstance(value, list) else [value])
        if "sort" not in params and saved.sort:
            params["sort"] = saved.sort
    hidden = directory.hidden_team_ids(agent=request.user, sees_all=_sees_all(request))
    form = forms.QueueFilterForm(params, directory=directory, hidden_teams=hidden)
    filters = form.cleaned_data if form.is_valid() else {}
    sort = filters.get("sort") or "newest"
    narrowed = selectors.tickets_filtered(tickets, filters=filters)
    narrowed = narrowed.filter(selectors.visible_to(agent=request.user, hidden=hidden))
    if key == "breaching":  # always soonest due first
        page = selectors.breaching_page(narrowed, after=request.GET.get("after", ""))
    else:
        page = selectors.queue_page(narrowed, sort=sort, after=request.GET.get("after", ""))
    query = request.GET.copy()
    query.pop("after", None)
    return {
        "title": title,
        "key": key,
        "team": team,
        "saved": saved,
        "filter_form": form,
        "page": page,
        "tickets": page.tickets,
        "query": query.urlencode(),
        "filtered": bool(filters) and any(v for k, v in filters.items() if k != "sort"),
        "bulk_form": forms.BulkForm(agent=request.user, directory=directory),
        "save_form": forms.SavedViewForm(initial={"query": query.urlencode()}),
        "now": timezone.now(),
        "nav_teams": directory.teams_except(hidden),
        "nav_views": selectors.saved_views(agent=request.user),
    }


@role_required(Role.AGENT)
@require_GET
def workspace(request: TenantRequest) -> HttpResponse:
    """An agent's start page: their open tickets and their teams' unassigned ones."""
    tickets = selectors.queue_tickets_base(key="inbox", agent=request.user)
    return _queue_page(request, title=str(QUEUES["inbox"]), tickets=tickets, key="inbox")


@role_required(Role.AGENT)
@require_GET
def queue(request: TenantRequest, key: str) -> HttpResponse:
    """One of the built-in queues: mine, unassigned, pending, all, spam."""
    if key not in QUEUES or (key in MANAGER_QUEUES and not has_role(request, Role.MANAGER)):
        raise Http404(_("There is no such queue."))
    base = "all_open" if key == "breaching" else key
    tickets = selectors.queue_tickets_base(key=base, agent=request.user)
    return _queue_page(request, title=str(QUEUES[key]), tickets=tickets, key=key)


@role_required(Role.AGENT)
@require_GET
def team_queue(request: TenantRequest, team_id: int) -> HttpResponse:
    """One team's open tickets."""
    directory = selectors.desk_directory()
    hidden = directory.hidden_team_ids(agent=request.user, sees_all=_sees_all(request))
    team = directory.team(team_id, hidden=hidden)
    if team is None:
        raise Http404(_("There is no such team."))
    tickets = selectors.queue_tickets_base(key="team", agent=request.user, team=team)
    return _queue_page(
        request, title=team.name, tickets=tickets, key="team", team=team, directory=directory
    )


def _saved_view(request: TenantRequest, view_id: int) -> SavedView:
    return get_object_or_404(selectors.saved_views(agent=request.user), pk=view_id)


@role_required(Role.AGENT)
@require_GET
def saved_view(request: TenantRequest, view_id: int) -> HttpResponse:
    """A saved view: its filters over every ticket of the desk (spam aside)."""
    view = _saved_view(request, view_id)
    tickets = selectors.queue_tickets_base(key="all", agent=request.user)
    return _queue_page(request, title=view.name, tickets=tickets, saved=view, key="view")


@role_required(Role.AGENT)
@require_POST
def saved_view_create(request: TenantRequest) -> HttpResponse:
    """Save the filters of the page the agent is on as a named view."""
    form = forms.SavedViewForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("A view needs a name."))
        return redirect("tickets:workspace")
    filters_form = forms.QueueFilterForm(QueryDict(form.cleaned_data["query"]))
    if not filters_form.is_valid():
        messages.error(request, _("These filters cannot be saved: %s") % filters_form.errors)
        return redirect("tickets:workspace")
    try:
        view = services.saved_view_create(
            owner=request.user,
            name=form.cleaned_data["name"],
            is_shared=form.cleaned_data["is_shared"],
            filters=filters_form.saved(),
            sort=filters_form.cleaned_data.get("sort") or "",
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("tickets:workspace")
    messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
    return redirect("tickets:saved_view", view.pk)


@role_required(Role.AGENT)
@require_POST
def saved_view_delete(request: TenantRequest, view_id: int) -> HttpResponse:
    """Delete a view of one's own (a shared view only by its owner or a manager)."""
    view = _saved_view(request, view_id)
    try:
        services.saved_view_delete(
            view=view, by=request.user, as_manager=has_role(request, Role.MANAGER)
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("tickets:saved_view", view.pk)
    messages.success(request, _("View “%(name)s” deleted.") % {"name": view.name})
    return redirect("tickets:workspace")


@role_required(Role.AGENT)
@require_GET
def teammates(request: TenantRequest) -> HttpResponse:
    """Who of the agent's teams is online, away or offline (refreshed live on changes)."""
    people = selectors.teammates(agent=request.user)
    return render(request, "tickets/_teammates.html", {"people": people})


@role_required(Role.AGENT)
@require_GET
def queue_counts(request: TenantRequest) -> HttpResponse:
    """How many tickets each queue of the side navigation holds (loaded after the page)."""
    agent, hidden = request.user, _hidden_teams(request)
    visible = selectors.visible_to(agent=agent, hidden=hidden)

    def count(key: str, team: Team | None = None) -> int:
        tickets = selectors.queue_tickets_base(key=key, agent=agent, team=team)
        return selectors.queue_count(tickets.filter(visible))

    counts = {key: count(key) for key in ("inbox", "mine", "unassigned", "pending")}
    at_risk = selectors._sla_state("breached") | selectors._sla_state("warning")
    counts["breaching"] = selectors.queue_count(
        selectors.queue_tickets_base(key="all_open", agent=agent).filter(visible, at_risk)
    )
    teams = {team.pk: count("team", team) for team in Team.objects.exclude(pk__in=hidden)}
    return render(
        request,
        "tickets/_queue_counts.html",
        {"counts": counts, "team_counts": teams, "cap": selectors.COUNT_CAP},
    )


def _ticket_by_reference(request: TenantRequest, text: str) -> Ticket | None:
    match = selectors.TICKET_REFERENCE.match(text.strip())
    if match is None:
        return None
    return _visible(request).select_related("tenant").filter(number=int(match.group(1))).first()


@role_required(Role.AGENT)
@require_POST
def tickets_bulk(request: TenantRequest) -> HttpResponse:
    """Apply one change to every selected ticket; each ticket succeeds or fails on its own."""
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("tickets:workspace")
    form = forms.BulkForm(request.POST, agent=request.user)
    if not form.is_valid():
        messages.error(request, _("Select tickets and say what to change."))
        return redirect(back)
    data = form.cleaned_data
    tickets = list(_visible(request).select_related("tenant").filter(pk__in=data["tickets"]))
    target = None
    if data["action"] == "merge":
        target = _ticket_by_reference(request, data["target"])
        if target is None:
            messages.error(request, _("There is no ticket %(ref)s.") % {"ref": data["target"]})
            return redirect(back)
    done, problems = 0, []
    for ticket in tickets:
        try:
            _bulk_apply(request, ticket, data, target)
        except ValidationError as error:
            problems.append(f"{ticket.reference}: {' '.join(error.messages)}")
        else:
            done += 1
    if done:
        messages.success(
            request,
            ngettext("%(count)s ticket changed.", "%(count)s tickets changed.", done)
            % {"count": done},
        )
    for problem in problems:
        messages.error(request, problem)
    return redirect(back)


def _bulk_apply(request: TenantRequest, ticket: Ticket, data: dict, target: Ticket | None) -> None:
    action, by = data["action"], request.user
    if action == "assign":
        services.ticket_assign(ticket=ticket, agent=data["agent"], by=by, source="bulk")
    elif action == "status":
        services.ticket_status_change(ticket=ticket, status=data["status"], by=by, source="bulk")
    elif action == "priority":
        services.ticket_update(ticket=ticket, by=by, source="bulk", priority=data["priority"])
    elif action == "team":
        services.ticket_assign(
            ticket=ticket, agent=ticket.assignee, by=by, team=data["team"], source="bulk"
        )
    elif action == "macro":
        macros.macro_apply(macro=data["macro"], ticket=ticket, agent=by)
    elif action == "merge" and target is not None and ticket.pk != target.pk:
        services.ticket_merge(source=ticket, target=target, by=by)


@role_required(Role.AGENT)
@require_POST
def agent_availability(request: TenantRequest) -> HttpResponse:
    """Go online, away or offline; online, the agent is given waiting tickets of their teams."""
    form = forms.AvailabilityForm(request.POST)
    if form.is_valid():
        assignment.agent_availability_set(
            agent=request.user, availability=form.cleaned_data["availability"]
        )
    if request.htmx:
        status = 200 if form.is_valid() else 400
        return render(request, "tickets/_availability.html", status=status)
    if not form.is_valid():
        messages.error(request, _("Choose online, away or offline."))
    return redirect("tickets:workspace")


def _sees_all(request: TenantRequest) -> bool:
    return has_role(request, Role.MANAGER)


def _hidden_teams(request: TenantRequest) -> list[int]:
    """Private teams whose tickets, queue and count this agent may not see."""
    return selectors.hidden_team_ids(agent=request.user, sees_all=_sees_all(request))


def _visible(request: TenantRequest) -> QuerySet[Ticket]:
    """The tickets this agent may see (private teams' only to their members and managers)."""
    return selectors.agent_tickets(agent=request.user, sees_all=_sees_all(request))


def _agent_ticket(request: TenantRequest, number: int) -> Ticket:
    return get_object_or_404(
        _visible(request).select_related(
            "tenant", "requester__organization", "team", "assignee", "category", "product"
        ),
        number=number,
    )


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
    if collision:
        composer.data = composer.data.copy()
        composer.data["seen"] = str(max(message.pk for message in thread))
        composer.data["confirmed"] = ""
    context = {
        "collision": collision or [],
        "merge_form": forms.MergeForm(),
        "ticket": ticket,
        "thread": thread,
        "events": selectors.ticket_events(ticket=ticket)[:50],
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
    }
    status = 400 if any(getattr(f, "errors", None) for f in forms_.values()) else 200
    status = 409 if collision else status
    return render(request, "tickets/ticket_detail.html", context, status=status)


@role_required(Role.AGENT)
@require_GET
def ticket_detail(request: TenantRequest, number: int) -> HttpResponse:
    """One ticket as agents see it: thread, notes, fields, events, requester."""
    return _ticket_page(request, _agent_ticket(request, number))


@role_required(Role.AGENT)
@require_POST
def ticket_compose(request: TenantRequest, number: int) -> HttpResponse:
    """Send a public reply or add an internal note, optionally setting the status."""
    ticket = _agent_ticket(request, number)
    form = forms.ComposerForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        newer = []
        if data["kind"] == "public" and not data["confirmed"] and data["seen"] is not None:
            newer = services.replies_since(ticket=ticket, seen=data["seen"], by=request.user)
        if newer:
            # Someone answered while this agent was writing: show it, keep the draft.
            return _ticket_page(request, ticket, composer=form, collision=newer)
        try:
            if data["kind"] == "note":
                services.ticket_note_add(
                    ticket=ticket, author=request.user, text=data["text"],
                    attachments=data["attachments"],
                )  # fmt: skip
                if data["status"]:
                    services.ticket_status_change(
                        ticket=ticket, status=data["status"], by=request.user
                    )
            else:
                services.ticket_reply_add(
                    ticket=ticket, text=data["text"], channel=ticket.channel,
                    author_user=request.user, attachments=data["attachments"],
                    status=data["status"] or None,
                )  # fmt: skip
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(
                request, _("Note added.") if data["kind"] == "note" else _("Reply sent.")
            )
            return redirect(ticket)
    return _ticket_page(request, ticket, composer=form)


@role_required(Role.AGENT)
@require_POST
def ticket_status(request: TenantRequest, number: int) -> HttpResponse:
    """Move the ticket to another status."""
    ticket = _agent_ticket(request, number)
    form = forms.StatusForm(request.POST)
    if form.is_valid():
        try:
            services.ticket_status_change(
                ticket=ticket, status=form.cleaned_data["status"], by=request.user, source="web"
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
    return redirect(ticket)


@role_required(Role.AGENT)
@require_POST
def ticket_assign(request: TenantRequest, number: int) -> HttpResponse:
    """Give the ticket an owner and a team."""
    ticket = _agent_ticket(request, number)
    form = forms.AssignForm(request.POST)
    if form.is_valid():
        try:
            services.ticket_assign(
                ticket=ticket, agent=form.cleaned_data["assignee"], by=request.user,
                team=form.cleaned_data["team"], source="web",
            )  # fmt: skip
        except ValidationError as error:
            _form_errors(form, error)
        else:
            return redirect(ticket)
    return _ticket_page(request, ticket, assign_form=form)


@role_required(Role.AGENT)
@require_POST
def ticket_fields(request: TenantRequest, number: int) -> HttpResponse:
    """Correct priority, category, product, department and tags."""
    ticket = _agent_ticket(request, number)
    form = forms.FieldsForm(request.POST)
    if form.is_valid():
        try:
            services.ticket_update(
                ticket=ticket, by=request.user, source="web", **form.cleaned_data
            )
        except ValidationError as error:
            _form_errors(form, error)
        else:
            return redirect(ticket)
    return _ticket_page(request, ticket, fields_form=form)


@role_required(Role.AGENT)
@require_POST
def ticket_merge(request: TenantRequest, number: int) -> HttpResponse:
    """Merge this ticket into another one; its conversation moves there."""
    ticket = _agent_ticket(request, number)
    form = forms.MergeForm(request.POST)
    target = _ticket_by_reference(request, form.data.get("target", "")) if form.is_valid() else None
    if target is None:
        messages.error(request, _("Give the number of the ticket to merge into."))
        return redirect(ticket)
    try:
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
def ticket_spam(request: TenantRequest, number: int) -> HttpResponse:
    """File the ticket as spam and block its sender."""
    ticket = _agent_ticket(request, number)
    services.ticket_spam_mark(
        ticket=ticket, by=request.user, block_requester=request.POST.get("block") != "0"
    )
    messages.success(request, _("%(ticket)s was filed as spam.") % {"ticket": ticket.reference})
    return redirect("tickets:workspace")


def _download(attachment: Attachment) -> FileResponse:
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=not attachment.content_type.startswith("image/"),
        filename=attachment.filename,
        content_type=attachment.content_type,
    )
    # Files come from strangers: never let a browser run them as a page of ours.
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@role_required(Role.AGENT)
@require_GET
def attachment_download(request: TenantRequest, number: int, attachment_id: int) -> FileResponse:
    """A file of any message of the ticket, for its agents."""
    ticket = _agent_ticket(request, number)
    attachment = get_object_or_404(
        Attachment.objects.select_related("message"), pk=attachment_id, message__ticket=ticket
    )
    return _download(attachment)


@role_required(Role.AGENT)
@require_http_methods(["GET", "POST"])
def phone_call(request: TenantRequest) -> HttpResponse:
    """Log a phone call as a ticket; the caller is looked up by number, or created."""
    form = forms.PhoneCallForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data["email"]:
                requester = services.contact_for_email(email=data["email"], name=data["name"])
                if data["phone"] and not requester.phone:
                    requester = services.contact_update(contact=requester, phone=data["phone"])
            else:
                requester = services.contact_for_phone(phone=data["phone"], name=data["name"])
            ticket = services.ticket_open(
                requester=requester, subject=data["subject"], description=data["description"],
                channel=Ticket.Channel.PHONE, priority=data["priority"], by=request.user,
                assignee=request.user,
            )  # fmt: skip
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("Call logged as %s.") % ticket.reference)
            return redirect(ticket)
    return render(request, "tickets/phone_call.html", {"form": form})


# --- customer portal -------------------------------------------------------------------------


@role_required(Role.CUSTOMER)
@require_GET
def portal(request: TenantRequest) -> HttpResponse:
    """A customer's start page: the tickets they filed."""
    tickets = selectors.requester_tickets(user=request.user)
    return render(request, "tickets/portal.html", {"tickets": tickets})


@require_http_methods(["GET", "POST"])
def portal_new(request: TenantRequest) -> HttpResponse:
    """File a ticket; visitors without a login first confirm their address."""
    if request.tenant is None:
        raise Http404
    if not request.user.is_authenticated:
        return redirect("tickets:portal_start")
    if not has_role(request, Role.CUSTOMER):
        return render(request, "403.html", status=403)
    form = forms.PortalTicketForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        requester = selectors.contact_for_user(user=request.user) or services.contact_for_email(
            email=request.user.email, name=request.user.get_full_name(), user=request.user
        )
        try:
            ticket = services.ticket_open(
                requester=requester, subject=data["subject"], description=data["description"],
                channel=Ticket.Channel.PORTAL, priority=data["priority"],
                impact=data["impact"], urgency=data["urgency"],
                category=data["category"], product=data["product"],
                attachments=data["attachments"], language=request.LANGUAGE_CODE,
            )  # fmt: skip
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(
                request,
                _("Thank you. Your request %(reference)s is logged; we have emailed you.")
                % {"reference": ticket.reference},
            )
            return redirect("tickets:portal_ticket", ticket.number)
    return render(
        request, "tickets/portal_new.html", {"form": form}, status=400 if form.errors else 200
    )


@require_http_methods(["GET", "POST"])
def portal_start(request: TenantRequest) -> HttpResponse:
    """A visitor without a login asks for a sign-in link to file and follow tickets."""
    if request.tenant is None:
        raise Http404
    form = forms.GuestStartForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        token = signing.dumps(
            {
                "t": request.tenant.pk,
                "e": form.cleaned_data["email"],
                "n": form.cleaned_data["name"],
            },
            salt=GUEST_LINK_SALT,
        )
        link = request.build_absolute_uri(reverse("tickets:portal_confirm", args=[token]))
        send_mail(
            _("Confirm your email address for %(desk)s") % {"desk": request.tenant.name},
            _(
                "Hello %(name)s,\n\nopen this link to confirm your address and file your "
                "request with %(desk)s:\n\n%(link)s\n\nThe link works for 24 hours. If you did "
                "not ask for it, ignore this message."
            )
            % {"name": form.cleaned_data["name"], "desk": request.tenant.name, "link": link},
            None,
            [form.cleaned_data["email"]],
        )
        return render(
            request, "tickets/portal_start_sent.html", {"email": form.cleaned_data["email"]}
        )
    return render(request, "tickets/portal_start.html", {"form": form})


@require_GET
def portal_confirm(request: TenantRequest, token: str) -> HttpResponse:
    """The visitor's address is confirmed: log them in as a customer of this desk."""
    if request.tenant is None:
        raise Http404
    try:
        data = signing.loads(token, salt=GUEST_LINK_SALT, max_age=GUEST_LINK_MAX_AGE)
    except signing.SignatureExpired:
        return render(request, "tickets/portal_link_invalid.html", {"expired": True}, status=400)
    except signing.BadSignature:
        return render(request, "tickets/portal_link_invalid.html", status=400)
    if data.get("t") != request.tenant.pk:
        return render(request, "tickets/portal_link_invalid.html", status=400)
    membership = platform_services.customer_membership_ensure(email=data["e"], full_name=data["n"])
    services.contact_for_email(email=data["e"], name=data["n"], user=membership.user)
    login(request, membership.user, backend="django.contrib.auth.backends.ModelBackend")
    return redirect("tickets:portal_new")


def _portal_ticket(request: TenantRequest, number: int) -> Ticket:
    return get_object_or_404(selectors.requester_tickets(user=request.user), number=number)


@role_required(Role.CUSTOMER)
@require_http_methods(["GET", "POST"])
def portal_ticket(request: TenantRequest, number: int) -> HttpResponse:
    """One of the customer's own tickets, with its public thread; anyone else's is not found."""
    ticket = _portal_ticket(request, number)
    form = forms.PortalReplyForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        requester = selectors.contact_for_user(user=request.user) or ticket.requester
        try:
            message = services.ticket_reply_add(
                ticket=ticket, text=form.cleaned_data["text"], channel=Ticket.Channel.PORTAL,
                author_contact=requester, attachments=form.cleaned_data["attachments"],
            )  # fmt: skip
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("Your reply was added."))
            return redirect("tickets:portal_ticket", message.ticket.number)
    thread = selectors.ticket_thread(ticket=ticket, public_only=True)
    return render(
        request,
        "tickets/portal_ticket.html",
        {"ticket": ticket, "thread": thread, "form": form},
        status=400 if form.errors else 200,
    )


@role_required(Role.CUSTOMER)
@require_GET
def portal_attachment(request: TenantRequest, number: int, attachment_id: int) -> FileResponse:
    """A file of a public message of the customer's own ticket."""
    ticket = _portal_ticket(request, number)
    attachment = get_object_or_404(
        Attachment.objects.select_related("message"),
        pk=attachment_id,
        message__ticket=ticket,
        message__kind="public",
    )
    return _download(attachment)
