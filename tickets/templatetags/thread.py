"""Template tags of a ticket's thread, on the agent's ticket page and in the portal."""

from __future__ import annotations

from django import template
from django.urls import reverse

from tickets.message_images import ShownHtml, content_id_key, images_show
from tickets.models import Message, Ticket

register = template.Library()


@register.simple_tag
def message_body(message: Message, ticket: Ticket, portal: bool = False) -> ShownHtml:
    """`message`'s HTML as this page shows it: its own pictures through the page's download
    view, pictures from other sites only once an agent loaded them for this message."""
    view = "tickets:portal_attachment" if portal else "tickets:attachment_download"

    def inline_url(key: str) -> str | None:
        # The thread's attachments are prefetched: looking through them costs no query.
        for attachment in message.attachments.all():
            if attachment.is_picture and content_id_key(attachment.content_id) == key:
                return reverse(view, args=[ticket.number, attachment.pk])
        return None

    return images_show(
        message.body_html, remote_allowed=message.remote_images_allowed, inline_url=inline_url
    )
