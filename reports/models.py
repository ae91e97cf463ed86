"""Rollups, scheduled reports and CSAT/NPS results; dashboards read tickets and clocks.

What-if replays (`SlaReplay`): a draft SLA policy or calendar run over a past period's stored
ticket events, beside what really happened; see reports/replay.py.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from helpdesk.tenancy import TenantOwned
from sla.metrics import Metric
from sla.simulation import Outcome


class SlaReplay(TenantOwned):
    """A manager's question "what if this policy (or calendar) had applied to that period?",
    with its progress and, once done, its answer: compliance counts beside the real ones."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    policy = models.ForeignKey(
        "sla.SlaPolicy", verbose_name=_("policy"), on_delete=models.CASCADE, related_name="+"
    )
    calendar = models.ForeignKey(
        "sla.BusinessCalendar",
        verbose_name=_("calendar"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: the policy's own calendar."),
    )
    period_start = models.DateTimeField(_("from"))
    period_end = models.DateTimeField(_("until"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("asked by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    state = models.CharField(_("state"), max_length=10, choices=State, default=State.QUEUED)
    total = models.PositiveIntegerField(_("tickets"), default=0)
    done = models.PositiveIntegerField(_("tickets replayed"), default=0)
    last_ticket_id = models.BigIntegerField(default=0, editable=False)
    # {"cells": {"metric|priority|tier": {"real": [met, breached, stopped, running],
    #  "draft": [...]}}, "applied": tickets the draft applies to, "worse"/"better": counts}
    results = models.JSONField(_("results"), default=dict, blank=True)
    requested_at = models.DateTimeField(_("requested"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("SLA what-if replay")
        verbose_name_plural = _("SLA what-if replays")
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(period_start__lt=models.F("period_end")),
                name="sla_replay_period_forward",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.policy} {self.period_start:%Y-%m-%d}"

    @property
    def is_finished(self) -> bool:
        return self.state in (self.State.DONE, self.State.FAILED)

    @property
    def percent_done(self) -> int:
        if self.state == self.State.DONE:
            return 100
        return int(self.done * 100 / self.total) if self.total else 0


class SlaReplayTicket(TenantOwned):
    """One ticket whose metric comes out otherwise under the draft: it would have breached
    (and did not), or it would not have breached (and did)."""

    class Direction(models.TextChoices):
        WORSE = "worse", _("Would have breached")
        BETTER = "better", _("Would not have breached")

    replay = models.ForeignKey(SlaReplay, on_delete=models.CASCADE, related_name="differences")
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    metric = models.CharField(_("metric"), max_length=16, choices=Metric)
    direction = models.CharField(_("difference"), max_length=6, choices=Direction)
    real_outcome = models.CharField(
        _("what happened"), max_length=10, choices=Outcome, blank=True
    )  # empty: the live policy set no such target
    draft_outcome = models.CharField(
        _("with the draft"), max_length=10, choices=Outcome, blank=True
    )

    class Meta:
        verbose_name = _("replayed ticket")
        verbose_name_plural = _("replayed tickets")
        ordering = ["replay", "direction", "ticket", "metric"]
        indexes = [
            models.Index(fields=["replay", "direction", "ticket"], name="sla_replay_ticket_list")
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.metric}: {self.direction}"
