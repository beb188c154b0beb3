"""What the scoring and retrospective pages read, in a fixed number of queries, and the slots
of okrs' setting page that retrospectives fill.

Reads
-----
`load_closing(unit, cycle, today)` returns the unit's objectives in the cycle, each key result
with its scoring record, suggestion, final value, confidence history and what the data says
about its calibration (too safe, over-reach, confidence swings): four queries however many
objectives (objectives, key results with their score, check-ins, the retrospective's marks).

Setting-page slots (registered in cycles/apps.py)
-------------------------------------------------
* `retro_actions_for_setting(unit, cycle)`: the actions of the unit's retrospective of the
  cycle before `cycle`. One query.
* `metric_notes_for_setting(unit, metric_ids)`: for each metric, the unit's last scored key
  result on it ("Last time (2026 Q3) you set 40 → 60 and reached 48: scored 0.4") and the note
  its retrospective pinned to it. One query.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch
from django.urls import reverse

from accounts.models import OrgUnit
from cycles import services
from cycles.models import CheckIn, Cycle, RetroAction, RetroMark, Retrospective, Score
from cycles.scoring import ObjectiveScore, Suggestion, line_crossings, mean, objective_score
from okrs.models import KeyResult, Objective
from okrs.setting import MetricNote
from okrs.setting import RetroAction as SlotAction
from okrs.templatetags.okrs import number, with_unit

TOO_SAFE_CONFIDENCE = 80  # first check-in at or above this, and scored 1.0
OVER_REACH_BELOW = Decimal("0.3")
SWING_STEP = 30  # confidence moved this much between two check-ins
SWING_RANGE = 40  # or ranged this widely over the quarter

TOO_SAFE, OVER_REACH, SWINGS, OTHER = "too_safe", "over_reach", "swings", "other"
GROUPS = {
    TOO_SAFE: (
        "Too safe?",
        "Scored 1.0 with high confidence from the first check-in: the target may have been "
        "reached without stretching.",
    ),
    OVER_REACH: (
        "Over-reach?",
        "Scored below 0.3: the target may have been out of reach, or the plan did not work.",
    ),
    SWINGS: (
        "Confidence swings",
        f"Confidence moved {SWING_STEP} points or more between check-ins, or ranged over "
        f"{SWING_RANGE}: something surprised the team.",
    ),
    OTHER: ("The rest", "Nothing in the data stands out: confirm the mark or correct it."),
}
SUGGESTED_MARK = {
    TOO_SAFE: RetroMark.Calibration.TOO_EASY,
    OVER_REACH: RetroMark.Calibration.TOO_HARD,
    SWINGS: RetroMark.Calibration.ABOUT_RIGHT,
    OTHER: RetroMark.Calibration.ABOUT_RIGHT,
}


@dataclass
class Row:
    """One key result on the scoring and retrospective pages."""

    kr: KeyResult
    record: Score | None
    suggestion: Suggestion
    final: Decimal | None
    confidences: list[int]
    values: list[Decimal]
    state: str  # services.scoring_state: "open", "pending", "closed"
    mark: RetroMark | None = None
    signals: list[str] = field(default_factory=list)
    form: Any = None  # the override form, where the person may score
    fields: dict[str, Any] = field(default_factory=dict)  # retrospective form fields
    error: str = ""  # a refused action, shown in the row
    saved: bool = False  # just scored: the page moves the focus on from here

    @property
    def dom_id(self) -> str:
        return f"kr-{self.kr.pk}"

    @property
    def pending(self) -> bool:
        return self.state == "pending" and self.record is None

    @property
    def crossings(self) -> int:
        return line_crossings(self.kr.direction, self.kr.target, self.values)

    @property
    def holding(self) -> bool:
        return self.kr.direction in ("stay_above", "stay_below")

    @property
    def confidence_text(self) -> str:
        if not self.confidences:
            return "no check-ins"
        shown = self.confidences
        if len(shown) > 8:
            shown = [*shown[:3], None, *shown[-4:]]  # type: ignore[list-item]
        return " → ".join("…" if c is None else f"{c}%" for c in shown)

    @property
    def group(self) -> str:
        return self.signals[0] if self.signals else OTHER

    @property
    def suggested_mark(self) -> str:
        if self.record is None:
            return ""
        return SUGGESTED_MARK[self.group]

    @property
    def suggested_mark_label(self) -> str:
        mark = self.suggested_mark
        return RetroMark.Calibration(mark).label if mark else ""

    @property
    def also(self) -> list[str]:
        """The titles of what else the data says, beyond the group the row is sorted into."""
        return [GROUPS[code][0] for code in self.signals[1:]]

    @property
    def value_story(self) -> str:
        """“set 40 → 60 and reached 48” (units included)."""
        kr = self.kr
        parts = []
        if kr.baseline_value is not None and kr.target is not None:
            parts.append(
                f"set {with_unit(kr.baseline_value, kr.unit)} → {with_unit(kr.target, kr.unit)}"
            )
        elif kr.target is not None:
            parts.append(f"set a target of {with_unit(kr.target, kr.unit)}")
        if self.final is not None:
            parts.append(f"reached {with_unit(self.final, kr.unit)}")
        return " and ".join(parts)


def signals_for(score: Decimal | None, confidences: list[int]) -> list[str]:
    """What the data says about a scored key result's calibration, most telling first."""
    found = []
    if score is not None:
        if score >= Decimal("1.0") and confidences and confidences[0] >= TOO_SAFE_CONFIDENCE:
            found.append(TOO_SAFE)
        if score < OVER_REACH_BELOW:
            found.append(OVER_REACH)
    if len(confidences) >= 2:
        steps = [abs(b - a) for a, b in zip(confidences, confidences[1:], strict=False)]
        if max(steps) >= SWING_STEP or max(confidences) - min(confidences) >= SWING_RANGE:
            found.append(SWINGS)
    return found


