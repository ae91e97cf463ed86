"""Who calls the API: a desk's token, sent as `Authorization: Bearer <token>` (or `Token`).

The tenant comes from the host, as for every request; the token is then looked up by its hash
through the tenant-scoped manager, so a token of one desk is simply unknown on another's host.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from integrations import selectors, services
from integrations.models import ApiToken

SCHEMES = ("bearer", "token")
MAX_TOKEN_LENGTH = 200


class AuthenticationFailed(Exception):
    """No usable token came with the request; `reason` is for the log, never the token."""

    def __init__(self, code: str, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.reason = reason

    @property
    def challenge(self) -> str:
        """The WWW-Authenticate value (RFC 6750): says how to authenticate, and what failed."""
        if self.code == "not_authenticated":
            return 'Bearer realm="api"'
        return 'Bearer realm="api", error="invalid_token"'


def presented_secret(request: HttpRequest) -> str:
    """The token in the Authorization header; raises when there is none we understand."""
    header = request.headers.get("Authorization", "")
    scheme, _space, secret = header.strip().partition(" ")
    if not header:
        raise AuthenticationFailed(
            "not_authenticated",
            _("Send a token: Authorization: Bearer <token>."),
            reason="no Authorization header",
        )
    if scheme.lower() not in SCHEMES or not secret.strip():
        raise AuthenticationFailed(
            "not_authenticated",
            _("Send a token: Authorization: Bearer <token>."),
            reason=f"unsupported Authorization scheme {scheme[:20]!r}",
        )
    return secret.strip()


def authenticate(request: HttpRequest) -> ApiToken:
    """The request's valid token on this host's desk, its use recorded; raises otherwise."""
    secret = presented_secret(request)
    invalid = _("The token is not valid for this help desk.")
    if not secret.startswith(services.TOKEN_PREFIX) or len(secret) > MAX_TOKEN_LENGTH:
        raise AuthenticationFailed("invalid_token", invalid, reason="not shaped like a token")
    token = selectors.api_token_for_secret(secret=secret)
    if token is None:
        raise AuthenticationFailed("invalid_token", invalid, reason="unknown token")
    now = timezone.now()
    if token.is_revoked:
        raise AuthenticationFailed(
            "invalid_token", _("The token was revoked."), reason=f"token {token.pk} revoked"
        )
    if token.is_expired(now):
        raise AuthenticationFailed(
            "invalid_token", _("The token has expired."), reason=f"token {token.pk} expired"
        )
    services.api_token_touch(token=token, now=now)
    return token
