"""The web process as deployed (uvicorn, production settings) under concurrent requests."""

from __future__ import annotations

import http.client
import json
import socket

import pytest
from django.db import connection

from helpdesk.tenancy import tenant_context
from integrations.services import api_token_create
from tests.conftest import WEB_SERVER_APP_NAME, WEB_SERVER_POOL_SIZE, at_once, host_of, serving
from tickets.models import Ticket

pytestmark = pytest.mark.django_db(transaction=True)  # the server sees only committed rows


def server_connections() -> int:
    """The web server's sessions on the test database."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND application_name = %s",
            [WEB_SERVER_APP_NAME],
        )
        return cursor.fetchone()[0]


def test_a_burst_of_api_tickets_is_served_within_the_servers_connection_pool(acme, web_server):
    with tenant_context(acme):
        _token, secret = api_token_create(name="burst", by=None)
    body = json.dumps(
        {"subject": "Burst", "description": "Body", "requester": {"email": "burst@example.com"}}
    )
    statuses: list[int] = []

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", web_server.port, timeout=30)
        headers = {
            "Host": host_of(acme),
            "Authorization": f"Bearer {secret}",
            "Content-Type": "application/json",
        }
        for _n in range(40):
            conn.request("POST", "/api/v1/tickets", body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            statuses.append(response.status)
        conn.close()

    at_once(client, 6)
    assert statuses == [201] * 240
    with tenant_context(acme):
        assert Ticket.objects.filter(subject="Burst").count() == 240
    # Each request runs in a thread of its own; without the pool every one of them left a
    # connection behind, idle, until the database refused new ones.
    assert server_connections() <= WEB_SERVER_POOL_SIZE


def test_a_5_gb_upload_is_answered_413_at_once_and_the_connection_closed(web_server):
    with socket.create_connection(
        ("127.0.0.1", web_server.port), timeout=5
    ) as conn:  # a 413 at once, or a timeout
        conn.sendall(
            b"POST /portal/new/ HTTP/1.1\r\nHost: nowhere.example\r\n"
            b"Content-Length: 5000000000\r\n\r\nthe first bytes of five gigabytes"
        )
        response = conn.makefile("rb").read()  # to the end: the server closes the connection
    assert response.startswith(b"HTTP/1.1 413 ")


@pytest.fixture(scope="module")
def impatient_web_server(django_db_setup, tmp_path_factory):
    """uvicorn as deployed, but giving a request's headers 1 s and 4 KB."""
    log = tmp_path_factory.mktemp("impatient") / "uvicorn.log"
    limits = {"REQUEST_HEADER_TIMEOUT_SECONDS": "1", "REQUEST_HEADER_MAX_BYTES": "4096"}
    with serving(log, **limits) as server:
        yield server


def answer_to(port: int, sent: bytes) -> bytes:
    """What the server answers to `sent`, read until it closes the connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(sent)
        return conn.makefile("rb").read()


def test_a_connection_that_never_sends_a_request_is_closed_with_408(impatient_web_server):
    assert answer_to(impatient_web_server.port, b"").startswith(b"HTTP/1.1 408 ")


def test_headers_that_stop_arriving_are_answered_408(impatient_web_server):
    sent = b"GET /healthz HTTP/1.1\r\nHost: acme.localhost\r\nX-Slow: a byte a min"
    assert answer_to(impatient_web_server.port, sent).startswith(b"HTTP/1.1 408 ")


def test_headers_larger_than_the_limit_are_refused_with_431(impatient_web_server):
    sent = b"GET /healthz HTTP/1.1\r\nHost: acme.localhost\r\nCookie: " + b"x" * 8192
    assert answer_to(impatient_web_server.port, sent).startswith(b"HTTP/1.1 431 ")


def test_a_kept_alive_connection_serves_request_after_request(impatient_web_server):
    conn = http.client.HTTPConnection("127.0.0.1", impatient_web_server.port, timeout=10)
    for _ in range(3):
        conn.request("GET", "/healthz", headers={"Host": "localhost"})
        response = conn.getresponse()
        response.read()
        assert response.status != 408
    conn.close()
