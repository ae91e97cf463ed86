"""The API's HTTP conventions: JSON errors, the endpoint decorator, and reading request bodies.

Status codes, the same on every endpoint:
400 the request itself is malformed (JSON syntax, body not an object, query parameter, header);
401 no token, or not a valid one; 403 not allowed; 404 no such ticket or route (also: no desk
at this address); 405 wrong method (see Allow); 409 the ticket's state refuses the change;
408 body arriving too slowly, 413 body over 25 MB (both also before the body is read:
helpdesk/request_limits.py); 415 body not JSON; 422 well-formed JSON whose fields are invalid.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from helpdesk.text import unstorable
from integrations.api import auth
from integrations.services import IdempotencyKeyReused, TicketConflict

logger = logging.getLogger("integrations.api")

JSON_TYPES = ("application/json",)


class ApiError(Exception):
    """A refusal that becomes a JSON error response: status, machine code, human message."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        fields: dict[str, list[str]] | None = None,
        headers: dict[str, str] | None = None,
        reason: str = "",
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields or {}
        self.headers = headers or {}
        self.reason = reason or message  # logged; never contains the token


def error_response(request: HttpRequest, error: ApiError) -> JsonResponse:
    """The JSON body every error has, logged with why it was refused."""
    body: dict[str, Any] = {"code": error.code, "message": error.message}
    if error.fields:
        body["fields"] = error.fields
    response = JsonResponse({"error": body}, status=error.status)
    for name, value in error.headers.items():
        response[name] = value
    tenant = getattr(request, "tenant", None)
    token = getattr(request, "api_token", None)
    logger.log(
        logging.WARNING if error.status in (401, 403) else logging.INFO,
        "API request refused: %s %s -> %s %s (%s) tenant=%s token_id=%s",
        request.method,
        request.path,
        error.status,
        error.code,
        error.reason,
        tenant.slug if tenant else "-",
        token.pk if token else "-",
    )
    return response


def _as_api_error(exception: Exception) -> ApiError | None:
    if isinstance(exception, ApiError):
        return exception
    if isinstance(exception, auth.AuthenticationFailed):
        return ApiError(
            401,
            exception.code,
            exception.message,
            headers={"WWW-Authenticate": exception.challenge},
            reason=exception.reason,
        )
    if isinstance(exception, TicketConflict):
        return ApiError(409, "conflict", str(exception))
    if isinstance(exception, IdempotencyKeyReused):
        return ApiError(422, "idempotency_key_reused", str(exception))
    if isinstance(exception, ValidationError):
        if hasattr(exception, "error_dict"):
            fields = {name: list(messages) for name, messages in exception.message_dict.items()}
            message = _("Some fields are not valid.")
            return ApiError(422, "validation_error", message, fields=fields)
        return ApiError(422, "validation_error", " ".join(exception.messages))
    if isinstance(exception, Http404):
        return ApiError(404, "not_found", _("Not found."))
    if isinstance(exception, PermissionDenied):
        return ApiError(403, "permission_denied", _("This token may not do that."))
    return None


def api_endpoint(
    *methods: str, authenticated: bool = True
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Make a function view an API endpoint: methods, tenant, token, JSON errors, one savepoint.

    The view runs in its own savepoint: a refused or failed call leaves nothing behind, while
    the token's last use (recorded before) stays.
    """

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @csrf_exempt
        @functools.wraps(view)
        def endpoint(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                if methods and request.method not in methods:
                    raise ApiError(
                        405,
                        "method_not_allowed",
                        _("%(method)s is not allowed here.") % {"method": request.method},
                        headers={"Allow": ", ".join(methods)},
                    )
                if authenticated:
                    if getattr(request, "tenant", None) is None:
                        raise ApiError(
                            404,
                            "not_found",
                            _("There is no help desk at this address; use your desk's host."),
                            reason="API called on the platform host",
                        )
                    request.api_token = auth.authenticate(request)  # type: ignore[attr-defined]
                with transaction.atomic():
                    return view(request, *args, **kwargs)
            except Exception as exception:
                error = _as_api_error(exception)
                if error is None:
                    logger.exception("API request failed: %s %s", request.method, request.path)
                    error = ApiError(500, "server_error", _("Something went wrong on our side."))
                return error_response(request, error)

        return endpoint

    return decorator


def read_json(request: HttpRequest) -> dict[str, Any]:
    """The request's JSON object; refuses other content types, oversized and broken bodies."""
    content_type = request.content_type.lower()
    if content_type not in JSON_TYPES:
        raise ApiError(
            415,
            "unsupported_media_type",
            _("Send the body as JSON with Content-Type: application/json."),
            reason=f"content type {content_type or 'missing'}",
        )
    # Attachments come base64-encoded in the body: the API reads it itself, up to its own limit
    # (which helpdesk/request_limits.py applies before the body is read, too).
    limit = settings.API_MAX_BODY_BYTES
    too_large = ApiError(
        413,
        "request_too_large",
        _("The body may be at most %(mb)s MB.") % {"mb": round(limit / (1024 * 1024))},
    )
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        raise too_large  # refused before a byte of it is read
    # Read the stream directly: `request.body` would apply the 5 MB form-upload limit.
    raw = request.read(limit + 1)
    if len(raw) > limit:
        raise too_large
    try:
        data = json.loads(raw, object_pairs_hook=_object_without_repeated_keys)
    except RecursionError:
        raise ApiError(
            400, "malformed_json", _("The body is nested too deeply."), reason="nesting"
        ) from None
    except (ValueError, UnicodeDecodeError) as error:
        raise ApiError(
            400, "malformed_json", _("The body is not valid JSON."), reason=str(error)[:200]
        ) from None
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_request", _("The body must be a JSON object."))
    if bad := _unstorable_fields(data):
        message = _("This holds characters that cannot be stored (NUL or a lone surrogate).")
        raise ApiError(
            400,
            "invalid_characters",
            _("Some fields hold characters that cannot be stored."),
            fields={field: [message] for field in bad},
        )
    return data


def _object_without_repeated_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object, refused when a key appears twice (which one would count is unclear)."""
    data = dict(pairs)
    if len(data) != len(pairs):
        seen: set[str] = set()
        repeated = next(key for key, _value in pairs if key in seen or seen.add(key))
        raise ValueError(f"the key {repeated!r} appears twice")
    return data


def _unstorable_fields(data: dict[str, Any]) -> list[str]:
    """Paths (`requester.name`, `tags.2`) of keys and texts no column can store."""
    found, stack = [], [("", data)]
    while stack:  # no recursion: the parser already bounded the depth, this walk needs none
        path, value = stack.pop()
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, child in items:
            where = f"{path}.{key}" if path else str(key)
            if (isinstance(key, str) and unstorable(key)) or (
                isinstance(child, str) and unstorable(child)
            ):
                found.append(where.encode("utf-8", "replace").decode())
            elif isinstance(child, dict | list):
                stack.append((where, child))
    return sorted(found)
