"""Business-hours calendars, SLA policies and per-ticket SLA clocks (issue 5)."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from helpdesk.models import TIME_ZONE_HELP, validate_time_zone
from helpdesk.tenancy import TenantOwned
from rules.vocabulary import Priority, Status


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
    return [Status.PENDING, Status.ON_HOLD]


class SlaPolicy(TenantOwned):
    """Targets a desk promises to a kind of ticket; the first active policy whose conditions
    match a ticket applies to it."""

    name = models.CharField(_("name"), max_length=80)
    position = models.PositiveIntegerField(
        _("order"), default=0, help_text=_("Policies are tried from the lowest number up.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    conditions = models.JSONField(
        _("conditions"),
        default=dict,
        blank=True,
        help_text=_(
            'Which tickets it applies to, in the rule language, e.g. {"all": [{"field": '
            '"customer_segment", "op": "is", "value": "enterprise"}]}. Empty: every ticket.'
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
    warn_percent = models.PositiveSmallIntegerField(
        _("warn at (% of target)"),
        default=75,
        validators=[MinValueValidator(1), MaxValueValidator(99)],
    )
    pause_statuses = ArrayField(
        models.CharField(max_length=10, choices=Status),
        verbose_name=_("statuses that pause the clocks"),
        default=default_pause_statuses,
        blank=True,
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
        stopped = set(self.pause_statuses) & {Status.SOLVED, Status.CLOSED}
        if stopped:
            raise ValidationError(
                {"pause_statuses": _("Solved and closed stop the clocks; they do not pause them.")}
            )


class SlaTarget(TenantOwned):
    """A policy's targets for one priority, in business minutes of its calendar."""

    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="targets")
    priority = models.CharField(_("priority"), max_length=10, choices=Priority)
    first_response_minutes = models.PositiveIntegerField(_("first response (min)"))
    next_reply_minutes = models.PositiveIntegerField(_("next reply (min)"), null=True, blank=True)
    resolution_minutes = models.PositiveIntegerField(_("resolution (min)"), null=True, blank=True)
    periodic_update_minutes = models.PositiveIntegerField(
        _("periodic update (min)"),
        null=True,
        blank=True,
        help_text=_("An agent's public update at least this often while the ticket is open."),
    )

    class Meta:
        verbose_name = _("SLA target")
        verbose_name_plural = _("SLA targets")
        constraints = [
            models.UniqueConstraint(fields=["policy", "priority"], name="sla_target_unique"),
            models.CheckConstraint(
                condition=models.Q(first_response_minutes__gt=0), name="sla_target_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.policy}: {self.get_priority_display()}"


class SlaClock(TenantOwned):
    """One SLA target running against one ticket (first response, next reply, resolution …).

    Business minutes already used are kept in `elapsed_minutes`; while running, the clock counts
    on from `resumed_at`, and `due_at` / `warn_at` are those instants in the calendar. A clock
    stays the record of its outcome: `fulfilled_at`, `breached_at` and the minutes it took.
    """

    class Metric(models.TextChoices):
        FIRST_RESPONSE = "first_response", _("First response")
        NEXT_REPLY = "next_reply", _("Next reply")
        RESOLUTION = "resolution", _("Resolution")
        PERIODIC_UPDATE = "periodic_update", _("Periodic update")

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
    warn_percent = models.PositiveSmallIntegerField(default=75)
    started_at = models.DateTimeField(_("started"))
    resumed_at = models.DateTimeField(null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    elapsed_minutes = models.FloatField(_("business minutes used"), default=0)
    paused_seconds = models.FloatField(_("seconds paused"), default=0)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    warn_at = models.DateTimeField(_("warning at"), null=True, blank=True)
    warned_at = models.DateTimeField(_("warned"), null=True, blank=True)
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
                condition=models.Q(state="running", warned_at__isnull=True),
                name="sla_clock_warn",
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
