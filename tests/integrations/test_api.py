"""The JSON API: integrations open, list, read and work a desk's tickets, and see no other desk."""

from __future__ import annotations

import base64
import json
import re
import threading
from datetime import UTC, datetime, timedelta
from email.utils import getaddresses

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test import Client
from django.urls import URLPattern, get_resolver

from helpdesk.tenancy import Role, tenant_context
from integrations import services
from integrations.api import openapi
from integrations.models import ApiIdempotencyKey
from tests.conftest import at_once, member
from tests.factories import ContactFactory, TeamFactory, TicketFactory
from tickets import services as ticket_services
from tickets.models import Acknowledgement, Category, Contact, Message, Product, Ticket

TICKETS = "/api/v1/tickets"
MARKER = "Zebra-7781 acme confidential"


def new_ticket(**fields) -> dict:
    body = {
        "subject": "Printer on fire",
        "description": "Smoke everywhere.",
        "requester": {"email": "anna@bigbank.example", "name": "Anna Berg"},
    }
    return body | fields


class Api:
    """A client of one desk's API holding one token."""

    def __init__(self, host: str, secret: str) -> None:
        self.secret = secret
        self.client = Client(HTTP_HOST=host, HTTP_AUTHORIZATION=f"Bearer {secret}")

    def get(self, path: str, **params):
        return self.client.get(path, params)

    def post(self, path: str, body: dict, **headers):
        return self.client.post(
            path, json.dumps(body), content_type="application/json", headers=headers
        )


@pytest.fixture
def acme_api(acme, acme_admin) -> Api:
    with tenant_context(acme):
        _token, secret = services.api_token_create(name="CRM", by=acme_admin)
    return Api("acme.localhost", secret)


@pytest.fixture
def globex_api(globex, globex_admin) -> Api:
    with tenant_context(globex):
        _token, secret = services.api_token_create(name="CRM", by=globex_admin)
    return Api("globex.localhost", secret)


def open_ticket(tenant, subject: str = "Printer on fire", **fields) -> Ticket:
    with tenant_context(tenant):
        requester = fields.pop("requester", None) or ContactFactory(tenant=tenant)
        return ticket_services.ticket_open(
            requester=requester, subject=subject, channel="email", **fields
        )


def in_tenant(tenant, function, *args, **kwargs):
    with tenant_context(tenant):
        return function(*args, **kwargs)


# --- creating tickets ---------------------------------------------------------------------


def test_an_integration_opens_a_ticket_and_gets_it_back_with_its_address(acme, acme_api):
    response = acme_api.post(TICKETS, new_ticket(priority="high", tags=["Printer", "urgent"]))
    assert response.status_code == 201
    ticket = response.json()
    assert response["Location"] == f"http://acme.localhost/api/v1/tickets/{ticket['number']}"
    with tenant_context(acme):
        stored = Ticket.objects.get(number=ticket["number"])
        portal_url = stored.portal_url()
    assert ticket | {"id": 0, "created_at": "", "updated_at": "", "requester": {}} == {
        "id": 0,
        "number": 1,
        "reference": "ACME-1",
        "subject": "Printer on fire",
        "description": "Smoke everywhere.",
        "status": "new",
        "priority": "high",
        "channel": "api",
        "requester": {},
        "team": None,
        "assignee": None,
        "category": None,
        "product": None,
        "tags": ["printer", "urgent"],
        "language": "",
        "created_at": "",
        "updated_at": "",
        "first_responded_at": None,
        "solved_at": None,
        "url": portal_url,
    }
    assert ticket["requester"]["email"] == "anna@bigbank.example"
    assert ticket["created_at"].endswith("Z")


def test_api_tickets_are_numbered_after_the_desks_other_tickets(acme, acme_api):
    open_ticket(acme)
    first = acme_api.post(TICKETS, new_ticket()).json()
    second = acme_api.post(TICKETS, new_ticket()).json()
    assert [first["reference"], second["reference"]] == ["ACME-2", "ACME-3"]


