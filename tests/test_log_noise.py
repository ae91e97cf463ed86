"""An ordinary 403 or 404 is one line in the web server's log, never a traceback; every host
serves /favicon.ico."""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

from tests.conftest import WebServer, client_for, host_of, serving

pytestmark = pytest.mark.django_db(transaction=True)  # the server sees only committed rows


class LoggedServer:
    """A web server as deployed and its log, to read what one request wrote to it."""

    def __init__(self, server: WebServer, log: Path) -> None:
        self.server, self.log = server, log

    def request(
        self, method: str, path: str, host: str, cookie: str = ""
    ) -> tuple[http.client.HTTPResponse, bytes, list[str]]:
        """The response to one request, its body, and the log lines written meanwhile."""
        start = self.log.stat().st_size
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=30)
        headers = {"Host": host, **({"Cookie": cookie} if cookie else {})}
        conn.request(method, path, headers=headers)
        response = conn.getresponse()
        body = response.read()
        conn.close()
        with self.log.open() as log:
            log.seek(start)
            return response, body, log.read().splitlines()


@pytest.fixture(scope="module")
def logged_server(django_db_setup, tmp_path_factory) -> Iterator[LoggedServer]:
    log = tmp_path_factory.mktemp("log-noise") / "uvicorn.log"
    with serving(log) as server:
        yield LoggedServer(server, log)


def session_cookie(tenant, user) -> str:
    client = client_for(tenant, user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def test_a_page_not_found_is_one_line_in_the_log(acme, logged_server):
    response, _body, lines = logged_server.request("GET", "/no-such-page/", host_of(acme))
    assert response.status == 404
    assert len(lines) <= 1
    assert not [line for line in lines if "Traceback" in line]


def test_a_page_refused_to_a_customer_is_one_line_in_the_log(acme, acme_customer, logged_server):
    cookie = session_cookie(acme, acme_customer)
    response, _body, lines = logged_server.request("GET", "/workspace/", host_of(acme), cookie)
    assert response.status == 403
    assert len(lines) <= 1
    assert not [line for line in lines if "Traceback" in line]


def test_a_form_posted_without_its_csrf_token_is_one_line_in_the_log(acme, logged_server):
    response, _body, lines = logged_server.request("POST", "/accounts/login/", host_of(acme))
    assert response.status == 403
    assert len(lines) <= 1
    assert not [line for line in lines if "Traceback" in line]


@pytest.mark.parametrize("desk", ["tenant", "platform"])
def test_the_favicon_is_served_on_every_host(desk, acme, logged_server):
    host = host_of(acme) if desk == "tenant" else settings.BASE_DOMAIN
    response, body, _lines = logged_server.request("GET", "/favicon.ico", host)
    assert response.status == 200
    assert response.getheader("Content-Type").startswith("image/")
    assert body


def test_every_page_links_the_icon(acme, client):
    response = client_for(acme).get("/accounts/login/")
    assert b'rel="icon"' in response.content
