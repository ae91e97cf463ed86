"""The agent workspace and the customer portal."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from helpdesk import services as platform_services
from helpdesk.tenancy import Role, TenantRequest, has_role, role_required
from tickets import assignment, forms, selectors, services
from tickets.models import Attachment, Ticket

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


@role_required(Role.AGENT)
@require_GET
def workspace(request: TenantRequest) -> HttpResponse:
    """An agent's start page: their open tickets and their teams' unassigned ones."""
    tickets = selectors.workspace_tickets(agent=request.user)
    return render(request, "tickets/workspace.html", {"tickets": tickets})


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


def _agent_ticket(number: int) -> Ticket:
    return get_object_or_404(
        Ticket.objects.select_related(
            "tenant", "requester__organization", "team", "assignee", "category", "product"
        ),
        number=number,
    )


def _ticket_page(request: TenantRequest, ticket: Ticket, **forms_: object) -> HttpResponse:
    context = {
        "ticket": ticket,
        "thread": selectors.ticket_thread(ticket=ticket, public_only=False),
        "events": selectors.ticket_events(ticket=ticket)[:50],
        "other_tickets": selectors.requester_other_tickets(ticket=ticket),
        "composer": forms_.get("composer") or forms.ComposerForm(),
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
    }
    status = 400 if any(getattr(f, "errors", None) for f in forms_.values()) else 200
    return render(request, "tickets/ticket_detail.html", context, status=status)


@role_required(Role.AGENT)
@require_GET
def ticket_detail(request: TenantRequest, number: int) -> HttpResponse:
    """One ticket as agents see it: thread, notes, fields, events, requester."""
    return _ticket_page(request, _agent_ticket(number))


@role_required(Role.AGENT)
@require_POST
def ticket_compose(request: TenantRequest, number: int) -> HttpResponse:
    """Send a public reply or add an internal note, optionally setting the status."""
    ticket = _agent_ticket(number)
    form = forms.ComposerForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
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
    ticket = _agent_ticket(number)
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
    ticket = _agent_ticket(number)
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
    ticket = _agent_ticket(number)
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
    attachment = get_object_or_404(
        Attachment.objects.select_related("message"),
        pk=attachment_id,
        message__ticket__number=number,
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
