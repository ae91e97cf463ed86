"""Received mail in the agents' workspace: what could not be processed, and processing it again."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from helpdesk.tenancy import Role, TenantRequest, role_required
from integrations import selectors
from integrations.email import inbound as services
from integrations.models import InboundEmail

PAGE_SIZE = 100


@role_required(Role.AGENT)
@require_GET
def inbound_list(request: TenantRequest) -> HttpResponse:
    """Mail that needs attention (or all recent mail), each with what became of it."""
    show_all = request.GET.get("show") == "all"
    mails = selectors.inbound_emails(attention_only=not show_all)[:PAGE_SIZE]
    return render(
        request, "integrations/email/inbound_list.html", {"mails": mails, "show_all": show_all}
    )


@role_required(Role.AGENT)
@require_GET
def inbound_attention(request: TenantRequest) -> HttpResponse:
    """The workspace navigation's entry for mail needing attention, when there is any."""
    count = selectors.inbound_emails_needing_attention_count()
    return render(request, "integrations/email/_inbound_attention.html", {"count": count})


@role_required(Role.AGENT)
@require_POST
def inbound_reprocess(request: TenantRequest, pk: int) -> HttpResponse:
    """Process a kept mail again, once whatever stopped it is fixed."""
    mail = get_object_or_404(InboundEmail.objects, pk=pk)
    try:
        mail = services.email_reprocess(inbound_id=mail.pk)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("mail:inbound_list")
    if mail.status == InboundEmail.Status.FAILED:
        messages.error(request, _("It failed again: %(error)s") % {"error": mail.error})
    elif mail.ticket_id:
        messages.success(request, _("Processed: it is now part of ticket %(ref)s.") % {
            "ref": mail.ticket.reference
        })  # fmt: skip
    else:
        messages.success(request, _("Processed: %(status)s.") % {
            "status": mail.get_status_display()
        })  # fmt: skip
    return redirect("mail:inbound_list")


@role_required(Role.AGENT)
@require_GET
def inbound_original(request: TenantRequest, pk: int) -> FileResponse:
    """The mail exactly as it arrived, as a file to open in a mail program."""
    mail = get_object_or_404(InboundEmail.objects, pk=pk)
    response = FileResponse(
        mail.raw.open("rb"),
        as_attachment=True,
        filename=f"mail-{mail.pk}.eml",
        content_type="message/rfc822",
    )
    # A stranger's bytes: never let a browser run them as a page of ours.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    return response
