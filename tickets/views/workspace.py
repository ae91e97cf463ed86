"""The agent workspace: queues and saved views, counts, bulk changes, availability, calls."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from helpdesk.tenancy import Role, TenantRequest, has_role, role_required
from helpdesk.text import is_number
from tickets import assignment, bulk, forms, selectors, services
from tickets.models import SavedView, Team, Ticket
from tickets.views.common import (
    form_errors,
    hidden_teams,
    sees_all_teams,
    ticket_by_reference,
    visible_tickets,
)

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


# The live region of a queue page (`#queue-rows`) and how many changed rows it may ask for.
ROWS_REGION = "queue-rows"
CHANGED_ROWS_LIMIT = 50


def _queue_page(request: TenantRequest, **queue: Any) -> HttpResponse:
    """A queue page: filters, sort, one keyset page of rows; htmx gets the rows only.

    Its rows region asks for its first page again, or with `rows=<id>,<id>` for the rows of
    the tickets that changed (`_queue_rows.html` then holds each one's row if the ticket is
    in the queue, else a marker that it left); "Load more" asks for the next page (`after`).
    """
    if request.htmx and (request.htmx.target == ROWS_REGION or request.GET.get("after")):
        return render(request, "tickets/_queue_rows.html", queue_rows_context(request, **queue))
    return render(request, "tickets/queue.html", queue_context(request, **queue))


def _own_team_ids(request: TenantRequest, directory: selectors.DeskDirectory) -> list[int]:
    """The teams the agent belongs to, from the desk's directory (no query)."""
    return [team.pk for team in directory.teams if request.user.pk in team.member_ids]


def _changed_ids(request: TenantRequest) -> list[int] | None:
    """The tickets whose rows a live page asks for (`rows=1,2`), or None for a page of rows."""
    if "rows" not in request.GET:
        return None
    ids = [int(part) for part in request.GET["rows"].split(",") if is_number(part)]
    return list(dict.fromkeys(ids))[:CHANGED_ROWS_LIMIT]


def queue_rows_context(
    request: TenantRequest,
    *,
    title: str,
    tickets: QuerySet[Ticket],
    saved: SavedView | None = None,
    key: str = "",
    team: Team | None = None,
    directory: selectors.DeskDirectory | None = None,
) -> dict[str, Any]:
    """What `tickets/_queue_rows.html` shows: the filtered page of `tickets`, or the rows of
    the tickets a live page asks for (`changed`: those in the queue; `gone`: the others)."""
    # Teams, categories, products and agents for the filters: no query.
    directory = directory or selectors.desk_directory()
    params = request.GET.copy()
    if saved is not None:
        # A saved view's filters apply; the page's own query string refines them.
        for name, value in saved.filters.items():
            if name not in params:
                params.setlist(name, value if isinstance(value, list) else [value])
        if "sort" not in params and saved.sort:
            params["sort"] = saved.sort
    hidden = directory.hidden_team_ids(agent=request.user, sees_all=sees_all_teams(request))
    form, filters = None, {}
    if params.keys() - {"after", "rows"}:  # else nothing to validate (a live page's rows)
        form = forms.QueueFilterForm(params, directory=directory, hidden_teams=hidden)
        filters = form.cleaned_data if form.is_valid() else {}
    sort = "breaching" if key == "breaching" else filters.get("sort") or "newest"
    narrowed = selectors.tickets_filtered(tickets, filters=filters)
    narrowed = narrowed.filter(selectors.visible_to(agent=request.user, hidden=hidden))
    query = request.GET.copy()
    for name in ("after", "rows"):
        query.pop(name, None)
    context = {
        "title": title,
        "key": key,
        "team": team,
        "saved": saved,
        "sort": sort,
        "filter_form": form,
        "filtered": bool(filters) and any(v for k, v in filters.items() if k != "sort"),
        "query": query.urlencode(),
        "now": timezone.now(),
        "directory": directory,
        "hidden": hidden,
        "changed": None,
    }
    ids = _changed_ids(request)
    if ids is not None:
        if key == "breaching":  # always soonest due first
            present = selectors.breaching_rows_by_id(narrowed, ids=ids)
        else:
            present = selectors.queue_rows_by_id(narrowed, ids=ids, sort=sort)
        context["changed"] = [present[pk] for pk in ids if pk in present]
        context["gone"] = [pk for pk in ids if pk not in present]
        context["tickets"] = context["changed"]
        context["waiting"] = assignment.waiting_reasons(tickets=context["tickets"])
        return context
    if key == "breaching":
        page = selectors.breaching_page(narrowed, after=request.GET.get("after", ""))
    else:
        page = selectors.queue_page(narrowed, sort=sort, after=request.GET.get("after", ""))
    context["page"], context["tickets"] = page, page.tickets
    # Why each ticket nobody owns waits: small text under its empty owner column.
    context["waiting"] = assignment.waiting_reasons(tickets=context["tickets"])
    return context


