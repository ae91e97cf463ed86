"""Business-hours calendars, SLA policies and per-ticket SLA clocks (issue 5)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from helpdesk.models import TIME_ZONE_HELP, validate_time_zone
from helpdesk.tenancy import TenantOwned
from rules.vocabulary import Priority, Status, Tier
from sla.metrics import RULES, Metric


class BusinessCalendar(TenantOwned):
    """When a desk works: weekly hours in one time zone minus holidays, or around the clock.

    A policy may name its calendar; otherwise a region's own calendar applies to tickets of that
    region (global operations), else the desk's default.
    """

    name = models.CharField(_("name"), max_length=80)
    region = models.CharField(
        _("region"),
        max_length=40,
        blank=True,
        help_text=_("Tickets of this region use this calendar (unless their policy names one)."),
    )
    is_default = models.BooleanField(
        _("desk default"),
        default=False,
        help_text=_("Used for tickets whose region and policy name no calendar."),
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, validators=[validate_time_zone], help_text=TIME_ZONE_HELP
    )

    class Coverage(models.TextChoices):
        """Which time the calendar counts."""

        WORKING_HOURS = "hours", _("The working hours below")
        ALWAYS = "always", _("24/7: every minute, holidays included")
        WORKING_DAYS = "days", _("24 hours on working days (closed on holidays)")

    coverage = models.CharField(
        _("open"), max_length=6, choices=Coverage, default=Coverage.WORKING_HOURS
    )
    holiday_country = models.CharField(
        _("public holidays of country"),
        max_length=2,
        blank=True,
        help_text=_("ISO 3166 code, e.g. DE. Empty: no public holidays."),
    )
    holiday_subdivision = models.CharField(
        _("state or region"),
        max_length=10,
        blank=True,
        help_text=_("Narrows the public holidays to a state, e.g. BY for Bavaria."),
    )

    class Meta:
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")
        ordering = ["-is_default", "region", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "region"],
                condition=~models.Q(region=""),
                name="calendar_region_unique",
            ),
            models.UniqueConstraint(
                fields=["tenant"], condition=models.Q(is_default=True), name="one_default_calendar"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from sla.holidays import public_holidays

        self.holiday_country = self.holiday_country.upper()
        self.holiday_subdivision = self.holiday_subdivision.upper()
        if self.holiday_subdivision and not self.holiday_country:
            raise ValidationError(
                {"holiday_country": _("Name the country whose state's holidays apply.")}
            )
        if self.holiday_country:
            try:
                public_holidays(
                    self.holiday_country, self.holiday_subdivision or None, [timezone.now().year]
                )
            except ValueError as error:
                raise ValidationError({"holiday_country": str(error)}) from error


class Weekday(models.IntegerChoices):
    """Days of the week as Python numbers them (Monday is 0)."""

    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class WorkingHours(TenantOwned):
    """A stretch of working time on one weekday; an end at or before the start is past midnight."""

    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="working_hours"
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday)
    start = models.TimeField(pgettext_lazy("time of day", "from"))
    end = models.TimeField(_("until"), help_text=_("At or before the start: the next day."))

    class Meta:
        verbose_name = _("working hours")
        verbose_name_plural = _("working hours")
        ordering = ["weekday", "start"]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}-{self.end:%H:%M}"


class Holiday(TenantOwned):
    """A day the desk does not work on besides the public holidays (a company day off)."""

    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="holidays"
    )
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=80, blank=True)

    class Meta:
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="holiday_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.name}".strip()


def default_pause_statuses() -> list[str]:
    """The old policy-wide pause default, kept for the migrations that name it."""
    return [Status.PENDING, Status.ON_HOLD]


class SlaPolicy(TenantOwned):
    """Targets a desk promises to a kind of ticket; the first active policy that matches a
    ticket applies to it.

    A policy for a contract tier (and no other conditions) is that tier's row of the policy
    matrix: the matrix and this form edit the same targets.
    """

    name = models.CharField(_("name"), max_length=80)
    position = models.PositiveIntegerField(
        _("order"), default=0, help_text=_("Policies are tried from the lowest number up.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    tier = models.CharField(
        _("customer tier"),
        max_length=12,
        choices=Tier,
        blank=True,
        help_text=_("Only tickets of customers of this contract tier. Empty: any tier."),
    )
    conditions = models.JSONField(
        _("conditions"),
        default=dict,
        blank=True,
        help_text=_(
            'Which tickets it applies to, in the rule language, e.g. {"all": [{"field": '
            '"channel", "op": "is", "value": "phone"}]}. Empty: every ticket (of its tier).'
        ),
    )
    calendar = models.ForeignKey(
        BusinessCalendar,
        verbose_name=_("calendar"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="policies",
        help_text=_("Empty: the calendar of the ticket's region, else the desk's default."),
    )

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from rules import validate_conditions

        if self.conditions:
            validate_conditions(self.conditions)  # a RuleError names every problem's path


def _target_field(metric: str, **kwargs: object) -> models.PositiveIntegerField:
    return models.PositiveIntegerField(
        _("%(metric)s (min)") % {"metric": Metric(metric).label},
        null=True,
        blank=True,
        help_text=RULES[metric].help,
        **kwargs,
    )


class SlaTarget(TenantOwned):
    """A policy's targets for one priority, in business minutes of its calendar."""

    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="targets")
    priority = models.CharField(_("priority"), max_length=10, choices=Priority)
    first_response_minutes = _target_field(Metric.FIRST_RESPONSE)
    next_reply_minutes = _target_field(Metric.NEXT_REPLY)
    periodic_update_minutes = _target_field(Metric.PERIODIC_UPDATE)
    pausable_update_minutes = _target_field(Metric.PAUSABLE_UPDATE)
    resolution_minutes = _target_field(Metric.RESOLUTION)
    full_resolution_minutes = _target_field(Metric.FULL_RESOLUTION)
    requester_wait_minutes = _target_field(Metric.REQUESTER_WAIT)
    agent_work_minutes = _target_field(Metric.AGENT_WORK)

    class Meta:
        verbose_name = _("SLA target")
        verbose_name_plural = _("SLA targets")
        constraints = [
            models.UniqueConstraint(fields=["policy", "priority"], name="sla_target_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.policy}: {self.get_priority_display()}"

    def minutes(self, metric: str) -> int | None:
        """This priority's target for `metric` in minutes of the calendar (None: no target)."""
        return getattr(self, f"{metric}_minutes")


class SlaPauseRule(TenantOwned):
    """Which statuses pause one metric's clocks under a policy (without one: the metric's
    usual statuses)."""

    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="pause_rules")
    metric = models.CharField(_("metric"), max_length=16, choices=Metric)
    statuses = ArrayField(
        models.CharField(max_length=10, choices=Status),
        verbose_name=_("paused while"),
        default=list,
        blank=True,
        help_text=_("None: the clock never pauses."),
    )

    class Meta:
        verbose_name = _("pause")
        verbose_name_plural = _("pauses per metric")
        ordering = ["metric"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "metric"], name="sla_pause_rule_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.policy}: {self.get_metric_display()}"

    def clean(self) -> None:
        if set(self.statuses) & {Status.SOLVED, Status.CLOSED}:
            raise ValidationError(
                {"statuses": _("Solved and closed stop the clocks; they do not pause them.")}
            )


class SlaWarning(TenantOwned):
    """A warning before one metric's target falls due: at a share of the target or a lead time
    before it. Each is recorded once per clock (and can raise an escalation)."""

    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="warnings")
    metric = models.CharField(_("metric"), max_length=16, choices=Metric)
    percent = models.PositiveSmallIntegerField(
        _("at % of the target"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(99)],
        help_text=_("E.g. 50: when half the target is used."),
    )
    minutes_before = models.PositiveIntegerField(
        _("minutes before due"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("E.g. 30: thirty minutes of the calendar before the target falls due."),
    )

    class Meta:
        verbose_name = _("warning")
        verbose_name_plural = _("warnings")
        ordering = ["metric", "percent", "-minutes_before"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(percent__isnull=False, minutes_before__isnull=True)
                | models.Q(percent__isnull=True, minutes_before__isnull=False),
                name="sla_warning_one_measure",
            ),
            models.UniqueConstraint(
                fields=["policy", "metric", "percent"], name="sla_warning_percent_unique"
            ),
            models.UniqueConstraint(
                fields=["policy", "metric", "minutes_before"], name="sla_warning_before_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.policy}: {self.get_metric_display()} {self.label}"

    @property
    def label(self) -> str:
        """How the clock records it: "50%" or "30m"."""
        return warning_label(self.percent, self.minutes_before)

    def clean(self) -> None:
        if (self.percent is None) == (self.minutes_before is None):
            raise ValidationError(
                _("Give either a share of the target or the minutes before it falls due.")
            )


def warning_label(percent: int | None, minutes_before: int | None) -> str:
    """The label a clock records a warning by: "50%" (of the target) or "30m" (before due)."""
    return f"{percent}%" if percent is not None else f"{minutes_before}m"


class SlaClock(TenantOwned):
    """One SLA target running against one ticket (first response, next reply, resolution …).

    Business minutes already used are kept in `elapsed_minutes`; while running, the clock counts
    on from `resumed_at`, and `due_at` / `warn_at` are those instants in the calendar. A clock
    stays the record of its outcome: `fulfilled_at`, `breached_at` and the minutes it took.
    """

    Metric = Metric

    class State(models.TextChoices):
        RUNNING = "running", _("Running")
        PAUSED = "paused", _("Paused")
        FULFILLED = "fulfilled", _("Fulfilled")
        STOPPED = "stopped", _("Stopped")  # the ticket was solved before it applied

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="clocks")
    metric = models.CharField(_("metric"), max_length=16, choices=Metric)
    state = models.CharField(_("state"), max_length=10, choices=State, default=State.RUNNING)
    policy = models.ForeignKey(
        SlaPolicy, on_delete=models.SET_NULL, null=True, blank=True, related_name="clocks"
    )
    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    priority = models.CharField(_("priority"), max_length=10, choices=Priority)
    target_minutes = models.PositiveIntegerField(_("target (business minutes)"))
    started_at = models.DateTimeField(_("started"))
    resumed_at = models.DateTimeField(null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    elapsed_minutes = models.FloatField(_("business minutes used"), default=0)
    paused_seconds = models.FloatField(_("seconds paused"), default=0)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    warn_at = models.DateTimeField(_("next warning at"), null=True, blank=True)
    warning = models.CharField(
        _("next warning"), max_length=12, blank=True, help_text=_('E.g. "50%" or "30m".')
    )
    warned_at = models.DateTimeField(_("warned"), null=True, blank=True)
    warnings_recorded = ArrayField(
        models.CharField(max_length=12), verbose_name=_("warnings given"), default=list, blank=True
    )
    breached_at = models.DateTimeField(_("breached"), null=True, blank=True)
    fulfilled_at = models.DateTimeField(_("fulfilled"), null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    # Mail to the assignee and team lead went out (the task may be delivered twice).
    warn_notified_at = models.DateTimeField(null=True, blank=True, editable=False)
    breach_notified_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("SLA clock")
        verbose_name_plural = _("SLA clocks")
        ordering = ["started_at", "pk"]
        indexes = [
            # The sweep reads only running clocks not yet breached / warned, oldest first.
            models.Index(
                fields=["tenant", "due_at"],
                condition=models.Q(state="running", breached_at__isnull=True),
                name="sla_clock_due",
            ),
            models.Index(
                fields=["tenant", "warn_at"],
                condition=models.Q(state="running", warn_at__isnull=False),
                name="sla_clock_next_warning",
            ),
            models.Index(fields=["ticket", "metric"], name="sla_clock_ticket"),
            # The "breaching soon" queue pages through running clocks, soonest due first.
            models.Index(
                fields=["tenant", "due_at", "id"],
                condition=models.Q(state="running"),
                name="sla_clock_running_due",
            ),
        ]
        constraints = [
            # At most one live clock per metric: a second next-reply clock never starts twice.
            models.UniqueConstraint(
                fields=["ticket", "metric"],
                condition=models.Q(state__in=["running", "paused"]),
                name="sla_clock_one_live",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_metric_display()} of {self.ticket_id}"

    @property
    def is_live(self) -> bool:
        return self.state in (self.State.RUNNING, self.State.PAUSED)

    @property
    def is_breached(self) -> bool:
        return self.breached_at is not None


class SlaReplan(TenantOwned):
    """The live clocks of a calendar or a policy being counted anew after it was edited."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        SUPERSEDED = "superseded", _("Replaced by a later change")
        FAILED = "failed", _("Failed")

    calendar = models.ForeignKey(
        BusinessCalendar,
        verbose_name=_("calendar"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    policy = models.ForeignKey(
        SlaPolicy,
        verbose_name=_("policy"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reason = models.CharField(_("change"), max_length=200)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    state = models.CharField(_("state"), max_length=10, choices=State, default=State.QUEUED)
    total = models.PositiveIntegerField(_("clocks"), default=0)
    done = models.PositiveIntegerField(_("re-planned"), default=0)
    failed = models.PositiveIntegerField(_("failed"), default=0)
    last_clock_id = models.BigIntegerField(default=0, editable=False)
    attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    requested_at = models.DateTimeField(_("requested"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("SLA re-plan")
        verbose_name_plural = _("SLA re-plans")
        ordering = ["-requested_at", "-pk"]
        indexes = [
            models.Index(
                fields=["tenant", "updated_at"],
                condition=models.Q(state__in=["queued", "running"]),
                name="sla_replan_unfinished",
            ),
        ]

    def __str__(self) -> str:
        return self.reason

    @property
    def progress(self) -> str:
        """E.g. "4,000 of 100,000"."""
        return _("%(done)s of %(total)s") % {"done": f"{self.done:,}", "total": f"{self.total:,}"}
