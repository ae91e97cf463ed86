"""Hostile input gets a clear refusal, never a server error (each case was once a 500)."""

from __future__ import annotations

import json

import pytest

from helpdesk.tenancy import tenant_context
from tests.conftest import host_of
from tests.integrations.test_api import TICKETS, acme_api, new_ticket  # noqa: F401 (fixture)
from tickets.models import Macro

SUPERSCRIPT_TWO = "\u00b2"  # str.isdigit() says yes, int() says no


def test_superscript_digits_in_a_live_pages_rows_are_ignored(acme_agent_client):
    response = acme_agent_client.get(
        f"/workspace/?rows=1,{SUPERSCRIPT_TWO},3",
        secure=True,
        headers={"HX-Request": "true", "HX-Target": "queue-rows"},
    )
    assert response.status_code == 200


@pytest.mark.parametrize("parameter", ["limit", "team"])
def test_superscript_digits_in_an_api_number_are_a_400(acme_api, parameter):  # noqa: F811
    response = acme_api.get(f"{TICKETS}?{parameter}={SUPERSCRIPT_TWO}")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_parameter"


def test_superscript_digits_in_a_bulk_selection_are_refused(acme_agent_client):
    response = acme_agent_client.post(
        "/workspace/bulk/", {"tickets": [SUPERSCRIPT_TWO], "action": "close"}, secure=True
    )
    assert response.status_code == 302  # back to the queue, saying what to fix


@pytest.mark.parametrize("port", ["0", "65536", "99999"])
def test_a_host_with_an_impossible_port_is_a_400(acme, client, port):
    response = client.get("/", HTTP_HOST=f"{host_of(acme)}:{port}", secure=True)
    assert response.status_code == 400


def test_a_host_with_a_real_port_is_served(acme, client):
    response = client.get("/accounts/login/", HTTP_HOST=f"{host_of(acme)}:8443", secure=True)
    assert response.status_code == 200


