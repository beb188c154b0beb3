"""Calibration maths across cycles: pure functions over plain facts, no database.

cycles/history.py loads the facts (one `KeyResultFacts` per key result, activity counts per
unit and cycle) in a fixed number of queries; this module turns them into what the calibration
pages show. Everything is per unit (or the whole organisation), never per person.

Definitions
-----------
* **Score distribution**: how many scored key results got each score 0.0, 0.1, ... 1.0.
* **Sandbagging flag**: a unit's aspirational key results averaged 0.9 or more in two cycles
  running (both cycles had scored aspirational key results; a cycle without any breaks the
  run). Aspirational key results are meant to land around 0.7; reaching nearly all of them
  again and again says the targets were safe.
* **Disconnected flag**: the unit's scored key results (both kinds) averaged 0.2 or less in two
  cycles running: targets so far from reality that they no longer steer the work.
* **Confidence calibration**: each check-in's confidence is a forecast that the key result
  reaches its success line (0.7 for aspirational objectives, 1.0 for committed ones). Once it is
  scored, each forecast is compared with what happened. The **Brier score** is the mean of
  (forecast - outcome)^2 over all forecasts (0 is perfect; always saying 50% scores 0.25; lower
  is better). The **calibration chart** groups forecasts into five bands (0-19%, 20-39%, ...,
  80-100%) and shows, per band, how often the line was reached. Key results with more check-ins
  carry more forecasts, so weigh more: that is what was said, as often as it was said.
* **Check-in discipline**: of the due check-ins (each due time of the unit's cadence that had
  passed, from the key result's creation on), the share answered on time: a check-in from the
  early window before the due time (cycles.cadence) up to two days after it.
* **Output key results / no baseline**: shares of a cycle's key results that okrs.quality reads
  as outputs, and that have no baseline; shown as a trend across cycles.
* **Process cost**: an estimate of the person-hours a unit spent on the cycle's rituals,
  counted from what it did in Quarterdeck, each kind of activity times a stated assumption
  (`COST_ASSUMPTIONS`), against the budget of three to four person-days per team per quarter.
  It is an estimate and the page says so and shows the table.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from cycles.scoring import SUCCESS_LINE

SANDBAG_AT = Decimal("0.9")
DISCONNECTED_AT = Decimal("0.2")
RUN = 2  # cycles running for a flag
ON_TIME_GRACE = timedelta(days=2)
BANDS = [(0, 19), (20, 39), (40, 59), (60, 79), (80, 100)]
HOURS_PER_DAY = 8
BUDGET_DAYS = (3, 4)


@dataclass(frozen=True)
class KeyResultFacts:
    """What calibration needs of one key result."""

    id: int
    unit_id: int
    cycle_id: int
    kind: str  # the objective's: "aspirational" or "committed"
    score: Decimal | None
    pending: bool = False
    has_baseline: bool = True
    is_output: bool = False
    forecasts: tuple[int, ...] = ()  # confidences of its effective check-ins, oldest first
    due: int = 0  # due check-ins that have passed
    on_time: int = 0  # of which answered on time

    @property
    def reached(self) -> bool | None:
        """Reached its success line (None: not scored)."""
        if self.score is None:
            return None
        return self.score >= SUCCESS_LINE.get(self.kind, Decimal("1.0"))


# Distribution and means ------------------------------------------------------------------------


def distribution(scores: Iterable[Decimal]) -> list[int]:
    """Counts of scores 0.0 .. 1.0 (eleven bins)."""
    bins = [0] * 11
    for s in scores:
        bins[max(0, min(10, int((s * 10).to_integral_value())))] += 1
    return bins


def _mean(values: Sequence[Decimal]) -> Decimal | None:
    if not values:
        return None
    return (sum(values, Decimal(0)) / len(values)).quantize(Decimal("0.01"))


# Confidence as a forecast ------------------------------------------------------------------------


def forecast_pairs(krs: Iterable[KeyResultFacts]) -> list[tuple[int, bool]]:
    """(confidence, reached) for every check-in of every scored key result."""
    pairs = []
    for kr in krs:
        reached = kr.reached
        if reached is None:
            continue
        pairs.extend((c, reached) for c in kr.forecasts)
    return pairs


def brier(pairs: Sequence[tuple[int, bool]]) -> float | None:
    """Mean squared distance between forecast (confidence/100) and outcome (1 or 0)."""
    if not pairs:
        return None
    return sum((c / 100 - (1.0 if hit else 0.0)) ** 2 for c, hit in pairs) / len(pairs)


@dataclass(frozen=True)
class Band:
    low: int
    high: int
    forecasts: int
    hits: int
    mean_confidence: float | None

    @property
    def hit_rate(self) -> float | None:
        return self.hits / self.forecasts if self.forecasts else None

    @property
    def label(self) -> str:
        return f"{self.low}–{self.high}%"

    def sentence(self) -> str:
        """“When you said about 80% (80–100%), it got there 45% of the time (9 of 20).”"""
        if not self.forecasts or self.mean_confidence is None:
            return f"No forecasts of {self.label}."
        rate = round((self.hit_rate or 0) * 100)
        return (
            f"When you said about {round(self.mean_confidence)}% ({self.label}), the key result "
            f"got there {rate}% of the time ({self.hits} of {self.forecasts})."
        )


def calibration_bands(pairs: Sequence[tuple[int, bool]]) -> list[Band]:
    bands = []
    for low, high in BANDS:
        inside = [(c, hit) for c, hit in pairs if low <= c <= high]
        bands.append(
            Band(
                low=low,
                high=high,
                forecasts=len(inside),
                hits=sum(1 for _, hit in inside if hit),
                mean_confidence=sum(c for c, _ in inside) / len(inside) if inside else None,
            )
        )
    return bands


def calibration_verdict(bands: Sequence[Band], *, minimum: int = 5) -> str:
    """One plain sentence on how confidence compared with outcomes, from bands with enough
    forecasts: over-confident, under-confident or about right."""
    gaps = [
        (b.hit_rate - b.mean_confidence / 100, b.forecasts)
        for b in bands
        if b.forecasts >= minimum and b.hit_rate is not None and b.mean_confidence is not None
    ]
    if not gaps:
        return "Too few scored forecasts yet to say how confidence compared with outcomes."
    weighted = sum(g * n for g, n in gaps) / sum(n for _, n in gaps)
    if weighted <= -0.15:
        return (
            "Confidence ran ahead of outcomes: key results reached their line less often than "
            "the stated confidence said."
        )
    if weighted >= 0.15:
        return (
            "Confidence ran behind outcomes: key results reached their line more often than "
            "the stated confidence said."
        )
    return "Stated confidence was close to how often key results reached their line."


# Check-in discipline ---------------------------------------------------------------------------


def check_ins_on_time(
    due_times: Sequence[datetime],
    check_in_times: Sequence[datetime],
    *,
    early_window: timedelta,
    created_at: datetime,
    now: datetime,
    grace: timedelta = ON_TIME_GRACE,
) -> tuple[int, int]:
    """(due, on time) for one key result: due times that have passed (and came after the key
    result existed, plus the early window, as cycles.cadence.expected_by counts them), and of
    those, the ones answered by a check-in from `early_window` before to `grace` after."""
    due = on_time = 0
    times = sorted(check_in_times)
    for t in due_times:
        if t > now or t <= created_at + early_window:
            continue
        due += 1
        if any(t - early_window <= c <= t + grace for c in times):
            on_time += 1
    return due, on_time


# Process cost ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CostAssumption:
    key: str
    label: str
    minutes: int
    per: str  # what one unit of it is


COST_ASSUMPTIONS: list[CostAssumption] = [
    CostAssumption(
        "setting_session", "Setting workshop", 90, "per person in the unit, if it set OKRs"
    ),
    CostAssumption("objectives", "Drafting an objective", 45, "per objective"),
    CostAssumption("key_results", "Writing a key result with its baseline", 20, "per key result"),
    CostAssumption("comments", "Debate", 5, "per comment on the unit's objectives"),
    CostAssumption("changes", "Changing an agreed objective", 10, "per recorded change"),
    CostAssumption("check_ins", "Check-in", 5, "per check-in"),
    CostAssumption("scores", "Scoring", 5, "per scored key result"),
    CostAssumption(
        "retro_session", "Retrospective meeting", 60, "per person in the unit, if it held one"
    ),
    CostAssumption("retro_entries", "Recording the retrospective", 2, "per mark or action"),
]


@dataclass(frozen=True)
class Activity:
    """What one unit did in one cycle, as counted from its records."""

    people: int = 0
    objectives: int = 0
    key_results: int = 0
    comments: int = 0
    changes: int = 0
    check_ins: int = 0
    scores: int = 0
    retro_held: bool = False
    retro_entries: int = 0

    def count(self, key: str) -> int:
        if key == "setting_session":
            return self.people if self.objectives else 0
        if key == "retro_session":
            return self.people if self.retro_held else 0
        return int(getattr(self, key))


@dataclass(frozen=True)
class CostLine:
    assumption: CostAssumption
    count: int

    @property
    def hours(self) -> float:
        return self.count * self.assumption.minutes / 60


@dataclass(frozen=True)
class ProcessCost:
    lines: list[CostLine]

    @property
    def hours(self) -> float:
        return sum(line.hours for line in self.lines)

    @property
    def days(self) -> float:
        return self.hours / HOURS_PER_DAY

    @property
    def top(self) -> CostLine | None:
        """The activity that took the most time."""
        lines = [line for line in self.lines if line.count]
        return max(lines, key=lambda line: line.hours) if lines else None

    @property
    def verdict(self) -> str:
        low, high = BUDGET_DAYS
        days = round(self.days, 1)  # as the page shows it
        if days > high:
            return "over the budget"
        if days >= low:
            return "within the budget"
        return "under the budget"


def process_cost(activity: Activity) -> ProcessCost:
    return ProcessCost(
        lines=[CostLine(a, activity.count(a.key)) for a in COST_ASSUMPTIONS],
    )


# One unit (or the organisation) in one cycle ------------------------------------------------------


@dataclass(frozen=True)
class Flag:
    code: str  # "sandbagging" or "disconnected"
    label: str
    explanation: str


SANDBAGGING = "sandbagging"
DISCONNECTED = "disconnected"


@dataclass
class CycleStats:
    """A unit's (or the organisation's) figures for one cycle."""

    key_results: int
    scored: int
    pending: int
    distribution: list[int]
    mean: Decimal | None
    aspirational_scored: int
    aspirational_mean: Decimal | None
    aspirational_at_one: int
    committed_mean: Decimal | None
    pairs: list[tuple[int, bool]]
    brier: float | None
    bands: list[Band]
    due: int
    on_time: int
    outputs: int
    no_baseline: int
    flags: list[Flag] = field(default_factory=list)

    @property
    def aspirational_at_one_share(self) -> float | None:
        return (
            self.aspirational_at_one / self.aspirational_scored
            if self.aspirational_scored
            else None
        )

    @property
    def discipline(self) -> float | None:
        return self.on_time / self.due if self.due else None

    @property
    def output_share(self) -> float | None:
        return self.outputs / self.key_results if self.key_results else None

    @property
    def no_baseline_share(self) -> float | None:
        return self.no_baseline / self.key_results if self.key_results else None


def cycle_stats(krs: Sequence[KeyResultFacts]) -> CycleStats:
    scored = [kr for kr in krs if kr.score is not None]
    aspirational = [kr.score for kr in scored if kr.kind == "aspirational" and kr.score is not None]
    committed = [kr.score for kr in scored if kr.kind == "committed" and kr.score is not None]
    pairs = forecast_pairs(krs)
    return CycleStats(
        key_results=len(krs),
        scored=len(scored),
        pending=sum(1 for kr in krs if kr.pending and kr.score is None),
        distribution=distribution(kr.score for kr in scored if kr.score is not None),
        mean=_mean([kr.score for kr in scored if kr.score is not None]),
        aspirational_scored=len(aspirational),
        aspirational_mean=_mean(aspirational),
        aspirational_at_one=sum(1 for s in aspirational if s >= Decimal("1.0")),
        committed_mean=_mean(committed),
        pairs=pairs,
        brier=brier(pairs),
        bands=calibration_bands(pairs),
        due=sum(kr.due for kr in krs),
        on_time=sum(kr.on_time for kr in krs),
        outputs=sum(1 for kr in krs if kr.is_output),
        no_baseline=sum(1 for kr in krs if not kr.has_baseline),
    )


def flag_runs(series: Sequence[CycleStats | None]) -> list[list[Flag]]:
    """Flags per cycle for one unit, `series` oldest first (None: the unit had no key results
    that cycle, which breaks a run). A flag stands on the second cycle of a run and on each
    further one."""
    result: list[list[Flag]] = []
    sandbag_run = disconnected_run = 0
    for stats in series:
        flags: list[Flag] = []
        if stats is not None and stats.aspirational_mean is not None:
            sandbag_run = sandbag_run + 1 if stats.aspirational_mean >= SANDBAG_AT else 0
        else:
            sandbag_run = 0
        if stats is not None and stats.mean is not None:
            disconnected_run = disconnected_run + 1 if stats.mean <= DISCONNECTED_AT else 0
        else:
            disconnected_run = 0
        if sandbag_run >= RUN:
            flags.append(
                Flag(
                    SANDBAGGING,
                    "Aspirational targets look safe",
                    f"Aspirational key results averaged {SANDBAG_AT} or more for {sandbag_run} "
                    "cycles running. A stretch lands around 0.7: aim further next time.",
                )
            )
        if disconnected_run >= RUN:
            flags.append(
                Flag(
                    DISCONNECTED,
                    "Targets look out of reach",
                    f"Key results averaged {DISCONNECTED_AT} or less for {disconnected_run} "
                    "cycles running. Targets this far off stop steering the work: set them "
                    "from what moved last time.",
                )
            )
        result.append(flags)
    return result
