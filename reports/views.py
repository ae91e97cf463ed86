"""Managers' dashboards and what-if SLA replays."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from helpdesk.tenancy import Role, TenantRequest, role_required
from reports import selectors, services
from reports.forms import SlaReplayForm
from reports.models import SlaReplay, SlaReplayTicket
from tickets import selectors as ticket_selectors


@role_required(Role.MANAGER)
@require_GET
def dashboard(request: TenantRequest) -> HttpResponse:
    """The open backlog by status, priority and team."""
    return render(request, "reports/dashboard.html", {"counts": ticket_selectors.ticket_counts()})


@role_required(Role.MANAGER)
@require_http_methods(["GET", "POST"])
def sla_replay(request: TenantRequest) -> HttpResponse:
    """Ask what a draft policy would have made of a past period; the replays asked so far."""
    form = SlaReplayForm(request.POST or None, time_zone=request.tenant.time_zone)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            replay = services.replay_request(
                policy=data["policy"], calendar=data["calendar"], start=data["start"],
                end=data["end"], by=request.user,
            )  # fmt: skip
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return redirect("reports:sla_replay_detail", replay.pk)
    replays = selectors.sla_replays()[:50]
    return render(request, "reports/sla_replay.html", {"form": form, "replays": replays})


@role_required(Role.MANAGER)
@require_GET
def sla_replay_detail(request: TenantRequest, replay_id: int) -> HttpResponse:
    """A replay's progress, then its compliance beside what happened and the tickets that differ."""
    replay = get_object_or_404(SlaReplay.objects.select_related("policy", "calendar"), pk=replay_id)
    context = {"replay": replay}
    if replay.state == SlaReplay.State.DONE:
        context |= {
            "comparison": selectors.replay_comparison(replay),
            "worse": selectors.replay_differences(replay, SlaReplayTicket.Direction.WORSE),
            "better": selectors.replay_differences(replay, SlaReplayTicket.Direction.BETTER),
        }
    template = (
        "reports/_sla_replay_result.html" if request.htmx else "reports/sla_replay_detail.html"
    )
    return render(request, template, context)
