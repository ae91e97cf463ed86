"""Login and password-reset forms that know which help desk they are on."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm

from helpdesk import selectors
from helpdesk.models import User
from helpdesk.tenancy import membership_of


class TenantAuthenticationForm(AuthenticationForm):
    """Logs in only members of this desk (and platform operators).

    An outsider with a valid password gets the same answer as a wrong password, so the
    form does not reveal which logins exist elsewhere on the deployment.
    """

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        tenant = getattr(self.request, "tenant", None)
        if user.is_superuser:
            return
        if tenant is None or membership_of(user, tenant) is None:
            raise self.get_invalid_login_error()


class TenantPasswordResetForm(PasswordResetForm):
    """Sends reset links only to members of this desk, invited ones (no password yet) too."""

    def __init__(self, *args: Any, tenant: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tenant = tenant

    def get_users(self, email: str) -> Iterator[User]:
        if self.tenant is None:
            users = User.objects.filter(is_superuser=True)
        else:
            users = selectors.tenant_users()
        yield from users.filter(email__iexact=email, is_active=True)
