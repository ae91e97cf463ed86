"""Macros (canned responses): reply text with placeholders, and the changes applied with it."""

from tickets.macros.selectors import (
    MacroPreview,
    macro_render,
    macros_for,
    personal_macros,
    tags_normalized,
)
from tickets.macros.services import macro_apply, macro_delete, macro_save

__all__ = [
    "MacroPreview",
    "macro_apply",
    "macro_delete",
    "macro_render",
    "macro_save",
    "macros_for",
    "personal_macros",
    "tags_normalized",
]
