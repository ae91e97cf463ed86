"""Whatever text, numbers or JSON a client sends to a form or an API field: never a 5xx."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.integrations.test_api import TICKETS, acme_api, new_ticket  # noqa: F401 (fixture)

EXAMPLES = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Anything JSON can hold, text with NUL, lone surrogates, digits of every script and all.
ANY_TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=40)
# What a form or a URL can carry: any character UTF-8 can encode (a lone surrogate has no
# bytes to send; invalid bytes reach Django as replacement characters).
FORM_TEXT = st.text(st.characters(codec="utf-8"), max_size=40)
ANY_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | ANY_TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(ANY_TEXT, inner, max_size=4),
    max_leaves=12,
)
TICKET_FIELDS = [
    "subject", "description", "priority", "impact", "urgency", "tags", "language",
    "requester", "attachments",
]  # fmt: skip
LIST_PARAMETERS = ["status", "priority", "team", "assignee", "q", "limit", "ordering", "after"]


@EXAMPLES
@given(field=st.sampled_from(TICKET_FIELDS), value=ANY_JSON)
def test_any_value_of_any_ticket_field_is_answered_without_a_server_error(
    acme_api,  # noqa: F811
    field,
    value,
):
    body = json.dumps(new_ticket(**{field: value}))
    response = acme_api.client.post(TICKETS, body, content_type="application/json")
    assert response.status_code < 500, response.content[:300]


@EXAMPLES
@given(name=st.sampled_from(LIST_PARAMETERS), value=FORM_TEXT)
def test_any_list_parameter_is_answered_without_a_server_error(acme_api, name, value):  # noqa: F811
    response = acme_api.client.get(TICKETS, {name: value})
    assert response.status_code < 500, response.content[:300]


@EXAMPLES
@given(subject=FORM_TEXT, description=FORM_TEXT)
def test_any_portal_request_is_answered_without_a_server_error(
    acme_customer_client, subject, description
):
    response = acme_customer_client.post(
        "/portal/new/", {"subject": subject, "description": description}, secure=True
    )
    assert response.status_code < 500


@EXAMPLES
@given(params=st.dictionaries(st.sampled_from(["q", "sort", "after", "rows", "status"]), FORM_TEXT))
def test_any_queue_parameter_is_answered_without_a_server_error(acme_agent_client, params):
    response = acme_agent_client.get("/workspace/", params, secure=True)
    assert response.status_code < 500


REPLY_FIELDS = ["text", "html", "public", "status", "author_email", "attachments"]


@EXAMPLES
@given(field=st.sampled_from(REPLY_FIELDS), value=ANY_JSON)
def test_any_value_of_any_reply_field_is_answered_without_a_server_error(
    acme_api,  # noqa: F811
    field,
    value,
):
    if not hasattr(acme_api, "ticket_number"):
        created = acme_api.client.post(TICKETS, json.dumps(new_ticket()), "application/json")
        acme_api.ticket_number = created.json()["number"]
    body = json.dumps({"text": "Thanks", field: value})
    url = f"{TICKETS}/{acme_api.ticket_number}/replies"
    response = acme_api.client.post(url, body, content_type="application/json")
    assert response.status_code < 500, response.content[:300]


@EXAMPLES
@given(name=FORM_TEXT, body=FORM_TEXT, tags=FORM_TEXT)
def test_any_macro_form_is_answered_without_a_server_error(acme_agent_client, name, body, tags):
    response = acme_agent_client.post(
        "/workspace/macros/new/", {"name": name, "body": body, "add_tags": tags}, secure=True
    )
    assert response.status_code < 500
