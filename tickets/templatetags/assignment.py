"""Template tags of assignment: the agent's availability switch, on any staff page; why a
ticket waits."""

from __future__ import annotations

from typing import Any

from django import template

from tickets import assignment
from tickets.models import AgentProfile

register = template.Library()


@register.simple_tag(takes_context=True)
def agent_availability(context: dict[str, Any]) -> dict[str, Any]:
    """The signed-in agent's availability at this desk and the choices to switch to."""
    return {
        "current": assignment.agent_availability(agent=context["request"].user),
        "choices": AgentProfile.Availability.choices,
    }


@register.filter
def waiting_reason_of(reasons: dict[int, Any] | None, ticket: Any) -> Any:
    """The reason `ticket` waits, from the page's `assignment.waiting_reasons` (None: none)."""
    return (reasons or {}).get(getattr(ticket, "pk", None))
