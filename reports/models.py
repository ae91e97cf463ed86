"""Rollups, scheduled reports and CSAT/NPS results; dashboards read tickets and clocks."""
