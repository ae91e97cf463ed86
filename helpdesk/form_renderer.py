"""A form renderer that writes selects and inputs in Python, to the HTML Django's templates give.

Django renders every <option> of a select through its own template include; a queue page's
pickers (teams, agents, categories ...) spent more time there than in their SQL. This renderer
builds the same markup directly from the widget's context (the same names, ids, attributes,
selected options and escaping) and leaves every other template to Django.
`tests/helpdesk/test_form_renderer.py` holds it to Django's output byte for byte.
"""

from __future__ import annotations

from typing import Any

from django.forms.renderers import DjangoTemplates
from django.template import Context
from django.template.base import render_value_in_context
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData, mark_safe

SELECT = "django/forms/widgets/select.html"
OPTION = "django/forms/widgets/select_option.html"
# Widget templates that are nothing but `{% include "django/forms/widgets/input.html" %}`.
INPUT_KINDS = ("checkbox", "email", "hidden", "number", "password", "search", "tel", "text", "url")
INPUTS = {f"django/forms/widgets/{kind}.html" for kind in INPUT_KINDS}
_CONTEXT = Context(autoescape=True)  # what a template rendered by the renderer gets


def _value(value: Any) -> str:
    """`{{ value }}` in an autoescaping template."""
    if isinstance(value, str):
        return conditional_escape(value)
    return render_value_in_context(value, _CONTEXT)


def _formatted(value: Any) -> str:
    """`{{ value|stringformat:'s' }}` in an autoescaping template."""
    try:
        text = str(value)  # what "%s" % value gives, tuples included
    except (ValueError, TypeError):
        return ""
    return conditional_escape(mark_safe(text) if isinstance(value, SafeData) else text)  # noqa: S308


def _attrs(attrs: dict[str, Any]) -> str:
    """django/forms/widgets/attrs.html."""
    return "".join(
        f" {_value(name)}" if value is True else f' {_value(name)}="{_formatted(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def _select(widget: dict[str, Any]) -> str | None:
    parts = [f'<select name="{_value(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_value(group_name)}">')
        for option in options:
            if option["template_name"] != OPTION:
                return None
            parts.append(  # select_option.html ends in a newline, and it is included
                f'\n  <option value="{_formatted(option["value"])}"{_attrs(option["attrs"])}>'
                f"{_value(option['label'])}</option>\n"
            )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


def _input(widget: dict[str, Any]) -> str:
    value = widget["value"]
    shown = f' value="{_formatted(value)}"' if value is not None else ""
    return (
        f'<input type="{_value(widget["type"])}" name="{_value(widget["name"])}"'
        f"{shown}{_attrs(widget['attrs'])}>"
    )


class QuickRenderer(DjangoTemplates):
    """Django's form renderer; selects and inputs are written directly, to the same HTML."""

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        widget = context.get("widget")
        if widget is not None:
            if template_name == SELECT:
                html = _select(widget)
                if html is not None:
                    return html
            elif template_name in INPUTS:
                return _input(widget)
        return super().render(template_name, context, request)


QUICK_RENDERER = QuickRenderer()
