"""What the calibration pages read: the facts cycles/calibration.py needs, for one unit or the
whole organisation, across the last cycles that have reached scoring, in a fixed number of
queries (cycles; key results; check-ins; the unit tree and cadences; objectives, comments and
changes counted per unit and cycle; people per unit; retrospectives with their entries).

Who sees a unit's flags
-----------------------
A unit sees its own flags on its own calibration page at once. The organisation's page shows a
unit's flag for a cycle only once the unit has held that cycle's retrospective (marked it
done), or two weeks after the cycle closed, whichever comes first: the team hears it first, and
talks about it first. Until then the organisation's page counts the flags that are with their
teams, without naming the units.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Count, Q

from accounts.models import Membership, OrgUnit
from cycles import calibration as cal
from cycles.cadence import due_times
from cycles.charts import Histogram, ReliabilityChart, reliability_chart, score_histogram
from cycles.models import CadenceMap, CheckIn, Cycle, Retrospective
from okrs.models import KeyResult, Objective, ObjectiveChange, ObjectiveComment
from okrs.quality import OUTPUT, check_key_result

CYCLES_SHOWN = 6
FLAGS_PUBLIC_AFTER_CLOSE = timedelta(days=14)


@functools.lru_cache(maxsize=65536)
def is_output(
    statement: str,
    direction: str,
    baseline: Decimal | None,
    target: Decimal | None,
    unit: str,
    metric_name: str,
) -> bool:
    """okrs.quality's verdict, remembered per statement and numbers for the life of the
    process (a check costs a fraction of a millisecond; the pages ask about every key result
    of several cycles)."""
    report = check_key_result(
        statement,
        baseline=baseline,
        target=target,
        unit=unit,
        direction=direction or None,
        metric_name=metric_name,
    )
    return report.kind == OUTPUT


def calibration_cycles() -> list[Cycle]:
    """The last cycles that have reached scoring, oldest first: one query."""
    cycles = list(
        Cycle.objects.filter(
            phase__in=[Cycle.Phase.SCORING, Cycle.Phase.RETRO, Cycle.Phase.CLOSED]
        ).order_by("-starts_on")[:CYCLES_SHOWN]
    )
    return list(reversed(cycles))


def flags_public(cycle: Cycle, retro_done: bool, today: date) -> bool:
    """Whether the organisation's page names a unit's flags for this cycle (module docstring)."""
    return retro_done or today >= cycle.close_date + FLAGS_PUBLIC_AFTER_CLOSE


@dataclass
class RetroInfo:
    done: bool
    entries: int
    held: bool


@dataclass
class UnitCycle:
    """One unit (or the organisation) in one cycle."""

    cycle: Cycle
    stats: cal.CycleStats
    histogram: Histogram
    cost: cal.ProcessCost | None = None
    retro: RetroInfo | None = None
    flags_public: bool = True

    @property
    def flags(self) -> list[cal.Flag]:
        return self.stats.flags


@dataclass
class Calibration:
    """What a calibration page shows: per cycle, oldest first, and the confidence
    calibration over all of them."""

    cycles: list[Cycle]
    per_cycle: list[UnitCycle]
    overall: cal.CycleStats
    reliability: ReliabilityChart
    units: list[UnitRow] = field(default_factory=list)  # the organisation's page

    @property
    def verdict(self) -> str:
        return cal.calibration_verdict(self.overall.bands)

    @property
    def latest_flags(self) -> list[cal.Flag]:
        return self.per_cycle[-1].flags if self.per_cycle else []

    @property
    def hidden_flags(self) -> int:
        return sum(row.hidden_flags for row in self.units)

    @property
    def has_scores(self) -> bool:
        return any(uc.stats.scored for uc in self.per_cycle)


@dataclass
class UnitRow:
    """One unit on the organisation's page."""

    unit: OrgUnit
    per_cycle: list[UnitCycle | None]

    @property
    def shown_flags(self) -> list[tuple[Cycle, cal.Flag]]:
        return [(uc.cycle, f) for uc in self.per_cycle if uc and uc.flags_public for f in uc.flags]

    @property
    def hidden_flags(self) -> int:
        return sum(len(uc.flags) for uc in self.per_cycle if uc and not uc.flags_public)

    @property
    def latest(self) -> UnitCycle | None:
        return next((uc for uc in reversed(self.per_cycle) if uc is not None), None)


# Loading -------------------------------------------------------------------------------------