def test_json_with_a_key_twice_is_refused(acme_api):  # noqa: F811
    body = '{"subject": "Printer on fire", "subject": "Something else", "requester": {}}'
    response = acme_api.client.post(TICKETS, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_json"


def test_json_nested_ten_thousand_deep_is_refused(acme_api):  # noqa: F811
    body = '{"subject": ' + "[" * 10_000 + "]" * 10_000 + "}"
    response = acme_api.client.post(TICKETS, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_json"


@pytest.mark.parametrize("text", ["Printer\x00 on fire", "Printer \ud800 on fire"])
def test_text_no_database_can_store_is_a_400_naming_the_field(acme_api, text):  # noqa: F811
    body = json.dumps(new_ticket(subject=text))
    response = acme_api.client.post(TICKETS, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_characters"
    assert "subject" in response.json()["error"]["fields"]


def test_a_nul_in_a_query_parameter_is_a_400(acme_agent_client, acme_api):  # noqa: F811
    page = acme_agent_client.get("/workspace/?q=printer%00", secure=True)
    assert page.status_code == 400
    api = acme_api.get(f"{TICKETS}?q=printer%00")
    assert api.status_code == 400
    assert api.json()["error"]["code"] == "invalid_characters"


def test_a_nul_in_a_posted_form_is_a_400(acme_agent_client):
    response = acme_agent_client.post(
        "/workspace/macros/new/", {"name": "Hi\x00", "body": "Hello"}, secure=True
    )
    assert response.status_code == 400


def test_a_second_macro_with_the_same_name_is_a_form_error(acme, acme_agent_client):
    form = {"name": "Greeting", "body": "Hello!"}
    first = acme_agent_client.post("/workspace/macros/new/", form, secure=True)
    assert first.status_code == 302
    second = acme_agent_client.post("/workspace/macros/new/", form, secure=True)
    assert second.status_code == 400
    assert "already" in second.content.decode()
    with tenant_context(acme):
        assert Macro.objects.filter(name="Greeting").count() == 1


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("..", "attachment.txt"),
        ("../../etc/passwd", "passwd"),
        ("invoice\u202egpj.exe.txt", "invoicegpj.exe.txt"),
        ("  .hidden.txt", "hidden.txt"),
    ],
)
def test_attachment_names_are_stored_and_downloaded_without_paths_or_overrides(
    acme,
    acme_api,  # noqa: F811
    acme_agent_client,
    sent,
    stored,
):
    import base64

    attachment = {
        "filename": sent,
        "content_type": "text/plain",
        "content_base64": base64.b64encode(b"error 42\n").decode(),
    }
    number = acme_api.post(TICKETS, new_ticket(attachments=[attachment])).json()["number"]
    [kept] = acme_api.get(f"{TICKETS}/{number}").json()["messages"][0]["attachments"]
    assert kept["filename"] == stored
    url = f"/workspace/tickets/{number}/attachments/{kept['id']}/"
    download = acme_agent_client.get(url, secure=True)
    assert download.status_code == 200
    assert f'filename="{stored}"' in download["Content-Disposition"]


@pytest.mark.parametrize(
    "slug",
    ["ACME", "Acme", "acme\n", "\u0430cme", "xn--80ak6aa92e", "ab--c", "-acme", "acme-", "ac me"],
)
def test_a_desk_address_must_be_a_plain_lower_case_host_label(db, slug):
    from django.core.exceptions import ValidationError
    from django.db import IntegrityError, transaction

    from helpdesk.models import Tenant

    desk = Tenant(slug=slug, name="Look-alike", ticket_prefix="LA")
    with pytest.raises(ValidationError) as refused:
        desk.full_clean()
    assert "slug" in refused.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():  # the database refuses it too
        desk.save()


def test_a_plain_desk_address_is_accepted(db):
    from helpdesk.models import Tenant

    Tenant(slug="acme-2", name="Acme 2", ticket_prefix="AC").full_clean()


def test_a_description_past_the_limit_is_refused_with_the_limit_named(acme, acme_api):  # noqa: F811
    from tickets.models import Ticket
    from tickets.services import TEXT_MAX_CHARS

    response = acme_api.post(TICKETS, new_ticket(description="x" * (TEXT_MAX_CHARS + 1)))
    assert response.status_code == 422
    assert f"{TEXT_MAX_CHARS}" in response.json()["error"]["fields"]["description"][0]
    with tenant_context(acme):
        assert not Ticket.objects.exists()
    schema = acme_api.get("/api/v1/openapi.json").json()["components"]["schemas"]
    assert schema["TicketCreate"]["properties"]["description"]["maxLength"] == TEXT_MAX_CHARS


def test_a_portal_description_past_the_limit_is_a_form_error(acme_customer_client):
    from tickets.services import TEXT_MAX_CHARS

    response = acme_customer_client.post(
        "/portal/new/",
        {"subject": "Long", "description": "x" * (TEXT_MAX_CHARS + 1)},
        secure=True,
    )
    assert response.status_code in (200, 400)
    assert "at most" in response.content.decode().lower()


def test_a_portal_upload_over_the_limit_is_refused_before_it_is_read(
    acme, acme_customer_client, settings, monkeypatch
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tickets.forms import AttachmentsField
    from tickets.models import Ticket

    settings.ATTACHMENT_MAX_BYTES = 1024

    def never(file):
        raise AssertionError("the oversized file was read")

    monkeypatch.setattr(AttachmentsField, "_incoming", staticmethod(never))
    big = SimpleUploadedFile("dump.log", b"x" * 4096, content_type="text/plain")
    response = acme_customer_client.post(
        "/portal/new/",
        {"subject": "Crash", "description": "See the log.", "attachments": [big]},
        secure=True,
    )
    assert "larger than" in response.content.decode()
    with tenant_context(acme):
        assert not Ticket.objects.exists()


def test_a_large_portal_upload_is_stored_byte_for_byte_from_its_temporary_file(
    acme, acme_customer_client, settings
):
    import os

    from django.core.files.uploadedfile import SimpleUploadedFile

    from tickets.models import Attachment

    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024  # Django spools larger uploads to disk
    content = os.urandom(3 * 1024 * 1024)
    upload = SimpleUploadedFile("dump.bin", content, content_type="application/octet-stream")
    response = acme_customer_client.post(
        "/portal/new/",
        {"subject": "Crash", "description": "See the dump.", "priority": "medium"}
        | {"attachments": [upload]},
        secure=True,
    )
    assert response.status_code == 302
    with tenant_context(acme):
        [stored] = Attachment.objects.all()
        assert stored.size == len(content)
        assert stored.file.read() == content


@pytest.mark.parametrize(
    ("content_type", "disposition"),
    [("image/svg+xml", "attachment"), ("image/png", "inline"), ("text/html", "attachment")],
)
def test_only_plain_pictures_are_shown_inline(
    acme,
    acme_api,  # noqa: F811
    acme_agent_client,
    content_type,
    disposition,
):
    import base64

    attachment = {
        "filename": "picture",
        "content_type": content_type,
        "content_base64": base64.b64encode(b"<svg onload='alert(1)'/>").decode(),
    }
    number = acme_api.post(TICKETS, new_ticket(attachments=[attachment])).json()["number"]
    [kept] = acme_api.get(f"{TICKETS}/{number}").json()["messages"][0]["attachments"]
    url = f"/workspace/tickets/{number}/attachments/{kept['id']}/"
    download = acme_agent_client.get(url, secure=True)
    assert download["Content-Disposition"].startswith(disposition)
