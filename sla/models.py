"""Business-hours calendars, SLA policies and per-ticket SLA clocks (issue 5)."""
