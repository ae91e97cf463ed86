"""The agents' search: tickets by subject and message text in their language, people, companies."""

from __future__ import annotations

import pytest
from django.db import connection
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from helpdesk.tenancy import tenant_context
from tests.factories import ContactFactory, OrganizationFactory, TeamFactory
from tickets import search, services
from tickets.models import ContactEmail, Message, Ticket
from tickets.services._insert import ticket_insert

SEARCH = "/workspace/search/"


def open_ticket(tenant, subject, text, language="en", **fields):
    with tenant_context(tenant):
        requester = fields.pop("requester", None) or ContactFactory(tenant=tenant)
        return services.ticket_open(
            requester=requester,
            subject=subject,
            description=text,
            channel="email",
            language=language,
            **fields,
        )


def reply(tenant, ticket, text):
    with tenant_context(tenant):
        services.ticket_reply_add(
            ticket=ticket, text=text, channel="email", author_contact=ticket.requester
        )


def test_a_word_only_in_a_later_message_finds_the_ticket(acme, acme_agent_client):
    ticket = open_ticket(acme, "Printer trouble", "It will not print.")
    reply(acme, ticket, "The fuser unit makes a grinding noise since Monday.")
    page = acme_agent_client.get(SEARCH, {"q": "grinding"})
    assertContains(page, ticket.reference)
    assertContains(page, "<mark>grinding</mark>", html=False)


def test_a_word_of_the_subject_finds_the_ticket_highlighted(acme, acme_agent_client):
    ticket = open_ticket(acme, "Refund for the duplicate charge", "Please help.")
    page = acme_agent_client.get(SEARCH, {"q": "duplicate"})
    assertContains(page, ticket.reference)
    assertContains(page, "<mark>duplicate</mark>", html=False)


def test_german_tickets_are_found_by_another_form_of_the_word(acme, acme_agent_client):
    ticket = open_ticket(acme, "Frage zur Abrechnung", "Die Rechnung vom März ist falsch.", "de")
    page = acme_agent_client.get(SEARCH, {"q": "Rechnungen"})
    assertContains(page, ticket.reference)
    assertContains(page, "<mark>Rechnung</mark>", html=False)


def test_the_last_word_is_matched_as_the_start_of_a_word(acme, acme_agent_client):
    ticket = open_ticket(acme, "VPN tunnel drops", "The connection drops every hour.")
    page = acme_agent_client.get(SEARCH, {"q": "tunnel conn"})
    assertContains(page, ticket.reference)


def test_a_web_search_excludes_words_after_a_minus(acme, acme_agent_client):
    wanted = open_ticket(acme, "Laptop battery swollen", "Swollen battery.")
    unwanted = open_ticket(acme, "Phone battery swollen", "Phone.")
    page = acme_agent_client.get(SEARCH, {"q": "battery -phone"})
    assertContains(page, wanted.reference)
    assertNotContains(page, f">{unwanted.reference}<")


def test_a_script_in_a_message_shows_as_text_in_the_snippet(acme, acme_agent_client):
    open_ticket(acme, "Odd mail", "Look: <script>alert('owned')</script> the gateway failed.")
    page = acme_agent_client.get(SEARCH, {"q": "gateway"})
    assertContains(page, "&lt;script&gt;", html=False)
    assertNotContains(page, "<script>alert", html=False)
    assertContains(page, "<mark>gateway</mark>", html=False)


def test_the_best_match_comes_first(acme, acme_agent_client):
    weak = open_ticket(acme, "General question", "Something about an invoice somewhere.")
    strong = open_ticket(acme, "Invoice wrong", "The invoice total is wrong on the invoice.")
    page = acme_agent_client.get(SEARCH, {"q": "invoice"}).content.decode()
    assert page.index(strong.reference) < page.index(weak.reference)


def test_a_ticket_reference_opens_the_ticket(acme, acme_agent_client):
    ticket = open_ticket(acme, "Anything", "Text")
    response = acme_agent_client.get(SEARCH, {"q": ticket.reference})
    assertRedirects(response, ticket.get_absolute_url(), fetch_redirect_response=False)


def test_a_bare_ticket_number_opens_the_ticket(acme, acme_agent_client):
    ticket = open_ticket(acme, "Anything", "Text")
    response = acme_agent_client.get(SEARCH, {"q": str(ticket.number)})
    assertRedirects(response, ticket.get_absolute_url(), fetch_redirect_response=False)


