"""The middleware every page runs behind: text no column can store refused, then the
request's desk and member."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.http.request import split_domain_port
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.defaults import server_error

from helpdesk.desk_cache import membership_in, tenant_at
from helpdesk.tenancy import is_platform_host, tenant_context
from helpdesk.text import is_number, unstorable

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
LOCAL_HOSTS = ("localhost", "127.0.0.1", "[::1]")


class LocalDebugMiddleware:
    """With DEBUG on, Django answers a server error with its traceback page (settings, code,
    local variables). Only a browser on this machine may see that: on any other host the
    error is the ordinary 500 page. Outermost, so it also covers the other middleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code >= 500 and settings.DEBUG and not _local(request):
            return server_error(request)
        return response


def _local(request: HttpRequest) -> bool:
    """Whether the request names this machine as its host (any port)."""
    host, _port = split_domain_port(request.META.get("HTTP_HOST", ""))
    return host in LOCAL_HOSTS or host.endswith(".localhost")


class UnstorableTextMiddleware:
    """Refuses a request whose parameters or form fields hold NUL or a lone surrogate with 400.

    No database column can store them, and a view that passes one to a query fails with a
    server error; no person types them. The API answers in its JSON error format.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        fields = [request.GET]
        if request.method == "POST" and request.content_type in FORM_TYPES:
            fields.append(request.POST)
        bad = sorted(
            {
                name
                for query in fields
                for name, values in query.lists()
                if unstorable(name) or any(unstorable(value) for value in values)
            }
        )
        if not bad:
            return self.get_response(request)
        message = _("These fields hold characters that cannot be stored (NUL or a lone surrogate).")
        names = [name.encode("utf-8", "replace").decode() for name in bad]
        if request.path.startswith("/api/"):
            error = {"code": "invalid_characters", "message": str(message)}
            error["fields"] = {name: [str(message)] for name in names}
            return JsonResponse({"error": error}, status=400)
        return HttpResponseBadRequest(f"{message} {', '.join(names)}", content_type="text/plain")


class TenantMiddleware:
    """Resolves the tenant from the host and runs the rest of the request inside its context."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        host = request.get_host()
        _name, port = split_domain_port(host)
        if port and not (is_number(port) and 0 < int(port) < 65536):
            return HttpResponseBadRequest(_("The port in the Host header is not a port."))
        tenant = tenant_at(host)
        request.tenant = tenant  # type: ignore[attr-defined]
        request.membership = None  # type: ignore[attr-defined]
        if tenant is None:
            if not is_platform_host(host):
                raise Http404(_("There is no help desk at this address."))
            _session_bound_to(request, None)
            return self.get_response(request)
        with tenant_context(tenant):
            _session_bound_to(request, tenant.pk)
            request.membership = membership_in(request.user, tenant)  # type: ignore[attr-defined]
            # Times are stored in UTC and shown in the reader's zone, else the desk's.
            zone = getattr(request.user, "time_zone", "") or tenant.time_zone
            timezone.activate(zoneinfo.ZoneInfo(zone))
            try:
                return self.get_response(request)
            finally:
                timezone.deactivate()


DESK_SESSION_KEY = "helpdesk_desk"  # the desk (tenant id; None: the platform) a login is for


def session_bind(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    """Receiver of `user_logged_in`: the session is a login on this desk only."""
    if not hasattr(request, "tenant") or not hasattr(request, "session"):
        return  # not a request through the desk's middleware (a test's force_login)
    tenant = request.tenant
    request.session[DESK_SESSION_KEY] = tenant.pk if tenant is not None else None


def _session_bound_to(request: HttpRequest, desk: int | None) -> None:
    """A session made on another desk (or the platform) is no login here, even for a user
    who belongs to both: the request goes on as anonymous. Sessions made before logins were
    bound (or without a request, as tests' force_login does) carry no desk and are taken
    as they are, without a write on every first request; they expire as sessions do."""
    if DESK_SESSION_KEY not in request.session:
        return
    if request.session[DESK_SESSION_KEY] != desk and request.user.is_authenticated:
        request.user = AnonymousUser()
