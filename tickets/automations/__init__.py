"""Time-based automations: rules that act on tickets once enough time has passed."""

from tickets.automations.selectors import (
    CompiledAutomation,
    automation_check,
    automation_facts,
    candidate_filter,
    candidate_tickets,
    compiled_automations,
    known_ids,
    with_reply_times,
)
from tickets.automations.services import automation_fire, automation_save, automations_run_due

__all__ = [
    "CompiledAutomation",
    "automation_check",
    "automation_facts",
    "automation_fire",
    "automation_save",
    "automations_run_due",
    "candidate_filter",
    "candidate_tickets",
    "compiled_automations",
    "known_ids",
    "with_reply_times",
]