def test_the_requester_of_an_api_ticket_gets_an_acknowledgement_queued(
    acme, acme_api, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        number = acme_api.post(TICKETS, new_ticket()).json()["number"]
    with tenant_context(acme):
        ack = Acknowledgement.objects.get(ticket__number=number)
    assert (ack.via, ack.recipient) == ("email", "anna@bigbank.example")
    assert callbacks  # the acknowledgement task is queued after commit


def test_a_known_requester_is_matched_by_email_and_not_created_again(acme, acme_api):
    first = acme_api.post(TICKETS, new_ticket()).json()
    second = acme_api.post(
        TICKETS, new_ticket(requester={"email": "ANNA@bigbank.example", "name": "A. B."})
    ).json()
    assert first["requester"] == second["requester"]
    assert second["requester"]["name"] == "Anna Berg"
    assert in_tenant(acme, Contact.objects.count) == 1


def test_a_requester_name_with_line_breaks_is_stored_on_one_line_and_forges_no_header(
    acme, acme_api, django_capture_on_commit_callbacks
):
    forged = {"email": "dan@bigbank.example", "name": "Dan\r\nBcc: all@victim.example\u202e"}
    with django_capture_on_commit_callbacks(execute=True):
        answer = acme_api.post(TICKETS, new_ticket(requester=forged))
    assert answer.status_code == 201, answer.content
    assert answer.json()["requester"]["name"] == "Dan Bcc: all@victim.example"
    [sent] = mail.outbox  # the acknowledgement, to the requester alone
    assert getaddresses(sent.to) == [("Dan Bcc: all@victim.example", "dan@bigbank.example")]
    assert "Bcc" not in sent.message()


def test_a_new_requesters_name_and_phone_are_kept(acme, acme_api):
    acme_api.post(
        TICKETS, new_ticket(requester={"email": "bo@x.example", "name": "Bo", "phone": "+49 30 1"})
    )
    contact = in_tenant(acme, Contact.objects.get)
    assert (contact.name, contact.phone, contact.phone_normalized) == ("Bo", "+49 30 1", "+49301")


def test_category_and_product_are_set_by_id(acme, acme_api):
    with tenant_context(acme):
        category = Category.objects.create(name="Billing")
        product = Product.objects.create(name="Widget")
    ticket = acme_api.post(TICKETS, new_ticket(category=category.pk, product=product.pk)).json()
    assert ticket["category"] == {"id": category.pk, "name": "Billing"}
    assert ticket["product"] == {"id": product.pk, "name": "Widget"}


def test_a_category_of_another_desk_is_an_unknown_id(globex, acme_api):
    with tenant_context(globex):
        foreign = Category.objects.create(name="Globex only")
    response = acme_api.post(TICKETS, new_ticket(category=foreign.pk))
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"category": ["No such category here."]}


def test_missing_fields_are_refused_naming_each_field(acme_api):
    response = acme_api.post(TICKETS, {"subject": "  "})
    assert response.status_code == 422
    assert response.json()["error"] == {
        "code": "validation_error",
        "message": "Some fields are not valid.",
        "fields": {
            "subject": ["This field may not be blank."],
            "description": ["This field is required."],
            "requester": ["This field is required."],
        },
    }


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"requester": {"email": "not an address"}}, "requester.email"),
        ({"requester": {"name": "No address"}}, "requester.email"),
        ({"requester": "anna@bigbank.example"}, "requester"),
        ({"priority": "asap"}, "priority"),
        ({"tags": "one,two"}, "tags"),
        ({"subject": 42}, "subject"),
        ({"subject": "x" * 251}, "subject"),
        ({"category": "billing"}, "category"),
        ({"language": "tlh"}, "language"),
        (
            {"attachments": [{"filename": "a.txt", "content_base64": "%%%"}]},
            "attachments[0].content_base64",
        ),
        ({"attachments": [{"content_base64": "aGk="}]}, "attachments[0].filename"),
        ({"attachments": ["a.txt"]}, "attachments[0]"),
    ],
)
def test_each_invalid_field_is_named_with_its_path(acme_api, change, field):
    response = acme_api.post(TICKETS, new_ticket(**change))
    assert response.status_code == 422
    assert list(response.json()["error"]["fields"]) == [field]


