"""Request bodies are bounded per kind of route before Django reads them, and slow ones cut off."""

from __future__ import annotations

import base64
import json

import pytest
from asgiref.sync import sync_to_async
from django.db import connection

from helpdesk.tenancy import tenant_context
from integrations.services import api_token_create
from tests.asgi_client import STALL, asgi_request
from tickets.models import Ticket

GB = 1000 * 1000 * 1000
MB = 1024 * 1024

# One address of each kind of route, and the setting that bounds its bodies.
ROUTES = [
    ("/accounts/login/", "REQUEST_MAX_BODY_BYTES"),
    ("/api/v1/tickets", "API_MAX_BODY_BYTES"),
    ("/portal/new/", "UPLOAD_MAX_BODY_BYTES"),
    ("/workspace/tickets/1/compose/", "UPLOAD_MAX_BODY_BYTES"),
    ("/anymail/mailgun/inbound_mime/", "WEBHOOK_MAX_BODY_BYTES"),
    ("/channels/social/whatsapp/", "WEBHOOK_MAX_BODY_BYTES"),
]


@pytest.fixture
def small_limits(settings) -> dict[str, int]:
    """A different small limit for each kind of route, so a test sees which one applied."""
    limits = {
        "REQUEST_MAX_BODY_BYTES": 1000,
        "API_MAX_BODY_BYTES": 2000,
        "UPLOAD_MAX_BODY_BYTES": 3000,
        "WEBHOOK_MAX_BODY_BYTES": 4000,
    }
    for name, value in limits.items():
        setattr(settings, name, value)
    return limits


async def test_a_5_gb_upload_to_an_unknown_host_is_refused_before_a_byte_of_it_is_read():
    answer = await asgi_request(
        "POST",
        "/portal/new/",
        host="nowhere.example",
        headers=[("Content-Length", str(5 * GB))],
        body=[b"abc", STALL],
        within=5,
    )
    assert (answer.status, answer.reads) == (413, 0)
    assert answer.headers[b"connection"] == b"close"  # the server stops reading the rest


@pytest.mark.parametrize(("path", "setting"), ROUTES)
async def test_a_body_one_byte_over_its_routes_limit_is_refused_unread(small_limits, path, setting):
    too_long = small_limits[setting] + 1
    answer = await asgi_request(
        "POST",
        path,
        host="localhost",
        headers=[("Content-Length", str(too_long))],
        body=[b"x" * too_long],
        within=5,
    )
    assert (answer.status, answer.reads) == (413, 0)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("path", "setting"), ROUTES)
async def test_a_body_at_its_routes_limit_reaches_the_page(small_limits, path, setting):
    half = small_limits[setting] // 2
    answer = await asgi_request(
        "POST",
        path,
        host="localhost",
        headers=[("Content-Length", str(2 * half)), ("Content-Type", "application/json")],
        body=[b"x" * half, b"x" * half],
    )
    assert answer.status != 413
    assert answer.reads == 2  # the page got the whole body


async def test_a_chunked_body_is_cut_off_with_413_as_soon_as_it_passes_the_limit(small_limits):
    answer = await asgi_request(
        "POST",
        "/accounts/login/",
        host="localhost",
        headers=[("Transfer-Encoding", "chunked")],
        body=[b"x" * 600, b"x" * 600, b"x" * 600, STALL],
        within=5,
    )
    assert (answer.status, answer.reads) == (413, 2)


async def test_an_http2_body_without_a_length_is_counted_like_a_chunked_one(small_limits):
    answer = await asgi_request(
        "POST",
        "/accounts/login/",
        host="localhost",
        body=[b"x" * 600, b"x" * 600, STALL],
        within=5,
        http_version="2",
    )
    assert (answer.status, answer.reads) == (413, 2)


async def test_the_api_refuses_an_oversized_body_in_its_json_error_format(small_limits):
    answer = await asgi_request(
        "POST",
        "/api/v1/tickets",
        host="localhost",
        headers=[("Content-Length", "2001"), ("Content-Type", "application/json")],
        body=[b"x" * 2001],
        within=5,
    )
    assert answer.status == 413
    assert json.loads(answer.body)["error"]["code"] == "request_too_large"


@pytest.mark.parametrize("length", ["abc", "-1", "+5", "1e3", "5, 5"])
async def test_a_content_length_that_is_not_a_byte_count_is_a_400(length):
    answer = await asgi_request(
        "POST",
        "/accounts/login/",
        host="localhost",
        headers=[("Content-Length", length)],
        body=[b"abc", STALL],
        within=5,
    )
    assert (answer.status, answer.reads) == (400, 0)


async def test_a_sender_that_goes_silent_mid_body_gets_408(settings):
    settings.REQUEST_BODY_IDLE_SECONDS = 0.2
    answer = await asgi_request(
        "POST",
        "/accounts/login/",
        host="localhost",
        headers=[("Content-Length", "100")],
        body=[b"x" * 10, STALL],
        within=5,
    )
    assert answer.status == 408
    assert answer.headers[b"connection"] == b"close"


async def test_a_sender_still_sending_at_the_body_deadline_gets_408(settings):
    # The deadline counts from the body's start, whatever the pauses: with pauses allowed up to
    # 5 s, an answer within 3 s can only come from the 0.5 s deadline.
    settings.REQUEST_BODY_IDLE_SECONDS = 5
    settings.REQUEST_BODY_TIMEOUT_SECONDS = 0.5
    answer = await asgi_request(
        "POST",
        "/accounts/login/",
        host="localhost",
        headers=[("Content-Length", "100")],
        body=[b"x" * 10, b"x" * 10, STALL],
        within=3,
    )
    assert answer.status == 408
    assert answer.reads < 100


def api_secret(tenant) -> str:
    try:
        with tenant_context(tenant):
            return api_token_create(name="Uploads", by=None)[1]
    finally:
        connection.close()  # this thread outlives the test; its connection must not


def attachment_sizes(tenant, number: int) -> list[int]:
    try:
        with tenant_context(tenant):
            message = Ticket.objects.get(number=number).messages.get()
            return list(message.attachments.values_list("size", flat=True))
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
async def test_an_api_ticket_with_a_3_mb_attachment_is_opened_through_the_web_process(acme):
    secret = await sync_to_async(api_secret)(acme)
    body = json.dumps(
        {
            "subject": "Scanned contract",
            "description": "Attached.",
            "requester": {"email": "carol@bigbank.example"},
            "attachments": [
                {
                    "filename": "contract.pdf",
                    "content_type": "application/pdf",
                    "content_base64": base64.b64encode(b"%PDF" + b"x" * (3 * MB)).decode(),
                }
            ],
        }
    ).encode()
    answer = await asgi_request(
        "POST",
        "/api/v1/tickets",
        host="acme.localhost",
        headers=[
            ("Content-Length", str(len(body))),
            ("Content-Type", "application/json"),
            ("Authorization", f"Bearer {secret}"),
        ],
        body=[body[: len(body) // 2], body[len(body) // 2 :]],
    )
    assert answer.status == 201, answer.text()
    number = json.loads(answer.body)["number"]
    assert await sync_to_async(attachment_sizes)(acme, number) == [3 * MB + 4]