def _facts(
    cycles: list[Cycle], unit_ids: list[int] | None, now: datetime
) -> tuple[list[cal.KeyResultFacts], dict[tuple[int, int], int]]:
    """Every key result of these cycles (of these units), and check-ins per (unit, cycle)."""
    by_id = {c.pk: c for c in cycles}
    krs = KeyResult.objects.filter(objective__cycle_id__in=list(by_id))
    check_ins = CheckIn.objects.filter(
        key_result__objective__cycle_id__in=list(by_id), corrected_by__isnull=True
    )
    if unit_ids is not None:
        krs = krs.filter(objective__unit_id__in=unit_ids)
        check_ins = check_ins.filter(key_result__objective__unit_id__in=unit_ids)
    history: dict[int, list[tuple[datetime, int, int]]] = defaultdict(list)
    for kr_id, created_at, pk, confidence in check_ins.values_list(
        "key_result_id", "created_at", "pk", "confidence"
    ):
        history[kr_id].append((created_at, pk, confidence))
    cadences = CadenceMap.load()
    facts = []
    check_in_counts: dict[tuple[int, int], int] = defaultdict(int)
    for row in krs.order_by().values_list(
        "pk",
        "objective__unit_id",
        "objective__cycle_id",
        "objective__kind",
        "score",
        "measurement_ends_on",
        "baseline_value",
        "target",
        "statement",
        "direction",
        "unit",
        "metric__name",
        "owner__time_zone",
        "created_at",
    ):
        (pk, unit_id, cycle_id, kind, score, window, baseline, target, statement) = row[:9]
        direction, unit, metric_name, zone, created_at = row[9:]
        cycle = by_id[cycle_id]
        events = sorted(history.get(pk, []))
        check_in_counts[(unit_id, cycle_id)] += len(events)
        cadence = cadences.for_unit(unit_id)
        times = due_times(
            starts_on=cycle.starts_on,
            ends_on=cycle.ends_on,
            cadence=cadence,
            zone_name=zone or settings.TIME_ZONE,
        )
        due, on_time = cal.check_ins_on_time(
            times,
            [t for t, _, _ in events],
            early_window=cadence.early_window,
            # A key result imported with its history existed from its first check-in.
            created_at=min([created_at, *(t for t, _, _ in events[:1])]),
            now=now,
        )
        facts.append(
            cal.KeyResultFacts(
                id=pk,
                unit_id=unit_id,
                cycle_id=cycle_id,
                kind=kind,
                score=score,
                pending=bool(window and window > cycle.ends_on and score is None),
                has_baseline=baseline is not None,
                is_output=is_output(
                    statement, direction, baseline, target, unit or "", metric_name or ""
                ),
                forecasts=tuple(c for _, _, c in events),
                due=due,
                on_time=on_time,
            )
        )
    return facts, check_in_counts


def _grouped(queryset: Any, unit_field: str, cycle_field: str) -> dict[tuple[int, int], int]:
    return {
        (u, c): n
        for u, c, n in queryset.order_by()
        .values_list(unit_field, cycle_field)
        .annotate(n=Count("pk"))
        .values_list(unit_field, cycle_field, "n")
    }


