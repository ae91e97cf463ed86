"""Large base64 bodies of a raw mail, decoded into temporary files before the mail is parsed.

Python's `email` parser holds a message several times over while it reads it: the whole text
as a string, every line of it as a string of its own, each part's payload joined again, then
its decoded bytes (a 40 MiB mail took the process from 126 to 442 MiB, only for its 30 MiB
attachment to be refused as too large). So before parsing, `set_aside` finds each large
base64 body (where nearly all the bytes of real mail are), decodes it in chunks into a
temporary file, and stops writing once the file is over the attachment limit: the size is
checked while the body is read. The parser then reads the message with a short stand-in in
each such body's place, and the reader swaps the file back in for the stand-in's decoded bytes.

A body that cannot be decoded cleanly stays in the message, for the parser's own forgiving
decoder. The raw message itself is left untouched: it is stored as it came.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
import tempfile
from dataclasses import dataclass, field

from django.core.files import File

# Smaller bodies stay in the message the parser reads: they cost little, and setting them
# aside would cost a file each.
SET_ASIDE_FROM = 256 * 1024
_CHUNK = 1024 * 1024  # encoded bytes decoded at a time

_BASE64_HEADER = re.compile(
    rb'^content-transfer-encoding:[ \t]*"?base64"?[ \t]*\r?$', re.IGNORECASE | re.MULTILINE
)
_BLANK_LINE = re.compile(rb"\r?\n\r?\n")
# A header block: field lines and their folded continuations, nothing else.
_HEADER_LINES = re.compile(rb"(?:(?:[!-9;-~]+[ \t]*:|[ \t])[^\n]*\n)*")
_WHITESPACE = b" \t\r\n"
# A body that is the mail's text (not an attachment) is read whatever its size.
_TEXT_TYPE = re.compile(rb"^content-type:[ \t]*text/", re.IGNORECASE | re.MULTILINE)
_ATTACHMENT = re.compile(rb"^content-disposition:[ \t]*attachment", re.IGNORECASE | re.MULTILINE)


@dataclass(eq=False)
class LargeBody:
    """One body taken out of the message before parsing, decoded while it was read."""

    encoded: memoryview = field(repr=False)  # its place in the raw message
    stand_in: bytes  # the base64 line the parser reads instead
    decoded_stand_in: bytes  # what the parser decodes the stand-in to
    file: File | None  # the decoded body; None when it was over the limit
    size: int  # decoded bytes (estimated from the encoded length when over the limit)


def set_aside(raw: bytes, *, limit: int | None) -> tuple[bytes, list[LargeBody]]:
    """`raw` with each large base64 body replaced by a stand-in, and those bodies decoded.

    A body decoding to more than `limit` bytes is not kept past the limit: its file is None.
    """
    pieces: list[bytes] = []
    bodies: list[LargeBody] = []
    copied_up_to = position = 0
    while found := _BASE64_HEADER.search(raw, position):
        position = found.end()
        span = _body_of(raw, found.start(), found.end())
        if span is None:
            continue
        start, end, is_text = span
        position = end
        if end - start < SET_ASIDE_FROM:
            continue
        body = _decode(raw, start, end, None if is_text else limit)
        if body is None:
            continue
        pieces += [raw[copied_up_to:start], body.stand_in]
        copied_up_to = end
        bodies.append(body)
    if not bodies:
        return raw, []
    pieces.append(raw[copied_up_to:])
    return b"".join(pieces), bodies


def _body_of(raw: bytes, header_start: int, header_end: int) -> tuple[int, int, bool] | None:
    """Where the body under this Content-Transfer-Encoding header is, if it is one, and
    whether it is text to be read rather than a file."""
    # The header must be in a part's header block: after a boundary line (or at the very
    # start), with only header lines between, never in a body quoting one.
    boundary = raw.rfind(b"\n--", 0, header_start)
    block = raw.find(b"\n", boundary + 1) + 1 if boundary >= 0 else 0
    blank = _BLANK_LINE.search(raw, header_end)
    if blank is None:
        return None
    head = raw[block : blank.start() + 1]
    if _HEADER_LINES.fullmatch(head.replace(b"\r\n", b"\n")) is None:
        return None
    is_text = bool(_TEXT_TYPE.search(head)) and not _ATTACHMENT.search(head)
    start = blank.end()
    delimiter = raw.find(b"\n--", start)  # base64 has no "-": the next boundary ends it
    if delimiter < 0:
        return start, len(raw), is_text
    end = delimiter - 1 if raw[delimiter - 1 : delimiter] == b"\r" else delimiter
    return start, end, is_text


def _decode(raw: bytes, start: int, end: int, limit: int | None) -> LargeBody | None:
    view = memoryview(raw)[start:end]
    out = tempfile.TemporaryFile()  # noqa: SIM115 (it lives as long as the parsed mail)
    written, carry = 0, b""
    try:
        for offset in range(0, len(view), _CHUNK):
            letters = carry + bytes(view[offset : offset + _CHUNK]).translate(None, _WHITESPACE)
            whole = len(letters) - len(letters) % 4
            carry = letters[whole:]
            decoded = binascii.a2b_base64(letters[:whole], strict_mode=True) if whole else b""
            written += len(decoded)
            if limit is not None and written > limit:
                out.close()
                breaks = raw.count(b"\n", start, end) + raw.count(b"\r", start, end)
                return _body(view, None, max(written, (end - start - breaks) * 3 // 4))
            out.write(decoded)
        if carry:  # unpadded tail: what a lenient reader makes of it, as the parser would
            tail = binascii.a2b_base64(carry + b"=" * (-len(carry) % 4))
            written += len(tail)
            out.write(tail)
    except (binascii.Error, ValueError):
        out.close()
        return None
    if limit is not None and written > limit:
        out.close()
        return _body(view, None, written)
    content = File(out)
    content.size = written
    return _body(view, content, written)


def _body(view: memoryview, file: File | None, size: int) -> LargeBody:
    decoded_stand_in = b"\0helpdesk large body " + secrets.token_hex(16).encode() + b"\0"
    return LargeBody(
        encoded=view,
        stand_in=base64.b64encode(decoded_stand_in),
        decoded_stand_in=decoded_stand_in,
        file=file,
        size=size,
    )