def test_integrations_need_no_csrf_token_to_post(acme, acme_api):
    client = Client(HTTP_HOST="acme.localhost", enforce_csrf_checks=True)
    response = client.post(
        TICKETS,
        json.dumps(new_ticket()),
        content_type="application/json",
        headers={"Authorization": f"Bearer {acme_api.secret}"},
    )
    assert response.status_code == 201


def test_malformed_json_is_a_400(acme_api):
    response = acme_api.client.post(TICKETS, '{"subject": "oops",', content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_json"


def test_a_body_that_is_not_an_object_is_a_400(acme_api):
    response = acme_api.client.post(TICKETS, "[1, 2]", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_request"


def test_a_form_encoded_body_is_refused_as_an_unsupported_media_type(acme_api):
    response = acme_api.client.post(TICKETS, {"subject": "Form"})
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"


def test_a_body_over_25_mb_is_refused_before_it_is_parsed(acme, acme_api):
    body = b'{"subject": "' + b"x" * (25 * 1024 * 1024) + b'"}'
    response = acme_api.client.post(TICKETS, body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request_too_large"
    assert not in_tenant(acme, Ticket.objects.exists)


def test_a_wrong_method_is_405_and_says_which_are_allowed(acme_api):
    response = acme_api.client.delete(TICKETS)
    assert response.status_code == 405
    assert response["Allow"] == "GET, POST"
    assert response.json()["error"]["code"] == "method_not_allowed"


@pytest.mark.parametrize("path", ["/api/v1/", "/api/v1/tickets/", "/api/v1/users", "/api/v1/x/y"])
def test_an_unknown_api_address_is_a_json_404(acme_api, path):
    response = acme_api.get(path)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_attachments_arrive_base64_encoded_and_show_with_the_first_message(acme_api):
    attachment = {
        "filename": "log.txt",
        "content_type": "text/plain",
        "content_base64": base64.b64encode(b"error 42\n").decode(),
    }
    number = acme_api.post(TICKETS, new_ticket(attachments=[attachment])).json()["number"]
    messages = acme_api.get(f"{TICKETS}/{number}").json()["messages"]
    [stored] = messages[0]["attachments"]
    assert (stored["filename"], stored["size"], stored["content_type"]) == (
        "log.txt",
        9,
        "text/plain",
    )


def test_a_program_as_attachment_is_refused_and_nothing_is_created(acme, acme_api):
    program = {"filename": "setup.exe", "content_base64": base64.b64encode(b"MZ").decode()}
    response = acme_api.post(TICKETS, new_ticket(attachments=[program]))
    assert response.status_code == 422
    assert "setup.exe" in response.json()["error"]["fields"]["attachments"][0]
    assert not in_tenant(acme, Ticket.objects.exists)


# --- idempotency --------------------------------------------------------------------------


def test_a_retry_with_the_same_idempotency_key_returns_the_first_ticket(acme, acme_api):
    first = acme_api.post(TICKETS, new_ticket(), **{"Idempotency-Key": "order-17"})
    retry = acme_api.post(TICKETS, new_ticket(), **{"Idempotency-Key": "order-17"})
    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.json() == first.json()
    assert retry["Location"] == first["Location"]
    assert retry["Idempotent-Replayed"] == "true"
    assert in_tenant(acme, Ticket.objects.count) == 1


def test_a_retry_after_the_first_ticket_changed_still_gets_the_first_answer(acme, acme_api):
    first = acme_api.post(TICKETS, new_ticket(), **{"Idempotency-Key": "k1"}).json()
    acme_api.post(f"{TICKETS}/{first['number']}/status", {"status": "pending"})
    retry = acme_api.post(TICKETS, new_ticket(), **{"Idempotency-Key": "k1"}).json()
    assert retry["status"] == "new"


def test_the_same_idempotency_key_with_another_body_is_refused(acme, acme_api):
    acme_api.post(TICKETS, new_ticket(), **{"Idempotency-Key": "order-17"})
    response = acme_api.post(
        TICKETS, new_ticket(subject="Other"), **{"Idempotency-Key": "order-17"}
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert in_tenant(acme, Ticket.objects.count) == 1


def test_a_refused_create_does_not_use_up_its_idempotency_key(acme, acme_api):
    acme_api.post(TICKETS, new_ticket(priority="asap"), **{"Idempotency-Key": "k"})
    response = acme_api.post(TICKETS, new_ticket(priority="asap"), **{"Idempotency-Key": "k"})
    assert response.status_code == 422
    assert not in_tenant(acme, ApiIdempotencyKey.objects.exists)


def test_an_idempotency_key_is_forgotten_after_24_hours(acme, acme_api):
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        acme_api.post(TICKETS, new_ticket(), **{"Idempotency-Key": "daily"})
    with time_machine.travel(start + timedelta(hours=25), tick=False):
        later = acme_api.post(TICKETS, new_ticket(), **{"Idempotency-Key": "daily"})
    assert later.json()["number"] == 2
    assert "Idempotent-Replayed" not in later


def test_idempotency_keys_older_than_a_day_are_purged(acme, acme_api):
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    for hours, key in ((0, "old"), (20, "recent")):
        with time_machine.travel(start + timedelta(hours=hours), tick=False):
            acme_api.post(TICKETS, new_ticket(), **{"Idempotency-Key": key})
    with tenant_context(acme):
        purged = services.idempotency_keys_purge(now=start + timedelta(hours=25))
        kept = list(ApiIdempotencyKey.objects.values_list("key", flat=True))
    assert (purged, kept) == (1, ["recent"])


def test_the_same_key_from_another_token_opens_its_own_ticket(acme, acme_admin, acme_api):
    with tenant_context(acme):
        _token, secret = services.api_token_create(name="Forms", by=acme_admin)
    acme_api.post(TICKETS, new_ticket(), **{"Idempotency-Key": "1"})
    other = Api("acme.localhost", secret).post(TICKETS, new_ticket(), **{"Idempotency-Key": "1"})
    assert other.json()["number"] == 2


@pytest.mark.django_db(transaction=True)
def test_simultaneous_retries_with_one_idempotency_key_open_one_ticket(acme, acme_admin):
    with tenant_context(acme):
        _token, secret = services.api_token_create(name="CRM", by=acme_admin)
    start = threading.Barrier(4)
    responses = []

    def retry() -> None:
        try:
            api = Api("acme.localhost", secret)
            start.wait()
            responses.append(api.post(TICKETS, new_ticket(), **{"Idempotency-Key": "burst"}))
        finally:
            connection.close()

    at_once(retry, 4)
    assert [response.status_code for response in responses] == [201] * 4
    assert len({response.json()["number"] for response in responses}) == 1
    assert in_tenant(acme, Ticket.objects.count) == 1


def test_an_unusable_idempotency_key_is_a_400(acme_api):
    response = acme_api.post(TICKETS, new_ticket(), **{"Idempotency-Key": "x" * 256})
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "Idempotency-Key": ["1 to 255 printable ASCII characters."]
    }


# --- listing ------------------------------------------------------------------------------


@pytest.fixture
def listed(acme, acme_agent):
    """Four acme tickets that differ in every filtered field."""
    team = TeamFactory(tenant=acme, name="Billing")
    anna = ContactFactory(tenant=acme, email="anna@bigbank.example")
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    tickets = {}
    for hour, (name, fields) in enumerate(
        [
            ("printer", {"priority": "high", "tags": ["printer"], "requester": anna}),
            ("invoice", {"priority": "low", "team": team}),
            ("login", {"priority": "critical", "assignee": acme_agent}),
            ("refund", {"priority": "low", "team": team, "tags": ["refund"]}),
        ]
    ):
        with time_machine.travel(start + timedelta(hours=hour), tick=False):
            tickets[name] = open_ticket(acme, f"Trouble with {name}", **fields)
    with tenant_context(acme):
        ticket_services.ticket_status_change(ticket=tickets["refund"], status="solved", by=None)
    return {"team": team, "agent": acme_agent, "start": start, **tickets}


def subjects(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [
        ticket["subject"].removeprefix("Trouble with ") for ticket in response.json()["results"]
    ]


def test_the_list_shows_the_latest_change_first(acme_api, listed):
    assert subjects(acme_api.get(TICKETS)) == ["refund", "login", "invoice", "printer"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "new,open"}, ["login", "invoice", "printer"]),
        ({"status": "solved"}, ["refund"]),
        ({"priority": "low"}, ["refund", "invoice"]),
        ({"channel": "email"}, ["refund", "login", "invoice", "printer"]),
        ({"channel": "api"}, []),
        ({"requester_email": "ANNA@bigbank.example"}, ["printer"]),
        ({"assignee": "none", "priority": "low,high"}, ["refund", "invoice", "printer"]),
        ({"tag": "Printer"}, ["printer"]),
        ({"team": "none"}, ["login", "printer"]),
        ({"q": "VOICE"}, ["invoice"]),
        ({"created_since": "2026-03-02T10:30:00Z"}, ["refund", "login"]),
        ({"created_since": "2026-03-02T11:30:00+01:00"}, ["refund", "login"]),
        ({"ordering": "created_at"}, ["printer", "invoice", "login", "refund"]),
        ({"ordering": "-created_at"}, ["refund", "login", "invoice", "printer"]),
    ],
)
def test_the_list_filters_and_orders(acme_api, listed, params, expected):
    assert subjects(acme_api.get(TICKETS, **params)) == expected


def test_the_list_filters_by_assignee_and_team_id(acme_api, listed):
    assert subjects(acme_api.get(TICKETS, assignee=str(listed["agent"].pk))) == ["login"]
    assert subjects(acme_api.get(TICKETS, team=str(listed["team"].pk))) == ["refund", "invoice"]


def test_a_token_acts_for_the_whole_desk_and_lists_private_teams_tickets_too(acme, acme_api):
    vip = TeamFactory(tenant=acme, name="VIP", is_private=True)
    open_ticket(acme, "Trouble with the board", team=vip)
    assert subjects(acme_api.get(TICKETS)) == ["the board"]


def test_the_list_filters_by_last_change(acme_api, listed):
    since = (listed["start"] + timedelta(hours=5)).isoformat()
    assert subjects(acme_api.get(TICKETS, updated_since=since)) == ["refund"]


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"status": "open,bogus"}, "status"),
        ({"priority": "urgent"}, "priority"),
        ({"assignee": "me"}, "assignee"),
        ({"team": "-1"}, "team"),
        ({"updated_since": "yesterday"}, "updated_since"),
        ({"created_since": "2026-13-45"}, "created_since"),
        ({"ordering": "subject"}, "ordering"),
        ({"limit": "ten"}, "limit"),
        ({"limit": "0"}, "limit"),
        ({"cursor": "made-up"}, "cursor"),
        ({"stauts": "open"}, "stauts"),
    ],
)
def test_an_invalid_list_parameter_is_a_400_naming_it(acme_api, params, parameter):
    response = acme_api.get(TICKETS, **params)
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], list(error["fields"])) == ("invalid_parameter", [parameter])


