"""What the SLA engine does when other apps tell it something happened (their signals)."""

from __future__ import annotations

from typing import Any

from sla import services


def tenant_opened(sender: type, tenant: Any, **kwargs: Any) -> None:
    """A desk was opened: office hours in its time zone and the standard policies per tier."""
    services.sla_starter_create(time_zone=tenant.time_zone)