@dataclass
class ObjectiveBlock:
    objective: Objective
    rows: list[Row]
    result: ObjectiveScore


@dataclass
class Closing:
    """A unit's cycle as the scoring and retrospective pages show it."""

    unit: OrgUnit
    cycle: Cycle
    today: date
    objectives: list[ObjectiveBlock]
    retro: Retrospective | None = None

    @property
    def rows(self) -> list[Row]:
        return [row for block in self.objectives for row in block.rows]

    @property
    def scored(self) -> int:
        return sum(1 for r in self.rows if r.record is not None)

    @property
    def pending(self) -> int:
        return sum(1 for r in self.rows if r.pending)

    @property
    def unscored(self) -> int:
        return len(self.rows) - self.scored - self.pending

    @property
    def acceptable(self) -> int:
        """Unscored key results whose suggestion one click would accept."""
        return sum(
            1
            for r in self.rows
            if r.record is None and r.state == "open" and r.suggestion.score is not None
        )

    def kind_mean(self, kind: str) -> Decimal | None:
        return mean(
            r.record.score
            for b in self.objectives
            if b.objective.kind == kind
            for r in b.rows
            if r.record is not None
        )

    @property
    def aspirational_mean(self) -> Decimal | None:
        return self.kind_mean(Objective.Kind.ASPIRATIONAL)

    @property
    def committed_mean(self) -> Decimal | None:
        return self.kind_mean(Objective.Kind.COMMITTED)

    def grouped(self) -> list[tuple[str, str, str, list[Row]]]:
        """Scored key results sorted by what the data says: (code, title, why, rows)."""
        groups: dict[str, list[Row]] = {code: [] for code in GROUPS}
        for row in self.rows:
            if row.record is not None:
                groups[row.group].append(row)
        return [(code, *GROUPS[code], rows) for code, rows in groups.items() if rows]

    @property
    def unscored_rows(self) -> list[Row]:
        return [r for r in self.rows if r.record is None]


def _histories(kr_ids: list[int]) -> dict[int, list[tuple[int, Decimal]]]:
    """(confidence, value) of each key result's effective check-ins, oldest first: one
    query."""
    found: dict[int, list[tuple[Any, int, int, Decimal]]] = {}
    if not kr_ids:
        return {}
    for kr_id, created_at, pk, confidence, value in CheckIn.objects.filter(
        key_result_id__in=kr_ids, corrected_by__isnull=True
    ).values_list("key_result_id", "created_at", "pk", "confidence", "value"):
        found.setdefault(kr_id, []).append((created_at, pk, confidence, value))
    return {
        kr_id: [(c, v) for _, _, c, v in sorted(items, key=lambda i: (i[0], i[1]))]
        for kr_id, items in found.items()
    }