def test_an_email_address_opens_the_contact(acme, acme_agent_client):
    with tenant_context(acme):
        contact = ContactFactory(tenant=acme, email="dora@example.org")
    response = acme_agent_client.get(SEARCH, {"q": "Dora@Example.org"})
    assertRedirects(response, f"/workspace/contacts/{contact.pk}/", fetch_redirect_response=False)


def test_a_further_email_address_opens_its_contact(acme, acme_agent_client):
    with tenant_context(acme):
        contact = ContactFactory(tenant=acme, email="dora@example.org")
        ContactEmail.objects.create(contact=contact, email="d.e@private.example")
    response = acme_agent_client.get(SEARCH, {"q": "d.e@private.example"})
    assertRedirects(response, f"/workspace/contacts/{contact.pk}/", fetch_redirect_response=False)


def test_contacts_and_organisations_are_found_by_name(acme, acme_agent_client):
    with tenant_context(acme):
        org = OrganizationFactory(tenant=acme, name="Wonka Industries", is_vip=True)
        contact = ContactFactory(tenant=acme, name="Willy Wonka", organization=org)
    page = acme_agent_client.get(SEARCH, {"q": "wonk"})
    assertContains(page, f"/workspace/contacts/{contact.pk}/")
    assertContains(page, "Willy Wonka")
    assertContains(page, "Wonka Industries")


def test_another_desks_tickets_and_people_are_never_found(
    acme, globex, acme_agent_client, globex_agent_client
):
    ticket = open_ticket(acme, "Kryptonite shipment", "Kryptonite arrived broken.")
    with tenant_context(acme):
        contact = ContactFactory(tenant=acme, name="Kryptonite Kate", email="kate@acme.example")
    page = globex_agent_client.get(SEARCH, {"q": "kryptonite"})
    assertContains(page, "Nothing found")
    assertNotContains(page, "Kate")
    response = globex_agent_client.get(SEARCH, {"q": "kate@acme.example"})
    assert response.status_code == 200  # no jump to another desk's contact
    assertNotContains(response, f"/workspace/contacts/{contact.pk}/")
    response = globex_agent_client.get(SEARCH, {"q": ticket.reference})
    assert response.status_code == 200


