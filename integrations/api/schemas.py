"""What the API accepts: request bodies and list parameters, checked strictly, every problem named.

Bodies: a wrong or missing field is 422 `validation_error` with `fields` naming each one
("requester.email", "attachments[0].content_base64"). Query parameters and headers: 400
`invalid_parameter` / `invalid_header`, naming the parameter.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from typing import TYPE_CHECKING, Any, Literal

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.http import HttpRequest, QueryDict
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from helpdesk.text import is_number
from integrations.api.http import ApiError
from rules.vocabulary import Channel, Level, Priority, Status
from tickets import selectors as ticket_selectors
from tickets import services as ticket_services
from tickets.services import TEXT_MAX_CHARS

if TYPE_CHECKING:
    from tickets.models import Ticket

DEFAULT_LIMIT = 25
MAX_LIMIT = 100
MAX_NUMBER = 2**63 - 1  # a ticket number beyond bigint cannot exist


class Fields:
    """Reads typed fields of one JSON object, collecting a message per bad field."""

    def __init__(self, data: Mapping[str, Any], errors: dict[str, list[str]], prefix: str = ""):
        self.data = data
        self.errors = errors
        self.prefix = prefix

    def fail(self, name: str, message: str) -> None:
        self.errors.setdefault(self.prefix + name, []).append(message)

    def _get(self, name: str, required: bool) -> Any:
        value = self.data.get(name)
        if value is None and required:
            self.fail(name, _("This field is required."))
        return value

    def text(self, name: str, *, required: bool = False, max_length: int | None = None) -> str:
        value = self._get(name, required)
        if value is None:
            return ""
        if not isinstance(value, str):
            self.fail(name, _("Must be a string."))
            return ""
        if required and not value.strip():
            self.fail(name, _("This field may not be blank."))
        elif max_length is not None and len(value) > max_length:
            self.fail(name, _("At most %(n)s characters.") % {"n": max_length})
        return value

    def choice(self, name: str, choices: list[str], default: str = "") -> str:
        value = self._get(name, False)
        if value is None:
            return default
        if value not in choices:
            self.fail(name, _("Must be one of: %(choices)s.") % {"choices": ", ".join(choices)})
            return default
        return value

    def boolean(self, name: str, default: bool) -> bool:
        value = self._get(name, False)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.fail(name, _("Must be true or false."))
            return default
        return value

    def identifier(self, name: str) -> int | None:
        value = self._get(name, False)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_NUMBER:
            self.fail(name, _("Must be a positive integer id."))
            return None
        return value

    def email(self, name: str, *, required: bool = False) -> str:
        value = self.text(name, required=required, max_length=254).strip()
        if value:
            try:
                validate_email(value)
            except ValidationError:
                self.fail(name, _("Must be an email address."))
        return value

    def strings(self, name: str, *, max_length: int) -> list[str]:
        value = self._get(name, False)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            self.fail(name, _("Must be a list of strings."))
            return []
        if any(len(item.strip()) > max_length for item in value):
            self.fail(name, _("Each at most %(n)s characters.") % {"n": max_length})
        return value

    def nested(self, name: str, *, required: bool = False) -> Fields | None:
        value = self._get(name, required)
        if value is None:
            return None
        if not isinstance(value, dict):
            self.fail(name, _("Must be an object."))
            return None
        return Fields(value, self.errors, f"{self.prefix}{name}.")

    def nested_list(self, name: str) -> list[Fields]:
        value = self._get(name, False)
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(name, _("Must be a list."))
            return []
        items = []
        for index, item in enumerate(value):
            if isinstance(item, dict):
                items.append(Fields(item, self.errors, f"{self.prefix}{name}[{index}]."))
            else:
                self.fail(f"{name}[{index}]", _("Must be an object."))
        return items

    def attachments(self, name: str = "attachments") -> list[ticket_services.IncomingFile]:
        files, complete = [], True
        for item in self.nested_list(name):
            filename = item.text("filename", required=True, max_length=255)
            content_type = item.text("content_type", max_length=120) or "application/octet-stream"
            encoded = item.text("content_base64", required=True)
            try:
                content = base64.b64decode(encoded, validate=True)
            except (binascii.Error, ValueError):
                item.fail("content_base64", _("Must be base64-encoded."))
                complete = False
                continue
            complete = complete and bool(filename)
            files.append(ticket_services.IncomingFile(filename, content_type, content))
        if files and complete:
            try:
                ticket_services.attachments_check(files)
            except ValidationError as error:
                for message in error.messages:
                    self.fail(name, message)
        return files

    def check(self) -> None:
        """Refuse the request, naming every bad field, if any was."""
        if self.errors:
            raise ApiError(
                422,
                "validation_error",
                _("Some fields are not valid."),
                fields=self.errors,
                reason="invalid fields: " + ", ".join(sorted(self.errors)),
            )


def body_hash(data: dict[str, Any]) -> str:
    """A fingerprint of a JSON body that ignores key order and whitespace."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def idempotency_key(request: HttpRequest) -> str:
    """The request's Idempotency-Key header ("" if none); refuses unusable ones."""
    key = request.headers.get("Idempotency-Key", "")
    if key and (len(key) > 255 or not key.isascii() or not key.isprintable()):
        raise ApiError(
            400,
            "invalid_header",
            _("Idempotency-Key must be 1 to 255 printable ASCII characters."),
            fields={"Idempotency-Key": [_("1 to 255 printable ASCII characters.")]},
        )
    return key


