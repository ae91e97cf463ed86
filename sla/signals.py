"""The signal the SLA engine sends after recording warnings or breaches.

`sla_recorded(sender=SlaClock, clocks=[SlaClock, ...], what="warned" | "breached", at=datetime)`
is sent once per batch, inside the recording transaction: a receiver's writes (the ticket's
event log, an escalation) commit with the record or not at all, and a receiver that raises
rolls the batch back, to be recorded by the next sweep. `at` is when it was recorded; each
clock's `warned_at` / `breached_at` is the instant itself.
"""

from django.dispatch import Signal

sla_recorded = Signal()
