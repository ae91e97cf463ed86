"""Who gets a ticket: the team's assignment strategy picks an available agent."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from helpdesk.models import User
    from tickets.models import Team, Ticket


def assignee_pick(*, ticket: Ticket, team: Team | None, strategy: str) -> User | None:
    """The agent of `team` that `strategy` gives `ticket` to, or None when nobody can take it.

    May be called with an unsaved ticket, before its insert. Placeholder: the assignment
    strategies (round robin, least open, skills) replace this module; until then nobody is
    picked and the ticket waits in its team's queue.
    """
    return None
