"""Template filters of a queue page's filter bar."""

from __future__ import annotations

from django import template
from django.forms import BoundField

register = template.Library()


@register.filter
def chosen_labels(field: BoundField) -> str:
    """The labels of the choices ticked in a multiple-choice filter, in the choices' order."""
    return ", ".join(str(choice.choice_label) for choice in field if choice.data["selected"])
