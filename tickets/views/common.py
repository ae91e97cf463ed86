"""What the workspace's and the portal's views share: who sees what, form errors, downloads."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import FileResponse
from django.shortcuts import get_object_or_404

from helpdesk.tenancy import Role, TenantRequest, has_role
from helpdesk.text import file_name
from tickets import selectors
from tickets.models import Attachment, Ticket


def form_errors(form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form, field by field where it names fields."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def sees_all_teams(request: TenantRequest) -> bool:
    return has_role(request, Role.MANAGER)


def hidden_teams(request: TenantRequest) -> list[int]:
    """Private teams whose tickets, queue and count this agent may not see."""
    return selectors.hidden_team_ids(agent=request.user, sees_all=sees_all_teams(request))


def visible_tickets(request: TenantRequest) -> QuerySet[Ticket]:
    """The tickets this agent may see (private teams' only to their members and managers)."""
    return selectors.agent_tickets(agent=request.user, sees_all=sees_all_teams(request))


def agent_ticket(request: TenantRequest, number: int) -> Ticket:
    return get_object_or_404(
        visible_tickets(request).select_related(
            "tenant", "requester__organization", "team", "assignee", "category", "product"
        ),
        number=number,
    )


def ticket_by_reference(request: TenantRequest, text: str) -> Ticket | None:
    match = selectors.TICKET_REFERENCE.match(text.strip())
    if match is None:
        return None
    number = int(match.group(1))
    return visible_tickets(request).select_related("tenant").filter(number=number).first()


def attachment_response(attachment: Attachment) -> FileResponse:
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=not attachment.is_picture,
        filename=file_name(attachment.filename, attachment.content_type),  # stored before
        content_type=attachment.content_type,
    )
    # Files come from strangers: never let a browser run them as a page of ours.
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    return response
