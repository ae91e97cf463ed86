"""The agents' customer profile: a contact's identities, organisation and all their tickets."""

from __future__ import annotations

from pytest_django.asserts import assertContains, assertNotContains

from helpdesk.tenancy import tenant_context
from integrations.social.models import SocialChannel, SocialIdentity
from tests.factories import ContactFactory, OrganizationFactory, TicketFactory
from tickets import services
from tickets.models import ContactEmail


def profile(client, contact):
    return client.get(f"/workspace/contacts/{contact.pk}/")


def test_the_profile_shows_every_identity_of_the_contact(acme, acme_agent_client):
    with tenant_context(acme):
        contact = ContactFactory(
            tenant=acme, name="Dora Díaz", email="dora@example.org", phone="+49 30 1234"
        )
        ContactEmail.objects.create(contact=contact, email="dora.private@example.net")
        channel = SocialChannel.objects.create(name="WhatsApp", slug="wa")
        SocialIdentity.objects.create(channel=channel, handle="+4915112345", contact=contact)
    page = profile(acme_agent_client, contact)
    for shown in ("Dora Díaz", "dora@example.org", "dora.private@example.net", "+49 30 1234"):
        assertContains(page, shown)
    assertContains(page, "WhatsApp")
    assertContains(page, "+4915112345")


def test_the_profile_shows_the_organisation_with_its_tier_and_vip_mark(acme, acme_agent_client):
    with tenant_context(acme):
        org = OrganizationFactory(tenant=acme, name="Big Bank", tier="enterprise", is_vip=True)
        contact = ContactFactory(tenant=acme, organization=org)
    page = profile(acme_agent_client, contact)
    assertContains(page, "Big Bank")
    assertContains(page, "Enterprise")
    assertContains(page, "VIP")


def test_the_profile_lists_the_contacts_tickets_of_every_channel_newest_first(
    acme, acme_agent_client
):
    with tenant_context(acme):
        contact = ContactFactory(tenant=acme)
        older = services.ticket_open(requester=contact, subject="Mail about a", channel="email")
        newer = services.ticket_open(requester=contact, subject="Chat about b", channel="chat")
        services.ticket_open(requester=ContactFactory(tenant=acme), subject="Not theirs",
                             channel="email")  # fmt: skip
    page = profile(acme_agent_client, contact)
    text = page.content.decode()
    assert text.index(newer.reference) < text.index(older.reference)
    assertContains(page, "Chat")
    assertContains(page, "Email")
    assertContains(page, "New")  # the status
    assertNotContains(page, "Not theirs")


def test_a_contact_with_many_tickets_gets_pages(acme, acme_agent_client):
    with tenant_context(acme):
        contact = ContactFactory(tenant=acme)
        for n in range(30):
            TicketFactory(tenant=acme, requester=contact, subject=f"Ticket {n:02d}")
    first = profile(acme_agent_client, contact)
    assertContains(first, "30 tickets")
    assertContains(first, "?page=2")
    second = acme_agent_client.get(f"/workspace/contacts/{contact.pk}/", {"page": 2})
    assert second.content.decode().count("<tr>") == 1 + 5  # header and the last five


def test_the_ticket_page_links_its_requester_to_their_profile(acme, acme_agent_client):
    with tenant_context(acme):
        contact = ContactFactory(tenant=acme)
        ticket = services.ticket_open(requester=contact, subject="Hello", channel="email")
    page = acme_agent_client.get(f"/workspace/tickets/{ticket.number}/")
    assertContains(page, f'href="/workspace/contacts/{contact.pk}/"')


def test_another_desks_contact_is_not_found(acme, globex_agent_client):
    with tenant_context(acme):
        contact = ContactFactory(tenant=acme)
    assert profile(globex_agent_client, contact).status_code == 404


def test_customers_cannot_open_contact_profiles(acme, acme_customer_client):
    with tenant_context(acme):
        contact = ContactFactory(tenant=acme)
    assert profile(acme_customer_client, contact).status_code == 403


def test_the_profile_costs_the_same_queries_with_many_tickets(
    acme, acme_agent_client, django_assert_max_num_queries
):
    with tenant_context(acme):
        contact = ContactFactory(tenant=acme, organization=OrganizationFactory(tenant=acme))
        ContactEmail.objects.create(contact=contact, email="other@example.net")
        for n in range(40):
            TicketFactory(tenant=acme, requester=contact, subject=f"Ticket {n}")
    profile(acme_agent_client, contact)  # warm the desk caches
    with django_assert_max_num_queries(12):  # 8, and 4 of the test transaction
        page = profile(acme_agent_client, contact)
    assert page.status_code == 200
