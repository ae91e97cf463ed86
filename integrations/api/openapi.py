"""The OpenAPI 3.1 description of /api/v1/, by hand; tests check it against urls.py."""

from __future__ import annotations

from typing import Any

from tickets.services import TEXT_MAX_CHARS


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": _ref("Error")}},
    }


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


NULLABLE_STRING = {"type": ["string", "null"]}
TIMESTAMP = {"type": "string", "format": "date-time"}
NULLABLE_TIMESTAMP = {"type": ["string", "null"], "format": "date-time"}
NAMED = {
    "type": ["object", "null"],
    "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
}
STATUSES = ["new", "open", "pending", "on_hold", "solved", "closed"]
PRIORITIES = ["low", "medium", "high", "critical"]
CHANNELS = ["email", "portal", "chat", "phone", "api", "social"]

NUMBER = {
    "name": "number",
    "in": "path",
    "required": True,
    "description": "The ticket's number at this desk (ACME-12 has number 12).",
    "schema": {"type": "integer", "minimum": 1},
}

COMMON_ERRORS = {
    "401": _error("No token, or not a valid one for this desk (see WWW-Authenticate)."),
    "404": _error("No such ticket at this desk, or no desk at this address."),
    "405": _error("Method not allowed; the Allow header lists the allowed ones."),
}
BODY_ERRORS = {
    "400": _error("Malformed request: invalid JSON, or the body is not a JSON object."),
    "408": _error("The body arrived too slowly: a pause over 20 s, or unfinished after 300 s."),
    "413": _error("Body larger than 25 MB."),
    "415": _error("Body is not sent as application/json."),
    "422": _error("Valid JSON whose fields are not; `fields` names each one."),
}

