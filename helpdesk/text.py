"""Text from strangers made safe to store and to put in a mail header or a page."""

from __future__ import annotations

import mimetypes
import re
import unicodedata

# Bidirectional embeddings, overrides and isolates: they make "gpj.exe" read as "exe.jpg".
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")


def single_line(text: str, max_length: int | None = None) -> str:
    """`text` as one line of visible text: no control characters (CR and LF included, which
    would start a new mail header), no bidirectional overrides, no NUL or lone surrogates,
    runs of whitespace as one space, trimmed, at most `max_length` characters."""
    kept = []
    for char in text:
        category = unicodedata.category(char)
        if char in BIDI_CONTROLS or category in ("Cc", "Cs"):
            kept.append(" " if char in "\t\n\r\v\f\x85" else "")
        elif category in ("Zl", "Zp"):  # line and paragraph separators
            kept.append(" ")
        else:
            kept.append(char)
    line = " ".join("".join(kept).split())
    return line[:max_length].rstrip() if max_length is not None else line


def is_number(text: str) -> bool:
    """Whether `text` is a whole number in ASCII digits (`str.isdigit()` also says yes to "²",
    which `int()` refuses)."""
    return text.isascii() and text.isdigit()


def unstorable(text: str) -> bool:
    """Whether `text` holds what no database column can store: NUL, or a lone surrogate
    (half of a UTF-16 pair, which has no UTF-8 form)."""
    return "\x00" in text or any("\ud800" <= char <= "\udfff" for char in text)


MAX_FILE_NAME = 200


def file_name(name: str, content_type: str = "") -> str:
    """A received file's name made safe to store and to offer for download: its last path
    component, on one line, without control or bidirectional-override characters (which
    disguise "gpj.exe" as "exe.jpg") and leading dots, at most MAX_FILE_NAME characters with
    its extension kept; a name by its type ("image.png", "attachment.bin") if none is left."""
    name = single_line(re.split(r"[/\\]", name)[-1]).lstrip(". ").strip()
    if len(name) > MAX_FILE_NAME:
        stem, dot, extension = name.rpartition(".")
        keep = MAX_FILE_NAME - len(extension) - 1
        name = f"{stem[:keep]}.{extension}" if dot and len(extension) < 12 else name[:MAX_FILE_NAME]
    if name:
        return name
    maintype = content_type.split("/", 1)[0]
    extension = mimetypes.guess_extension(content_type) or (
        ".txt" if maintype == "text" else ".bin"
    )
    return f"{maintype if maintype in ('image', 'audio', 'video') else 'attachment'}{extension}"
