"""Pictures in mail: remote ones wait for an agent's click, inline ones come from the message."""

from __future__ import annotations

import importlib
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection
from pytest_django.asserts import assertContains, assertNotContains

from helpdesk.tenancy import Role, tenant_context
from tests.conftest import member
from tests.factories import ContactFactory, TeamFactory, TeamMemberFactory
from tickets import services
from tickets.models import Message

PIXEL = "https://tracker.example/open.gif?id=42&u=carol"
MAIL = f'<p>Hello, the invoice is wrong.</p><img src="{PIXEL}" width="1" height="1" alt="">'
HIDDEN = "Remote images are hidden to protect your privacy."
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\xdac\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99"
    b"=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
)
HTMX = {"HX-Request": "true", "HX-Target": "thread-region"}


class _Images(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.sources: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.sources += [value or "" for name, value in attrs if name in ("src", "srcset")]


def image_sources(response) -> list[str]:
    """Every address the browser would fetch a picture from on this page."""
    parser = _Images()
    parser.feed(response.content.decode())
    return parser.sources


@pytest.fixture
def requester(acme, acme_customer):
    return ContactFactory(tenant=acme, user=acme_customer, email=acme_customer.email)


def mail_ticket(tenant, requester, html, attachments=(), team=None):
    with tenant_context(tenant):
        return services.ticket_open(
            requester=requester, subject="Invoice", channel="email", description="Hello",
            description_html=html, attachments=attachments, team=team,
        )  # fmt: skip


def first_message(tenant, ticket) -> Message:
    with tenant_context(tenant):
        return ticket.messages.get()


def allow_url(ticket, message) -> str:
    return f"/workspace/tickets/{ticket.number}/messages/{message.pk}/images/"


# --- remote images ----------------------------------------------------------------------------


def test_a_tracking_pixel_is_not_requested_when_an_agent_views_the_ticket(
    acme, requester, acme_agent_client
):
    ticket = mail_ticket(acme, requester, MAIL)
    page = acme_agent_client.get(f"/workspace/tickets/{ticket.number}/")
    assertContains(page, "the invoice is wrong")
    assert image_sources(page) == []
    assertContains(page, HIDDEN)
    assertContains(page, "Load images")


def test_a_tracking_pixel_is_not_requested_when_the_requester_views_the_ticket(
    acme, requester, acme_customer_client
):
    ticket = mail_ticket(acme, requester, MAIL)
    page = acme_customer_client.get(f"/portal/tickets/{ticket.number}/")
    assertContains(page, "the invoice is wrong")
    assert image_sources(page) == []
    assertContains(page, HIDDEN)
    assertNotContains(page, "Load images")


@pytest.mark.parametrize(
    "html",
    [
        '<img src="//tracker.example/open.gif">',
        '<img src="\\\\tracker.example/open.gif">',
        '<img src="https:\\\\tracker.example/open.gif">',
        '<img src="ht&#x09;tps://tracker.example/open.gif">',
        '<img src="  HTTPS://TRACKER.EXAMPLE/open.gif">',
        '<img srcset="https://tracker.example/a.png 1x, https://tracker.example/b.png 2x">',
        '<table background="https://tracker.example/bg.png"><tr>'
        '<td style="background:url(https://tracker.example/td.png)">x</td></tr></table>',
        '<div style="background-image:url(//tracker.example/div.png)">x</div>',
        '<img src="/workspace/tickets/1/status/">',
        '<img src="data:image/svg+xml;base64,PHN2Zy8+">',
    ],
)
def test_no_way_of_writing_a_picture_address_makes_the_agents_browser_fetch_it(
    acme, requester, acme_agent_client, html
):
    ticket = mail_ticket(acme, requester, f"<p>Look</p>{html}")
    page = acme_agent_client.get(f"/workspace/tickets/{ticket.number}/")
    assertContains(page, "Look")
    assert image_sources(page) == []
    assertNotContains(page, "url(")


def test_after_an_agent_loads_images_the_agent_and_the_requester_see_them(
    acme, requester, acme_agent_client, acme_customer_client
):
    ticket = mail_ticket(acme, requester, MAIL)
    message = first_message(acme, ticket)
    response = acme_agent_client.post(allow_url(ticket, message))
    assert response.status_code == 302
    assert response.url == f"/workspace/tickets/{ticket.number}/#message-{message.pk}"
    for page in (
        acme_agent_client.get(f"/workspace/tickets/{ticket.number}/"),
        acme_customer_client.get(f"/portal/tickets/{ticket.number}/"),
    ):
        assert image_sources(page) == [PIXEL]
        assertNotContains(page, HIDDEN)


def test_loaded_images_do_not_tell_the_remote_host_which_ticket_showed_them(
    acme, requester, acme_agent_client
):
    ticket = mail_ticket(acme, requester, MAIL)
    acme_agent_client.post(allow_url(ticket, first_message(acme, ticket)))
    page = acme_agent_client.get(f"/workspace/tickets/{ticket.number}/")
    assertContains(page, 'referrerpolicy="no-referrer"')


def test_a_protocol_relative_picture_loads_over_https(acme, requester, acme_agent_client):
    ticket = mail_ticket(acme, requester, '<img src="//cdn.example/logo.png" alt="Logo">')
    acme_agent_client.post(allow_url(ticket, first_message(acme, ticket)))
    page = acme_agent_client.get(f"/workspace/tickets/{ticket.number}/")
    assert image_sources(page) == ["https://cdn.example/logo.png"]


def test_a_picture_written_inside_a_title_stays_text_once_images_are_loaded(
    acme, requester, acme_agent_client
):
    html = '<a title="<img src=&quot;https://tracker.example/t.gif&quot;>">x</a>'
    ticket = mail_ticket(acme, requester, html)
    acme_agent_client.post(allow_url(ticket, first_message(acme, ticket)))
    page = acme_agent_client.get(f"/workspace/tickets/{ticket.number}/")
    assert image_sources(page) == []
    assertContains(page, 'title="&lt;img src=&quot;https://tracker.example/t.gif&quot;&gt;"')


def test_loading_images_with_htmx_swaps_in_that_message_alone(acme, requester, acme_agent_client):
    ticket = mail_ticket(acme, requester, MAIL)
    message = first_message(acme, ticket)
    response = acme_agent_client.post(allow_url(ticket, message), headers=HTMX)
    assert response.status_code == 200
    assertContains(response, f'id="message-{message.pk}"')
    assert image_sources(response) == [PIXEL]
    assertNotContains(response, 'id="thread"')
    assertNotContains(response, "<html")


def test_images_loaded_for_one_message_stay_hidden_in_the_others(
    acme, requester, acme_agent_client
):
    ticket = mail_ticket(acme, requester, MAIL)
    first = first_message(acme, ticket)
    with tenant_context(acme):
        services.ticket_reply_add(
            ticket=ticket, text="Again", channel="email", author_contact=requester,
            html='<p>Again</p><img src="https://tracker.example/second.gif">',
        )  # fmt: skip
    acme_agent_client.post(allow_url(ticket, first))
    page = acme_agent_client.get(f"/workspace/tickets/{ticket.number}/")
    assert image_sources(page) == [PIXEL]
    assertContains(page, HIDDEN, count=1)


def test_a_customer_cannot_load_remote_images(acme, requester, acme_customer_client):
    ticket = mail_ticket(acme, requester, MAIL)
    message = first_message(acme, ticket)
    response = acme_customer_client.post(allow_url(ticket, message))
    assert response.status_code == 403
    with tenant_context(acme):
        message.refresh_from_db()
    assert message.remote_images_allowed is False


def test_another_desks_agent_cannot_load_remote_images(acme, requester, globex_agent_client):
    ticket = mail_ticket(acme, requester, MAIL)
    message = first_message(acme, ticket)
    response = globex_agent_client.post(allow_url(ticket, message))
    assert response.status_code == 404
    with tenant_context(acme):
        message.refresh_from_db()
    assert message.remote_images_allowed is False


def test_an_agent_outside_a_private_team_cannot_load_its_tickets_images(
    acme, requester, acme_agent_client
):
    vault = TeamFactory(tenant=acme, name="Vault", is_private=True)
    TeamMemberFactory(tenant=acme, team=vault, user=member(acme, "v@acme.example", Role.AGENT))
    ticket = mail_ticket(acme, requester, MAIL, team=vault)
    response = acme_agent_client.post(allow_url(ticket, first_message(acme, ticket)))
    assert response.status_code == 404


def test_a_message_of_another_ticket_cannot_be_reached_through_this_one(
    acme, requester, acme_agent_client
):
    ticket = mail_ticket(acme, requester, MAIL)
    other = mail_ticket(acme, requester, MAIL)
    response = acme_agent_client.post(allow_url(ticket, first_message(acme, other)))
    assert response.status_code == 404


def test_loading_images_is_a_post_only(acme, requester, acme_agent_client):
    ticket = mail_ticket(acme, requester, MAIL)
    response = acme_agent_client.get(allow_url(ticket, first_message(acme, ticket)))
    assert response.status_code == 405


# --- inline pictures (cid:) -------------------------------------------------------------------


def inline_png(content_id: str, content_type: str = "image/png"):
    return services.IncomingFile(
        "screenshot.png", content_type, PNG, content_id=content_id, is_inline=True
    )


@pytest.mark.parametrize(
    ("src", "content_id"),
    [
        ("cid:ii_lt8x2k0a0", "<ii_lt8x2k0a0>"),
        ("cid:part1.ABC@Example.com", "<Part1.abc@example.COM>"),
        ("cid:part1.abc%40example.com", "part1.abc@example.com"),
        ("CID:%3Cpart1.abc@example.com%3E", "<part1.abc@example.com>"),
    ],
)
def test_a_picture_sent_inside_the_mail_shows_from_its_stored_file_without_a_click(
    acme, requester, acme_agent_client, src, content_id
):
    ticket = mail_ticket(
        acme, requester, f'<p>See:</p><img src="{src}" alt="shot">', [inline_png(content_id)]
    )
    with tenant_context(acme):
        attachment = ticket.messages.get().attachments.get()
    page = acme_agent_client.get(f"/workspace/tickets/{ticket.number}/")
    url = f"/workspace/tickets/{ticket.number}/attachments/{attachment.pk}/"
    assert image_sources(page) == [url]
    assertNotContains(page, HIDDEN)
    picture = acme_agent_client.get(url)
    assert (picture.status_code, picture["Content-Type"]) == (200, "image/png")


def test_the_requester_sees_an_inline_picture_through_the_portal(
    acme, requester, acme_customer_client
):
    ticket = mail_ticket(acme, requester, '<img src="cid:shot1">', [inline_png("<shot1>")])
    with tenant_context(acme):
        attachment = ticket.messages.get().attachments.get()
    page = acme_customer_client.get(f"/portal/tickets/{ticket.number}/")
    url = f"/portal/tickets/{ticket.number}/attachments/{attachment.pk}/"
    assert image_sources(page) == [url]
    assert acme_customer_client.get(url).status_code == 200


def test_a_cid_that_matches_no_file_shows_nothing(acme, requester, acme_agent_client):
    ticket = mail_ticket(acme, requester, '<img src="cid:missing" alt="x">', [inline_png("<a>")])
    page = acme_agent_client.get(f"/workspace/tickets/{ticket.number}/")
    assert image_sources(page) == []
    assertNotContains(page, HIDDEN)


def test_an_inline_svg_is_not_shown_as_a_picture(acme, requester, acme_agent_client):
    svg = inline_png("<logo>", content_type="image/svg+xml")
    ticket = mail_ticket(acme, requester, '<img src="cid:logo">', [svg])
    page = acme_agent_client.get(f"/workspace/tickets/{ticket.number}/")
    assert image_sources(page) == []


def test_a_cid_cannot_show_a_file_of_another_message(acme, requester, acme_agent_client):
    ticket = mail_ticket(acme, requester, "<p>First</p>", [inline_png("<shot1>")])
    with tenant_context(acme):
        services.ticket_reply_add(
            ticket=ticket, text="Second", channel="email", author_contact=requester,
            html='<p>Second</p><img src="cid:shot1">',
        )  # fmt: skip
    page = acme_agent_client.get(f"/workspace/tickets/{ticket.number}/")
    assert image_sources(page) == []


# --- cost and stored messages -----------------------------------------------------------------


@pytest.fixture
def pictured_ticket(acme, requester, acme_agent):
    ticket = mail_ticket(acme, requester, MAIL)
    with tenant_context(acme):
        for n in range(30):
            message = services.ticket_reply_add(
                ticket=ticket, text=f"Reply {n}", channel="email", author_contact=requester,
                html=f'<p>Reply {n}</p><img src="cid:shot{n}"><img src="https://cdn.example/{n}">',
                attachments=[inline_png(f"<shot{n}>")],
            )  # fmt: skip
            if n % 2:
                services.message_remote_images_allow(message=message)
    return ticket


@pytest.mark.parametrize("url", ["/workspace/tickets/{number}/", "/portal/tickets/{number}/"])
def test_pictures_do_not_make_the_thread_cost_more_queries(
    acme, pictured_ticket, acme_agent_client, acme_customer_client, url,
    django_assert_max_num_queries,
):  # fmt: skip
    client = acme_customer_client if url.startswith("/portal") else acme_agent_client
    url = url.format(number=pictured_ticket.number)
    client.get(url, headers=HTMX)
    # The savepoint and the tenant setting around the request, session, user, the ticket, its
    # messages and their files: the pictures are found in the prefetched files.
    with django_assert_max_num_queries(9):
        response = client.get(url, headers=HTMX)
    assert len(image_sources(response)) == 30 + 15


def test_messages_stored_before_keep_their_remote_images_hidden(acme, requester, acme_agent_client):
    ticket = mail_ticket(acme, requester, "<p>Old</p>")
    message = first_message(acme, ticket)
    with tenant_context(acme):
        Message.objects.filter(pk=message.pk).update(
            body_html=f'<p>Old</p><img src="{PIXEL.replace("&", "&amp;")}" alt="">'
        )
    migration = importlib.import_module("tickets.migrations.0017_message_remote_images")
    migration.hide_remote_images(apps, SimpleNamespace(connection=connection))
    page = acme_agent_client.get(f"/workspace/tickets/{ticket.number}/")
    assert image_sources(page) == []
    assertContains(page, HIDDEN)
    acme_agent_client.post(allow_url(ticket, message))
    assert image_sources(acme_agent_client.get(f"/workspace/tickets/{ticket.number}/")) == [PIXEL]
