"""The policy matrix: targets as one grid of contract tier, priority and metric.

Each row of the grid is one plain policy, so the matrix and the policy admin edit the same
rows: a tier's row is the first policy for that tier without conditions, the last row ("All
other customers") the first policy for any tier without conditions (the catch-all). Policies
with conditions stay in the ordered list; the matrix names those tried before a row.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F, Max
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from helpdesk.models import User
from helpdesk.tenancy import require_tenant_id
from rules.vocabulary import Priority, Tier
from sla.metrics import Metric
from sla.models import BusinessCalendar, SlaPolicy, SlaTarget
from sla.replanning import replan_request
from sla.selectors import sla_config_changed

OTHERS = "others"  # the key of the catch-all's row
PRIORITIES = (Priority.CRITICAL, Priority.HIGH, Priority.MEDIUM, Priority.LOW)
ROW_KEYS = (*(tier.value for tier in Tier), OTHERS)
ROW_LABELS = {
    **{tier.value: tier.label for tier in Tier},
    OTHERS: gettext_lazy("All other customers"),
}
# The name a row's policy is created with when the admin fills in a row that has none.
NEW_POLICY_NAMES = {
    Tier.ENTERPRISE: gettext_lazy("Enterprise customers"),
    Tier.PREMIUM: gettext_lazy("Premium customers"),
    Tier.STANDARD: gettext_lazy("Standard customers"),
    OTHERS: gettext_lazy("All other customers"),
}

Cells = dict[tuple[str, str], int | None]  # (priority, metric) -> business minutes, None: none


@dataclass(frozen=True)
class MatrixRow:
    """One row of the matrix: a contract tier (or all other customers) and the policy it edits."""

    key: str
    label: str
    policy: SlaPolicy | None
    cells: Cells
    tried_before: list[SlaPolicy]

    @property
    def tier(self) -> str:
        return "" if self.key == OTHERS else self.key

    @property
    def calendar(self) -> BusinessCalendar | None:
        return self.policy.calendar if self.policy is not None else None


@dataclass(frozen=True)
class RowEdit:
    """What the admin changed in one row: only these cells, and the calendar if said so."""

    key: str
    cells: Cells = field(default_factory=dict)
    calendar_changed: bool = False
    calendar: BusinessCalendar | None = None


def _is_plain(policy: SlaPolicy) -> bool:
    return not policy.conditions


def _row_policy(policies: list[SlaPolicy], key: str) -> SlaPolicy | None:
    tier = "" if key == OTHERS else key
    return next((p for p in policies if p.tier == tier and _is_plain(p)), None)


def _cells(policy: SlaPolicy | None) -> Cells:
    cells: Cells = {(priority, metric): None for priority in PRIORITIES for metric in Metric}
    for target in policy.targets.all() if policy is not None else ():
        for metric in Metric:
            cells[target.priority, metric] = target.minutes(metric)
    return cells


def _tried_before(
    policies: list[SlaPolicy], key: str, policy: SlaPolicy | None, catch_all: SlaPolicy | None
) -> list[SlaPolicy]:
    """The active policies a ticket of this row meets first (a missing tier policy would be
    created just before the catch-all)."""
    bound = policy or (catch_all if key != OTHERS else None)
    earlier = policies[: policies.index(bound)] if bound is not None else policies
    if key == OTHERS:
        return [p for p in earlier if p.is_active and not _is_plain(p)]
    return [p for p in earlier if p.is_active and p.tier in ("", key)]


def policy_matrix() -> list[MatrixRow]:
    """Per contract tier, then for all other customers: the policy its row edits (or None),
    with its calendar, its targets per priority and metric, and the policies tried before it."""
    policies = list(
        SlaPolicy.objects.select_related("calendar")
        .prefetch_related("targets")
        .order_by("position", "pk")
    )
    catch_all = _row_policy(policies, OTHERS)
    rows = []
    for key in ROW_KEYS:
        policy = _row_policy(policies, key)
        rows.append(
            MatrixRow(
                key=key,
                label=str(ROW_LABELS[key]),
                policy=policy,
                cells=_cells(policy),
                tried_before=_tried_before(policies, key, policy, catch_all),
            )
        )
    return rows


@transaction.atomic
def policy_matrix_save(*, rows: list[RowEdit], by: User | None) -> tuple[list[SlaPolicy], int]:
    """Write the changed cells and calendars of the matrix, creating a row's policy when its
    row is filled in; the changed policies' live clocks are re-planned after the commit.

    Returns the changed policies and how many live clocks they are re-planning.
    """
    # Locked: two admins saving the matrix at once must not both create the premium policy.
    locked = SlaPolicy.objects.select_for_update().prefetch_related("targets")
    policies = list(locked.order_by("position", "pk"))
    changed: list[SlaPolicy] = []
    for edit in rows:
        policy = _row_policy(policies, edit.key)
        if policy is None:
            if not any(minutes is not None for minutes in edit.cells.values()):
                continue  # nothing to promise: no policy, so the tier keeps the catch-all
            policy = _policy_create(policies, edit.key)
        if _row_save(policy, edit):
            changed.append(policy)
    replans = [
        replan_request(
            policy_id=policy.pk,
            reason=_("Policy matrix: “%(name)s” changed") % {"name": policy},
            by=by,
        )  # its task runs after this commits
        for policy in changed
    ]
    return changed, sum(replan.total for replan in replans if replan is not None)


def _policy_create(policies: list[SlaPolicy], key: str) -> SlaPolicy:
    """A row's missing policy: a tier's just before the catch-all, so it is tried first; the
    catch-all after every other policy."""
    catch_all = _row_policy(policies, OTHERS)
    if key == OTHERS or catch_all is None:
        last = SlaPolicy.objects.aggregate(last=Max("position"))["last"]
        position = 0 if last is None else last + 10
    elif catch_all.position > 0:
        position = catch_all.position - 1
    else:
        # No number below the catch-all's: move it and every policy after it back by 10.
        after = policies[policies.index(catch_all) :]
        for moved in after:
            moved.position += 10
        SlaPolicy.objects.filter(pk__in=[p.pk for p in after]).update(position=F("position") + 10)
        sla_config_changed(tenant_id=require_tenant_id())
        position = 0
    policy = SlaPolicy.objects.create(
        name=str(NEW_POLICY_NAMES[key]), tier="" if key == OTHERS else key, position=position
    )
    policies.append(policy)
    policies.sort(key=lambda p: (p.position, p.pk))
    return policy


def _row_save(policy: SlaPolicy, edit: RowEdit) -> bool:
    """Write one row's changed cells and calendar to its policy; True if anything changed."""
    changed = False
    if edit.calendar_changed and policy.calendar_id != (edit.calendar and edit.calendar.pk):
        policy.calendar = edit.calendar
        policy.save(update_fields=["calendar"])
        changed = True
    targets = {target.priority: target for target in policy.targets.all()}
    for priority in PRIORITIES:
        cells = {metric: minutes for (p, metric), minutes in edit.cells.items() if p == priority}
        if not cells:
            continue
        target = targets.get(priority) or SlaTarget(policy=policy, priority=priority)
        differs = [m for m, minutes in cells.items() if target.minutes(m) != minutes]
        for metric in differs:
            setattr(target, f"{metric}_minutes", cells[metric])
        if all(target.minutes(metric) is None for metric in Metric):
            if target.pk is not None:
                target.delete()  # a priority without any target has no row
                changed = True
        elif target.pk is None:
            target.save()
            changed = True
        elif differs:
            target.save(update_fields=[f"{metric}_minutes" for metric in differs])
            changed = True
    return changed