@pytest.mark.parametrize("ordering", ["-updated_at", "updated_at", "-created_at", "created_at"])
def test_paging_with_the_cursor_returns_every_ticket_exactly_once(acme, acme_api, ordering):
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=UTC), tick=False):
        for n in range(7):  # all at one instant: only the id tells them apart
            TicketFactory(tenant=acme, subject=f"Same moment {n}")
    for n in range(6):
        TicketFactory(tenant=acme, subject=f"Later {n}")
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": "4", "ordering": ordering} | ({"cursor": cursor} if cursor else {})
        page = acme_api.get(TICKETS, **params).json()
        seen += [ticket["number"] for ticket in page["results"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 4
    assert sorted(seen) == sorted(set(seen)) and len(seen) == 13


def test_a_cursor_of_another_ordering_is_refused(acme, acme_api):
    for n in range(3):
        TicketFactory(tenant=acme, subject=f"T{n}")
    cursor = acme_api.get(TICKETS, limit="1").json()["next_cursor"]
    response = acme_api.get(TICKETS, limit="1", cursor=cursor, ordering="created_at")
    assert response.status_code == 400


def test_a_page_holds_at_most_100_tickets(acme, acme_api):
    with tenant_context(acme):
        requester = ContactFactory(tenant=acme)
        Ticket.objects.bulk_create(
            Ticket(number=n, subject=f"T{n}", requester=requester, channel="api")
            for n in range(1, 106)
        )
    page = acme_api.get(TICKETS, limit="500").json()
    assert len(page["results"]) == 100 and page["next_cursor"]


def test_the_lists_query_count_does_not_grow_with_its_rows(
    acme, acme_agent, acme_api, django_assert_max_num_queries
):
    with tenant_context(acme):
        category = Category.objects.create(name="Billing")
        product = Product.objects.create(name="Widget")
    team = TeamFactory(tenant=acme)
    for n in range(60):
        TicketFactory(
            tenant=acme,
            team=team,
            assignee=acme_agent,
            category=category,
            product=product,
            subject=f"T{n}",
        )
    # tenant, token, its last use, the page, the portal's domain, and savepoints/set_config
    with django_assert_max_num_queries(11):
        response = acme_api.get(TICKETS, limit="100")
    assert len(response.json()["results"]) == 60


# --- one ticket ---------------------------------------------------------------------------


def test_a_ticket_shows_its_whole_thread_with_internal_notes_marked(acme, acme_agent, acme_api):
    ticket = open_ticket(acme, description="It smokes.")
    with tenant_context(acme):
        ticket_services.ticket_note_add(ticket=ticket, author=acme_agent, text="Call facilities")
    body = acme_api.get(f"{TICKETS}/{ticket.number}").json()
    assert body["ticket"]["reference"] == f"ACME-{ticket.number}"
    assert [(m["kind"], m["public"], m["body_text"]) for m in body["messages"]] == [
        ("public", True, "It smokes."),
        ("note", False, "Call facilities"),
    ]
    assert body["messages"][0]["author"]["type"] == "contact"
    assert body["messages"][1]["author"] == {
        "type": "agent",
        "id": acme_agent.pk,
        "name": acme_agent.full_name,
        "email": acme_agent.email,
    }


def test_a_ticket_number_that_does_not_exist_is_a_json_404(acme_api):
    for number in ("999", str(2**64)):
        response = acme_api.get(f"{TICKETS}/{number}")
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"


def test_a_ticket_number_of_another_desk_is_not_found(acme, globex_api):
    ticket = open_ticket(acme, MARKER)
    response = globex_api.get(f"{TICKETS}/{ticket.number}")
    assert response.status_code == 404
    assert MARKER not in response.content.decode()


# --- replies, notes and status ------------------------------------------------------------


def test_an_agents_reply_through_the_api_is_the_first_response(
    acme, acme_agent, acme_api, django_capture_on_commit_callbacks
):
    ticket = open_ticket(acme)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = acme_api.post(
            f"{TICKETS}/{ticket.number}/replies",
            {"text": "We are on it.", "author_email": acme_agent.email},
        )
    assert response.status_code == 201
    body = response.json()
    assert body["message"]["kind"] == "public"
    assert body["message"]["author"]["email"] == acme_agent.email
    assert body["ticket"]["status"] == "open"
    assert body["ticket"]["first_responded_at"] == body["message"]["created_at"]
    assert callbacks  # the reply is mailed to the requester after commit


def test_without_author_email_the_tokens_creator_replies(acme, acme_admin, acme_api):
    ticket = open_ticket(acme)
    response = acme_api.post(f"{TICKETS}/{ticket.number}/replies", {"text": "Hello"})
    assert response.json()["message"]["author"]["email"] == acme_admin.email


def test_an_internal_note_is_not_public_and_is_no_first_response(acme, acme_api):
    ticket = open_ticket(acme)
    response = acme_api.post(
        f"{TICKETS}/{ticket.number}/replies", {"text": "Check the logs", "public": False}
    )
    assert response.status_code == 201
    assert response.json()["message"]["kind"] == "note"
    with tenant_context(acme):
        note = Message.objects.get(body_text="Check the logs")
        ticket.refresh_from_db()
    assert not note.is_public
    assert ticket.first_responded_at is None


def test_a_note_can_move_the_status_too(acme, acme_api):
    ticket = open_ticket(acme)
    acme_api.post(
        f"{TICKETS}/{ticket.number}/replies",
        {"text": "Waiting on vendor", "public": False, "status": "on_hold"},
    )
    assert acme_api.get(f"{TICKETS}/{ticket.number}").json()["ticket"]["status"] == "on_hold"


def test_a_reply_by_someone_who_is_no_agent_here_is_refused(acme, acme_api, globex_agent):
    ticket = open_ticket(acme)
    member(acme, "customer@bigbank.example", Role.CUSTOMER)
    for email in (globex_agent.email, "customer@bigbank.example"):
        response = acme_api.post(
            f"{TICKETS}/{ticket.number}/replies", {"text": "Hi", "author_email": email}
        )
        assert response.status_code == 422
        assert list(response.json()["error"]["fields"]) == ["author_email"]


def test_a_reply_needs_text(acme, acme_api):
    ticket = open_ticket(acme)
    response = acme_api.post(f"{TICKETS}/{ticket.number}/replies", {"public": "no"})
    assert response.status_code == 422
    assert set(response.json()["error"]["fields"]) == {"text", "public"}


def test_a_reply_to_a_closed_ticket_is_a_conflict(acme, acme_api):
    ticket = open_ticket(acme)
    acme_api.post(f"{TICKETS}/{ticket.number}/status", {"status": "closed"})
    response = acme_api.post(f"{TICKETS}/{ticket.number}/replies", {"text": "One more thing"})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    with tenant_context(acme):
        assert ticket.messages.count() == 1


def test_the_status_moves_along_the_lifecycle(acme, acme_admin, acme_api):
    ticket = open_ticket(acme)
    response = acme_api.post(f"{TICKETS}/{ticket.number}/status", {"status": "solved"})
    assert response.status_code == 200
    assert response.json()["status"] == "solved" and response.json()["solved_at"]
    with tenant_context(acme):
        event = ticket.events.get(kind="status")
    assert (event.actor, event.source, event.data) == (
        acme_admin,
        "api",
        {"old": "new", "new": "solved"},
    )


def test_an_illegal_status_change_is_a_409_with_the_reason(acme, acme_api):
    ticket = open_ticket(acme)
    acme_api.post(f"{TICKETS}/{ticket.number}/status", {"status": "closed"})
    response = acme_api.post(f"{TICKETS}/{ticket.number}/status", {"status": "open"})
    assert response.status_code == 409
    assert response.json()["error"] == {
        "code": "conflict",
        "message": "A Closed ticket cannot become Open.",
    }


def test_an_unknown_status_is_a_validation_error(acme, acme_api):
    ticket = open_ticket(acme)
    response = acme_api.post(f"{TICKETS}/{ticket.number}/status", {"status": "done"})
    assert response.status_code == 422
    assert list(response.json()["error"]["fields"]) == ["status"]


# --- the description ----------------------------------------------------------------------


def api_routes() -> list[str]:
    resolver = get_resolver()
    [api] = [entry for entry in resolver.url_patterns if str(entry.pattern) == "api/v1/"]
    return [str(entry.pattern) for entry in api.url_patterns if isinstance(entry, URLPattern)]


def test_the_openapi_description_is_public_json_and_lists_every_route(acme):
    response = Client(HTTP_HOST="acme.localhost").get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = json.loads(response.content)
    assert spec["openapi"].startswith("3.1")
    documented = set(spec["paths"])
    routes = {
        "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)
        for route in api_routes()
        if route != "^.*$"  # the JSON 404 for every other address
    }
    assert routes == documented


def test_every_reference_in_the_openapi_description_resolves():
    text = json.dumps(openapi.SPEC)
    references = set(re.findall(r'"#/components/schemas/(\w+)"', text))
    assert references <= set(openapi.SPEC["components"]["schemas"])


# --- the cross-tenant probe ---------------------------------------------------------------


@pytest.fixture
def acme_secrets(acme, acme_agent):
    contact = ContactFactory(tenant=acme, name=f"{MARKER} person")
    team = TeamFactory(tenant=acme, name=f"{MARKER} team")
    for n in range(3):
        ticket = open_ticket(acme, f"{MARKER} {n}", requester=contact, team=team)
    return [contact.pk, team.pk, ticket.pk, ticket.number, 1, 2, 3, acme_agent.pk]


def probe_requests(ids: list[int]) -> list[tuple[str, str]]:
    """(method, path) of every API route, each parameter set to each of acme's ids."""
    requests = []
    for route in api_routes():
        paths = (
            ["/api/v1/" + re.sub(r"<(?:\w+:)?\w+>", str(value), route) for value in ids]
            if "<" in route
            else ["/api/v1/" + route.replace("^.*$", "anything")]
        )
        requests += [(method, path) for path in paths for method in ("GET", "POST")]
    return requests


def test_every_api_route_with_acmes_ids_shows_nothing_of_acme_to_globex(
    acme, acme_api, globex_api, acme_secrets
):
    acme_token_on_globex = Api("globex.localhost", acme_api.secret)
    leaks, refusals = [], set()
    for method, path in probe_requests(acme_secrets):
        for api in (globex_api, acme_token_on_globex):
            if method == "GET":
                response = api.get(path)
            else:
                response = api.post(path, {"text": "probe", "status": "solved"})
            if MARKER in response.content.decode():
                leaks.append(f"{method} {path} -> {response.status_code}")
            if path.startswith(f"{TICKETS}/"):
                refusals.add(response.status_code)
    assert leaks == []
    assert refusals <= {401, 404, 405}  # 405: a route asked with the method it does not take
    with tenant_context(acme):
        assert not Message.objects.filter(body_text="probe").exists()
        assert not Ticket.objects.filter(status="solved").exists()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/tickets/3"),
        ("POST", "/api/v1/tickets/3/replies"),
        ("POST", "/api/v1/tickets/3/status"),
    ],
)
def test_acmes_ticket_routes_are_not_found_with_a_globex_token(
    globex_api, acme_secrets, method, path
):
    response = (
        globex_api.get(path)
        if method == "GET"
        else globex_api.post(path, {"text": "x", "status": "open"})
    )
    assert response.status_code == 404


def test_an_acme_token_on_globex_gets_no_globex_data(acme_api, globex):
    open_ticket(globex, "Globex internal")
    response = Api("globex.localhost", acme_api.secret).get(TICKETS)
    assert response.status_code == 401
    assert "Globex internal" not in response.content.decode()
