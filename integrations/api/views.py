"""The JSON API under /api/v1/: a desk's integrations file, list, read and work tickets.

A token acts for the desk as an agent-level integration. Conventions (status codes, error
body) are in `integrations.api.http`; the full description is served at /api/v1/openapi.json.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from helpdesk.models import User
from helpdesk.tenancy import TenantRequest
from integrations import selectors, services
from integrations.api import openapi, schemas, serializers
from integrations.api.http import ApiError, api_endpoint, read_json
from integrations.models import ApiToken
from tickets import selectors as ticket_selectors

if TYPE_CHECKING:
    from tickets.models import Ticket


def _ticket(number: int) -> Ticket:
    ticket = ticket_selectors.api_ticket(number=number) if number <= schemas.MAX_NUMBER else None
    if ticket is None:
        raise ApiError(
            404,
            "not_found",
            _("There is no ticket number %(number)s at this desk.") % {"number": number},
        )
    return ticket


def _acting_agent(token: ApiToken, author_email: str) -> User | None:
    """The agent named in `author_email`, else the token's creator while they are an agent."""
    if author_email:
        agent = selectors.api_agent(email=author_email)
        if agent is None:
            raise ApiError(
                422,
                "validation_error",
                _("Some fields are not valid."),
                fields={"author_email": [_("No agent of this desk has this address.")]},
            )
        return agent
    creator = token.created_by
    return selectors.api_agent(email=creator.email) if creator is not None else None


@api_endpoint("GET", "POST")
def tickets(request: TenantRequest) -> HttpResponse:
    """GET lists the desk's tickets; POST opens one."""
    if request.method == "POST":
        return ticket_create(request)
    return ticket_list(request)


def ticket_list(request: TenantRequest) -> HttpResponse:
    """Tickets matching the filters, one keyset page at a time."""
    query = schemas.ticket_list_query(request.GET, tenant_id=request.tenant.pk)
    page = list(ticket_selectors.api_tickets(**query.filters)[: query.limit + 1])
    more = len(page) > query.limit
    page = page[: query.limit]
    desk = serializers.Desk.of(request.tenant)
    ordering = query.filters["ordering"]
    return JsonResponse(
        {
            "results": [serializers.ticket_json(ticket, desk=desk) for ticket in page],
            "next_cursor": schemas.cursor_for(page[-1], ordering) if more else None,
        }
    )


def ticket_create(request: TenantRequest) -> HttpResponse:
    """Open a ticket for a requester found by email; a retried Idempotency-Key gets the first."""
    data = read_json(request)
    key = schemas.idempotency_key(request)
    fields = schemas.ticket_create_input(data)
    desk = serializers.Desk.of(request.tenant)
    opened = services.api_ticket_open(
        token=request.api_token,
        idempotency_key=key,
        request_hash=schemas.body_hash(data) if key else "",
        response_for=lambda ticket: serializers.ticket_json(ticket, desk=desk),
        **fields,
    )
    response = JsonResponse(opened.response, status=201)
    response["Location"] = request.build_absolute_uri(
        reverse("api:ticket_detail", args=[opened.number])
    )
    if opened.replayed:
        response["Idempotent-Replayed"] = "true"
    return response


@api_endpoint("GET")
def ticket_detail(request: TenantRequest, number: int) -> HttpResponse:
    """One ticket with its whole thread, internal notes included."""
    ticket = _ticket(number)
    messages = ticket_selectors.api_ticket_messages(ticket=ticket)
    return JsonResponse(
        {
            "ticket": serializers.ticket_json(ticket, desk=serializers.Desk.of(request.tenant)),
            "messages": [serializers.message_json(message) for message in messages],
        }
    )


@api_endpoint("POST")
def ticket_replies(request: TenantRequest, number: int) -> HttpResponse:
    """Add a public reply (mailed to the requester) or an internal note as an agent."""
    ticket = _ticket(number)
    reply = schemas.reply_input(read_json(request))
    author = _acting_agent(request.api_token, reply.author_email)
    if author is None:
        raise ApiError(
            422,
            "validation_error",
            _("Some fields are not valid."),
            fields={
                "author_email": [
                    _("Required: the token's creator is no longer an agent of this desk.")
                ]
            },
        )
    message = services.api_reply_add(
        ticket=ticket,
        author=author,
        text=reply.text,
        html=reply.html,
        public=reply.public,
        status=reply.status,
        attachments=reply.attachments,
    )
    message = ticket_selectors.api_ticket_messages(ticket=ticket).get(pk=message.pk)
    desk = serializers.Desk.of(request.tenant)
    return JsonResponse(
        {
            "message": serializers.message_json(message),
            "ticket": serializers.ticket_json(_ticket(number), desk=desk),
        },
        status=201,
    )


@api_endpoint("POST")
def ticket_status(request: TenantRequest, number: int) -> HttpResponse:
    """Move a ticket along its lifecycle; an illegal move is a 409 conflict."""
    ticket = _ticket(number)
    status, author_email = schemas.status_input(read_json(request))
    by = _acting_agent(request.api_token, author_email)
    services.api_status_change(ticket=ticket, status=status, by=by)
    desk = serializers.Desk.of(request.tenant)
    return JsonResponse(serializers.ticket_json(_ticket(number), desk=desk))


@api_endpoint("POST")
def ticket_priority(request: TenantRequest, number: int) -> HttpResponse:
    """Raise or lower a ticket's priority (a CRM's or monitoring tool's call): its SLA clocks
    take the new targets in the same transaction."""
    ticket = _ticket(number)
    priority, author_email = schemas.priority_input(read_json(request))
    by = _acting_agent(request.api_token, author_email)
    services.api_priority_change(ticket=ticket, priority=priority, by=by)
    desk = serializers.Desk.of(request.tenant)
    return JsonResponse(serializers.ticket_json(_ticket(number), desk=desk))


@api_endpoint("GET", authenticated=False)
def openapi_json(request: HttpRequest) -> HttpResponse:
    """The OpenAPI 3.1 description of this API; public, like any API reference."""
    return JsonResponse(openapi.SPEC)


@api_endpoint(authenticated=False)
def not_found(request: HttpRequest) -> HttpResponse:
    """Any other address under /api/v1/."""
    raise ApiError(404, "not_found", _("There is no such API address. See /api/v1/openapi.json."))
