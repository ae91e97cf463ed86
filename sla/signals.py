"""Signals the SLA service sends after recording a warning or a breach (the escalation matrix
listens). Receivers get `clock` (an `SlaClock`) and run inside the recording transaction."""

from django.dispatch import Signal

sla_warned = Signal()  # a clock reached its warning time: clock=SlaClock
sla_breached = Signal()  # a clock passed its due time: clock=SlaClock
