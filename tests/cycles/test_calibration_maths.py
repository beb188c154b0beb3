"""Calibration across cycles: distribution, flags, Brier score and bands, check-in discipline
and process cost (cycles/calibration.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from cycles.calibration import (
    DISCONNECTED,
    SANDBAGGING,
    Activity,
    KeyResultFacts,
    brier,
    calibration_bands,
    calibration_verdict,
    check_ins_on_time,
    cycle_stats,
    distribution,
    flag_runs,
    forecast_pairs,
    process_cost,
)

D = Decimal


def kr(score: str | None, kind: str = "aspirational", forecasts=(), **kw) -> KeyResultFacts:
    return KeyResultFacts(
        id=1,
        unit_id=1,
        cycle_id=1,
        kind=kind,
        score=None if score is None else D(score),
        forecasts=tuple(forecasts),
        **kw,
    )


def test_distribution_counts_each_tenth() -> None:
    bins = distribution([D("0.0"), D("0.7"), D("0.7"), D("1.0")])
    assert bins == [1, 0, 0, 0, 0, 0, 0, 2, 0, 0, 1]


def test_success_lines_decide_whether_a_forecast_came_true() -> None:
    assert kr("0.7").reached is True
    assert kr("0.6").reached is False
    assert kr("0.9", kind="committed").reached is False
    assert kr("1.0", kind="committed").reached is True
    assert kr(None).reached is None


def test_brier_score() -> None:
    assert brier([]) is None
    assert brier([(100, True), (0, False)]) == 0.0
    assert brier([(50, True), (50, False)]) == pytest.approx(0.25)
    assert brier([(80, False)]) == pytest.approx(0.64)


def test_forecasts_of_unscored_key_results_are_left_out() -> None:
    pairs = forecast_pairs([kr("0.7", forecasts=[60, 80]), kr(None, forecasts=[90])])
    assert pairs == [(60, True), (80, True)]


def test_bands_say_how_often_a_stated_confidence_came_true() -> None:
    pairs = [(80, True)] * 9 + [(85, False)] * 11 + [(30, False)] * 4
    bands = calibration_bands(pairs)
    top = bands[-1]
    assert (top.forecasts, top.hits) == (20, 9)
    assert top.sentence().startswith("When you said about 83% (80–100%)")
    assert "45% of the time (9 of 20)" in top.sentence()
    assert bands[1].forecasts == 4 and bands[1].hits == 0
    assert "ran ahead of outcomes" in calibration_verdict(bands)


def test_verdict_needs_enough_forecasts() -> None:
    assert "Too few" in calibration_verdict(calibration_bands([(80, True)]))
    honest = [(80, True)] * 8 + [(80, False)] * 2
    assert "close to" in calibration_verdict(calibration_bands(honest))


def test_sandbagging_needs_two_cycles_running() -> None:
    high = cycle_stats([kr("1.0"), kr("0.9"), kr("0.8", kind="committed")])
    normal = cycle_stats([kr("0.6"), kr("0.7")])
    assert high.aspirational_mean == D("0.95")
    flags = flag_runs([high, normal, high, high, high])
    codes = [[f.code for f in fs] for fs in flags]
    assert codes == [[], [], [], [SANDBAGGING], [SANDBAGGING]]
    assert "3 cycles running" in flags[4][0].explanation


def test_a_cycle_without_key_results_breaks_the_run() -> None:
    high = cycle_stats([kr("1.0")])
    assert flag_runs([high, None, high]) == [[], [], []]


def test_disconnected_counts_both_kinds() -> None:
    low = cycle_stats([kr("0.1"), kr("0.3", kind="committed"), kr("0.0")])
    assert low.mean == D("0.13")
    flags = flag_runs([low, low])
    assert [f.code for f in flags[1]] == [DISCONNECTED]


def test_cycle_stats() -> None:
    stats = cycle_stats(
        [
            kr("1.0", forecasts=[90, 95], due=6, on_time=5),
            kr("0.4", forecasts=[70], due=6, on_time=6, is_output=True),
            kr(None, pending=True, has_baseline=False, due=3, on_time=1),
            kr("1.0", kind="committed", due=6, on_time=3),
        ]
    )
    assert (stats.key_results, stats.scored, stats.pending) == (4, 3, 1)
    assert stats.aspirational_at_one == 1 and stats.aspirational_at_one_share == 0.5
    assert stats.committed_mean == D("1.00")
    assert stats.discipline == pytest.approx(15 / 21)
    assert stats.output_share == 0.25 and stats.no_baseline_share == 0.25
    assert len(stats.pairs) == 3


def test_check_ins_on_time() -> None:
    start = datetime(2026, 7, 6, 9, tzinfo=UTC)
    due = [start + timedelta(weeks=2 * i) for i in range(6)]
    created = start - timedelta(days=10)
    now = due[4] + timedelta(hours=1)  # the last due time has not come yet
    check_ins = [
        due[0] + timedelta(hours=3),  # on time
        due[1] - timedelta(days=2),  # early, within the window
        due[2] + timedelta(days=5),  # late
        due[3] + timedelta(days=1),  # on time
    ]
    got = check_ins_on_time(
        due, check_ins, early_window=timedelta(days=3), created_at=created, now=now
    )
    assert got == (5, 3)


def test_due_times_before_the_key_result_existed_do_not_count() -> None:
    start = datetime(2026, 7, 6, 9, tzinfo=UTC)
    due = [start + timedelta(weeks=2 * i) for i in range(3)]
    got = check_ins_on_time(
        due,
        [],
        early_window=timedelta(days=3),
        created_at=due[1],
        now=due[2] + timedelta(days=1),
    )
    assert got == (1, 0)


def test_process_cost_counts_activity_times_assumptions() -> None:
    cost = process_cost(
        Activity(
            people=4,
            objectives=3,
            key_results=8,
            comments=6,
            changes=1,
            check_ins=48,
            scores=8,
            retro_held=True,
            retro_entries=10,
        )
    )
    # 6 h workshop, 2.25 h objectives, 2.67 h key results, 0.5 h debate, 0.17 h change,
    # 4 h check-ins, 0.67 h scoring, 4 h retro, 0.33 h recording
    assert cost.hours == pytest.approx(20.58, abs=0.01)
    assert cost.verdict == "under the budget"
    idle = process_cost(Activity(people=5))
    assert idle.hours == 0
