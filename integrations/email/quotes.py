"""Cut the quoted history off a reply, so a ticket stores only what its writer added.

Mail programs quote in their own ways: `>` lines under an "On … wrote:" attribution (Gmail, Apple
Mail, Thunderbird, in the writer's language), or Outlook's unquoted history under a header block.
A forwarded mail is content, never history, and new text is never thrown away: when in doubt, keep.
"""

from __future__ import annotations

import re

from tickets.emails import REPLY_MARKER

# Our own marker, quoted or not, and in any translation our templates may use later: any
# line in the marker's "##- … -##" frame.
_MARKER = re.compile(
    rf"^[>\s]*{re.escape(REPLY_MARKER[:3])}.{{1,200}}{re.escape(REPLY_MARKER[-3:])}\s*$"
)

# "On <date>, <name> wrote:" in the languages our customers write in; names may follow the verb
# ("Am 3. März 2026 um 10:12 schrieb Jane Doe <jane@example.com>:").
_ATTRIBUTION_START = re.compile(r"^(?:on|am|le|el|op|il|em|den|dne)\b", re.IGNORECASE)
_ATTRIBUTION = re.compile(
    r"""^(?:
        on\b.{1,400}\bwrote
        | am\b.{1,400}\bschrieb\b.{0,300}
        | le\b.{1,400}\ba\s+écrit
        | el\b.{1,400}\bescribió
        | op\b.{1,400}\bschreef\b.{0,300}
        | il\b.{1,400}\bha\s+scritto
        | em\b.{1,400}\bescreveu
        | den\b.{1,400}\bskrev\b.{0,300}
    )\s*:$""",
    re.IGNORECASE | re.VERBOSE,
)
# "Jane Doe <jane@example.com> wrote:" without a date: only trusted right above `>` lines.
_BARE_ATTRIBUTION = re.compile(r"^.{1,200}\b(?:wrote|schrieb|a\s+écrit|escribió)\s*:$", re.I)

_ORIGINAL_MESSAGE = re.compile(
    r"""^-{2,}\s*(?:
        original\ message | ursprüngliche\ nachricht | message\ d'origine | mensaje\ original
        | messaggio\ originale | oorspronkelijk\ bericht | originalmeddelande
    )\s*-{2,}$""",
    re.IGNORECASE | re.VERBOSE,
)
_UNDERSCORES = re.compile(r"^_{20,}$")

# Outlook's header block: From/Sent/To/Subject, in the sender's Outlook language, maybe bold.
_LABEL = r"^[*_]*(?:{})[*_]*\s*:[*_]*(?:\s|$)"
_FROM = re.compile(_LABEL.format("from|von|de|van|da|från|fra"), re.IGNORECASE)
_SENT = re.compile(
    _LABEL.format("sent|gesendet|envoyé|enviado|verzonden|inviato|skickat|date|datum|fecha|data"),
    re.IGNORECASE,
)
_SUBJECT = re.compile(
    _LABEL.format("subject|betreff|objet|asunto|onderwerp|oggetto|ämne|assunto"), re.IGNORECASE
)
_HEADER_BLOCK_LINES = 8

# Gmail, Thunderbird, Apple Mail and Outlook forwards: what follows is content.
_FORWARD = re.compile(
    r"""^(?:
        -{3,}\s*(?:
            forwarded\ message | weitergeleitete\ nachricht | message\ transféré
            | mensaje\ reenviado | messaggio\ inoltrato | doorgestuurd\ bericht
        )\s*-{3,}
        | (?:begin\ forwarded\ message | anfang\ der\ weitergeleiteten\ nachricht)\s*:
    )$""",
    re.IGNORECASE | re.VERBOSE,
)
_SIGNATURE = re.compile(r"^-- ?$")


def strip_quoted(text: str) -> str:
    """The new text of a reply: quoted history, attribution and signature removed.

    Returns `text` unchanged if stripping would leave nothing.
    """
    if not text or not text.strip():
        return text
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    forward = _first(lines, lambda i: bool(_FORWARD.match(lines[i].strip())))
    end = len(lines) if forward is None else forward
    # Text below a quote means bottom-posting or inline answers: the quote is context then.
    last_text = _last(lines, lambda i: _is_text(lines[i]))
    last_text = -1 if last_text is None else last_text
    cut = _first(lines[:end], lambda i: _is_history_start(lines, i, last_text))
    kept = lines[: cut if cut is not None else len(lines)]
    while kept and (not kept[-1].strip() or kept[-1].lstrip().startswith(">")):
        kept.pop()  # trailing quoted lines, or the blank lines left above the cut
    if forward is None:
        signature = _last(kept, lambda i: bool(_SIGNATURE.match(kept[i])))
        if signature is not None and "".join(kept[:signature]).strip():
            kept = kept[:signature]
    result = "\n".join(kept).rstrip()
    return result.lstrip("\n") if result.strip() else text


def _is_history_start(lines: list[str], i: int, last_text: int) -> bool:
    line = lines[i].strip()
    if _MARKER.match(line):
        return True
    if _ORIGINAL_MESSAGE.match(line):
        return True
    if _UNDERSCORES.match(line):
        following = _next_nonblank(lines, i + 1)
        return following is not None and bool(_FROM.match(lines[following].strip()))
    if _FROM.match(line) and _is_header_block(lines, i):
        return True
    return _is_attribution(lines, i, last_text)


def _is_header_block(lines: list[str], i: int) -> bool:
    block = [line.strip() for line in lines[i + 1 : i + 1 + _HEADER_BLOCK_LINES]]
    return any(_SENT.match(line) for line in block) and any(_SUBJECT.match(line) for line in block)


def _is_attribution(lines: list[str], i: int, last_text: int) -> bool:
    """An attribution line (possibly wrapped over three lines) followed only by quoted lines."""
    first = lines[i].strip()
    if not first or first.startswith(">"):
        return False
    for size in (1, 2, 3):
        window = [line.strip() for line in lines[i : i + size]]
        if len(window) < size or any(not w or w.startswith(">") for w in window):
            return False
        joined = " ".join(window)
        if _ATTRIBUTION_START.match(first) and _ATTRIBUTION.match(joined):
            return last_text < i + size
        if size == 1 and _BARE_ATTRIBUTION.match(joined):
            following = _next_nonblank(lines, i + 1)
            if following is not None and lines[following].lstrip().startswith(">"):
                return last_text < i + 1
    return False


def _is_text(line: str) -> bool:
    """A non-blank line that is neither quoted nor our marker."""
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith(">") and not _MARKER.match(stripped)


def _next_nonblank(lines: list[str], start: int) -> int | None:
    for index in range(start, min(start + 3, len(lines))):
        if lines[index].strip():
            return index
    return None


def _first(lines: list[str], test) -> int | None:
    return next((i for i in range(len(lines)) if test(i)), None)


def _last(lines: list[str], test) -> int | None:
    return next((i for i in reversed(range(len(lines))) if test(i)), None)
