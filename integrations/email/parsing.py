"""Turn raw RFC 5322 bytes into a `ParsedEmail`, whatever the sender's software got wrong.

`parse_email` never raises: inbound mail is written by thousands of programs, many of them broken,
and one bad message must not stop a mailbox from being polled. What could not be read is listed in
`ParsedEmail.problems`, and everything else is still returned.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import dataclasses
import email
import email.utils
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy as email_policy
from email.message import Message
from email.parser import BytesParser
from html.parser import HTMLParser

from django.core.files import File

from helpdesk.text import file_name
from integrations.email.bodies import LargeBody, set_aside

# Headers kept verbatim (decoded, shortened) for threading and for debugging a misfiled mail.
KEPT_HEADERS = (
    "Message-ID",
    "In-Reply-To",
    "References",
    "Thread-Index",
    "Thread-Topic",
    "Return-Path",
    "Sender",
    "Auto-Submitted",
    "Precedence",
    "List-Id",
    "X-Auto-Response-Suppress",
    "X-Loop",
    "X-Mailer",
    "User-Agent",
)
_KEPT_HEADER_LENGTH = 1000

_AUTO_RESPONSE_SUPPRESS_VALUES = {"oof", "all", "autoreply"}
_BULK_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
# Exchange marks mail produced by inbox rules: not enough alone (a rule may forward a human's
# mail), but together with an out-of-office subject it is an automatic reply.
_WEAK_AUTO_HEADERS = ("X-MS-Exchange-Inbox-Rules-Loop", "X-MS-Exchange-Generated-Message-Source")
_AUTO_LOCAL_PART = re.compile(
    r"""^(?:
        mailer-daemon | postmaster
        | .*no[-_.]?reply.* | .*do[-_.]?not[-_.]?reply.*
        | bounces?(?:[-+._=].*)?
    )$""",
    re.IGNORECASE | re.VERBOSE,
)
# A subject starting like this is an automatic reply even without any header saying so.
_AUTO_SUBJECT_PREFIX = re.compile(r"^\s*(?:automatic reply|auto|out of office)\s*:", re.IGNORECASE)
# Anywhere in the subject these only support another signal: people write "Out of office until
# Monday?" themselves. Whole words only, so "auto insurance" never counts.
_AUTO_SUBJECT_WORDS = re.compile(
    r"""(?:^|\W)(?:
        out\ of\ (?:the\ )?office | automatic\ reply | auto-?reply | autoresponder
        | auto: | abwesenheitsnotiz | automatische\ antwort | réponse\ automatique
        | respuesta\ automática | fuera\ de\ la\ oficina
    )(?:\W|$)""",
    re.IGNORECASE | re.VERBOSE,
)
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|delivery status notification|delivery failure|mail delivery failed"
    r"|returned mail|failure notice|unzustellbar|non remis",
    re.IGNORECASE,
)

# Brackets may be CJK ones (U+3010/U+3011, fullwidth U+FF3B/U+FF3D): some phones convert them.
_TICKET_REFERENCE = re.compile(
    r"[\[\u3010\uff3b][^\]\u3011\uff3d]{0,60}?"
    r"(?<![A-Za-z0-9])#?\s*([A-Za-z][A-Za-z0-9]{0,19})-(\d{1,9})(?!\d)"
    r"[^\]\u3011\uff3d]{0,60}[\]\u3011\uff3d]"
)

_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")
_FOLDING = re.compile(r"\r?\n(?=[ \t])")
_BRACKETED_ID = re.compile(r"<([^<>\s]*)>")
_ADDR_SPEC = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w.-]+\w")
# Labels that name a single-byte Western encoding are decoded as Windows-1252, as browsers do:
# Outlook labels its curly quotes "iso-8859-1" all the time.
_CHARSET_ALIASES = {
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "ks_c_5601-1987": "cp949",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-sjis": "shift_jis",
    "shift-jis": "shift_jis",
    "x-gbk": "gb18030",
    "windows-874": "cp874",
}
_MAX_DEPTH = 40
# (name, policy, whether to parse the MIME structure), tried in turn until one succeeds.
_ATTEMPTS = (
    ("modern parser", email_policy.default, True),
    ("compat32 parser", email_policy.compat32, True),
    ("header-only parser", email_policy.compat32, False),
)


@dataclass(frozen=True)
class Attachment:
    """One file that came with a mail: a real attachment, an inline image or a forwarded mail.

    Its content is bytes, or a temporary file for a large body decoded while the mail was read
    (`bodies.set_aside`), or None for a body found larger than the limit it was read against.
    """

    filename: str
    content_type: str
    content: bytes | File | None = field(repr=False)
    content_id: str | None = None
    is_inline: bool = False
    size: int = -1  # taken from the content when not given

    def __post_init__(self) -> None:
        if self.size < 0:
            size = len(self.content) if isinstance(self.content, bytes) else self.content.size
            object.__setattr__(self, "size", size)


@dataclass(frozen=True)
class ParsedEmail:
    """What the help desk needs from one inbound mail, however broken the mail was."""

    message_id: str | None = None
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    subject: str = ""
    from_address: str = ""
    from_name: str = ""
    reply_to: str | None = None
    reply_to_name: str = ""
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    delivered_to: list[str] = field(default_factory=list)
    date: datetime | None = None
    text: str = ""
    html: str | None = None
    attachments: list[Attachment] = field(default_factory=list)
    language: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    is_auto_submitted: bool = False
    auto_reason: str | None = None
    is_bounce: bool = False
    bounced_message_id: str | None = None
    bounced_subject: str = ""  # the returned mail's subject, which may carry a ticket token
    # RFC 8098: a disposition notification (read receipt) about one of our mails.
    is_read_receipt: bool = False
    receipt: dict[str, str] = field(default_factory=dict)  # its fields, lower-case names
    # An answer by a machine, not a person: RFC 3834 auto-replied (vacation), the common
    # autoresponder headers, Precedence: auto_reply, a delivery delay notice (DSN 4.x.x).
    is_auto_reply: bool = False
    bounce_recipients: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def recipients(self) -> list[str]:
        """Every address the mail went to, envelope first: the tenant is found from these."""
        return _unique(a.lower() for a in [*self.delivered_to, *self.to, *self.cc] if a)

    def thread_ids(self) -> list[str]:
        """Message-IDs this mail answers: In-Reply-To, then References newest first."""
        return _unique([*self.in_reply_to, *reversed(self.references)])


def parse_email(raw: bytes, *, attachment_limit: int | None = None) -> ParsedEmail:
    """Parse a raw mail; never raises, and lists what went wrong in `problems`.

    Large bodies are decoded into temporary files while the mail is read, and not kept past
    `attachment_limit` bytes: such an attachment comes back with its size and no content.
    """
    if raw is None:
        raw = b""
    try:
        raw = raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else bytes(raw)
    except (TypeError, ValueError):  # UnicodeEncodeError is a ValueError
        return ParsedEmail(problems=[f"not a mail: {type(raw).__name__}"])
    problems = []
    try:
        skeleton, large = set_aside(raw, limit=attachment_limit)
    except Exception as exc:  # a bug in ours must not lose the mail: the parser reads it all
        problems.append(f"large bodies could not be set aside ({type(exc).__name__}: {exc})")
        skeleton, large = raw, []
    # The modern parser first; on a bug in it (or ours) the forgiving compat32 one; on mail the
    # stdlib cannot parse at all (it recurses once per nesting level) the headers and raw body.
    for name, policy, structure in _ATTEMPTS:
        try:
            reader = (
                _Reader(skeleton, policy, large=large)
                if structure
                else _Reader(raw, policy, large=None)
            )
            parsed = reader.result()
        except Exception as exc:
            problems.append(f"{name} failed ({type(exc).__name__}: {exc})")
            continue
        return dataclasses.replace(parsed, problems=[*problems, *parsed.problems])
    text, _ = _decode_bytes(raw, None)
    return ParsedEmail(text=_clean_text(text), problems=problems)


def normalise_message_id(value: str | None) -> str | None:
    """`<Abc@Host>` → `Abc@Host`: the form Message-IDs are stored and compared in; None if empty."""
    if not value:
        return None
    value = _FOLDING.sub("", str(value)).strip()
    match = _BRACKETED_ID.search(value)
    if match:
        value = match.group(1)
    else:
        value = value.strip("<> \t\r\n").split()[0] if value.strip("<> \t\r\n") else ""
    value = value.strip()
    return value or None


def message_id_list(value: str | None) -> list[str]:
    """All Message-IDs in an In-Reply-To or References value, in order, without duplicates."""
    if not value:
        return []
    value = _FOLDING.sub("", str(value))
    ids = [m.group(1) for m in _BRACKETED_ID.finditer(value) if m.group(1)]
    if not ids:  # some programs leave out the brackets
        ids = [token for token in re.split(r"[\s,]+", value) if "@" in token]
    return _unique(i.strip("<>") for i in ids)


def ticket_reference_in(
    subject: str, prefixes: Iterable[str] | None = None
) -> tuple[str, int] | None:
    """Find a `[ACME-1042]` ticket token in a subject, as ("ACME", 1042).

    With `prefixes` (the tenant's ticket prefixes) any case is accepted, but only those prefixes;
    without them the prefix must be written in capitals, as the help desk writes it.
    """
    if not subject:
        return None
    allowed = {p.upper() for p in prefixes} if prefixes is not None else None
    for match in _TICKET_REFERENCE.finditer(str(subject)):
        prefix, number = match.group(1), int(match.group(2))
        if allowed is None:
            if prefix == prefix.upper():
                return prefix, number
        elif prefix.upper() in allowed:
            return prefix.upper(), number
    return None


def html_to_text(html: str) -> str:
    """A readable plain-text rendering of an HTML body, paragraphs and quotes kept."""
    renderer = _HtmlText()
    try:
        renderer.feed(html)
        renderer.close()
        text = "".join(renderer.out)
    except Exception:  # html.parser is lenient, but never let a body stop the mail
        text = re.sub(r"<[^>]*>", " ", html)
    lines = [line.rstrip() for line in text.replace("\xa0", " ").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")


def decode_header_value(value: str | None, problems: list[str] | None = None) -> str:
    """Decode RFC 2047 encoded words and undeclared 8-bit bytes in one raw header value."""
    if not value:
        return ""
    notes = problems if problems is not None else []
    text = _FOLDING.sub("", str(value))
    text = _unsurrogate(text, notes)
    out: list[str] = []
    run: list[tuple[str, bytes]] = []  # adjacent encoded words, merged per charset
    position = 0
    for match in _ENCODED_WORD.finditer(text):
        between = text[position : match.start()]
        if not (run and between.strip() == ""):  # space between encoded words is not content
            out.append(_decode_run(run, notes))
            run = []
            out.append(between)
        charset = match.group(1).split("*", 1)[0].lower()
        data = _decode_word(match.group(2).lower(), match.group(3), notes)
        if run and run[-1][0] == charset:
            run[-1] = (charset, run[-1][1] + data)
        else:
            run.append((charset, data))
        position = match.end()
    out.append(_decode_run(run, notes))
    out.append(text[position:])
    return re.sub(r"[\r\n]+", " ", "".join(out)).replace("\x00", "")


class _Reader:
    """One pass over one message under one `email` policy; collects problems instead of raising."""

    def __init__(
        self, raw: bytes, policy: email_policy.Policy, *, large: list[LargeBody] | None
    ) -> None:
        """`large`: the bodies set aside from `raw`; None reads the headers only."""
        self.problems: list[str] = []
        if not raw.strip():
            self.problems.append("empty message")
        self.structure = large is not None
        self.large = {body.decoded_stand_in: body for body in large or ()}
        self.msg = BytesParser(policy=policy).parsebytes(raw, headersonly=not self.structure)
        self.plain: list[str] = []
        self.html: list[str] = []
        self.attachments: list[Attachment] = []
        self.report: Message | None = None
        self.delivery_status: list[dict[str, str]] = []
        self.receipt: dict[str, str] = {}
        self.nested_ids: list[str] = []
        self.nested_subjects: list[str] = []

    def result(self) -> ParsedEmail:
        msg = self.msg
        if not list(msg.keys()) and msg.get_payload():
            self.problems.append("no headers found")
        if self.structure:
            self._walk(msg, 0)
        else:
            self.problems.append("MIME structure unreadable; the raw body is kept as text")
            self.plain.append(self._text_of(msg, "text/plain"))
        self._collect_defects()

        from_name, from_address = self._first_address("From")
        if not from_address:
            from_name, from_address = self._first_address("Sender")
            self.problems.append("no usable From address")
        text = "\n\n".join(t for t in self.plain if t.strip())
        html = "\n".join(self.html) if self.html else None
        if not text.strip() and html:
            text = html_to_text(html)
        message_id = normalise_message_id(self._raw("Message-ID"))
        if message_id is None and msg.keys():
            self.problems.append("no Message-ID header")
        subject = self._header("Subject")
        bounce_recipients, is_bounce, bounce_kind = self._bounce(from_address, subject)
        auto_reason = self._auto_reason(from_address, subject, bounce_kind)
        reply_to = self._first_address("Reply-To")
        report_type = _param(self.report, "report-type").lower() if self.report else ""
        is_read_receipt = report_type == "disposition-notification" or bool(self.receipt)
        return ParsedEmail(
            message_id=message_id,
            in_reply_to=message_id_list(self._raw("In-Reply-To")),
            references=message_id_list(" ".join(self._raw_all("References"))),
            subject=subject,
            from_address=from_address,
            from_name=from_name,
            reply_to=reply_to[1] or None,
            reply_to_name=reply_to[0],
            to=self._address_list("To"),
            cc=self._address_list("Cc"),
            delivered_to=self._address_list("Delivered-To", "X-Original-To", "Envelope-To"),
            date=self._date(),
            text=_clean_text(text),
            html=html.replace("\x00", "") if html is not None else None,
            attachments=self.attachments,
            language=self._language(),
            headers=self._kept_headers(),
            is_auto_submitted=auto_reason is not None,
            auto_reason=auto_reason,
            is_bounce=is_bounce,
            bounced_message_id=self.nested_ids[0] if is_bounce and self.nested_ids else None,
            bounced_subject=self.nested_subjects[0] if self.nested_subjects else "",
            bounce_recipients=bounce_recipients,
            is_read_receipt=is_read_receipt,
            receipt=self.receipt,
            is_auto_reply=self._is_auto_reply(bounce_kind),
            problems=_unique(self.problems),
        )

    # Headers: read from the raw values, so both policies decode them the same, forgiving way.

    def _raw_all(self, name: str, msg: Message | None = None) -> list[str]:
        name = name.lower()
        source = self.msg if msg is None else msg  # not `or`: a Message without headers is falsy
        return [str(v) for k, v in source.raw_items() if k.lower() == name]

    def _raw(self, name: str, msg: Message | None = None) -> str | None:
        values = self._raw_all(name, msg)
        return values[0] if values else None

    def _header(self, name: str, msg: Message | None = None) -> str:
        notes: list[str] = []
        value = decode_header_value(self._raw(name, msg), notes).strip()
        self.problems.extend(f"{name} header: {note}" for note in notes)
        return value

    def _addresses(self, *names: str) -> list[tuple[str, str]]:
        values: list[str] = []
        notes: list[str] = []
        for name in names:
            values += [_unsurrogate(_FOLDING.sub("", v), notes) for v in self._raw_all(name)]
        self.problems.extend(f"{'/'.join(names)} header: {note}" for note in notes)
        if not values:
            return []
        try:
            pairs = email.utils.getaddresses(values)
        except Exception:
            pairs = []
        found = [
            (decode_header_value(display), address.strip().lower())
            for display, address in pairs
            if "@" in address and " " not in address.strip()
        ]
        if not found:  # getaddresses gives up on some broken lists; rescue the bare addresses
            found = [("", a.lower()) for v in values for a in _ADDR_SPEC.findall(v)]
            if found:
                self.problems.append(f"{'/'.join(names)} header: malformed address list")
        return [(display.strip(), address) for display, address in found]

    def _address_list(self, *names: str) -> list[str]:
        return _unique(address for _, address in self._addresses(*names))

    def _first_address(self, name: str) -> tuple[str, str]:
        found = self._addresses(name)
        return found[0] if found else ("", "")

    def _date(self) -> datetime | None:
        value = self._raw("Date")
        if not value:
            self.problems.append("no Date header")
            return None
        try:
            date = email.utils.parsedate_to_datetime(_FOLDING.sub("", value).strip())
        except Exception:
            date = None
        if date is None:
            self.problems.append(f"unreadable Date header: {value.strip()[:80]!r}")
            return None
        if date.tzinfo is None:  # "-0000": the zone is unknown; UTC is the honest guess
            date = date.replace(tzinfo=UTC)
        return date.astimezone(UTC)

    def _language(self) -> str | None:
        value = self._header("Content-Language")
        first = value.split(",")[0].strip()
        return first or None

    def _kept_headers(self) -> dict[str, str]:
        kept = {}
        for name in KEPT_HEADERS:
            raw = self._raw(name)
            if raw is not None:
                kept[name] = decode_header_value(raw).strip()[:_KEPT_HEADER_LENGTH]
        return kept

    # Body: our own walk, so a forwarded message/rfc822 stays one attachment instead of
    # lending us its body, and delivery reports are read rather than shown.

    def _walk(self, part: Message, depth: int) -> None:
        if depth > _MAX_DEPTH:
            self.problems.append("MIME structure nested too deeply; the rest was skipped")
            return
        content_type = _content_type(part)
        payload = part.get_payload()
        if content_type == "multipart/report" and self.report is None:
            self.report = part
        if content_type == "message/delivery-status":
            self._read_delivery_status(part)
            return
        if content_type == "message/disposition-notification":
            self.receipt.update(self._fields_of(part))
            return
        if content_type.startswith("message/") and isinstance(payload, list) and payload:
            self._attach_message(part, payload[0])
            return
        if isinstance(payload, list):
            for child in payload:
                if isinstance(child, Message):
                    self._walk(child, depth + 1)
            return
        disposition = _disposition(part)
        if content_type.startswith("multipart/"):
            self._walk_without_boundary(part, content_type, depth)
            return
        if content_type == "text/rfc822-headers":
            headers = email.message_from_bytes(self._bytes_of(part), policy=email_policy.compat32)
            self._remember_nested_id(self._raw("Message-ID", headers))
            self.nested_subjects.append(self._header("Subject", headers))
        if content_type in ("text/plain", "text/html") and disposition != "attachment":
            text = self._text_of(part, content_type)
            (self.plain if content_type == "text/plain" else self.html).append(text)
            return
        self._attach(part, content_type, disposition)

    def _walk_without_boundary(self, part: Message, content_type: str, depth: int) -> None:
        """A multipart whose declared boundary never appears: try the one its body uses."""
        body = self._bytes_of(part)
        found = re.search(rb"^--([^\s]{1,70}?)(?:--)?[ \t]*\r?$", body, re.MULTILINE)
        if found:
            boundary = found.group(1).decode("ascii", "replace").replace('"', "")
            head = f'Content-Type: {content_type}; boundary="{boundary}"\n\n'.encode()
            repaired = email.message_from_bytes(head + body, policy=self.msg.policy)
            if isinstance(repaired.get_payload(), list):
                self.problems.append(
                    f"{content_type} boundary not found; used {boundary!r} found in the body"
                )
                self._walk(repaired, depth + 1)
                return
        self.problems.append(f"{content_type} without a usable boundary; kept as text")
        self.plain.append(self._text_of(part, content_type))

    def _bytes_of(self, part: Message) -> bytes:
        content = self._content_of(part)
        if isinstance(content, bytes):
            return content
        if content.file is None:
            self.problems.append(f"{_content_type(part)} part of {content.size} bytes not read")
            return b""
        content.file.seek(0)
        return content.file.read()

    def _content_of(self, part: Message) -> bytes | LargeBody:
        """The part's decoded bytes, or its body decoded before parsing."""
        try:
            data = part.get_payload(decode=True)
        except Exception as exc:
            self.problems.append(f"undecodable {_content_type(part)} part: {exc}")
            data = None
        if not isinstance(data, bytes):
            return b""
        return self.large.get(data, data) if self.large else data

    def _text_of(self, part: Message, content_type: str) -> str:
        try:
            charset = part.get_content_charset()
        except Exception:
            charset = None
        text, note = _decode_bytes(self._bytes_of(part), charset)
        if note:
            self.problems.append(f"{content_type} part: {note}")
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        if content_type == "text/plain" and _param(part, "format").lower() == "flowed":
            text = _unflow(text, delsp=_param(part, "delsp").lower() == "yes")
        return text

    def _attach(self, part: Message, content_type: str, disposition: str | None) -> None:
        try:
            filename = part.get_filename()
        except Exception:
            filename = None
            self.problems.append(f"unreadable file name on a {content_type} part")
        content_id = normalise_message_id(self._raw("Content-ID", part))
        content = self._content_of(part)
        large = isinstance(content, LargeBody)
        self.attachments.append(
            Attachment(
                filename=file_name(decode_header_value(filename), content_type),
                content_type=content_type,
                content=content.file if large else content,
                content_id=content_id,
                is_inline=disposition == "inline" or (disposition is None and bool(content_id)),
                size=content.size if large else len(content),
            )
        )

    def _attach_message(self, part: Message, nested: Message) -> None:
        subject = self._header("Subject", nested)
        self._remember_nested_id(self._raw("Message-ID", nested))
        self.nested_subjects.append(subject)
        try:  # max_line_length=0: write the headers as they came, not refolded
            content = nested.as_bytes(policy=nested.policy.clone(max_line_length=0))
        except Exception:
            try:
                content = nested.as_string().encode("utf-8", "replace")
            except Exception as exc:
                self.problems.append(f"attached message could not be re-serialised: {exc}")
                content = b""
        for body in self.large.values():  # the forwarded mail as it came, its bodies restored
            if body.stand_in in content:
                content = content.replace(body.stand_in, bytes(body.encoded))
        name = subject or decode_header_value(_safe_get_filename(part)).removesuffix(".eml")
        self.attachments.append(
            Attachment(
                filename=file_name(f"{name or 'message'}.eml", "message/rfc822"),
                content_type=_content_type(part),
                content=content,
                content_id=normalise_message_id(self._raw("Content-ID", part)),
            )
        )

    def _remember_nested_id(self, raw: str | None) -> None:
        message_id = normalise_message_id(raw)
        if message_id:
            self.nested_ids.append(message_id)

    def _fields_of(self, part: Message) -> dict[str, str]:
        """The header-like fields of a report part (MDN), lower-case names, first ones kept."""
        fields: dict[str, str] = {}
        payload = part.get_payload()
        if isinstance(payload, list):  # parsed into blocks of fields
            for block in payload:
                if isinstance(block, Message):
                    for name, value in block.raw_items():
                        fields.setdefault(name.lower(), _FOLDING.sub("", str(value)).strip())
            return fields
        text, _ = _decode_bytes(self._bytes_of(part), None)
        for name, value in re.findall(r"^([\w-]+):(.*)$", text.replace("\r\n", "\n"), re.M):
            fields.setdefault(name.strip().lower(), value.strip())
        return fields

    def _read_delivery_status(self, part: Message) -> None:
        payload = part.get_payload()
        if isinstance(payload, list):
            blocks = [
                {k.lower(): _FOLDING.sub("", str(v)).strip() for k, v in block.raw_items()}
                for block in payload
                if isinstance(block, Message)
            ]
        else:  # not parsed into blocks (e.g. encoded): read the fields line by line
            text, _ = _decode_bytes(self._bytes_of(part), None)
            blocks = [
                {
                    k.strip().lower(): v.strip()
                    for k, v in re.findall(r"^([\w-]+):(.*)$", chunk, re.MULTILINE)
                }
                for chunk in re.split(r"\n\s*\n", text.replace("\r\n", "\n"))
            ]
        self.delivery_status += [b for b in blocks if "final-recipient" in b or "action" in b]

    def _collect_defects(self) -> None:
        parts = [self.msg]
        for part in parts:
            for defect in getattr(part, "defects", []):
                detail = str(defect)
                name = type(defect).__name__
                self.problems.append(
                    f"MIME defect {name}: {detail}" if detail else f"MIME defect {name}"
                )
            payload = part.get_payload()
            if isinstance(payload, list):
                parts.extend(p for p in payload if isinstance(p, Message))

    # Loops: what tells us no acknowledgement may go back.

    def _bounce(self, from_address: str, subject: str) -> tuple[list[str], bool, str | None]:
        """(failed recipients, is a bounce, kind of delivery report) of this mail."""
        report_type = _param(self.report, "report-type").lower() if self.report else ""
        if report_type == "delivery-status" or self.delivery_status:
            actions = [b.get("action", "").lower() for b in self.delivery_status]
            failed = [
                _dsn_address(b.get("final-recipient") or b.get("original-recipient") or "")
                for b in self.delivery_status
                if b.get("action", "").lower().startswith("failed")
            ]
            if failed or not any(actions):
                return [a for a in failed if a], True, "delivery failure report"
            return [], False, f"delivery status report ({', '.join(sorted(set(actions)))})"
        # Pre-RFC 3464 bounces (qmail, old Exchange): the daemon's address and a telling subject.
        local_part = from_address.split("@", 1)[0].lower()
        if local_part in ("mailer-daemon", "postmaster") and _BOUNCE_SUBJECT.search(subject):
            return [], True, "non-standard delivery failure report"
        return [], False, None

    def _is_auto_reply(self, bounce_kind: str | None) -> bool:
        """Whether a machine answered a mail (RFC 3834 auto-replied, an autoresponder's
        header, Precedence: auto_reply) or reports a delivery delayed, not failed."""
        if bounce_kind and bounce_kind.startswith("delivery status report"):
            return True
        if self._header("Auto-Submitted").split(";")[0].strip().lower() == "auto-replied":
            return True
        for name in ("X-Autoreply", "X-Autorespond", "X-Mail-Autoreply"):
            if self._raw(name) is not None and self._header(name).lower() not in (
                "no",
                "false",
                "0",
            ):
                return True
        return self._header("Precedence").lower() == "auto_reply"

    def _auto_reason(self, from_address: str, subject: str, bounce_kind: str | None) -> str | None:
        if bounce_kind:
            return bounce_kind
        auto_submitted = self._header("Auto-Submitted").split(";")[0].strip().lower()
        if auto_submitted and auto_submitted != "no":
            return f"Auto-Submitted: {auto_submitted}"
        for name in ("X-Autoreply", "X-Autorespond", "X-Autogenerated", "X-Mail-Autoreply"):
            value = self._header(name)
            if self._raw(name) is not None and value.lower() not in ("no", "false", "0"):
                return f"{name} header"
        suppress = {v.strip().lower() for v in self._header("X-Auto-Response-Suppress").split(",")}
        if suppress & _AUTO_RESPONSE_SUPPRESS_VALUES:
            return f"X-Auto-Response-Suppress: {self._header('X-Auto-Response-Suppress')}"
        precedence = self._header("Precedence").lower()
        if precedence in _BULK_PRECEDENCE:
            return f"Precedence: {precedence}"
        for name in ("List-Id", "List-Unsubscribe"):
            if self._raw(name) is not None:
                return f"mailing list ({name})"
        if self._raw("X-Loop") is not None:
            return "X-Loop header"
        return_path = self._raw("Return-Path")
        if return_path is not None and return_path.strip() in ("<>", ""):
            return "null Return-Path"
        for name, address in (("From", from_address), ("Sender", self._first_address("Sender")[1])):
            if address and _AUTO_LOCAL_PART.match(address.split("@", 1)[0]):
                return f"automatic sender in {name}: {address}"
        if _AUTO_SUBJECT_PREFIX.match(subject):
            return "automatic-reply subject"
        weak = [name for name in _WEAK_AUTO_HEADERS if self._raw(name) is not None]
        if suppress - {""}:
            weak.append("X-Auto-Response-Suppress")
        if weak and _AUTO_SUBJECT_WORDS.search(subject):
            return f"out-of-office subject with {weak[0]}"
        return None


class _HtmlText(HTMLParser):
    """Renders HTML as mail-style text: blank line between paragraphs, `> ` before quotes."""

    _SKIPPED = frozenset({"script", "style", "head", "title", "template", "noscript"})
    _PARAGRAPHS = frozenset(
        {"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "dl", "table", "pre", "hr"}
    )
    _LINES = frozenset(
        {"div", "li", "tr", "dt", "dd", "section", "article", "header", "footer", "address"}
        | {"figure", "form", "center", "caption", "fieldset"}
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.pending = 0  # line breaks owed before the next text
        self.at_line_start = True
        self.skipping = 0
        self.preformatted = 0
        self.quote_depth = 0
        self.links: list[tuple[str | None, int]] = []

    def _break(self, count: int) -> None:
        self.pending = max(self.pending, count)

    def _write(self, text: str) -> None:
        if self.pending and self.out:
            self.out.append("\n" * self.pending)
            self.at_line_start = True
        self.pending = 0
        if self.at_line_start and self.quote_depth:
            self.out.append("> " * self.quote_depth)
        self.out.append(text)
        self.at_line_start = text.endswith("\n")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "pre":
            self.preformatted += 1
        if tag in self._PARAGRAPHS:
            self._break(2)
        elif tag in self._LINES:
            self._break(1)
        if tag in self._SKIPPED:
            self.skipping += 1
        elif tag == "br":
            if self.pending == 0 and not self.at_line_start:
                self.pending = 1
            else:
                self.pending = min(self.pending + 1, 2) if self.out else 0
        elif tag == "blockquote":
            self._break(1)
            self.quote_depth += 1
        elif tag == "li":
            self._write("- ")
        elif tag in ("td", "th") and not self.at_line_start and not self.pending:
            self._write(" ")
        elif tag == "a":
            self.links.append((dict(attrs).get("href"), len(self.out)))

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIPPED:
            self.skipping = max(self.skipping - 1, 0)
        elif tag == "blockquote":
            self._break(1)
            self.quote_depth = max(self.quote_depth - 1, 0)
        elif tag == "a" and self.links:
            href, start = self.links.pop()
            label = "".join(self.out[start:])
            if href and re.match(r"https?://", href) and href not in label and label.strip():
                self._write(f" <{href}>")
        if tag == "pre":
            self.preformatted = max(self.preformatted - 1, 0)
        if tag in self._PARAGRAPHS:
            self._break(2)
        elif tag in self._LINES:
            self._break(1)

    def handle_data(self, data: str) -> None:
        if self.skipping:
            return
        if self.preformatted:
            for number, line in enumerate(data.split("\n")):
                if number:
                    self.pending += 1
                if line:
                    self._write(line)
            return
        text = re.sub(r"\s+", " ", data)
        if self.at_line_start or self.pending:
            text = text.lstrip()
        if text:
            self._write(text)


def _content_type(part: Message) -> str:
    try:
        return part.get_content_type().lower()
    except Exception:
        return "application/octet-stream"


def _disposition(part: Message) -> str | None:
    try:
        value = part.get_content_disposition()
    except Exception:
        return None
    return value.lower() if value else None


def _param(part: Message | None, name: str) -> str:
    if part is None:
        return ""
    try:
        value = part.get_param(name)
    except Exception:
        return ""
    if isinstance(value, tuple):  # RFC 2231: (charset, language, value)
        value = email.utils.collapse_rfc2231_value(value)
    return str(value).strip() if value else ""


def _safe_get_filename(part: Message) -> str | None:
    try:
        return part.get_filename()
    except Exception:
        return None


def _dsn_address(value: str) -> str:
    """`rfc822; User@Example.com` → `user@example.com`."""
    address = value.split(";", 1)[-1].strip().strip("<>").strip()
    return address.lower()


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


def _clean_text(text: str) -> str:
    # PostgreSQL text cannot hold NUL, and some broken mailers send them.
    return text.replace("\x00", "").strip("\n")


def _codec(charset: str | None) -> str | None:
    """A Python codec for a MIME charset label, or None if unknown or not a text encoding."""
    if not charset:
        return None
    label = charset.strip().strip("\"'").lower()
    label = _CHARSET_ALIASES.get(label, label)
    try:
        info = codecs.lookup(label)
    except (LookupError, ValueError):
        return None
    # Bytes-to-bytes codecs ("base64", "zlib") and "rot13" answer lookups but decode no text.
    return info.name if getattr(info, "_is_text_encoding", True) else None


def _decode_bytes(data: bytes, charset: str | None) -> tuple[str, str | None]:
    """Text of `data` in its declared charset, else UTF-8, else Windows-1252; and any problem."""
    note = None
    codec = _codec(charset)
    if codec:
        try:
            return data.decode(codec), None
        except (UnicodeDecodeError, LookupError, ValueError):
            if codec == "cp1252":  # the five bytes Windows-1252 leaves undefined
                return data.decode("latin-1"), None
            note = f"not valid {charset}"
    elif charset:
        note = f"unknown charset {charset!r}"
    elif not data.isascii():
        note = "8-bit text without a charset"
    try:
        text = data.decode("utf-8")
        return text, f"{note}; read as UTF-8" if note else None
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    return text, f"{note}; read as Windows-1252" if note else None


def _unsurrogate(text: str, notes: list[str]) -> str:
    """Undeclared 8-bit header bytes (`email` keeps them as surrogates) as UTF-8 or Windows-1252."""
    if not re.search("[\udc80-\udcff]", text):
        return text
    try:
        data = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # other lone surrogates: not from a byte stream, nothing to restore
        return text.encode("utf-8", "replace").decode("utf-8")
    try:
        decoded = data.decode("utf-8")
    except UnicodeDecodeError:
        notes.append("undeclared 8-bit bytes, read as Windows-1252")
        return _decode_bytes(data, "windows-1252")[0]
    notes.append("undeclared 8-bit bytes, read as UTF-8")
    return decoded


def _decode_word(encoding: str, data: str, notes: list[str]) -> bytes:
    raw = data.encode("ascii", "replace")
    if encoding == "q":
        return binascii.a2b_qp(raw, header=True)
    raw = re.sub(rb"[^A-Za-z0-9+/]", b"", raw)
    if len(raw) % 4 == 1:  # a stray character: no padding makes this valid base64
        raw = raw[:-1]
        notes.append("broken base64 encoded word")
    try:
        return base64.b64decode(raw + b"=" * (-len(raw) % 4))
    except (binascii.Error, ValueError):
        notes.append("undecodable base64 encoded word")
        return b""


def _decode_run(run: list[tuple[str, bytes]], notes: list[str]) -> str:
    parts = []
    for charset, data in run:
        text, note = _decode_bytes(data, charset)
        if note:
            notes.append(note)
        parts.append(text)
    return "".join(parts)


def _unflow(text: str, *, delsp: bool) -> str:
    """Join RFC 3676 format=flowed lines: a line ending in a space continues on the next one."""
    lines: list[str] = []
    previous_depth = None
    for line in text.split("\n"):
        depth = len(line) - len(line.lstrip(">"))
        quote, content = line[:depth], line[depth:]
        if content.startswith(" "):  # space-stuffing
            content = content[1:]
        flowed_on = (
            lines
            and previous_depth == depth
            and lines[-1].endswith(" ")
            and lines[-1].rstrip() != "--"  # "-- " is the signature separator, never flowed
        )
        if flowed_on:
            lines[-1] = (lines[-1][:-1] if delsp else lines[-1]) + content
        else:
            prefix = f"{quote} " if quote and content else quote
            lines.append(prefix + content)
        previous_depth = depth
    return "\n".join(line if line.rstrip() == "--" else line.rstrip(" ") for line in lines)