def _language_codes() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def ticket_create_input(data: dict[str, Any]) -> dict[str, Any]:
    """The arguments of `api_ticket_open` from a create body; 422 naming each bad field."""
    fields = Fields(data, {})
    values: dict[str, Any] = {
        "subject": fields.text("subject", required=True, max_length=250).strip(),
        "description": fields.text("description", required=True, max_length=TEXT_MAX_CHARS),
        "priority": fields.choice("priority", Priority.values, Priority.MEDIUM),
        "impact": fields.choice("impact", Level.values),
        "urgency": fields.choice("urgency", Level.values),
        "tags": fields.strings("tags", max_length=50),
        "language": fields.choice("language", _language_codes()),
    }
    requester = fields.nested("requester", required=True)
    if requester is not None:
        values["requester_email"] = requester.email("email", required=True)
        values["requester_name"] = requester.text("name", max_length=150).strip()
        values["requester_phone"] = requester.text("phone", max_length=40).strip()
    for name, active in (
        ("category", ticket_selectors.active_category),
        ("product", ticket_selectors.active_product),
    ):
        pk = fields.identifier(name)
        values[name] = active(pk=pk) if pk else None
        if pk and values[name] is None:
            fields.fail(name, _("No such %(thing)s here.") % {"thing": name})
    values["attachments"] = fields.attachments()
    fields.check()
    return values


@dataclass(frozen=True)
class ReplyInput:
    """A reply or note as the client asked for it."""

    text: str
    html: str
    public: bool
    status: str | None
    author_email: str
    attachments: list[ticket_services.IncomingFile] = field(default_factory=list)


def reply_input(data: dict[str, Any]) -> ReplyInput:
    """A reply body, checked; 422 naming each bad field."""
    fields = Fields(data, {})
    reply = ReplyInput(
        text=fields.text("text", required=True, max_length=TEXT_MAX_CHARS),
        html=fields.text("html", max_length=4 * TEXT_MAX_CHARS),
        public=fields.boolean("public", default=True),
        status=fields.choice("status", Status.values) or None,
        author_email=fields.email("author_email"),
        attachments=fields.attachments(),
    )
    fields.check()
    return reply


def status_input(data: dict[str, Any]) -> tuple[str, str]:
    """(status, author_email) of a status change body; 422 naming each bad field."""
    fields = Fields(data, {})
    status = fields.text("status", required=True)
    if status and status not in Status.values:
        fields.fail(
            "status", _("Must be one of: %(choices)s.") % {"choices": ", ".join(Status.values)}
        )
    author_email = fields.email("author_email")
    fields.check()
    return status, author_email


def priority_input(data: dict[str, Any]) -> tuple[str, str]:
    """(priority, author_email) of a priority change body; 422 naming each bad field."""
    fields = Fields(data, {})
    priority = fields.text("priority", required=True)
    if priority and priority not in Priority.values:
        fields.fail(
            "priority",
            _("Must be one of: %(choices)s.") % {"choices": ", ".join(Priority.values)},
        )
    author_email = fields.email("author_email")
    fields.check()
    return priority, author_email


# --- the list's query parameters -----------------------------------------------------------

LIST_PARAMETERS = {
    "status", "priority", "channel", "requester_email", "assignee", "team", "tag",
    "updated_since", "created_since", "q", "ordering", "limit", "cursor",
}  # fmt: skip


@dataclass
class TicketListQuery:
    """The list's filters (the arguments of `tickets.selectors.api_tickets`) and its page size."""

    filters: dict[str, Any]
    limit: int


