"""`make run`'s development mode serves nothing a production server would not."""

from __future__ import annotations

import importlib
from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import clear_url_caches

import helpdesk.urls
from helpdesk.models import Domain
from helpdesk.tenancy import tenant_context
from tests.conftest import host_of
from tickets import selectors, services
from tickets.services import IncomingFile


@pytest.fixture
def development(settings) -> Iterator[None]:
    """DEBUG on, with the URLs as `make run` builds them."""
    settings.DEBUG = True
    importlib.reload(helpdesk.urls)
    clear_url_caches()
    yield
    settings.DEBUG = False
    importlib.reload(helpdesk.urls)
    clear_url_caches()


def test_uploaded_files_are_never_served_raw_even_in_development(acme, development):
    with tenant_context(acme):
        ticket = services.ticket_open(
            requester=services.contact_for_email(email="carol@bigbank.example"),
            subject="Printer on fire",
            channel="email",
            attachments=[IncomingFile("page.html", "text/html", b"<script>alert(1)</script>")],
        )
        [stored] = selectors.opening_message(ticket=ticket).attachments.all()
    response = Client().get(f"/media/{stored.file.name}", HTTP_HOST=host_of(acme))
    assert response.status_code == 404
    assert b"<script>" not in response.content


def test_a_traceback_is_shown_only_to_a_browser_on_this_machine(
    acme, acme_customer, development, monkeypatch, settings
):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "help.acme.example"]
    with tenant_context(acme):
        Domain.objects.create(tenant=acme, domain="help.acme.example")

    def broken(**kwargs):
        raise RuntimeError("secret detail of a bug")

    monkeypatch.setattr(selectors, "requester_tickets", broken)
    for host, shows_traceback in ((host_of(acme), True), ("help.acme.example", False)):
        browser = Client(HTTP_HOST=host, raise_request_exception=False)
        browser.force_login(acme_customer)
        response = browser.get("/portal/")
        assert response.status_code == 500
        assert (b"secret detail of a bug" in response.content) is shows_traceback, host