def queue_context(request: TenantRequest, **queue: Any) -> dict[str, Any]:
    """What `tickets/queue.html` shows: the filtered page of `tickets`, pickers and links.

    Also what the benchmark renders for its floor (the page's template and nothing else).
    """
    context = queue_rows_context(request, **queue)
    directory, hidden = context["directory"], context["hidden"]
    form = context["filter_form"] or forms.QueueFilterForm(
        request.GET.copy(), directory=directory, hidden_teams=hidden
    )
    return {
        **context,
        "filter_form": form,
        "bulk_form": forms.BulkForm(agent=request.user, directory=directory),
        "save_form": forms.SavedViewForm(initial={"query": context["query"]}),
        "nav_teams": directory.teams_except(hidden),
        "nav_views": selectors.saved_views(agent=request.user),
        # The agent's own teams: which tickets their unassigned queues hold (live.js).
        "my_team_ids": _own_team_ids(request, directory),
    }


@role_required(Role.AGENT)
@require_GET
def workspace(request: TenantRequest) -> HttpResponse:
    """An agent's start page: their open tickets and their teams' unassigned ones."""
    directory = selectors.desk_directory()
    tickets = selectors.queue_tickets_base(
        key="inbox", agent=request.user, team_ids=_own_team_ids(request, directory)
    )
    return _queue_page(
        request, title=str(QUEUES["inbox"]), tickets=tickets, key="inbox", directory=directory
    )


@role_required(Role.AGENT)
@require_GET
def queue(request: TenantRequest, key: str) -> HttpResponse:
    """One of the built-in queues: mine, unassigned, pending, all, spam."""
    if key not in QUEUES or (key in MANAGER_QUEUES and not has_role(request, Role.MANAGER)):
        raise Http404(_("There is no such queue."))
    base = "all_open" if key == "breaching" else key
    directory = selectors.desk_directory()
    tickets = selectors.queue_tickets_base(
        key=base, agent=request.user, team_ids=_own_team_ids(request, directory)
    )
    return _queue_page(
        request, title=str(QUEUES[key]), tickets=tickets, key=key, directory=directory
    )


@role_required(Role.AGENT)
@require_GET
def team_queue(request: TenantRequest, team_id: int) -> HttpResponse:
    """One team's open tickets."""
    directory = selectors.desk_directory()
    hidden = directory.hidden_team_ids(agent=request.user, sees_all=sees_all_teams(request))
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
    agent, hidden = request.user, hidden_teams(request)
    visible = selectors.visible_to(agent=agent, hidden=hidden)
    directory = selectors.desk_directory()  # the desk's teams and their members: no query
    mine = _own_team_ids(request, directory)

    def count(key: str, team: Team | None = None) -> int:
        tickets = selectors.queue_tickets_base(key=key, agent=agent, team=team, team_ids=mine)
        return selectors.queue_count(tickets.filter(visible))

    counts = {key: count(key) for key in ("inbox", "mine", "unassigned", "pending")}
    counts["breaching"] = selectors.breaching_count(
        selectors.queue_tickets_base(key="all_open", agent=agent).filter(visible)
    )
    teams = {
        entry.pk: count("team", directory.team(entry.pk, hidden=hidden))
        for entry in directory.teams_except(hidden)
    }
    return render(
        request,
        "tickets/_queue_counts.html",
        {"counts": counts, "team_counts": teams, "cap": selectors.COUNT_CAP},
    )


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
    tickets = list(visible_tickets(request).select_related("tenant").filter(pk__in=data["tickets"]))
    target = None
    if data["action"] == "merge":
        target = ticket_by_reference(request, data["target"])
        if target is None:
            messages.error(request, _("There is no ticket %(ref)s.") % {"ref": data["target"]})
            return redirect(back)
    result = bulk.tickets_bulk_apply(
        tickets=tickets, action=data["action"], by=request.user, values=data, target=target
    )
    if result.done:
        messages.success(
            request,
            ngettext("%(count)s ticket changed.", "%(count)s tickets changed.", result.done)
            % {"count": result.done},
        )
    for problem in result.problems:
        messages.error(request, problem)
    return redirect(back)


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
            form_errors(form, error)
        else:
            messages.success(request, _("Call logged as %s.") % ticket.reference)
            return redirect(ticket)
    return render(request, "tickets/phone_call.html", {"form": form})
