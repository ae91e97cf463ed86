"""The SLA desk of tests/sla (Berlin office hours, a standard policy) for the replay tests."""

from tests.sla.conftest import office_hours, standard_policy

__all__ = ["office_hours", "standard_policy"]