DESCRIPTION = """\
The JSON API of one help desk, for its integrations (CRM, monitoring, forms, scripts).

**Host.** Call the desk's own address (`https://acme.example.com/api/v1/...`): the desk
comes from the host, and a token works only at the desk that issued it.

**Authentication.** `Authorization: Bearer <token>` (or `Token <token>`). Desk admins
create and revoke tokens in the admin under *API tokens*; the token is shown once. The
token acts as an agent-level integration: it sees internal notes, and writes as the
agent named in `author_email`, else as the admin who created the token.

**Errors.** Every error is JSON: `{"error": {"code", "message", "fields"?}}`.
400 the request itself is malformed (JSON syntax, body not an object, a query parameter
or header); 401 no valid token; 403 not allowed; 404 unknown ticket or address;
405 wrong method; 409 the ticket's state refuses the change (illegal status move, reply
to a closed ticket); 408 body arriving too slowly; 413 body over 25 MB; 415 body not JSON;
422 well-formed JSON whose fields are invalid, with `fields` naming each (`requester.email`,
`attachments[0].filename`).

**Times** are ISO 8601; responses are in UTC (`...Z`); a filter time without an offset
is read as UTC.

**Idempotency.** Send `Idempotency-Key: <any unique string>` with `POST /tickets`: a retry
with the same key from the same token within 24 hours returns the first response (with
`Idempotent-Replayed: true`) and creates nothing; the same key with a different body is a
422 `idempotency_key_reused`.
"""

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {
                        "type": "string",
                        "examples": [
                            "validation_error",
                            "malformed_json",
                            "invalid_parameter",
                            "not_authenticated",
                            "invalid_token",
                            "not_found",
                            "conflict",
                        ],
                    },
                    "message": {"type": "string"},
                    "fields": {
                        "type": "object",
                        "additionalProperties": {"type": "array", "items": {"type": "string"}},
                    },
                },
            }
        },
    },
    "Person": {
        "type": ["object", "null"],
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "email": {"type": "string"},
        },
    },
    "Ticket": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "number": {"type": "integer"},
            "reference": {"type": "string", "examples": ["ACME-12"]},
            "subject": {"type": "string"},
            "description": {"type": "string"},
            "status": {"enum": STATUSES},
            "priority": {"enum": PRIORITIES},
            "channel": {"enum": CHANNELS},
            "requester": _ref("Person"),
            "team": NAMED,
            "assignee": _ref("Person"),
            "category": NAMED,
            "product": NAMED,
            "tags": {"type": "array", "items": {"type": "string"}},
            "language": {"type": "string"},
            "created_at": TIMESTAMP,
            "updated_at": TIMESTAMP,
            "first_responded_at": NULLABLE_TIMESTAMP,
            "solved_at": NULLABLE_TIMESTAMP,
            "url": {"type": "string", "format": "uri", "description": "The requester's portal."},
        },
    },
    "Message": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "kind": {"enum": ["public", "note"], "description": "note: agents only."},
            "public": {"type": "boolean"},
            "author": {
                "type": "object",
                "properties": {
                    "type": {"enum": ["agent", "contact", "system"]},
                    "id": {"type": ["integer", "null"]},
                    "name": {"type": "string"},
                    "email": NULLABLE_STRING,
                },
            },
            "channel": {"enum": CHANNELS},
            "created_at": TIMESTAMP,
            "body_text": {"type": "string"},
            "body_html": {
                "type": "string",
                "description": (
                    "Sanitised HTML. Pictures fetch nothing: a remote picture's address is in"
                    " its data-remote-src attribute, an inline one's Content-ID in data-cid"
                    " (its file is among the attachments)."
                ),
            },
            "attachments": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer"},
                        "filename": {"type": "string"},
                        "size": {"type": "integer"},
                        "content_type": {"type": "string"},
                        "inline": {"type": "boolean"},
                    },
                },
            },
        },
    },
    "Attachment": {
        "type": "object",
        "required": ["filename", "content_base64"],
        "properties": {
            "filename": {"type": "string"},
            "content_type": {"type": "string", "default": "application/octet-stream"},
            "content_base64": {"type": "string", "contentEncoding": "base64"},
        },
    },
    "TicketCreate": {
        "type": "object",
        "required": ["subject", "description", "requester"],
        "properties": {
            "subject": {"type": "string", "maxLength": 250},
            "description": {"type": "string", "maxLength": TEXT_MAX_CHARS},
            "requester": {
                "type": "object",
                "required": ["email"],
                "description": "Found by email (also further addresses), created if new.",
                "properties": {
                    "email": {"type": "string", "format": "email"},
                    "name": {"type": "string"},
                    "phone": {"type": "string"},
                },
            },
            "priority": {"enum": PRIORITIES, "default": "medium"},
            "impact": {
                "enum": ["low", "medium", "high"],
                "description": "With urgency, the desk's priority matrix sets the priority "
                "(the priority given is then ignored).",
            },
            "urgency": {"enum": ["low", "medium", "high"]},
            "category": {"type": "integer", "description": "A category id of this desk."},
            "product": {"type": "integer", "description": "A product line id of this desk."},
            "tags": {"type": "array", "items": {"type": "string", "maxLength": 50}},
            "language": {"type": "string", "examples": ["en", "de"]},
            "attachments": {"type": "array", "items": _ref("Attachment")},
        },
    },
    "ReplyCreate": {
        "type": "object",
        "required": ["text"],
        "properties": {
            "text": {"type": "string", "maxLength": TEXT_MAX_CHARS},
            "html": {
                "type": "string",
                "maxLength": 4 * TEXT_MAX_CHARS,
                "description": "Public replies only; sanitised.",
            },
            "public": {
                "type": "boolean",
                "default": True,
                "description": "false: an internal note, never sent to the requester.",
            },
            "status": {"enum": STATUSES, "description": "Move the ticket as well."},
            "author_email": {
                "type": "string",
                "format": "email",
                "description": "An agent of this desk; default: the token's creator.",
            },
            "attachments": {"type": "array", "items": _ref("Attachment")},
        },
    },
    "StatusChange": {
        "type": "object",
        "required": ["status"],
        "properties": {
            "status": {"enum": STATUSES},
            "author_email": {"type": "string", "format": "email"},
        },
    },
    "PriorityChange": {
        "type": "object",
        "required": ["priority"],
        "properties": {
            "priority": {"enum": PRIORITIES},
            "author_email": {"type": "string", "format": "email"},
        },
    },
}


def _query(name: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema or {"type": "string"},
    }


LIST_PARAMETERS = [
    _query("status", "Comma-separated statuses, e.g. new,open."),
    _query("priority", "Comma-separated priorities."),
    _query("channel", "Comma-separated channels."),
    _query("requester_email", "The requester's email address (any of theirs)."),
    _query("assignee", "An agent's user id, or `none` for unassigned."),
    _query("team", "A team id, or `none`."),
    _query("tag", "One tag."),
    _query("updated_since", "ISO 8601 time.", {"type": "string", "format": "date-time"}),
    _query("created_since", "ISO 8601 time.", {"type": "string", "format": "date-time"}),
    _query("q", "Words in the subject."),
    _query(
        "ordering",
        "Sort order; ties broken by id.",
        {"enum": ["-updated_at", "updated_at", "-created_at", "created_at"]},
    ),
    _query(
        "limit",
        "Page size; larger values are capped at 100.",
        {"type": "integer", "minimum": 1, "default": 25},
    ),
    _query("cursor", "The `next_cursor` of the previous page, as is."),
]

