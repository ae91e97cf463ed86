"""The agent's macro pages and applying a macro to a ticket (views of the workspace)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from helpdesk.tenancy import Role, TenantRequest, has_role, role_required
from tickets import forms, macros, selectors
from tickets.views.common import form_errors


@role_required(Role.AGENT)
@require_GET
def macro_list(request: TenantRequest) -> HttpResponse:
    """The agent's own macros (to change) and the desk's shared ones (to use)."""
    available = macros.macros_for(agent=request.user)
    return render(
        request,
        "tickets/macro_list.html",
        {
            "personal": [macro for macro in available if not macro.is_shared],
            "shared": [macro for macro in available if macro.is_shared],
        },
    )


def _macro_form_page(request: TenantRequest, form: forms.MacroForm) -> HttpResponse:
    if request.method == "POST" and form.is_valid():
        try:
            macros.macro_save(macro=form.instance, owner=request.user)
        except ValidationError as error:
            form_errors(form, error)
        else:
            messages.success(request, _("Macro saved."))
            return redirect("tickets:macro_list")
    return render(
        request, "tickets/macro_form.html", {"form": form}, status=400 if form.errors else 200
    )


@role_required(Role.AGENT)
@require_http_methods(["GET", "POST"])
def macro_create(request: TenantRequest) -> HttpResponse:
    """A new personal macro."""
    return _macro_form_page(request, forms.MacroForm(request.POST or None))


@role_required(Role.AGENT)
@require_http_methods(["GET", "POST"])
def macro_edit(request: TenantRequest, macro_id: int) -> HttpResponse:
    """Change one of the agent's own macros; shared and other agents' macros are not found."""
    macro = get_object_or_404(macros.personal_macros(agent=request.user), pk=macro_id)
    return _macro_form_page(request, forms.MacroForm(request.POST or None, instance=macro))


@role_required(Role.AGENT)
@require_POST
def macro_delete(request: TenantRequest, macro_id: int) -> HttpResponse:
    """Delete one of the agent's own macros."""
    macro = get_object_or_404(macros.personal_macros(agent=request.user), pk=macro_id)
    macros.macro_delete(macro=macro)
    messages.success(request, _("Macro deleted."))
    return redirect("tickets:macro_list")


@role_required(Role.AGENT)
@require_http_methods(["GET", "POST"])
def ticket_macro_apply(request: TenantRequest, number: int) -> HttpResponse:
    """GET: what the chosen macro would send and change; POST: send and change it."""
    ticket = get_object_or_404(
        selectors.agent_tickets(
            agent=request.user, sees_all=has_role(request, Role.MANAGER)
        ).select_related("tenant", "requester", "team"),
        number=number,
    )
    form = forms.MacroPickForm(request.POST or request.GET, agent=request.user)
    if not form.is_valid():
        messages.error(request, _("Choose one of your macros."))
        return redirect(ticket)
    macro = form.cleaned_data["macro"]
    if request.method == "GET":
        preview = macros.macro_render(macro=macro, ticket=ticket, agent=request.user)
        template = "tickets/_macro_preview.html" if request.htmx else "tickets/macro_preview.html"
        context = {"ticket": ticket, "macro": macro, "preview": preview}
        return render(request, template, context)
    try:
        macros.macro_apply(macro=macro, ticket=ticket, agent=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Macro “%(name)s” applied.") % {"name": macro.name})
    return redirect(ticket)
