"""Reads of the reports app: the what-if replays and their comparison tables."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from reports.models import SlaReplay, SlaReplayTicket
from rules.vocabulary import Priority, Tier
from sla.metrics import Metric
from sla.simulation import Outcome

MET, BREACHED = tuple(Outcome).index(Outcome.MET), tuple(Outcome).index(Outcome.BREACHED)


def last_quarter(*, now: datetime, time_zone: str) -> tuple[datetime, datetime]:
    """The previous calendar quarter in `time_zone`: its first instant and the next quarter's."""
    zone = ZoneInfo(time_zone)
    local = now.astimezone(zone)
    month = 3 * ((local.month - 1) // 3) + 1
    end = datetime(local.year, month, 1, tzinfo=zone)
    year, month = (local.year - 1, 10) if month == 1 else (local.year, month - 3)
    return datetime(year, month, 1, tzinfo=zone), end


def sla_replays() -> QuerySet[SlaReplay]:
    """The desk's replays, the latest first, with what a list shows of each."""
    return SlaReplay.objects.select_related("policy", "calendar", "requested_by")


@dataclass(frozen=True)
class Compliance:
    """One row of a replay's comparison: met and breached clocks, as it was and as drafted."""

    label: str
    real_met: int
    real_breached: int
    draft_met: int
    draft_breached: int

    @property
    def real_percent(self) -> float | None:
        return _percent(self.real_met, self.real_breached)

    @property
    def draft_percent(self) -> float | None:
        return _percent(self.draft_met, self.draft_breached)


def _percent(met: int, breached: int) -> float | None:
    return round(met * 100 / (met + breached), 1) if met + breached else None


def replay_comparison(replay: SlaReplay) -> dict[str, list[Compliance]]:
    """Compliance per metric, per priority and per tier (all metrics), real beside drafted.

    Compliance is met clocks of those met or breached; clocks stopped unanswered or still
    running at the period's end count for neither.
    """
    sums: dict[str, dict[str, list[int]]] = {"metric": {}, "priority": {}, "tier": {}}
    for key, sides in (replay.results.get("cells") or {}).items():
        metric, priority, tier = key.split("|")
        for dimension, value in (("metric", metric), ("priority", priority), ("tier", tier)):
            row = sums[dimension].setdefault(value, [0, 0, 0, 0])
            for offset, side in ((0, "real"), (2, "draft")):
                counts = sides.get(side) or [0] * len(Outcome)
                row[offset] += counts[MET]
                row[offset + 1] += counts[BREACHED]
    labels = {
        "metric": [(m.value, m.label) for m in Metric],
        "priority": [(p.value, p.label) for p in reversed(Priority)],
        "tier": [(t.value, t.label) for t in Tier] + [("", _("No tier"))],
    }
    return {
        dimension: [
            Compliance(str(label), *sums[dimension][value])
            for value, label in labels[dimension]
            if value in sums[dimension]
        ]
        for dimension in sums
    }


def replay_differences(replay: SlaReplay, direction: str) -> QuerySet[SlaReplayTicket]:
    """The kept tickets of one direction (would have breached / would not have), by ticket."""
    return (
        replay.differences.filter(direction=direction)
        .select_related("ticket", "ticket__tenant")
        .order_by("ticket_id", "metric")
    )
