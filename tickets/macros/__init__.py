"""Macros (canned responses): reply text with placeholders, and the changes applied with it."""

from tickets.macros.selectors import (
    PLACEHOLDERS,
    MacroPreview,
    macro_check,
    macro_render,
    macros_for,
    personal_macros,
    placeholder_help,
    placeholders_check,
    placeholders_fill,
    tags_normalized,
)
from tickets.macros.services import macro_apply, macro_delete, macro_save

__all__ = [
    "PLACEHOLDERS",
    "MacroPreview",
    "macro_apply",
    "macro_check",
    "macro_delete",
    "macro_render",
    "macro_save",
    "macros_for",
    "personal_macros",
    "placeholder_help",
    "placeholders_check",
    "placeholders_fill",
    "tags_normalized",
]
