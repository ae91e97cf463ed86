"""Text from strangers made safe to store and to put in a mail header or a page."""

from __future__ import annotations

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
