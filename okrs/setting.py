"""What the setting page reads, in a fixed number of queries, and the slots other apps fill.

Reads
-----
`setting_objectives(queryset)` loads objectives the way the page shows them: key results (with
owner and metric), what each contributes to, its dependencies, the size of its thread, and the
coaching report of every key result. `load_setting_page` adds the rest of the page. The page's
query count does not grow with the number of objectives (tests/okrs/test_setting_page.py pins
it at 5 and at 50).

Slots for apps that build on okrs
---------------------------------
okrs imports nothing from cycles, yet two things on this page come from there once
retrospectives exist (the scoring and retrospective issue):

* **Actions from the unit's previous retrospective**, shown near the top of the page. A provider
  is `fn(unit, cycle) -> list[RetroAction]` for the cycle being set (so it looks up the
  retrospective of the cycle before). Register it in the app's `AppConfig.ready()`::

      # cycles/apps.py
      def ready(self):
          from okrs.setting import register_retro_actions
          from cycles.retros import retro_actions_for_setting
          register_retro_actions(retro_actions_for_setting)

* **Notes pinned to a metric** ("last time you set 40 -> 60 and reached 48"), shown in the key
  result form when a metric is picked. A provider is `fn(unit, metric_ids) -> {metric id:
  [MetricNote, ...]}`, registered with `register_metric_notes` the same way.

Providers must cost a fixed number of queries whatever they return (the page's count is
pinned), and return plain data: the templates `okrs/_retro_actions.html` and
`okrs/_metric_notes.html` render them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Case, Count, IntegerField, Prefetch, QuerySet, Value, When
from django.utils import timezone

from accounts.models import OrgUnit, User
from okrs import coaching
from okrs.models import (
    AlignmentLink,
    Dependency,
    FocusReason,
    KeyResult,
    Objective,
    cycle_has_started,
    cycle_is_closed,
)
from okrs.services import previous_cycle

Cycle: Any = Objective._meta.get_field("cycle").related_model  # okrs imports no cycles code


# Slots ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RetroAction:
    """An action the unit agreed in its last retrospective."""

    text: str
    owner_name: str = ""
    done: bool = False
    url: str = ""  # where the action (or its retrospective) can be read


@dataclass(frozen=True)
class MetricNote:
    """A note pinned to a metric, shown when a key result on it is drafted."""

    text: str
    source: str = ""  # for example "2026 Q4 retrospective, Payments"
    url: str = ""


RetroActionsProvider = Callable[[OrgUnit, Any], list[RetroAction]]
MetricNotesProvider = Callable[[OrgUnit, list[int]], dict[int, list[MetricNote]]]
_retro_providers: list[RetroActionsProvider] = []
_metric_note_providers: list[MetricNotesProvider] = []


def register_retro_actions(provider: RetroActionsProvider) -> None:
    if provider not in _retro_providers:
        _retro_providers.append(provider)


def register_metric_notes(provider: MetricNotesProvider) -> None:
    if provider not in _metric_note_providers:
        _metric_note_providers.append(provider)


def retro_actions_for(unit: OrgUnit, cycle: Any) -> list[RetroAction]:
    """Actions from the unit's previous retrospective: none until retrospectives exist."""
    return [action for provider in _retro_providers for action in provider(unit, cycle)]


def metric_notes_for(unit: OrgUnit, metric_ids: list[int]) -> dict[int, list[MetricNote]]:
    notes: dict[int, list[MetricNote]] = {}
    for provider in _metric_note_providers:
        for metric_id, items in provider(unit, metric_ids).items():
            notes.setdefault(metric_id, []).extend(items)
    return notes


# Reads ---------------------------------------------------------------------------------------


def default_setting_cycle() -> Any:
    """The cycle a setting page opens on without ?cycle=: the earliest one being set, else
    the current one. One query: an organisation has a handful of cycles a year."""
    cycles = sorted(Cycle.objects.all(), key=lambda c: c.starts_on)
    setting = [c for c in cycles if c.phase == Cycle.Phase.SETTING]
    if setting:
        return setting[0]
    return Cycle.objects.current()


def setting_objectives(queryset: QuerySet[Objective]) -> list[Objective]:
    """Objectives as the setting page shows them, in four queries however many.

    Each objective gets `krs` (its key results, each with `.report`, the coaching check),
    `coaching_summary` ("2 of 3 key results look like outputs"), `links` (what it contributes
    to), `open_dependencies`, `dependency_list` and `comment_count`; `locked` needs the cycle
    and is set by the caller that knows it.
    """
    objectives = list(
        queryset.select_related("unit", "owner", "cycle", "carried_from__cycle")
        .prefetch_related(
            Prefetch(
                "key_results",
                queryset=KeyResult.objects.select_related("owner", "metric").order_by(
                    "order", "pk"
                ),
            ),
            Prefetch(
                "links_up",
                queryset=AlignmentLink.objects.select_related("parent__unit").order_by("pk"),
            ),
            Prefetch(
                "dependencies",
                queryset=Dependency.objects.select_related("provider").order_by("created_at"),
            ),
        )
        .annotate(comment_count=Count("comments", distinct=True))
        .order_by("order", "pk")
    )
    for objective in objectives:
        objective.krs = list(objective.key_results.all())
        for kr in objective.krs:
            kr.report = coaching.check_saved(kr)
        objective.coaching_summary = coaching.summary(kr.report for kr in objective.krs)
        objective.links = list(objective.links_up.all())
        objective.dependency_list = list(objective.dependencies.all())
        objective.locked = objective.is_locked()
    return objectives


