"""Assignment: who gets a ticket, by team strategy, availability, capacity and skills."""

from tickets.assignment.selectors import (
    Candidate,
    Waiting,
    WaitingReason,
    agent_availability,
    candidates,
    ticket_skill_words,
    waiting_reason,
    waiting_reasons,
    waiting_teams,
)
from tickets.assignment.services import (
    AUTOMATIC,
    DRAIN_LIMIT,
    SOURCE,
    agent_availability_set,
    assignee_pick,
    assignment_event,
    assignment_record,
    team_queue_drain,
    ticket_team_pick,
)

__all__ = [
    "AUTOMATIC",
    "DRAIN_LIMIT",
    "SOURCE",
    "Candidate",
    "Waiting",
    "WaitingReason",
    "agent_availability",
    "agent_availability_set",
    "assignee_pick",
    "assignment_event",
    "assignment_record",
    "candidates",
    "team_queue_drain",
    "ticket_skill_words",
    "ticket_team_pick",
    "waiting_reason",
    "waiting_reasons",
    "waiting_teams",
]
