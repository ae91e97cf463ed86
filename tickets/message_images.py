"""Pictures in a message's HTML: none fetched from elsewhere until an agent says so.

Mail carries tracking pixels and open-trackers: a remote picture tells its sender when, and
from where, the mail was read. So the HTML a message stores (`Message.body_html`, already
sanitised by nh3) holds no picture address a browser would fetch:

- a remote picture (`http:`, `https:`, `//host/…`, however obfuscated) keeps its address in
  `data-remote-src`, and gets it back as `src` only when shown for a message whose remote
  images an agent chose to load (`Message.remote_images_allowed`);
- a picture of the mail itself (`cid:`) keeps its Content-ID in `data-cid`, and is shown from
  the message's stored file through the checked download view of the page showing it;
- any other address (relative ones, which would hit this site with the reader's session) is
  dropped.

Blocking when the message is stored, not when it is shown, makes every other reader of
`body_html` (the API, a template someone adds later) fail closed: it shows no pictures rather
than firing trackers. Showing is a string substitution on the few `<img>` tags of messages
that have any, with nothing to query: the thread's attachments are prefetched.

The pages set no Content-Security-Policy to back this up, on purpose: a page's policy is fixed
when it loads, so one that refused remote pictures would also refuse those an htmx swap brings
in after an agent loads them, and one that allowed them would add nothing.

The tags are found with regular expressions, which is exact here and only here: nh3 writes
lower-case names, every attribute as `name="value"` with `"`, `<` and `>` escaped inside
values, and `<` escaped in text, so `<img[^>]*>` matches each picture and nothing else.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import unquote

from django.utils.safestring import SafeString, mark_safe

REMOTE = "data-remote-src"
CID = "data-cid"

_IMG = re.compile(r"<img\b[^>]*>")
_ATTRIBUTE = re.compile(r'\s([^\s="]+)="([^"]*)"')
# As browsers read an address (WHATWG URL): spaces and controls around it go, tabs and line
# breaks inside it go, and for http(s) a backslash is a slash.
_AROUND = "".join(chr(n) for n in range(0x21))
_INSIDE = re.compile(r"[\t\n\r]")
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")


@dataclass(frozen=True)
class ShownHtml:
    """A message's HTML as one page shows it, and whether remote pictures are hidden in it."""

    html: SafeString
    remote_images_hidden: bool


def content_id_key(value: str) -> str:
    """The form two Content-IDs are compared in: `<Part1.A@Host>` → `part1.a@host` (RFC 2392)."""
    return value.strip().strip("<>").strip().lower()


def images_block(sanitised: str) -> str:
    """Sanitised HTML whose pictures fetch nothing: remote addresses and Content-IDs set aside.

    Safe to run again on its own output (the migration of stored messages relies on it).
    """
    if "<img" not in sanitised:
        return sanitised
    return _IMG.sub(_block, sanitised)


def images_show(
    stored: str, *, remote_allowed: bool, inline_url: Callable[[str], str | None]
) -> ShownHtml:
    """`stored` (from `images_block`) with pictures the reader may fetch given back their `src`.

    `inline_url` answers a Content-ID key (`content_id_key`) with the address of the message's
    own picture, or None: a picture nobody can serve shows its alt text, and fetches nothing.
    """
    if "<img " not in stored:
        return ShownHtml(mark_safe(stored), remote_images_hidden=False)  # noqa: S308 (sanitised)
    hidden = False

    def show(match: re.Match[str]) -> str:
        nonlocal hidden
        tag = match.group(0)
        attributes = dict(_ATTRIBUTE.findall(tag))
        if CID in attributes:
            url = inline_url(content_id_key(html.unescape(attributes[CID])))
            return f'<img src="{html.escape(url)}"{tag[4:]}' if url else tag
        if REMOTE in attributes:
            if not remote_allowed:
                hidden = True
                return tag
            # The address of the page showing it (a ticket number) is not the sender's business.
            return f'<img src="{attributes[REMOTE]}" referrerpolicy="no-referrer"{tag[4:]}'
        return tag

    shown = _IMG.sub(show, stored)
    return ShownHtml(mark_safe(shown), remote_images_hidden=hidden)  # noqa: S308 (sanitised)


def _block(match: re.Match[str]) -> str:
    kept, set_aside = [], []
    for name, value in _ATTRIBUTE.findall(match.group(0)):
        if name == "src":
            set_aside += _source(html.unescape(value))
        else:  # nh3 lets no data-* attribute through: one here was set aside before
            kept.append((name, value))
    # Set-aside attributes first: `<img data-remote-src="` begins a picture that is hidden.
    attributes = [(name, html.escape(value)) for name, value in set_aside] + kept
    return "<img" + "".join(f' {name}="{value}"' for name, value in attributes) + ">"


def _source(address: str) -> list[tuple[str, str]]:
    """Where a picture's `src` goes when stored: (attribute, value), or nowhere."""
    address = _INSIDE.sub("", address.strip(_AROUND))
    scheme = _SCHEME.match(address)
    if scheme is None:
        rest = address.replace("\\", "/")
        # `//host/…` takes the page's scheme; pages are served over HTTPS.
        return [(REMOTE, "https://" + rest[2:])] if rest.startswith("//") else []
    name = scheme.group(1).lower()
    rest = address[scheme.end() :]
    if name == "cid":
        return [(CID, unquote(rest))] if rest else []
    if name in ("http", "https"):
        rest = rest.replace("\\", "/").lstrip("/")
        return [(REMOTE, f"{name}://{rest}")] if rest else []
    return []