SPEC: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "Helpdesk API", "version": "1", "description": DESCRIPTION},
    "servers": [{"url": "/api/v1"}],
    "security": [{"token": []}],
    "components": {
        "securitySchemes": {"token": {"type": "http", "scheme": "bearer"}},
        "schemas": SCHEMAS,
    },
    "paths": {
        "/tickets": {
            "get": {
                "operationId": "listTickets",
                "summary": "List tickets, newest change first, a page at a time",
                "description": "Keyset pagination: follow `next_cursor` until it is null; "
                "every page costs the same, however deep. To synchronise, use "
                "`ordering=updated_at` with `updated_since`: a ticket changed while you page "
                "moves to the end, so it is seen again rather than missed. Unknown or invalid "
                "parameters are a 400 naming the parameter.",
                "parameters": LIST_PARAMETERS,
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "properties": {
                                "results": {"type": "array", "items": _ref("Ticket")},
                                "next_cursor": NULLABLE_STRING,
                            },
                        },
                        "One page of tickets.",
                    ),
                    "400": _error("A query parameter is not valid; `fields` names it."),
                    **COMMON_ERRORS,
                },
            },
            "post": {
                "operationId": "createTicket",
                "summary": "Open a ticket for a requester",
                "description": "The requester gets the usual acknowledgement by email.",
                "parameters": [
                    {
                        "name": "Idempotency-Key",
                        "in": "header",
                        "required": False,
                        "description": "Makes retries safe for 24 hours.",
                        "schema": {"type": "string", "maxLength": 255},
                    }
                ],
                "requestBody": _body(_ref("TicketCreate")),
                "responses": {
                    "201": {
                        **_json(_ref("Ticket"), "Created (or replayed); Location: its address."),
                        "headers": {
                            "Location": {"schema": {"type": "string", "format": "uri"}},
                            "Idempotent-Replayed": {"schema": {"enum": ["true"]}},
                        },
                    },
                    **BODY_ERRORS,
                    **COMMON_ERRORS,
                },
            },
        },
        "/tickets/{number}": {
            "get": {
                "operationId": "getTicket",
                "summary": "One ticket and its whole thread, internal notes included",
                "parameters": [NUMBER],
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "properties": {
                                "ticket": _ref("Ticket"),
                                "messages": {"type": "array", "items": _ref("Message")},
                            },
                        },
                        "The ticket and its messages, oldest first.",
                    ),
                    **COMMON_ERRORS,
                },
            },
        },
        "/tickets/{number}/replies": {
            "post": {
                "operationId": "addReply",
                "summary": "Add a public reply (mailed to the requester) or an internal note",
                "parameters": [NUMBER],
                "requestBody": _body(_ref("ReplyCreate")),
                "responses": {
                    "201": _json(
                        {
                            "type": "object",
                            "properties": {"message": _ref("Message"), "ticket": _ref("Ticket")},
                        },
                        "Added.",
                    ),
                    "409": _error("The ticket is closed, or the status may not follow."),
                    **BODY_ERRORS,
                    **COMMON_ERRORS,
                },
            },
        },
        "/tickets/{number}/status": {
            "post": {
                "operationId": "changeStatus",
                "summary": "Move a ticket along new → open → pending / on hold → solved → closed",
                "parameters": [NUMBER],
                "requestBody": _body(_ref("StatusChange")),
                "responses": {
                    "200": _json(_ref("Ticket"), "The ticket after the change."),
                    "409": _error("This status may not follow the current one."),
                    **BODY_ERRORS,
                    **COMMON_ERRORS,
                },
            },
        },
        "/tickets/{number}/priority": {
            "post": {
                "operationId": "changePriority",
                "summary": "Raise or lower a ticket's priority; its SLA targets follow at once",
                "parameters": [NUMBER],
                "requestBody": _body(_ref("PriorityChange")),
                "responses": {
                    "200": _json(_ref("Ticket"), "The ticket after the change."),
                    "409": _error("The ticket can no longer be changed."),
                    **BODY_ERRORS,
                    **COMMON_ERRORS,
                },
            },
        },
        "/openapi.json": {
            "get": {
                "operationId": "getOpenApi",
                "summary": "This description",
                "security": [],
                "responses": {"200": _json({"type": "object"}, "OpenAPI 3.1 document.")},
            },
        },
    },
}
