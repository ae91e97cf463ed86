"""Tenancy: the one path to tenant data.

Two fences, both always on. The application fence: `TenantOwned.objects` only ever returns the
active tenant's rows and raises when no tenant is active. The database fence: PostgreSQL row-level
security compares every row's `tenant_id` with the transaction-local setting `app.tenant_id`,
which only `tenant_context()` sets, so a missed filter or a raw query fails closed.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connections, models, transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_htmx.middleware import HtmxDetails

    from helpdesk.models import Membership, Tenant

_active_tenant: ContextVar[int | None] = ContextVar("helpdesk_tenant", default=None)


class NoTenantError(RuntimeError):
    """Tenant-owned data was reached with no tenant active."""


class CrossTenantError(RuntimeError):
    """A row of one tenant was written while another tenant was active."""


class Role(models.TextChoices):
    """What a user may do in one tenant; each role includes the ones ranked below it."""

    CUSTOMER = "customer", _("Customer")
    AGENT = "agent", _("Agent")
    MANAGER = "manager", _("Manager")
    ADMIN = "admin", _("Admin")

    @property
    def rank(self) -> int:
        return ROLE_RANK[self]

    def includes(self, other: Role | str) -> bool:
        return self.rank >= ROLE_RANK[Role(other)]


ROLE_RANK = {Role.CUSTOMER: 0, Role.AGENT: 1, Role.MANAGER: 2, Role.ADMIN: 3}
STAFF_ROLES = (Role.AGENT, Role.MANAGER, Role.ADMIN)


def current_tenant_id() -> int | None:
    """The id of the tenant whose data this code may see, or None."""
    return _active_tenant.get()


def require_tenant_id() -> int:
    """The active tenant's id; raises `NoTenantError` when none is active."""
    tenant_id = _active_tenant.get()
    if tenant_id is None:
        raise NoTenantError(
            "No tenant is active: enter one with `with tenant_context(tenant):` first."
        )
    return tenant_id


def _set_database_tenant(tenant_id: int | None, using: str) -> None:
    # Transaction-local (third argument true): a pooled or persistent connection never
    # carries one tenant's id into the next request, task or consumer call.
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT set_config('app.tenant_id', %s, true)",
            ["" if tenant_id is None else str(tenant_id)],
        )


@contextmanager
def tenant_context(tenant: Tenant | int, *, using: str = "default") -> Iterator[None]:
    """Run the block as `tenant`: scoped managers and PostgreSQL's RLS both see only its rows.

    The block is one transaction (a savepoint when nested), because `app.tenant_id` lives
    exactly as long as the transaction that set it.
    """
    tenant_id = tenant if isinstance(tenant, int) else tenant.pk
    if tenant_id is None:
        raise NoTenantError("tenant_context() needs a saved tenant.")
    previous = _active_tenant.get()
    nested = connections[using].in_atomic_block
    token = _active_tenant.set(tenant_id)
    # Re-entering the tenant that is already set (a service called from a request) needs
    # no round trips: the setting is already in force for this transaction.
    switching = not (nested and previous == tenant_id)
    try:
        with transaction.atomic(using=using):
            if switching:
                _set_database_tenant(tenant_id, using)
            yield
            # The enclosing transaction goes on after this block: give it back its own
            # tenant. On an exception the savepoint rollback restores it by itself.
            if nested and switching:
                _set_database_tenant(previous, using)
    finally:
        _active_tenant.reset(token)


class TenantQuerySet(models.QuerySet):
    """Querysets of tenant-owned rows; bulk inserts get the active tenant too."""

    def bulk_create(self, objs: Any, *args: Any, **kwargs: Any) -> list[Any]:
        objs = list(objs)
        tenant_id = require_tenant_id()
        for obj in objs:
            _claim_for_tenant(obj, tenant_id)
        return super().bulk_create(objs, *args, **kwargs)


