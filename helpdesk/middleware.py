"""The request's desk and member: the middleware every tenant page runs behind."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from helpdesk.desk_cache import membership_in, tenant_at
from helpdesk.tenancy import is_platform_host, tenant_context


class TenantMiddleware:
    """Resolves the tenant from the host and runs the rest of the request inside its context."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        host = request.get_host()
        tenant = tenant_at(host)
        request.tenant = tenant  # type: ignore[attr-defined]
        request.membership = None  # type: ignore[attr-defined]
        if tenant is None:
            if not is_platform_host(host):
                raise Http404(_("There is no help desk at this address."))
            return self.get_response(request)
        with tenant_context(tenant):
            request.membership = membership_in(request.user, tenant)  # type: ignore[attr-defined]
            # Times are stored in UTC and shown in the reader's zone, else the desk's.
            zone = getattr(request.user, "time_zone", "") or tenant.time_zone
            timezone.activate(zoneinfo.ZoneInfo(zone))
            try:
                return self.get_response(request)
            finally:
                timezone.deactivate()
