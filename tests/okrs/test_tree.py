"""The alignment tree's maths: progress over plain values (held against KeyResult.progress()),
an objective's own roll-up, the flags, what lies below a node in a DAG, the filters, and the
two ways of loading (whole cycle, one subtree) agreeing with each other."""

from __future__ import annotations

import datetime
from decimal import Decimal as D
from itertools import product

import pytest

from accounts.models import OrgUnit
from okrs import tree
from okrs.models import AlignmentLink, KeyResult, Objective
from okrs.tree import (
    BLOCKED,
    NO_BASELINE,
    NO_CONTRIBUTORS,
    OUTPUT,
    OVER_FIVE,
    STALE,
    UNALIGNED,
    Filters,
    Forest,
    KeyResultRow,
    ObjectiveRow,
    Visibility,
)
from tests.accounts.factories import OrgUnitFactory
from tests.conftest import Org
from tests.okrs.factories import KeyResultFactory, ObjectiveFactory

TODAY = datetime.date(2026, 11, 10)

# Progress ------------------------------------------------------------------------------------

VALUES = [None, D("0"), D("2"), D("5"), D("8"), D("10"), D("12.5")]
DIRECTIONS = [d for d, _ in KeyResult.Direction.choices]


@pytest.mark.parametrize("direction", DIRECTIONS)
def test_progress_over_values_is_the_model_s_progress(direction: str) -> None:
    """Every combination of missing, equal, below, between and beyond, in all four
    directions: the plain-values maths the tree uses gives what KeyResult.progress() gives."""
    for baseline, target, current in product(VALUES, VALUES, VALUES):
        kr = KeyResult(
            direction=direction, baseline_value=baseline, target=target, current_value=current
        )
        expected = kr.progress()
        got = tree.key_result_progress(direction, baseline, target, current)
        assert got == expected, (direction, baseline, target, current)


def test_the_database_s_progress_is_the_model_s_too(org: Org) -> None:
    """The same matrix through progress_sql (the first paint averages contributors' progress
    in the database): one objective per key result, so each average is that one value."""
    objectives = Objective.objects.bulk_create(
        Objective(unit=org.team, cycle=org.cycle, title=f"o{i}", order=i)
        for i in range(len(DIRECTIONS) * len(VALUES) ** 3)
    )
    key_results = KeyResult.objects.bulk_create(
        KeyResult(
            objective=objective,
            statement="s",
            direction=direction,
            baseline_value=baseline,
            target=target,
            current_value=current,
        )
        for objective, (direction, baseline, target, current) in zip(
            objectives, product(DIRECTIONS, VALUES, VALUES, VALUES), strict=True
        )
    )
    got = tree.load_progress(
        "SELECT id FROM okrs_objective WHERE cycle_id = %s AND title LIKE 'o%%'", [org.cycle.pk]
    )
    for kr in key_results:
        expected = kr.progress()
        value = got.get(kr.objective_id)
        if expected is None:
            assert value is None, (kr.direction, kr.baseline_value, kr.target, kr.current_value)
        else:
            assert value == pytest.approx(expected, abs=1e-9), (
                kr.direction,
                kr.baseline_value,
                kr.target,
                kr.current_value,
            )


def test_progress_examples() -> None:
    p = tree.key_result_progress
    assert p("increase", D("10"), D("20"), D("15")) == 0.5
    assert p("decrease", D("14"), D("5"), D("4")) == 1.0  # beyond the target: clamped
    assert p("decrease", D("14"), D("5"), D("20")) == 0.0  # went the wrong way: clamped
    assert p("increase", D("10"), D("20"), None) == 0.0  # no check-in: the baseline stands
    assert p("stay_below", None, D("200"), D("180")) == 1.0  # holding needs no baseline
    assert p("increase", None, D("20"), D("15")) is None
    assert p("increase", D("10"), None, D("15")) is None


# Roll-up -----------------------------------------------------------------------------------


def kr_row(objective_id: int = 1, **fields: object) -> KeyResultRow:
    values: dict[str, object] = {
        "id": 1,
        "objective_id": objective_id,
        "statement": "Cut p95 latency from 800 ms to 300 ms",
        "unit": "ms",
        "direction": "decrease",
        "baseline": D("800"),
        "target": D("300"),
        "current": None,
        "confidence": None,
        "checked_in_at": None,
        "due_on": None,
        "blocker": "",
        "blocker_unit_id": None,
        "blocker_unit_name": None,
        "score": None,
    }
    values.update(fields)
    return KeyResultRow(**values).derive(TODAY)  # type: ignore[arg-type]