def test_row_level_security_alone_keeps_another_desks_tickets_out(acme, globex, acme_agent):
    open_ticket(acme, "Kryptonite shipment", "Kryptonite arrived broken.")
    with tenant_context(globex):
        # The application's own desk filter asks for acme's rows; the database refuses them.
        sql, params = search.ticket_hits_sql(
            query=search.ticket_query("kryptonite"), hidden_teams=[], agent_id=0
        )
        params["tenant"] = acme.pk
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            assert cursor.fetchall() == []
    with tenant_context(acme):
        sql, params = search.ticket_hits_sql(
            query=search.ticket_query("kryptonite"), hidden_teams=[], agent_id=0
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            assert len(cursor.fetchall()) == 1


def test_tickets_of_a_private_team_are_not_found_by_outsiders(acme, acme_agent_client):
    with tenant_context(acme):
        private = TeamFactory(tenant=acme, name="Legal", is_private=True)
    ticket = open_ticket(acme, "Confidential merger", "Merger papers.", team=private)
    page = acme_agent_client.get(SEARCH, {"q": "merger"})
    assertNotContains(page, ticket.reference)


def test_the_search_page_costs_the_same_queries_for_many_results(
    acme, acme_agent_client, django_assert_max_num_queries
):
    with tenant_context(acme):
        org = OrganizationFactory(tenant=acme, name="Printer People")
        for n in range(25):
            ContactFactory(tenant=acme, name=f"Printer Fan {n}", organization=org)
    for n in range(25):
        ticket = open_ticket(acme, f"Printer {n} jams", "Paper jam in the printer.")
        reply(acme, ticket, "Printer still jams.")
    acme_agent_client.get(SEARCH, {"q": "printer"})  # warm the desk caches
    with django_assert_max_num_queries(12):  # constant: 8 of them the test transaction's
        page = acme_agent_client.get(SEARCH, {"q": "printer"})
    assert page.content.decode().count('class="search-snippet"') == 20


def test_an_empty_query_shows_the_form_only(acme_agent_client):
    page = acme_agent_client.get(SEARCH, {"q": "   "})
    assertContains(page, 'id="search-q"')
    assertNotContains(page, "Nothing found")


@pytest.mark.parametrize(
    "text", ['"unclosed', "a & b | !c", "-", "or", "'; DROP TABLE x; --", "\\"]
)
def test_odd_queries_are_answered_not_failed(acme, acme_agent_client, text):
    open_ticket(acme, "Something", "Text")
    assert acme_agent_client.get(SEARCH, {"q": text}).status_code == 200


def test_customers_cannot_search(acme_customer_client):
    assert acme_customer_client.get(SEARCH, {"q": "x"}).status_code == 403


def test_each_language_code_stems_by_the_configuration_the_database_uses(db):
    with connection.cursor() as cursor:
        for code, config in search.SEARCH_CONFIGS.items():
            cursor.execute("SELECT helpdesk_search_config(%s)::text", [code])
            assert cursor.fetchone()[0] == config
        cursor.execute("SELECT helpdesk_search_config(%s)::text", ["xx"])
        assert cursor.fetchone()[0] == "simple"


def test_messages_take_the_tickets_language_whichever_writer_stores_them(acme):
    ticket = open_ticket(acme, "Mahnung", "Zweite Mahnung erhalten.", "de")
    reply(acme, ticket, "Die Mahnungen kommen weiter.")
    with tenant_context(acme), connection.cursor() as cursor:
        cursor.execute(
            "SELECT language, search_vector::text FROM tickets_message"
            " WHERE ticket_id = %s ORDER BY id",
            [ticket.pk],
        )
        (first_language, first), (later_language, later) = cursor.fetchall()
    assert first_language == later_language == "de"
    assert "'mahnung'" in first and "'mahnung'" in later  # German stems, both paths


def test_the_intake_statement_and_a_plain_save_store_the_same_search_vectors(acme):
    with tenant_context(acme):
        requester = ContactFactory(tenant=acme)
        vectors = []
        for fast in (True, False):
            ticket = Ticket(
                requester=requester, subject="Rechnungen offen", channel="email",
                language="de", number=900 + fast,
            )  # fmt: skip
            ticket.tenant_id = acme.pk
            message = Message(
                ticket=ticket, kind="public", author_type="contact", channel="email",
                body_text="Die Rechnungen sind offen.", language="de",
            )  # fmt: skip
            message.tenant_id = acme.pk
            if fast:
                from tickets.models import Acknowledgement, TicketEvent

                event = TicketEvent(ticket=ticket, kind="created", source="email", data={})
                ack = Acknowledgement(ticket=ticket, via="none", tenant_id=acme.pk)
                event.tenant_id = acme.pk
                ticket_insert(ticket, message, event, ack)
            else:
                ticket.save()
                message.ticket = ticket
                message.save()
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT t.search_vector::text, m.search_vector::text FROM tickets_ticket t"
                    " JOIN tickets_message m ON m.ticket_id = t.id WHERE t.id = %s",
                    [ticket.pk],
                )
                vectors.append(cursor.fetchone())
    assert vectors[0] == vectors[1]
    assert "'rechnung'" in vectors[0][0]


def test_under_row_level_security_the_search_reads_its_indexes_not_the_whole_desk(acme):
    # `ensure-role` marks text matching leakproof (tests' databases copy template1), else
    # PostgreSQL keeps every non-leakproof condition out of the indexes of an RLS table.
    for n in range(40):
        open_ticket(acme, f"Printer {n}", "Toner empty.")
    open_ticket(acme, "Paper jam", "Paper jam again.")
    with tenant_context(acme), connection.cursor() as cursor:
        cursor.execute("ANALYZE tickets_ticket, tickets_message")
        # A desk this small is cheaper to read whole than through an index, unless testing
        # a row costs what it costs a desk of thousands: the plan then shows which indexes
        # row-level security lets the search use.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL cpu_operator_cost = 1")
        sql, params = search.ticket_hits_sql(
            query=search.ticket_query("jam"), hidden_teams=[], agent_id=0
        )
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "message_search" in plan, plan
    assert "ticket_search" in plan, plan
