"""API tokens: desk admins issue them (shown once, kept as a hash), revoke them, and only
the right token on the right host gets in."""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from pytest_django.asserts import assertContains, assertNotContains

from helpdesk.tenancy import tenant_context
from integrations import services
from integrations.models import ApiToken

TOKENS = "/admin/integrations/apitoken/"
LIST = "/api/v1/tickets"


def issue_token(tenant, by, **fields) -> tuple[ApiToken, str]:
    with tenant_context(tenant):
        return services.api_token_create(name=fields.pop("name", "CRM sync"), by=by, **fields)


def api_client(tenant_slug: str, authorization: str | None) -> Client:
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    return Client(HTTP_HOST=f"{tenant_slug}.localhost", **headers)


@pytest.fixture
def acme_token(acme, acme_admin) -> tuple[ApiToken, str]:
    return issue_token(acme, acme_admin)


def reload(token: ApiToken) -> ApiToken:
    with tenant_context(token.tenant_id):
        return ApiToken.objects.get(pk=token.pk)


# --- the admin --------------------------------------------------------------------------


def test_a_desk_admin_creates_a_token_and_sees_the_plaintext_once(acme_admin_client, acme_admin):
    response = acme_admin_client.post(
        TOKENS + "add/", {"name": "CRM sync", "expires_at_0": "", "expires_at_1": ""}
    )
    with tenant_context(response.wsgi_request.tenant):
        token = ApiToken.objects.get()
    secret = response.context["secret"]
    assertContains(response, secret)
    assert "no-store" in response["Cache-Control"]
    assert secret.startswith("hd_") and token.prefix == secret[:8]
    assert token.created_by == acme_admin
    assertNotContains(acme_admin_client.get(TOKENS), secret)
    assertNotContains(acme_admin_client.get(f"{TOKENS}{token.pk}/change/"), secret)


def test_only_a_hash_of_the_token_is_stored(acme, acme_token):
    token, secret = acme_token
    assert token.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    stored = [str(getattr(reload(token), field.attname)) for field in ApiToken._meta.fields]
    assert not any(secret in value or secret[8:] in value for value in stored)


def test_the_token_list_shows_the_prefix_to_recognise_a_token(acme_admin_client, acme_token):
    token, _secret = acme_token
    assertContains(acme_admin_client.get(TOKENS), token.prefix)


def test_an_expiry_in_the_past_is_refused(acme_admin_client):
    response = acme_admin_client.post(
        TOKENS + "add/", {"name": "Old", "expires_at_0": "2001-01-01", "expires_at_1": "10:00"}
    )
    assertContains(response, "The expiry must lie in the future.")


def test_revoking_in_the_admin_stops_the_token(acme_admin_client, acme_admin, acme_token):
    token, secret = acme_token
    response = acme_admin_client.post(
        TOKENS, {"action": "revoke", "_selected_action": [token.pk]}, follow=True
    )
    assertContains(response, "1 token revoked.")
    revoked = reload(token)
    assert revoked.revoked_at is not None and revoked.revoked_by == acme_admin
    assert api_client("acme", f"Bearer {secret}").get(LIST).status_code == 401


def test_tokens_are_revoked_never_deleted(acme_admin_client, acme_token):
    token, _secret = acme_token
    assert acme_admin_client.get(f"{TOKENS}{token.pk}/delete/").status_code == 403


def test_another_desks_admin_does_not_see_the_tokens(globex_admin_client, acme_token):
    token, _secret = acme_token
    assertNotContains(globex_admin_client.get(TOKENS), token.prefix)
    response = globex_admin_client.get(f"{TOKENS}{token.pk}/change/")
    assert response.status_code == 302  # the admin's "does not exist" redirect
    assertNotContains(globex_admin_client.get(response.url), "CRM sync")


def test_agents_may_not_manage_tokens(acme_agent_client, acme_token):
    assert acme_agent_client.get(TOKENS).status_code in (302, 403)


# --- authentication -----------------------------------------------------------------------


def test_a_request_without_a_token_is_401_with_a_bearer_challenge(acme):
    response = api_client("acme", None).get(LIST)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response.json()["error"]["code"] == "not_authenticated"


@pytest.mark.parametrize("scheme", ["Bearer", "Token", "bearer"])
def test_the_token_is_accepted_as_bearer_or_token(acme_token, scheme):
    _token, secret = acme_token
    assert api_client("acme", f"{scheme} {secret}").get(LIST).status_code == 200


@pytest.mark.parametrize(
    "authorization",
    ["Bearer hd_not-a-real-token", "Bearer something-else", "Basic dXNlcjpwYXNz", "Bearer"],
)
def test_an_invalid_token_is_401(acme_token, authorization):
    response = api_client("acme", authorization).get(LIST)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_token_is_401(acme, acme_admin, acme_token):
    token, secret = acme_token
    with tenant_context(acme):
        services.api_token_revoke(token=token, by=acme_admin)
    response = api_client("acme", f"Bearer {secret}").get(LIST)
    assert response.status_code == 401
    assert response.json()["error"] == {
        "code": "invalid_token",
        "message": "The token was revoked.",
    }


def test_an_expired_token_is_401(acme, acme_admin):
    _token, secret = issue_token(acme, acme_admin, expires_at=datetime.now(UTC) + timedelta(days=1))
    client = api_client("acme", f"Bearer {secret}")
    assert client.get(LIST).status_code == 200
    with time_machine.travel(datetime.now(UTC) + timedelta(days=2), tick=False):
        response = client.get(LIST)
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "The token has expired."


def test_a_token_of_one_desk_is_unknown_at_another(acme_token, globex):
    _token, secret = acme_token
    response = api_client("globex", f"Bearer {secret}").get(LIST)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_token"


def test_a_valid_token_on_the_platform_address_is_404(acme_token):
    _token, secret = acme_token
    response = Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Bearer {secret}").get(LIST)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_refused_requests_are_logged_with_the_reason_but_never_the_token(acme_token, caplog):
    _token, secret = acme_token
    with caplog.at_level(logging.INFO, logger="integrations.api"):
        api_client("acme", f"Bearer {secret}x").get(LIST)
    assert "401 invalid_token (unknown token)" in caplog.text
    assert secret not in caplog.text and secret[3:12] not in caplog.text


def test_the_last_use_is_recorded_at_most_once_a_minute(acme_token):
    token, secret = acme_token
    client = api_client("acme", f"Bearer {secret}")
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        client.get(LIST)
    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        client.get(LIST)
    assert reload(token).last_used_at == start
    with time_machine.travel(start + timedelta(minutes=2), tick=False):
        client.get(LIST)
    assert reload(token).last_used_at == start + timedelta(minutes=2)