def test_roll_up_is_the_mean_of_the_objective_s_own_key_results() -> None:
    rollup = tree.roll_up(
        [
            kr_row(current=D("550"), confidence=80, due_on=TODAY),  # 0.5, due today: not stale
            kr_row(current=D("300"), confidence=30, due_on=TODAY - datetime.timedelta(days=1)),
            kr_row(target=None, confidence=None, blocker="Waiting for the DBA"),  # no progress
        ]
    )
    assert rollup.key_results == 3
    assert rollup.progress == pytest.approx(0.75)  # mean of 0.5 and 1.0; the unknown is left out
    assert rollup.confidence == pytest.approx(55)  # mean of the known confidences
    assert rollup.lowest_confidence == 30
    assert (rollup.stale, rollup.blocked, rollup.no_baseline) == (1, 1, 0)
    assert rollup.score is None and rollup.scored == 0


def test_roll_up_of_scores_and_of_nothing() -> None:
    scored = tree.roll_up([kr_row(score=D("0.7")), kr_row(score=D("0.4")), kr_row()])
    assert scored.score == pytest.approx(0.55) and scored.scored == 2
    empty = tree.roll_up([])
    assert empty.progress is None and empty.confidence is None and empty.key_results == 0


def test_stale_means_the_due_date_has_passed_and_unknown_is_not_stale() -> None:
    assert kr_row(due_on=TODAY - datetime.timedelta(days=1)).stale
    assert not kr_row(due_on=TODAY).stale
    assert not kr_row(due_on=None).stale


# Flags ------------------------------------------------------------------------------------


def objective_row(id: int, **fields: object) -> ObjectiveRow:
    values: dict[str, object] = {
        "id": id,
        "unit_id": 10,
        "title": f"Objective {id}",
        "order": id,
        "kind": "aspirational",
        "status": "agreed",
        "sufficiency": "",
        "sufficiency_note": "",
        "unit_name": "Payments",
        "unit_kind": "team",
        "parent_count": 1,
        "unit_objectives": 3,
    }
    values.update(fields)
    return ObjectiveRow(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("fields", "flags"),
    [
        ({}, []),
        ({"stale": 2}, [STALE]),
        ({"blocked": 1}, [BLOCKED]),
        ({"output": 1}, [OUTPUT]),
        ({"no_baseline": 1}, [NO_BASELINE]),
        ({"unit_objectives": 6}, [OVER_FIVE]),
        ({"unit_objectives": 5}, []),
        ({"parent_count": 0}, [UNALIGNED]),
        # The company sets direction: nothing to align to, so never "unaligned".
        ({"parent_count": 0, "unit_kind": "company", "child_count": 1}, []),
        ({"parent_count": 0, "unit_kind": "company"}, [NO_CONTRIBUTORS]),
        ({"unit_kind": "function"}, [NO_CONTRIBUTORS]),
        ({"unit_kind": "function", "child_count": 2}, []),
        # A team objective nobody builds on is normal.
        ({"unit_kind": "team", "child_count": 0}, []),
    ],
)
def test_each_flag(fields: dict[str, object], flags: list[str]) -> None:
    assert tree.own_flags(objective_row(1, **fields)) == flags


# What lies below ---------------------------------------------------------------------------


def diamond() -> Forest:
    """1 (company) <- 2, 3 (functions) <- 4 (team, contributes to both) <- 5 (nested team).
    6 stands alone (unaligned)."""
    rows = {
        1: objective_row(1, unit_kind="company", unit_id=1, parent_count=0, child_count=2),
        2: objective_row(2, unit_kind="function", unit_id=2, child_count=1, stale=1),
        3: objective_row(3, unit_kind="function", unit_id=3, child_count=1, blocked=2),
        4: objective_row(4, unit_id=4, parent_count=2, primary_parent_id=2, stale=3),
        5: objective_row(5, unit_id=5, title="Faster refunds", blocked=1),
        6: objective_row(6, unit_id=4, parent_count=0, title="Tidy the runbooks"),
    }
    return Forest(
        today=TODAY,
        objectives=rows,
        children={1: [2, 3], 2: [4], 3: [4], 4: [5]},
        expected={(4, 2): "a third of it"},
        units={
            1: tree.UnitRow(1, None, "Acme", "company"),
            2: tree.UnitRow(2, 1, "Engineering", "function"),
            3: tree.UnitRow(3, 1, "Product", "function"),
            4: tree.UnitRow(4, 2, "Payments", "team"),
            5: tree.UnitRow(5, 4, "Refunds squad", "team"),
        },
        blockers={
            3: [tree.BlockerRow(31, 3, "Ship the ledger", "Vendor contract", 4)],
            5: [tree.BlockerRow(51, 5, "Refund in a day", "Needs a DB window", 2)],
        },
    )