def load_closing(*, unit: OrgUnit, cycle: Cycle, today: date, with_retro: bool = False) -> Closing:
    objectives = list(
        Objective.objects.filter(unit=unit, cycle=cycle)
        .select_related("owner")
        .prefetch_related(
            Prefetch(
                "key_results",
                queryset=KeyResult.objects.select_related(
                    "owner", "metric", "scoring__scored_by", "retro_mark"
                ).order_by("order", "pk"),
            )
        )
        .order_by("order", "pk")
    )
    krs = [kr for o in objectives for kr in o.key_results.all()]
    histories = _histories([kr.pk for kr in krs])
    blocks = []
    for objective in objectives:
        objective.cycle = cycle  # the rows ask for it: no query per key result
        rows = []
        for kr in objective.key_results.all():
            kr.objective = objective
            history = histories.get(kr.pk, [])
            latest = history[-1][1] if history else None
            record = getattr(kr, "scoring", None)
            if record is None and kr.score is not None:
                # A score that arrived without its record (an import): shown as given.
                record = Score(key_result=kr, score=kr.score, suggested=None, scored_at=None)
            confidences = [c for c, _ in history]
            row = Row(
                kr=kr,
                record=record,
                suggestion=services.suggestion_for(kr, latest),
                final=services.final_value(kr, latest),
                confidences=confidences,
                values=[v for _, v in history],
                state=services.scoring_state(kr, today),
                mark=getattr(kr, "retro_mark", None),
                signals=signals_for(record.score if record else None, confidences),
            )
            rows.append(row)
        blocks.append(
            ObjectiveBlock(
                objective=objective,
                rows=rows,
                result=objective_score(
                    objective.kind,
                    [r.record.score if r.record else None for r in rows if not r.pending],
                    pending=sum(1 for r in rows if r.pending),
                ),
            )
        )
    closing = Closing(unit=unit, cycle=cycle, today=today, objectives=blocks)
    if with_retro:
        closing.retro = (
            Retrospective.objects.filter(unit=unit, cycle=cycle)
            .prefetch_related(
                Prefetch("actions", queryset=RetroAction.objects.select_related("owner"))
            )
            .first()
        )
    return closing


def closing_cycle(today: date) -> Cycle | None:
    """The cycle a scoring or retrospective page opens on without ?cycle=: the earliest one
    in scoring or retrospective, else the current one. One query."""
    cycles = sorted(Cycle.objects.all(), key=lambda c: c.starts_on)
    open_ = [c for c in cycles if c.is_scoring_open]
    if open_:
        return open_[0]
    return Cycle.objects.current(today) if cycles else None


# Setting-page slots --------------------------------------------------------------------------


def retro_actions_for_setting(unit: OrgUnit, cycle: Any) -> list[SlotAction]:
    """The actions of the unit's retrospective of the cycle before `cycle`: one query."""
    before = Cycle.objects.filter(starts_on__lt=cycle.starts_on).order_by("-starts_on")
    actions = (
        RetroAction.objects.filter(
            retrospective__unit=unit, retrospective__cycle=before.values("pk")[:1]
        )
        .select_related("owner", "retrospective__cycle")
        .order_by("created_at", "pk")
    )
    return [
        SlotAction(
            text=action.text,
            owner_name=action.owner.name if action.owner else "",
            done=action.done,
            url=reverse("cycles:unit-retro", args=[unit.pk])
            + f"?cycle={action.retrospective.cycle_id}#actions",
        )
        for action in actions
    ]


def metric_notes_for_setting(unit: OrgUnit, metric_ids: list[int]) -> dict[int, list[MetricNote]]:
    """For each metric, what the unit learned the last time it had a scored key result on it:
    the numbers ("last time you set 40 → 60 and reached 48") and the retrospective's note.
    One query (the unit's scored key results on these metrics, latest cycle first)."""
    if not metric_ids:
        return {}
    krs = (
        KeyResult.objects.filter(
            objective__unit=unit, metric_id__in=metric_ids, score__isnull=False
        )
        .select_related("objective__cycle", "scoring", "retro_mark")
        .order_by("-objective__cycle__starts_on", "order", "pk")
    )
    notes: dict[int, list[MetricNote]] = {}
    for kr in krs:
        if kr.metric_id in notes:
            continue  # the latest cycle's only
        cycle = kr.objective.cycle
        record = getattr(kr, "scoring", None)
        reached = record.final_value if record and record.final_value is not None else None
        reached = reached if reached is not None else kr.current_value
        story = []
        if kr.baseline_value is not None and kr.target is not None:
            story.append(f"set {number(kr.baseline_value)} → {number(kr.target)}")
        if reached is not None:
            story.append(f"reached {number(reached)}")
        text = f"Last time ({cycle.name}) you " + " and ".join(story) if story else ""
        text = f"{text}: scored {kr.score:.1f}" if text else f"Scored {kr.score:.1f} in {cycle}"
        mark = getattr(kr, "retro_mark", None)
        if mark is not None and mark.calibration:
            text += f", and the retrospective marked it {mark.get_calibration_display().lower()}"
        url = reverse("cycles:unit-retro", args=[unit.pk]) + f"?cycle={cycle.pk}"
        items = [MetricNote(text=text + ".", source=f"{cycle.name} retrospective", url=url)]
        if mark is not None and mark.note:
            items.append(MetricNote(text=mark.note, source=f"{cycle.name} retrospective", url=url))
        notes[kr.metric_id] = items
    return notes