def unfinished(objective: Objective) -> bool:
    """Worth carrying forward: some key result did not reach its target (by score when it is
    scored, else by progress), or it never had any."""
    krs = list(objective.key_results.all())
    if not krs:
        return True
    for kr in krs:
        if kr.score is not None:
            if kr.score < 1:
                return True
        elif (kr.progress() or 0) < 1:
            return True
    return False


def carry_candidates(unit: OrgUnit, cycle: Any) -> tuple[Any, list[Objective]]:
    """The previous cycle and its unfinished objectives of this unit not carried yet."""
    before = previous_cycle(cycle)
    if before is None:
        return None, []
    objectives = list(
        Objective.objects.filter(unit=unit, cycle=before)
        .exclude(carried_into__cycle=cycle)
        .select_related("owner")
        .prefetch_related(
            Prefetch("key_results", queryset=KeyResult.objects.order_by("order", "pk"))
        )
        .order_by("order", "pk")
    )
    return before, [o for o in objectives if unfinished(o)]


@dataclass
class SettingPage:
    unit: OrgUnit
    cycle: Any
    can_edit: bool
    can_agree: bool
    objectives: list[Objective]
    focus_reason: FocusReason | None
    incoming: list[Dependency]
    previous_cycle: Any
    carry: list[Objective]
    retro_actions: list[RetroAction] = field(default_factory=list)

    @property
    def started(self) -> bool:
        return cycle_has_started(self.cycle)

    @property
    def closed(self) -> bool:
        return cycle_is_closed(self.cycle)

    @property
    def editable(self) -> bool:
        return self.can_edit and not self.closed

    @property
    def previous_running(self) -> bool:
        """The previous quarter has not ended yet (this one is being set while it runs):
        its objectives are not unfinished, only not reached so far."""
        before = self.previous_cycle
        return before is not None and timezone.localdate() <= before.ends_on

    @property
    def over_limit(self) -> bool:
        return len(self.objectives) > Objective.FOCUS_LIMIT


def load_focus(unit: OrgUnit, cycle: Any) -> tuple[int, FocusReason | None]:
    """The unit's objective count in the cycle and its reason for more than five."""
    count = Objective.objects.filter(unit=unit, cycle=cycle).count()
    reason = FocusReason.objects.filter(unit=unit, cycle=cycle).select_related("updated_by")
    return count, reason.first()


def incoming_dependencies(unit: OrgUnit, cycle: Any) -> list[Dependency]:
    """What other units ask of this one in the cycle, open ones first."""
    rows = list(
        Dependency.objects.filter(provider=unit, objective__cycle=cycle)
        .select_related("objective__unit", "requested_by", "answered_by")
        .order_by("created_at")
    )
    open_first = {Dependency.Status.REQUESTED: 0, Dependency.Status.ACCEPTED: 1}
    return sorted(rows, key=lambda d: open_first.get(d.status, 2))


def load_setting_page(*, unit: OrgUnit, cycle: Any, user: User) -> SettingPage:
    objectives = setting_objectives(Objective.objects.filter(unit=unit, cycle=cycle))
    before, carry = carry_candidates(unit, cycle)
    return SettingPage(
        unit=unit,
        cycle=cycle,
        can_edit=user.has_perm("okrs.edit_unit", unit),
        can_agree=user.has_perm("okrs.agree_objective", unit),
        objectives=objectives,
        focus_reason=FocusReason.objects.filter(unit=unit, cycle=cycle).first(),
        incoming=incoming_dependencies(unit, cycle),
        previous_cycle=before,
        carry=carry,
        retro_actions=retro_actions_for(unit, cycle),
    )


def alignment_choices(objective: Objective, tree: Any) -> QuerySet[Objective]:
    """What an objective may contribute to: objectives of the units above it (the parent's
    first, then up to the company) and of its sibling units, in the same cycle, not already
    linked."""
    ancestors = tree.ancestors(objective.unit_id)
    parent_id = tree.parent_of.get(objective.unit_id)
    siblings = [u for u in tree.children_of.get(parent_id, []) if u != objective.unit_id]
    nearness = Case(
        *[When(unit_id=unit_id, then=Value(i)) for i, unit_id in enumerate(ancestors)],
        default=Value(len(ancestors)),
        output_field=IntegerField(),
    )
    return (
        Objective.objects.filter(cycle_id=objective.cycle_id, unit_id__in=ancestors + siblings)
        .exclude(links_down__child=objective)
        .select_related("unit")
        .order_by(nearness, "unit__name", "order", "pk")
    )


def provider_choices(objective: Objective) -> QuerySet[OrgUnit]:
    """Any unit but the objective's own may be asked for help."""
    return OrgUnit.objects.exclude(pk=objective.unit_id).order_by("name")


def move_choices(kr: KeyResult) -> QuerySet[Objective]:
    return (
        Objective.objects.filter(unit_id=kr.objective.unit_id, cycle_id=kr.objective.cycle_id)
        .exclude(pk=kr.objective_id)
        .order_by("order", "pk")
    )


def reports_for(krs: Iterable[KeyResult]) -> list[Any]:
    return [coaching.check_saved(kr) for kr in krs]