def test_what_lies_below_counts_each_objective_once() -> None:
    forest = diamond()
    subtrees = tree.Subtrees(forest)
    top = subtrees.below(1)
    # 4 is reached through 2 and through 3, and 5 through 4: each counts once.
    assert (top.objectives, top.units) == (4, 4)
    assert (top.stale, top.blocked) == (1 + 3, 2 + 1)
    assert subtrees.below(2).objectives == 2
    assert subtrees.below(5).objectives == 0
    assert [b.key_result_id for b in subtrees.blockers_below(1)] == [31, 51]


def test_a_loop_in_the_links_does_not_hang() -> None:
    forest = diamond()
    forest.children[5] = [2]  # never allowed by the services; the tree must still answer
    assert tree.Subtrees(forest).below(1).objectives == 4
    assert set(forest.descendants(1)) == {2, 3, 4, 5}


def test_children_read_functions_first_then_by_unit_name() -> None:
    forest = diamond()
    forest.objectives[7] = objective_row(7, unit_kind="team", unit_name="Alpha", unit_id=4)
    forest.objectives[8] = objective_row(8, unit_kind="function", unit_name="Zeta", unit_id=3)
    forest.children[1] = [7, 3, 8, 2]
    assert forest.kids(1) == [2, 3, 8, 7]


def test_depths_follow_the_longest_path() -> None:
    forest = diamond()
    forest.children[1].append(4)  # 4 also contributes to the company objective directly
    assert forest.depths(1) == {1: 0, 2: 1, 3: 1, 4: 2, 5: 3}


# Filters -----------------------------------------------------------------------------------


def visible(forest: Forest, filters: Filters, hits: set[int] | None = None) -> Visibility:
    return Visibility(forest, tree.matcher(forest, filters, text_hits=hits or set()))


def test_a_flag_filter_keeps_matches_and_their_parents_as_context() -> None:
    forest = diamond()
    v = visible(forest, Filters(flag=BLOCKED))
    assert [i for i in forest.objectives if v.shows(i)] == [1, 2, 3, 4, 5]
    assert [i for i in forest.objectives if v.matches(i)] == [3, 5]
    assert v.below(1).matches == 2
    v = visible(forest, Filters(flag=UNALIGNED))
    assert [i for i in forest.objectives if v.shows(i)] == [6]


def test_a_function_filter_keeps_its_units_and_those_below() -> None:
    forest = diamond()
    v = visible(forest, Filters(function_id=2))
    # Engineering (2) holds Payments (4), which holds the Refunds squad (5).
    assert [i for i in forest.objectives if v.matches(i)] == [2, 4, 5, 6]
    assert v.shows(1) and v.shows(3)  # context: a match lies below them


def test_search_finds_titles_units_and_key_result_text() -> None:
    forest = diamond()
    assert [i for i in forest.objectives if visible(forest, Filters(q="REFUNDS")).matches(i)] == [5]
    by_unit = visible(forest, Filters(q="payments"))
    assert by_unit.matches(4) and by_unit.matches(6)
    by_key_result = visible(forest, Filters(q="latency"), hits={2})
    assert [i for i in forest.objectives if by_key_result.matches(i)] == [2]


def test_filters_from_the_query_string_ignore_what_they_do_not_know() -> None:
    assert Filters.from_query({"function": "abc", "flag": "nonsense", "q": "  a   b "}) == Filters(
        q="a b"
    )
    assert Filters.from_query({"function": "7", "flag": "stale"}) == Filters(
        function_id=7, flag="stale"
    )
    assert not Filters.from_query({}).active


# The output flag: okrs.quality's check --------------------------------------------------------


def test_the_output_flag_is_the_quality_check_s_reading() -> None:
    assert tree.looks_like_output("Launch the new merchant dashboard")
    assert not tree.looks_like_output(
        "Cut p95 checkout latency from 800 ms to 300 ms", "decrease", D("800"), D("300"), "ms"
    )
    assert kr_row(statement="Migrate every cron job to the new scheduler").output
    assert not kr_row().output


# Loading: the whole cycle and one subtree agree ---------------------------------------------