def _bad_parameter(name: str, message: str) -> ApiError:
    return ApiError(
        400,
        "invalid_parameter",
        _("The query parameter “%(name)s” is not valid: %(message)s")
        % {"name": name, "message": message},
        fields={name: [message]},
    )


def _choices(query: QueryDict, name: str, choices: list[str]) -> tuple[str, ...]:
    values = tuple(
        value.strip() for value in ",".join(query.getlist(name)).split(",") if value.strip()
    )
    unknown = [value for value in values if value not in choices]
    if unknown:
        raise _bad_parameter(name, _("Use any of: %(choices)s.") % {"choices": ", ".join(choices)})
    return values


def _id_or_none(query: QueryDict, name: str) -> int | Literal["none"] | None:
    value = query.get(name, "").strip()
    if not value:
        return None
    if value == "none":
        return "none"
    if not is_number(value) or not 0 < int(value) <= MAX_NUMBER:
        raise _bad_parameter(name, _("Use an id, or “none”."))
    return int(value)


def _moment(query: QueryDict, name: str) -> datetime | None:
    value = query.get(name, "").strip()
    if not value:
        return None
    try:
        moment = parse_datetime(value)
        if moment is None and (day := parse_date(value)) is not None:
            moment = datetime.combine(day, time.min)
    except ValueError:
        moment = None
    if moment is None:
        raise _bad_parameter(name, _("Use an ISO 8601 time, e.g. 2026-03-01T09:30:00Z."))
    # A time without an offset is read as UTC, the API's zone throughout.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _cursor_salt(tenant_id: int) -> str:
    return f"integrations.api.cursor.{tenant_id}"


def cursor_for(ticket: Ticket, ordering: str) -> str:
    """An opaque, signed position after `ticket` in `ordering` (only valid at its desk)."""
    value = getattr(ticket, ordering.lstrip("-"))
    return signing.dumps(
        [ordering, value.isoformat(), ticket.pk], salt=_cursor_salt(ticket.tenant_id)
    )


def _cursor(query: QueryDict, ordering: str, tenant_id: int) -> tuple[datetime, int] | None:
    value = query.get("cursor", "").strip()
    if not value:
        return None
    try:
        cursor_ordering, moment, pk = signing.loads(value, salt=_cursor_salt(tenant_id))
        position = (datetime.fromisoformat(moment), int(pk))
    except (signing.BadSignature, ValueError, TypeError):
        raise _bad_parameter("cursor", _("Use the next_cursor of a previous page.")) from None
    if cursor_ordering != ordering:
        raise _bad_parameter("cursor", _("This cursor belongs to another ordering."))
    return position


def ticket_list_query(query: QueryDict, *, tenant_id: int) -> TicketListQuery:
    """The list's filters, page size and position; 400 naming the first bad parameter."""
    unknown = sorted(set(query) - LIST_PARAMETERS)
    if unknown:
        # Strict on purpose: a misspelt filter would otherwise silently list every ticket.
        raise _bad_parameter(unknown[0], _("Unknown parameter."))
    ordering = query.get("ordering", "-updated_at").strip() or "-updated_at"
    if ordering not in ticket_selectors.API_ORDERINGS:
        raise _bad_parameter(
            "ordering", _("Use one of: %s.") % ", ".join(ticket_selectors.API_ORDERINGS)
        )
    limit_text = query.get("limit", "").strip()
    if limit_text and not is_number(limit_text):
        raise _bad_parameter("limit", _("Use a whole number from 1 to %s.") % MAX_LIMIT)
    limit = int(limit_text) if limit_text else DEFAULT_LIMIT
    if limit < 1:
        raise _bad_parameter("limit", _("Use a whole number from 1 to %s.") % MAX_LIMIT)
    q = query.get("q", "").strip()
    if len(q) > 200:
        raise _bad_parameter("q", _("At most 200 characters."))
    filters = {
        "statuses": _choices(query, "status", Status.values),
        "priorities": _choices(query, "priority", Priority.values),
        "channels": _choices(query, "channel", Channel.values),
        "requester_email": query.get("requester_email", "").strip(),
        "assignee": _id_or_none(query, "assignee"),
        "team": _id_or_none(query, "team"),
        "tag": query.get("tag", "").strip().lower(),
        "updated_since": _moment(query, "updated_since"),
        "created_since": _moment(query, "created_since"),
        "q": q,
        "ordering": ordering,
        "after": _cursor(query, ordering, tenant_id),
    }
    return TicketListQuery(filters=filters, limit=min(limit, MAX_LIMIT))
