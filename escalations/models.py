"""The escalation matrix, escalation events and ownership, major incidents."""
