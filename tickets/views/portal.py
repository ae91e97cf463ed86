"""The customer portal: a customer's tickets, filing one, and the sign-in link for visitors."""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from helpdesk import services as platform_services
from helpdesk.tenancy import Role, TenantRequest, has_role, role_required
from tickets import forms, selectors, services
from tickets.models import Attachment, Ticket
from tickets.services import guest_links
from tickets.views.common import attachment_response, form_errors


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
            form_errors(form, error)
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
        guest_links.guest_link_send(
            email=form.cleaned_data["email"],
            name=form.cleaned_data["name"],
            language=request.LANGUAGE_CODE,
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
        guest = guest_links.guest_link_read(token=token)
    except guest_links.GuestLinkExpired:
        return render(request, "tickets/portal_link_invalid.html", {"expired": True}, status=400)
    except guest_links.GuestLinkInvalid:
        return render(request, "tickets/portal_link_invalid.html", status=400)
    membership = platform_services.customer_membership_ensure(
        email=guest.email, full_name=guest.name
    )
    services.contact_for_email(email=guest.email, name=guest.name, user=membership.user)
    login(request, membership.user, backend="django.contrib.auth.backends.ModelBackend")
    return redirect("tickets:portal_new")


def _portal_ticket(request: TenantRequest, number: int) -> Ticket:
    return get_object_or_404(selectors.requester_tickets(user=request.user), number=number)


def _in_ticket_language(request: TenantRequest, ticket: Ticket) -> AbstractContextManager:
    """A ticket's portal page speaks the ticket's language, as its mail does, unless the
    customer picked a language of their own (the header's language menu)."""
    if not ticket.language or request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME):
        return nullcontext()
    return translation.override(ticket.best_language)


@role_required(Role.CUSTOMER)
@require_http_methods(["GET", "POST"])
def portal_ticket(request: TenantRequest, number: int) -> HttpResponse:
    """One of the customer's own tickets, with its public thread; anyone else's is not found.

    htmx asking for the live thread region gets the thread alone.
    """
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
            form_errors(form, error)
        else:
            messages.success(request, _("Your reply was added."))
            return redirect("tickets:portal_ticket", message.ticket.number)
    thread = selectors.ticket_thread(ticket=ticket, public_only=True)
    with _in_ticket_language(request, ticket):
        if request.method == "GET" and request.htmx and request.htmx.target == "thread-region":
            # The page's live thread refreshing itself.
            context = {"ticket": ticket, "thread": thread, "portal": True}
            return render(request, "tickets/_thread.html", context)
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
    return attachment_response(attachment)
