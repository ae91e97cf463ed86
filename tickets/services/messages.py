"""Messages of a thread as channels hand them in: checked, sanitised, stored with their files."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import nh3
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.html import escape, linebreaks, urlize
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from helpdesk.models import User
from helpdesk.text import file_name
from tickets.message_images import images_block
from tickets.models import (
    Attachment,
    Contact,
    Message,
    Ticket,
)

# The longest message a person may write through a form or the API (about 40 pages of text):
# longer ones are refused with this limit named, never cut silently.
TEXT_MAX_CHARS = 100_000

# Tags a browser may show from a message written elsewhere (mail clients' HTML).
ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "div", "em", "h1", "h2", "h3", "h4", "h5",
    "h6", "hr", "i", "img", "li", "ol", "p", "pre", "s", "span", "strong", "sub", "sup", "table",
    "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
}  # fmt: skip


ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}


@dataclass(frozen=True)
class IncomingFile:
    """A file as a channel received it, before it is checked and stored.

    Its content is bytes or a file (a large one, kept out of memory); a file known to be too
    big may come with its size alone, and empty content.
    """

    name: str
    content_type: str
    content: bytes | File
    content_id: str = ""
    is_inline: bool = False
    size: int = -1  # taken from the content when not given

    def __post_init__(self) -> None:
        if self.size < 0:
            size = len(self.content) if isinstance(self.content, bytes) else self.content.size
            object.__setattr__(self, "size", size)


def attachment_problem(file: IncomingFile) -> str | None:
    """Why `file` may not be stored (too big, forbidden type), or None if it may."""
    name = file_name(file.name, file.content_type)
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if file.size > settings.ATTACHMENT_MAX_BYTES:
        limit = settings.ATTACHMENT_MAX_BYTES // (1024 * 1024)
        return _("“%(name)s” is larger than %(limit)s MB.") % {"name": name, "limit": limit}
    if extension in settings.ATTACHMENT_BLOCKED_EXTENSIONS or (
        file.content_type.lower() in settings.ATTACHMENT_BLOCKED_TYPES
    ):
        return _("Files like “%(name)s” are not accepted, because they can run programs.") % {
            "name": name
        }
    return None


def attachments_check(files: Sequence[IncomingFile]) -> None:
    """Refuse the whole submission, with a clear message, if any attachment may not be kept."""
    if len(files) > settings.ATTACHMENT_MAX_COUNT:
        limit = settings.ATTACHMENT_MAX_COUNT
        raise ValidationError(
            ngettext(
                "At most %(count)s attachment can be sent at once.",
                "At most %(count)s attachments can be sent at once.",
                limit,
            )
            % {"count": limit}
        )
    problems = [problem for file in files if (problem := attachment_problem(file))]
    if problems:
        raise ValidationError(problems)


def sanitize_html(html: str) -> str:
    """HTML that is safe to show in an agent's or customer's browser: no script, no handlers,
    no picture fetched from elsewhere until shown through `tickets.message_images`."""
    # `data:` stays out: an inline picture comes as a cid: part we store and check, and a
    # data: address could carry SVG or a page.
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto", "cid"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
    return images_block(cleaned)


def text_to_html(text: str) -> str:
    """Plain text as escaped HTML paragraphs with links."""
    return linebreaks(urlize(escape(text), nofollow=True))


def attachments_store(message: Message, files: Sequence[IncomingFile]) -> list[Attachment]:
    """Keep `files` (already checked) as `message`'s attachments, each under a name of its own."""
    stored = []
    for file in files:
        name = file_name(file.name, file.content_type)
        attachment = Attachment(
            message=message,
            filename=name,
            content_type=file.content_type[:120] or "application/octet-stream",
            size=file.size,
            content_id=file.content_id.strip("<>")[:255],
            is_inline=file.is_inline,
        )
        attachment.tenant_id = message.tenant_id
        content = ContentFile(file.content) if isinstance(file.content, bytes) else file.content
        attachment.file.save(name, content, save=False)
        attachment.save()
        stored.append(attachment)
    return stored


def message_build(
    *,
    ticket: Ticket,
    kind: str,
    author_type: str,
    channel: str,
    text: str,
    html: str = "",
    author_user: User | None = None,
    author_contact: Contact | None = None,
    message_id: str = "",
    in_reply_to: str = "",
    references: str = "",
    delivery: str = "",
) -> Message:
    """An unsaved message of `ticket`'s thread, its HTML sanitised (or made from its text);
    `delivery`: how a message of the desk went out, when it goes out as it is written."""
    message = Message(
        ticket=ticket,
        kind=kind,
        author_type=author_type,
        author_user=author_user,
        author_contact=author_contact,
        channel=channel,
        language=ticket.language,  # its words are stemmed for search in the ticket's language
        body_text=text,
        body_html_raw=html,
        body_html=sanitize_html(html) if html else text_to_html(text),
        message_id=message_id[:255],
        in_reply_to=in_reply_to[:255],
        references=references,
        delivery=delivery,
    )
    message.tenant_id = ticket.tenant_id
    return message


@transaction.atomic
def message_remote_images_allow(*, message: Message) -> Message:
    """Show `message`'s pictures from other sites to everyone who may read it, as an agent chose."""
    Message.objects.filter(pk=message.pk).update(remote_images_allowed=True)
    message.remote_images_allowed = True
    return message


def message_add(*, attachments: Sequence[IncomingFile] = (), **fields: Any) -> Message:
    """Store a message of a locked ticket's thread (the fields of `message_build`), with files."""
    message = message_build(**fields)
    message.save()
    attachments_store(message, attachments)
    return message