class TenantManager(models.Manager.from_queryset(TenantQuerySet)):  # type: ignore[misc]
    """Returns only the active tenant's rows, and refuses to work with no tenant active."""

    def get_queryset(self) -> TenantQuerySet:
        return super().get_queryset().filter(tenant_id=require_tenant_id())


def _claim_for_tenant(obj: TenantOwned, tenant_id: int) -> None:
    if obj.tenant_id is None:
        obj.tenant_id = tenant_id
    elif obj.tenant_id != tenant_id:
        raise CrossTenantError(
            f"{type(obj).__name__} of tenant {obj.tenant_id} written while tenant "
            f"{tenant_id} is active."
        )


class TenantOwned(models.Model):
    """A row that belongs to exactly one tenant, reachable only while that tenant is active."""

    tenant = models.ForeignKey(
        "helpdesk.Tenant", on_delete=models.CASCADE, related_name="+", editable=False
    )

    objects = TenantManager()
    # Platform code in helpdesk/ only (tests/test_tenancy_rules.py enforces it). RLS still
    # applies underneath, so even this manager sees nothing outside tenant_context().
    all_tenants = models.Manager()  # noqa: DJ012 (a manager, not a field)

    class Meta:
        abstract = True
        base_manager_name = "all_tenants"

    def save(self, *args: Any, **kwargs: Any) -> None:
        _claim_for_tenant(self, require_tenant_id())
        super().save(*args, **kwargs)


def tenant_for_domain(domain: str) -> Tenant | None:
    """The active tenant at `domain`: `<slug>.<BASE_DOMAIN>`, or a custom domain it owns.

    The one place these rules live: web requests (by host) and inbound mail (by the
    recipients' domains) both find their desk here.
    """
    from helpdesk.models import Tenant

    domain = domain.lower().rstrip(".")
    base = settings.BASE_DOMAIN.lower()
    # Two lookups on unique indexes instead of one OR across a join, which PostgreSQL can
    # only answer by reading every tenant's domains (every request starts here).
    if domain.endswith(f".{base}"):
        slug = domain.removesuffix(f".{base}")
        if "." not in slug and (tenant := Tenant.objects.filter(slug=slug, is_active=True).first()):
            return tenant
    return Tenant.objects.filter(domains__domain=domain, is_active=True).first()


def resolve_tenant(host: str) -> Tenant | None:
    """The active tenant served at `host` (`<slug>.<BASE_DOMAIN>` or a custom domain)."""
    return tenant_for_domain(host.split(":", 1)[0])


def is_platform_host(host: str) -> bool:
    """Whether `host` is the deployment's own address, where no tenant is active."""
    return host.split(":", 1)[0].lower().rstrip(".") == settings.BASE_DOMAIN.lower()


def membership_of(user: Any, tenant: Tenant | None) -> Membership | None:
    """The active membership of `user` in the active tenant, or None."""
    from helpdesk.models import Membership

    if tenant is None or user is None or not user.is_authenticated:
        return None
    return Membership.objects.filter(user_id=user.pk, is_active=True).first()


class TenantRequest(HttpRequest):
    """A request after `TenantMiddleware`: which tenant it is for and who asks."""

    tenant: Tenant | None
    membership: Membership | None
    htmx: HtmxDetails


def has_role(request: HttpRequest, role: Role) -> bool:
    """Whether the request's user holds `role` (or a higher one) in the request's tenant."""
    membership = getattr(request, "membership", None)
    return membership is not None and Role(membership.role).includes(role)


def role_required(
    role: Role,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Let in members of the request's tenant holding `role` or higher; others log in or get 403."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if getattr(request, "tenant", None) is None:
                raise Http404(_("This page belongs to a help desk."))
            if not request.user.is_authenticated:
                from django.contrib.auth.views import redirect_to_login

                return redirect_to_login(request.get_full_path())
            if not has_role(request, role):
                raise PermissionDenied(_("Your account has no access to this page."))
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