@pytest.fixture
def aligned(org: Org) -> Org:
    """company <- function <- team objective (blocked, stale) <- other team's objective."""
    AlignmentLink.objects.create(
        child=org.function_objective, parent=org.company_objective, how="h"
    )
    AlignmentLink.objects.create(
        child=org.objective, parent=org.function_objective, how="h", expected_contribution="+2"
    )
    other = ObjectiveFactory(unit=org.other_team, cycle=org.cycle, title="Search is fast")
    AlignmentLink.objects.create(child=other, parent=org.objective, how="h")
    AlignmentLink.objects.create(child=other, parent=org.function_objective, how="h")
    org.key_result.blocker = "Waiting for the bank"
    org.key_result.blocker_unit = org.other_team
    org.key_result.check_in_due_on = TODAY - datetime.timedelta(days=2)
    org.key_result.save()
    KeyResultFactory(objective=other, baseline_value=None)
    for _ in range(6):
        ObjectiveFactory(unit=org.team, cycle=org.cycle)  # Payments: 7 objectives
    return org


def test_the_cycle_load_and_the_subtree_load_agree(aligned: Org) -> None:
    org = aligned
    whole = tree.load_cycle(org.cycle, TODAY)
    root = org.function_objective.pk
    part = tree.load_subtree(root, TODAY, everyone=True)
    assert part is not None
    # Without `everyone`, the contributors still come with everything a row shows.
    light = tree.load_subtree(root, TODAY)
    assert light is not None and set(light.objectives) == set(part.objectives)
    for objective_id in [root, *light.kids(root)]:
        assert light.objectives[objective_id] == part.objectives[objective_id]
    assert set(part.objectives) == {root, *whole.descendants(root)}
    for objective_id, row in part.objectives.items():
        other = whole.objectives[objective_id]
        for name in (
            "unit_id",
            "title",
            "unit_name",
            "unit_kind",
            "parent_count",
            "primary_parent_id",
            "child_count",
            "unit_objectives",
            "stale",
            "blocked",
            "no_baseline",
        ):
            assert getattr(row, name) == getattr(other, name), (objective_id, name)
        assert part.flags(objective_id) == whole.flags(objective_id)
        # Progress and confidence averaged by the database match the Python roll-up.
        rollup = tree.roll_up(tree.load_key_results([objective_id], TODAY).get(objective_id, []))
        assert row.progress == pytest.approx(rollup.progress)
        assert row.mean_confidence == pytest.approx(rollup.confidence)
    assert part.kids(root) == whole.kids(root)
    assert part.expected == {k: v for k, v in whole.expected.items() if k[1] in part.children}
    payments = whole.objectives[org.objective.pk]
    assert payments.unit_objectives == 7 and OVER_FIVE in whole.flags(org.objective.pk)
    assert (payments.stale, payments.blocked) == (1, 1)
    assert [b.blocker for b in whole.blockers[org.objective.pk]] == ["Waiting for the bank"]


def test_an_unknown_objective_has_no_subtree(db) -> None:
    assert tree.load_subtree(999_999, TODAY) is None


def test_key_results_load_with_their_facts(aligned: Org) -> None:
    found = tree.load_key_results([aligned.objective.pk], TODAY)
    (kr,) = found[aligned.objective.pk]
    assert kr.stale and kr.blocker == "Waiting for the bank"
    assert kr.blocker_unit_name == aligned.other_team.name
    assert kr.progress == KeyResult.objects.get(pk=kr.id).progress()


def test_unit_totals_count_an_objective_in_every_unit_above_it(aligned: Org) -> None:
    org = aligned
    forest = tree.load_cycle(org.cycle, TODAY)
    totals = tree.unit_totals(forest)
    assert totals[org.team.pk].own_objectives == 7
    assert totals[org.function.pk].objectives == 1 + 7 + 1  # its own, Payments', Search's
    assert totals[org.company.pk].objectives == len(forest.objectives)
    assert totals[org.company.pk].blocked == 1


def test_the_units_below_a_function(org: Org) -> None:
    squad = OrgUnitFactory(name="Refunds squad", kind=OrgUnit.Kind.TEAM, parent=org.team)
    units = tree.load_units()
    assert tree.units_under(units, org.function.pk) == {
        org.function.pk,
        org.team.pk,
        org.other_team.pk,
        squad.pk,
    }


def test_map_titles_wrap_to_two_lines() -> None:
    from okrs.tree_svg import TITLE_CHARS, TITLE_LINES, _title_lines

    assert TITLE_LINES == 2
    assert _title_lines("Short") == ["Short"]
    assert _title_lines("") == [""]
    lines = _title_lines(
        "Merchants can count on every payment going through, all day and all night"
    )
    assert len(lines) == 2 and all(len(line) <= TITLE_CHARS for line in lines)
    assert lines[-1].endswith("…")
    assert _title_lines("x" * 40) == ["x" * 32, "x" * 8]
