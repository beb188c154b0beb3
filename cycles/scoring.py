"""Scoring maths: pure functions, no database.

A key result's suggested score
------------------------------
The suggestion is computed from the key result's *final value*: the latest check-in's value,
else its current value when one was recorded without a check-in (an import). It is clamped to
0.0-1.0 and rounded to the nearest 0.1, halves up (0.65 -> 0.7). The lead accepts it or
overrides it with a reason; the suggestion is never the score by itself.

* ``increase`` / ``decrease``: the share of the way travelled from the baseline to the target,
  in the key result's direction. A final value past the target scores 1.0; one that went the
  wrong way scores 0.0.
* ``stay_above`` / ``stay_below`` (holding a line): 1.0 when the final value is on the right
  side of the line (the target itself counts as held). When it is not, and the baseline was on
  the wrong side too (the team set out to get back over the line), the share of the way from the
  baseline to the line counts, as for increase/decrease; when the baseline was already on the
  right side, or is unknown, the line was lost: 0.0. Only the final value decides the
  suggestion: the page also says at how many check-ins the line was crossed, so a lead can
  override when a breach mid-quarter matters more than where the quarter ended.
* A target equal to the baseline (or, against its direction, behind it) has no distance to
  travel: 1.0 when the final value is at the target or better, else 0.0.
* No suggestion (None, and the page says the lead scores by judgement) when there is no target,
  no final value (nobody checked in), or no baseline for increase/decrease while the target was
  not reached (a share of an unknown distance means nothing; reaching the target still scores
  1.0 without one).

An objective's score is the mean of its key results' scores; key results still pending (a
measurement window after the quarter) are left out and counted as pending. Aspirational
objectives read 0.7 as success, committed ones 1.0. A score below the line is information,
never a failure: nothing here or on the page calls it one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

INCREASE, DECREASE, STAY_ABOVE, STAY_BELOW = "increase", "decrease", "stay_above", "stay_below"
HOLDING = (STAY_ABOVE, STAY_BELOW)
ZERO, ONE, STEP = Decimal("0.0"), Decimal("1.0"), Decimal("0.1")
SUCCESS_LINE = {"committed": Decimal("1.0"), "aspirational": Decimal("0.7")}
# The scores a lead may give.
SCORES = [Decimal(i) / 10 for i in range(11)]


def round_score(value: Decimal) -> Decimal:
    """Clamp to 0-1 and round to one decimal, halves up."""
    value = min(ONE, max(ZERO, value))
    return value.quantize(STEP, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Suggestion:
    """A suggested score (None: the lead scores by judgement) and why, in words."""

    score: Decimal | None
    why: str


def _show(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


def _share(moved: Decimal, span: Decimal) -> Decimal:
    """moved/span clamped and rounded; span > 0."""
    return round_score(moved / span)


def suggest(
    *,
    direction: str,
    baseline: Decimal | None,
    target: Decimal | None,
    final: Decimal | None,
) -> Suggestion:
    """The suggested score of a key result from its final value (see the module docstring)."""
    if target is None:
        return Suggestion(None, "No numeric target: score it by judgement.")
    if final is None:
        return Suggestion(
            None, "No check-ins, so no final value to score from: score it by judgement."
        )
    if direction in HOLDING:
        return _suggest_holding(direction, baseline, target, final)
    sign = Decimal(-1) if direction == DECREASE else Decimal(1)
    reached = (final - target) * sign >= 0
    if baseline is None:
        if reached:
            return Suggestion(ONE, f"Reached the target ({_show(final)}), with no baseline.")
        return Suggestion(
            None,
            "No baseline, and the target was not reached: how far it travelled is unknown, "
            "so score it by judgement.",
        )
    span = (target - baseline) * sign
    moved = (final - baseline) * sign
    if span <= 0:
        if reached:
            return Suggestion(ONE, "The target was not beyond the baseline, and it held.")
        return Suggestion(ZERO, "The target was not beyond the baseline, and it was missed.")
    if moved >= span:
        return Suggestion(ONE, f"Reached the target: {_show(final)} against {_show(target)}.")
    if moved <= 0:
        return Suggestion(
            ZERO, f"No movement toward the target: {_show(baseline)} to {_show(final)}."
        )
    share = moved / span
    return Suggestion(
        _share(moved, span),
        f"Travelled {round(share * 100)}% of the way from {_show(baseline)} to "
        f"{_show(target)} (final value {_show(final)}).",
    )


def _suggest_holding(
    direction: str, baseline: Decimal | None, target: Decimal, final: Decimal
) -> Suggestion:
    sign = Decimal(1) if direction == STAY_ABOVE else Decimal(-1)
    side = "above" if direction == STAY_ABOVE else "below"
    if (final - target) * sign >= 0:
        return Suggestion(ONE, f"Held: the final value {_show(final)} is {side} the line.")
    if baseline is not None and (baseline - target) * sign < 0:
        # Started on the wrong side: credit the way back toward the line.
        span = (target - baseline) * sign
        moved = (final - baseline) * sign
        if moved <= 0:
            return Suggestion(ZERO, f"Not back {side} the line: {_show(final)}.")
        return Suggestion(
            _share(moved, span),
            f"Started on the wrong side; travelled {round(moved / span * 100)}% of the way "
            f"back to the line ({_show(baseline)} to {_show(final)}, line {_show(target)}).",
        )
    return Suggestion(ZERO, f"The line was lost: the final value {_show(final)} is not {side} it.")


def line_crossings(direction: str, target: Decimal | None, values: Iterable[Decimal]) -> int:
    """For a holding key result: at how many check-ins the value was on the wrong side."""
    if direction not in HOLDING or target is None:
        return 0
    sign = Decimal(1) if direction == STAY_ABOVE else Decimal(-1)
    return sum(1 for v in values if (v - target) * sign < 0)


# Objectives ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ObjectiveScore:
    """An objective's score from its own key results' scores."""

    kind: str
    score: Decimal | None  # mean of the scored key results, two decimals; None: none scored
    scored: int
    pending: int  # delayed-payback key results still waiting for their window to close
    unscored: int  # neither scored nor pending

    @property
    def success_line(self) -> Decimal:
        return SUCCESS_LINE.get(self.kind, ONE)

    @property
    def complete(self) -> bool:
        return self.scored > 0 and self.unscored == 0

    @property
    def reads(self) -> str:
        """What the score means for this kind, in a few calm words."""
        if self.score is None:
            return "not scored yet"
        line = self.success_line
        if self.score >= line:
            return "at or above its success line" if self.kind == "aspirational" else "delivered"
        if self.kind == "aspirational" and self.score >= line - Decimal("0.2"):
            return "close to its 0.7 success line"
        return f"below its {line:.1f} success line: worth a look in the retrospective"


def objective_score(
    kind: str, scores: Iterable[Decimal | None], *, pending: int = 0
) -> ObjectiveScore:
    """Mean of the scored key results; `scores` holds None for those not scored (pending ones
    are counted by the caller and not passed)."""
    given = list(scores)
    done = [s for s in given if s is not None]
    mean = (sum(done, ZERO) / len(done)).quantize(Decimal("0.01"), ROUND_HALF_UP) if done else None
    return ObjectiveScore(
        kind=kind,
        score=mean,
        scored=len(done),
        pending=pending,
        unscored=len(given) - len(done),
    )


def mean(values: Iterable[Decimal]) -> Decimal | None:
    values = list(values)
    if not values:
        return None
    return (sum(values, ZERO) / len(values)).quantize(Decimal("0.01"), ROUND_HALF_UP)
