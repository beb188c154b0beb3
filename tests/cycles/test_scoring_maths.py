"""The suggested score, in every direction and every awkward case (cycles/scoring.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cycles.scoring import (
    line_crossings,
    objective_score,
    round_score,
    suggest,
)

D = Decimal


def s(direction: str, baseline, target, final) -> Decimal | None:
    return suggest(
        direction=direction,
        baseline=None if baseline is None else D(str(baseline)),
        target=None if target is None else D(str(target)),
        final=None if final is None else D(str(final)),
    ).score


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0.64", "0.6"),
        ("0.65", "0.7"),  # halves go up
        ("0.05", "0.1"),
        ("0.049", "0.0"),
        ("1.2", "1.0"),  # clamped
        ("-0.3", "0.0"),
    ],
)
def test_rounding_is_to_a_tenth_half_up_and_clamped(value: str, expected: str) -> None:
    assert round_score(D(value)) == D(expected)


@pytest.mark.parametrize(
    ("baseline", "target", "final", "expected"),
    [
        (40, 60, 48, "0.4"),  # 8 of 20
        (40, 60, 53, "0.7"),  # 13/20 = 0.65, half up
        (40, 60, 60, "1.0"),
        (40, 60, 75, "1.0"),  # past the target
        (40, 60, 40, "0.0"),  # did not move
        (40, 60, 31, "0.0"),  # went the wrong way
    ],
)
def test_increase(baseline, target, final, expected) -> None:
    assert s("increase", baseline, target, final) == D(expected)


@pytest.mark.parametrize(
    ("baseline", "target", "final", "expected"),
    [
        (38, 15, 24, "0.6"),  # 14 of 23 = 0.61
        (0.6, 0.15, 0.31, "0.6"),  # 0.29 / 0.45 = 0.644
        (38, 15, 15, "1.0"),
        (38, 15, 9, "1.0"),  # past the target
        (38, 15, 44, "0.0"),  # worse than the baseline
    ],
)
def test_decrease(baseline, target, final, expected) -> None:
    assert s("decrease", baseline, target, final) == D(expected)


@pytest.mark.parametrize(
    ("baseline", "target", "final", "expected"),
    [
        (1.3, 1.5, 1.4, "1.0"),  # stay below 1.5: held
        (1.3, 1.5, 1.5, "1.0"),  # on the line counts as held
        (1.3, 1.5, 1.6, "0.0"),  # started on the right side, lost it
        (140, 100, 110, "0.8"),  # started above the line: 30 of 40 back toward it
        (140, 100, 150, "0.0"),  # started above, got worse
        (None, 100, 120, "0.0"),  # no baseline, line not held
        (None, 100, 80, "1.0"),
    ],
)
def test_stay_below(baseline, target, final, expected) -> None:
    assert s("stay_below", baseline, target, final) == D(expected)


@pytest.mark.parametrize(
    ("baseline", "target", "final", "expected"),
    [
        (99.95, 99.9, 99.93, "1.0"),
        (99.95, 99.9, 99.9, "1.0"),
        (99.95, 99.9, 99.8, "0.0"),
        (99.5, 99.9, 99.8, "0.8"),  # started below the line: 0.3 of 0.4 back
        (None, 99.9, 99.95, "1.0"),
    ],
)
def test_stay_above(baseline, target, final, expected) -> None:
    assert s("stay_above", baseline, target, final) == D(expected)


def test_missing_baseline_scores_only_a_reached_target() -> None:
    assert s("increase", None, 60, 61) == D("1.0")
    assert s("decrease", None, 5, 4) == D("1.0")
    missed = suggest(direction="increase", baseline=None, target=D(60), final=D(50))
    assert missed.score is None
    assert "judgement" in missed.why


def test_no_check_ins_means_no_suggestion() -> None:
    for direction in ("increase", "decrease", "stay_above", "stay_below"):
        result = suggest(direction=direction, baseline=D(1), target=D(2), final=None)
        assert result.score is None
        assert "No check-ins" in result.why


def test_no_target_means_no_suggestion() -> None:
    assert s("increase", 1, None, 3) is None


def test_target_equal_to_the_baseline_is_held_or_not() -> None:
    assert s("increase", 50, 50, 50) == D("1.0")
    assert s("increase", 50, 50, 52) == D("1.0")
    assert s("increase", 50, 50, 49) == D("0.0")
    assert s("decrease", 50, 50, 49) == D("1.0")
    assert s("decrease", 50, 50, 51) == D("0.0")


def test_target_behind_the_baseline_for_its_direction() -> None:
    # "Increase" to a number below where it started: nothing to travel; held or not.
    assert s("increase", 50, 40, 45) == D("1.0")
    assert s("increase", 50, 40, 39) == D("0.0")


def test_the_explanation_says_how_far_it_travelled() -> None:
    why = suggest(direction="increase", baseline=D(40), target=D(60), final=D(48)).why
    assert "40%" in why and "40" in why and "60" in why and "48" in why


def test_line_crossings_count_check_ins_on_the_wrong_side() -> None:
    values = [D("90"), D("105"), D("99"), D("101")]
    assert line_crossings("stay_below", D("100"), values) == 2
    assert line_crossings("stay_above", D("100"), values) == 2
    assert line_crossings("increase", D("100"), values) == 0


def test_objective_score_is_the_mean_of_its_scored_key_results() -> None:
    result = objective_score("aspirational", [D("0.7"), D("0.4")], pending=1)
    assert result.score == D("0.55")
    assert (result.scored, result.pending, result.unscored) == (2, 1, 0)
    assert result.complete
    assert "close to" in result.reads


def test_objective_success_lines_by_kind() -> None:
    assert objective_score("aspirational", [D("0.7")]).reads == "at or above its success line"
    assert objective_score("committed", [D("1.0")]).reads == "delivered"
    committed = objective_score("committed", [D("0.8")])
    assert "below its 1.0 success line" in committed.reads
    assert "fail" not in committed.reads.lower()


def test_objective_with_nothing_scored() -> None:
    result = objective_score("committed", [None, None])
    assert result.score is None and result.unscored == 2 and not result.complete
