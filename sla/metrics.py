"""What each SLA metric measures: when its clock starts, what fulfils it, what pauses it.

Defined once here and read by the services (which run the clocks), the admin (its help
texts and defaults) and the what-if replay, so a metric means the same thing everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _

from rules.vocabulary import Status


class Metric(TextChoices):
    """The targets a policy can set for a ticket."""

    FIRST_RESPONSE = "first_response", _("First response")
    NEXT_REPLY = "next_reply", _("Next reply")
    PERIODIC_UPDATE = "periodic_update", _("Periodic update")
    PAUSABLE_UPDATE = "pausable_update", _("Pausable update")
    RESOLUTION = "resolution", _("Resolution (first solve)")
    FULL_RESOLUTION = "full_resolution", _("Full resolution")
    REQUESTER_WAIT = "requester_wait", _("Requester wait time")
    AGENT_WORK = "agent_work", _("Agent work time")


@dataclass(frozen=True)
class MetricRule:
    """How one metric's clock runs over a ticket's life.

    `starts_with_ticket`: a clock starts when the ticket is logged (else on a requester's
    reply after an answer: next reply). `fulfilled_by_reply`: an agent's public reply fulfils
    it; `repeats`: and starts the next period. `fulfilled_by_solve`: solving fulfils it (other
    clocks stop unmet). `resumes_on_reopen`: reopening a solved ticket runs the fulfilled clock
    again, the time solved not counted. `backdated`: a policy that applies to a ticket only
    later starts this clock from the ticket's creation (lifecycle sums that depend on the
    statuses the ticket went through start then instead). `pause`: the statuses that pause
    it unless the policy says otherwise.
    """

    help: str
    pause: frozenset[str]
    starts_with_ticket: bool = True
    fulfilled_by_reply: bool = False
    repeats: bool = False
    fulfilled_by_solve: bool = False
    resumes_on_reopen: bool = False
    backdated: bool = True


WAITING_ON_REQUESTER = frozenset({Status.PENDING, Status.ON_HOLD})

RULES: dict[str, MetricRule] = {
    Metric.FIRST_RESPONSE: MetricRule(
        help=_("From the ticket's arrival to the first public reply of an agent."),
        pause=frozenset(),
        fulfilled_by_reply=True,
    ),
    Metric.NEXT_REPLY: MetricRule(
        help=_("From a requester's message after an answer to the agent's next public reply."),
        pause=frozenset(),
        starts_with_ticket=False,
        fulfilled_by_reply=True,
    ),
    Metric.PERIODIC_UPDATE: MetricRule(
        help=_("Between an agent's public updates while the ticket is unsolved; never pauses."),
        pause=frozenset(),
        fulfilled_by_reply=True,
        repeats=True,
        backdated=False,
    ),
    Metric.PAUSABLE_UPDATE: MetricRule(
        help=_("Like the periodic update, but paused while the ticket waits on the requester."),
        pause=WAITING_ON_REQUESTER,
        fulfilled_by_reply=True,
        repeats=True,
        backdated=False,
    ),
    Metric.RESOLUTION: MetricRule(
        help=_("From the ticket's arrival to its first solve."),
        pause=WAITING_ON_REQUESTER,
        fulfilled_by_solve=True,
    ),
    Metric.FULL_RESOLUTION: MetricRule(
        help=_("From the ticket's arrival to its last solve, across reopens."),
        pause=WAITING_ON_REQUESTER,
        fulfilled_by_solve=True,
        resumes_on_reopen=True,
    ),
    Metric.REQUESTER_WAIT: MetricRule(
        help=_("The time the ticket waits on the support side: new, open and on hold."),
        pause=frozenset({Status.PENDING}),
        fulfilled_by_solve=True,
        resumes_on_reopen=True,
        backdated=False,
    ),
    Metric.AGENT_WORK: MetricRule(
        help=_("The time the ticket spends open."),
        pause=frozenset({Status.NEW, Status.PENDING, Status.ON_HOLD}),
        fulfilled_by_solve=True,
        resumes_on_reopen=True,
        backdated=False,
    ),
}

# Metrics whose clocks start with the ticket, in the order a ticket page lists them.
STARTING_WITH_TICKET = tuple(metric for metric, rule in RULES.items() if rule.starts_with_ticket)
ANSWERED_BY_REPLY = tuple(metric for metric, rule in RULES.items() if rule.fulfilled_by_reply)
RESUMED_ON_REOPEN = tuple(metric for metric, rule in RULES.items() if rule.resumes_on_reopen)