def _activity(
    cycles: list[Cycle],
    unit_ids: list[int] | None,
    facts: list[cal.KeyResultFacts],
    check_in_counts: dict[tuple[int, int], int],
) -> tuple[dict[tuple[int, int], cal.Activity], dict[tuple[int, int], RetroInfo]]:
    cycle_ids = [c.pk for c in cycles]
    scope = Q(objective__cycle_id__in=cycle_ids)
    objective_scope = Q(cycle_id__in=cycle_ids)
    retro_scope = Q(cycle_id__in=cycle_ids)
    people_scope = Q()
    if unit_ids is not None:
        scope &= Q(objective__unit_id__in=unit_ids)
        objective_scope &= Q(unit_id__in=unit_ids)
        retro_scope &= Q(unit_id__in=unit_ids)
        people_scope = Q(unit_id__in=unit_ids)
    objectives = _grouped(Objective.objects.filter(objective_scope), "unit_id", "cycle_id")
    comments = _grouped(
        ObjectiveComment.objects.filter(scope), "objective__unit_id", "objective__cycle_id"
    )
    changes = _grouped(
        ObjectiveChange.objects.filter(scope), "objective__unit_id", "objective__cycle_id"
    )
    people = dict(
        Membership.objects.filter(people_scope)
        .order_by()
        .values_list("unit_id")
        .annotate(n=Count("pk"))
        .values_list("unit_id", "n")
    )
    retros: dict[tuple[int, int], RetroInfo] = {}
    for unit_id, cycle_id, done_at, marks, actions, *texts in (
        Retrospective.objects.filter(retro_scope)
        .annotate(
            marks_n=Count("marks", filter=~Q(marks__calibration=""), distinct=True),
            actions_n=Count("actions", distinct=True),
        )
        .values_list(
            "unit_id",
            "cycle_id",
            "done_at",
            "marks_n",
            "actions_n",
            "learned",
            "badly_calibrated",
            "mattered_less",
            "wrong_assumptions",
        )
    ):
        entries = marks + actions + sum(1 for t in texts if t)
        retros[(unit_id, cycle_id)] = RetroInfo(
            done=done_at is not None, entries=entries, held=done_at is not None or entries > 0
        )
    counts: dict[tuple[int, int], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for f in facts:
        counts[(f.unit_id, f.cycle_id)]["key_results"] += 1
        counts[(f.unit_id, f.cycle_id)]["scores"] += f.score is not None
    keys = set(counts) | set(objectives) | set(retros)
    activity = {}
    for key in keys:
        retro = retros.get(key)
        activity[key] = cal.Activity(
            people=people.get(key[0], 0),
            objectives=objectives.get(key, 0),
            key_results=counts[key]["key_results"],
            comments=comments.get(key, 0),
            changes=changes.get(key, 0),
            check_ins=check_in_counts.get(key, 0),
            scores=counts[key]["scores"],
            retro_held=bool(retro and retro.held),
            retro_entries=retro.entries if retro else 0,
        )
    return activity, retros


def _unit_series(
    cycles: list[Cycle],
    facts_by_cycle: dict[int, list[cal.KeyResultFacts]],
    activity: dict[tuple[int, int], cal.Activity] | None,
    retros: dict[tuple[int, int], RetroInfo] | None,
    unit_id: int | None,
    today: date,
) -> list[UnitCycle | None]:
    stats = [
        cal.cycle_stats(facts_by_cycle[c.pk]) if facts_by_cycle.get(c.pk) else None for c in cycles
    ]
    for s, flags in zip(stats, cal.flag_runs(stats), strict=True):
        if s is not None:
            s.flags = flags
    series: list[UnitCycle | None] = []
    for cycle, s in zip(cycles, stats, strict=True):
        if s is None:
            series.append(None)
            continue
        retro = retros.get((unit_id, cycle.pk)) if retros is not None and unit_id else None
        series.append(
            UnitCycle(
                cycle=cycle,
                stats=s,
                histogram=score_histogram(s.distribution, title=cycle.name),
                cost=cal.process_cost(activity[(unit_id, cycle.pk)])
                if activity is not None and unit_id and (unit_id, cycle.pk) in activity
                else None,
                retro=retro,
                flags_public=flags_public(cycle, bool(retro and retro.done), today),
            )
        )
    return series


def load_unit_calibration(unit: OrgUnit, *, now: datetime, today: date) -> Calibration:
    """A unit's history: its own key results only (a function's or the company's own, not
    its teams': each unit is calibrated on what it set itself)."""
    cycles = calibration_cycles()
    facts, check_ins = _facts(cycles, [unit.pk], now)
    activity, retros = _activity(cycles, [unit.pk], facts, check_ins)
    by_cycle: dict[int, list[cal.KeyResultFacts]] = defaultdict(list)
    for f in facts:
        by_cycle[f.cycle_id].append(f)
    series = _unit_series(cycles, by_cycle, activity, retros, unit.pk, today)
    overall = cal.cycle_stats(facts)
    return Calibration(
        cycles=cycles,
        per_cycle=[uc for uc in series if uc is not None],
        overall=overall,
        reliability=reliability_chart(overall.bands),
    )


def load_org_calibration(*, now: datetime, today: date) -> Calibration:
    """The whole organisation: its figures per cycle, and each unit's row."""
    cycles = calibration_cycles()
    facts, check_ins = _facts(cycles, None, now)
    activity, retros = _activity(cycles, None, facts, check_ins)
    by_cycle: dict[int, list[cal.KeyResultFacts]] = defaultdict(list)
    by_unit: dict[int, dict[int, list[cal.KeyResultFacts]]] = defaultdict(lambda: defaultdict(list))
    for f in facts:
        by_cycle[f.cycle_id].append(f)
        by_unit[f.unit_id][f.cycle_id].append(f)
    org_series = _unit_series(cycles, by_cycle, None, None, None, today)
    for uc in org_series:
        if uc is not None:
            uc.stats.flags = []  # flags belong to units, not to the organisation's mean
    units = {u.pk: u for u in OrgUnit.objects.filter(pk__in=list(by_unit)).order_by("name")}
    rows = [
        UnitRow(
            unit=unit,
            per_cycle=_unit_series(cycles, by_unit[unit.pk], activity, retros, unit.pk, today),
        )
        for unit in units.values()
    ]
    overall = cal.cycle_stats(facts)
    return Calibration(
        cycles=cycles,
        per_cycle=[uc for uc in org_series if uc is not None],
        overall=overall,
        reliability=reliability_chart(overall.bands),
        units=rows,
    )
