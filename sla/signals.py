"""The signals the SLA engine sends after recording warnings or breaches, and after re-planning.

`sla_recorded(sender=SlaClock, clocks=[SlaClock, ...], what="warned" | "breached", at=datetime)`
is sent once per batch, inside the recording transaction: a receiver's writes (the ticket's
event log, an escalation) commit with the record or not at all, and a receiver that raises
rolls the batch back, to be recorded by the next sweep. `at` is when it was recorded; each
clock's `warned_at` / `breached_at` is the instant itself.
"""

from django.dispatch import Signal

sla_recorded = Signal()

sla_replanned = Signal()
"""`sla_replanned(sender=SlaClock, moves=[(SlaClock, old_due_at), ...], reason=str, at=datetime)`:
live clocks whose due time moved when their calendar or policy changed (one batch of a re-plan),
sent inside the batch's transaction."""
