"""The alignment tree: who contributes to what, how each objective stands, and what to look at.

Three layers, top to bottom:

1. Maths over plain values (no database): a key result's progress (the same as
   KeyResult.progress()), an objective's own roll-up from its own key results, the flags.
   An objective's figures come from its own key results only. What contributes to it stands
   beside it in the tree, never averaged into it.
2. Loading (a fixed number of queries, `values_list()` rows, never model instances: on a page
   of thousands of objectives instances cost about nine times as much):
   - `load_cycle`: the whole cycle, light (objectives, links, units, the key results that carry
     a flag), for the page's first paint;
   - `load_subtree`: everything below one objective, for an htmx expansion and the SVG map,
     with one recursive query, so an expansion's cost follows the subtree, not the cycle;
   - `load_key_results`: the full key results of the objectives actually shown.
   Inside a view's `tree_memo.remembering()` block every read is kept in the process under
   the tree's data version and reused until anything it read from changes (`tree_memo`);
   the whole-cycle Forest is kept assembled, and each request gets its own `private()` copy.
3. Assembly (pure): a `Forest` of objectives and links, walked for what is below a node, what
   matches a filter, and in what order children show.

Progress needs every key result's numbers; fetching and computing that for the whole cycle
costs more than the rest of the page together (about 40 ms for 24,000 key results on the
reference machine), so the tree shows progress for the objectives on screen and their
children, and uses the cheap per-key-result flags (stale, blocked, no baseline) for what is
below. See bench/tree.py for the figures.
"""

from __future__ import annotations

import copy
import functools
import gc
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce

from accounts.models import OrgUnit
from okrs.models import AlignmentLink, KeyResult, Objective
from okrs.quality import OUTPUT as OUTPUT_KIND
from okrs.quality import check_key_result
from okrs.tree_memo import frozen, remembered

# A node is "at risk" when the mean confidence of its own key results is below this, or one of
# them reports an open blocker. Confidence is the owner's chance of reaching the target; under
# an even chance, the people doing the work expect to miss.
RISK_CONFIDENCE = 50

COMPANY, FUNCTION, TEAM = OrgUnit.Kind.COMPANY, OrgUnit.Kind.FUNCTION, OrgUnit.Kind.TEAM
KIND_RANK = {COMPANY: 0, FUNCTION: 1, TEAM: 2}


@contextmanager
def gc_paused() -> Iterator[None]:
    """Hold Python's cyclic garbage collector while a page assembles the tree.

    A whole-cycle page builds tens of thousands of small objects that all stay alive until
    the response is written; each automatic collection meanwhile re-scans them, and on the
    reference machine that doubled the page's time (bench/tree.py). They hold no reference
    cycles, so reference counting frees them when the page is done; the collector resumes
    afterwards and finds them gone.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# 1. Maths ------------------------------------------------------------------------------------


def key_result_progress(
    direction: str,
    baseline: Decimal | None,
    target: Decimal | None,
    current: Decimal | None,
) -> float | None:
    """Where the current value stands between baseline (0.0) and target (1.0), clamped.

    KeyResult.progress() over plain values (tests/okrs/test_tree.py holds the two together):
    without a current value the baseline stands in; holding directions are all-or-nothing;
    None when the numbers needed are missing.
    """
    now = current if current is not None else baseline
    if now is None or target is None:
        return None
    if direction == KeyResult.Direction.STAY_ABOVE:
        return 1.0 if now >= target else 0.0
    if direction == KeyResult.Direction.STAY_BELOW:
        return 1.0 if now <= target else 0.0
    if baseline is None:
        return None
    span = target - baseline
    if direction == KeyResult.Direction.DECREASE:
        span, moved = -span, baseline - now
    else:
        moved = now - baseline
    if span <= 0:
        return 1.0 if moved >= 0 else 0.0
    # Clamping after the conversion gives the same float as clamping the Decimal first (the
    # conversion keeps order, and 0 and 1 are exact) without building Decimals per call.
    ratio = float(Decimal(moved) / Decimal(span))
    return 1.0 if ratio > 1.0 else 0.0 if ratio < 0.0 else ratio


def mean(values: Iterable[float | int | Decimal | None]) -> float | None:
    """Mean of the known values; None when none is known."""
    known = [float(v) for v in values if v is not None]
    return sum(known) / len(known) if known else None


@dataclass(slots=True)
class KeyResultRow:
    """One key result as the tree shows it (a row of `load_key_results`), with its derived
    facts."""

    id: int
    objective_id: int
    statement: str
    unit: str
    direction: str
    baseline: Decimal | None
    target: Decimal | None
    current: Decimal | None
    confidence: int | None
    checked_in_at: datetime | None
    due_on: date | None
    blocker: str
    blocker_unit_id: int | None
    blocker_unit_name: str | None
    score: Decimal | None
    # How the score came about (an override's reason), shown beside it.
    score_note: str = ""
    progress: float | None = None
    stale: bool = False
    output: bool = False

    def derive(self, today: date) -> KeyResultRow:
        self.progress = key_result_progress(
            self.direction, self.baseline, self.target, self.current
        )
        # Stale: the due date for the next check-in has passed. No due date yet (cycles has
        # not computed one) is not stale: we do not know that anything is late.
        self.stale = self.due_on is not None and self.due_on < today
        self.output = looks_like_output(
            self.statement, self.direction, self.baseline, self.target, self.unit
        )
        return self


@dataclass(slots=True)
class Rollup:
    """One objective's own figures, from its own key results only."""

    key_results: int = 0
    progress: float | None = None
    # Mean, not minimum: an objective's score is the mean of its key results' scores, so the
    # mean of their confidences is the matching forecast of it. The lowest is kept beside it,
    # and a blocked or low key result still shows on its own row and in the flags.
    confidence: float | None = None
    lowest_confidence: int | None = None
    score: float | None = None
    scored: int = 0
    stale: int = 0
    blocked: int = 0
    no_baseline: int = 0
    output: int = 0
    last_check_in: datetime | None = None


def roll_up(key_results: list[KeyResultRow]) -> Rollup:
    """An objective's own figures: mean progress, mean confidence, mean score of its key
    results, and how many carry each flag. Never looks at contributing objectives."""
    confidences = [kr.confidence for kr in key_results if kr.confidence is not None]
    scores = [kr.score for kr in key_results if kr.score is not None]
    check_ins = [kr.checked_in_at for kr in key_results if kr.checked_in_at is not None]
    return Rollup(
        key_results=len(key_results),
        progress=mean(kr.progress for kr in key_results),
        confidence=mean(confidences),
        lowest_confidence=min(confidences) if confidences else None,
        score=mean(scores),
        scored=len(scores),
        stale=sum(kr.stale for kr in key_results),
        blocked=sum(bool(kr.blocker) for kr in key_results),
        no_baseline=sum(kr.baseline is None for kr in key_results),
        output=sum(kr.output for kr in key_results),
        last_check_in=max(check_ins) if check_ins else None,
    )


# The output flag: okrs.quality's check ---------------------------------------------------------
#
# The check reads a statement in about 0.2 ms (on the reference machine, busy). The tree asks
# about the same key results on every view, so answers are kept per statement and numbers for
# the life of the process; a first view of a large subtree still pays the check once per key
# result. A flag stored on the key result when it is saved (the setting page runs the check
# then anyway) would make this free and let SQL count outputs below a node: see the report.


@functools.lru_cache(maxsize=65536)
def looks_like_output(
    statement: str,
    direction: str = "",
    baseline: Decimal | None = None,
    target: Decimal | None = None,
    unit: str = "",
) -> bool:
    """Whether okrs.quality reads the key result as an output (work done) rather than an
    outcome (a change in the world)."""
    report = check_key_result(
        statement, baseline=baseline, target=target, unit=unit, direction=direction or None
    )
    return report.kind == OUTPUT_KIND


# Flags ----------------------------------------------------------------------------------------

STALE, BLOCKED, OUTPUT, NO_BASELINE = "stale", "blocked", "output", "no-baseline"
OVER_FIVE, UNALIGNED, NO_CONTRIBUTORS = "over-five", "unaligned", "no-contributors"

# Filter value -> what the filter menu says.
FLAGS: dict[str, str] = {
    STALE: "Stale check-ins",
    BLOCKED: "Open blockers",
    OUTPUT: "Output key results",
    NO_BASELINE: "Key results without a baseline",
    OVER_FIVE: "More than five objectives in a unit",
    UNALIGNED: "Aligned to nothing",
    NO_CONTRIBUTORS: "Nothing contributes",
}
MAX_OBJECTIVES = 5


@dataclass(slots=True)
class UnitRow:
    id: int
    parent_id: int | None
    name: str
    kind: str


@dataclass(slots=True)
class ObjectiveRow:
    """One objective as the tree knows it. Key-result counts come from the cheap flag query;
    `key_results` and `rollup` are filled only for objectives that are shown."""

    id: int
    unit_id: int
    title: str
    order: int
    kind: str
    status: str
    sufficiency: str
    sufficiency_note: str
    unit_name: str = ""
    unit_kind: str = ""
    parent_count: int = 0
    primary_parent_id: int | None = None
    unit_objectives: int = 0
    child_count: int = 0
    stale: int = 0
    blocked: int = 0
    no_baseline: int = 0
    # Key results the quality check calls outputs: known for objectives whose key results are
    # loaded, or for all when the reader filters on it (`load_output_flags`).
    output: int = 0
    # Mean progress and confidence of its own key results, when known (`attach`, or the
    # database's averages from `load_subtree` and `load_progress`).
    progress: float | None = None
    mean_confidence: float | None = None
    key_results: list[KeyResultRow] | None = None
    rollup: Rollup | None = None

    def attach(self, key_results: list[KeyResultRow]) -> None:
        self.key_results = key_results
        self.rollup = roll_up(key_results)
        self.output = self.rollup.output
        self.progress = self.rollup.progress
        self.mean_confidence = self.rollup.confidence

    @property
    def fully_scored(self) -> bool:
        """Every key result shown has its score: the quarter's verdict is in."""
        r = self.rollup
        return r is not None and r.key_results > 0 and r.scored == r.key_results

    @property
    def at_risk(self) -> bool:
        """Low confidence or an open blocker, while the outcome is still open (a scored
        objective is past risk: its score says how it went)."""
        if self.fully_scored:
            return False
        low = self.mean_confidence is not None and self.mean_confidence < RISK_CONFIDENCE
        return low or self.blocked > 0


@dataclass
class Forest:
    """Objectives and the links between them (child -> parents chosen by the child's team),
    for a whole cycle or for everything below one objective."""

    today: date
    objectives: dict[int, ObjectiveRow]
    # parent id -> its children's ids (in link order; `kids()` gives display order)
    children: dict[int, list[int]]
    # (child id, parent id) -> what the child's team expects to move
    expected: dict[tuple[int, int], str]
    units: dict[int, UnitRow] = field(default_factory=dict)
    # objective id -> its blocked key results (whole-cycle loads only: "what blocks")
    blockers: dict[int, list[BlockerRow]] = field(default_factory=dict)

    # parent id -> its children in reading order (`kids`), per Forest: never shared
    _sorted: dict[int, list[int]] = field(default_factory=dict)
    # objectives this Forest copied for itself before changing them (`own`)
    _owned: set[int] = field(default_factory=set)
    # the Forest this one is a private copy of, and the unfiltered Subtrees of either
    _base: Forest | None = None
    _subtrees: Subtrees | None = None

    def private(self) -> Forest:
        """A Forest for one request to fill in (key results, progress, output counts) over
        this one, which stays as read: it shares everything, and copies an objective only
        when the request changes it (`own`). Remembered whole-cycle Forests are shared by
        every request of the process, so they are handed out this way."""
        return Forest(
            today=self.today,
            objectives=dict(self.objectives),
            children=self.children,
            expected=self.expected,
            units=self.units,
            blockers=self.blockers,
            _base=self,
        )

    def subtrees(self) -> Subtrees:
        """What lies below each objective, unfiltered: computed once per Forest as read and
        shared by its private copies (what is below does not change with a request)."""
        base = self._base or self
        if base._subtrees is None:
            base._subtrees = Subtrees(base)
        return base._subtrees

    def own(self, objective_id: int) -> ObjectiveRow | None:
        """The objective, copied first if this Forest has not changed it yet: what to call
        before changing one."""
        o = self.objectives.get(objective_id)
        if o is None or objective_id in self._owned:
            return o
        o = self.objectives[objective_id] = copy.copy(o)
        self._owned.add(objective_id)
        return o

    def kids(self, objective_id: int) -> list[int]:
        """An objective's children in reading order: functions before teams, then by unit
        name, then the unit's own order. Sorted when first asked (a page shows a few dozen of
        the thousands of lists a cycle has), into a list of this Forest's own: `children` is
        shared by every request of a remembered Forest and never changes, so readers in
        other threads never see a list half-sorted."""
        found = self._sorted.get(objective_id)
        if found is None:
            objectives = self.objectives
            found = self._sorted[objective_id] = sorted(
                self.children.get(objective_id, ()),
                key=lambda k: (
                    KIND_RANK.get(objectives[k].unit_kind, 3),
                    objectives[k].unit_name.casefold(),
                    objectives[k].order,
                    k,
                ),
            )
        return found

    def flags(self, objective_id: int) -> list[str]:
        return own_flags(self.objectives[objective_id])

    def descendants(self, root: int) -> list[int]:
        """Everything below `root`, each once, in depth-first display order. Safe on loops."""
        found: list[int] = []
        seen = {root}
        stack = list(reversed(self.children.get(root, [])))
        while stack:
            node = stack.pop()
            if node in seen:
                continue
            seen.add(node)
            found.append(node)
            stack.extend(reversed(self.children.get(node, [])))
        return found

    def depths(self, root: int) -> dict[int, int]:
        """Each descendant's level below `root` by the longest path (the SVG map's columns),
        so a child always sits right of every parent it has in the subtree."""
        order = self.descendants(root)
        members = set(order) | {root}
        parents: dict[int, list[int]] = {}
        for parent in [root, *order]:
            for child in self.children.get(parent, []):
                parents.setdefault(child, []).append(parent)
        depth = {root: 0}
        # Kahn's algorithm over the subtree: a node's depth is final once all its parents are.
        waiting = {n: len([p for p in parents.get(n, []) if p in members]) for n in order}
        ready = [root]
        while ready:
            node = ready.pop()
            for child in self.children.get(node, []):
                depth[child] = max(depth.get(child, 0), depth[node] + 1)
                waiting[child] -= 1
                if waiting[child] == 0:
                    ready.append(child)
        for node in order:  # a loop (never allowed, but not a crash): park it one level down
            depth.setdefault(node, 1)
        return depth


@dataclass(slots=True)
class BlockerRow:
    key_result_id: int
    objective_id: int
    statement: str
    blocker: str
    blocker_unit_id: int | None


def own_flags(o: ObjectiveRow) -> list[str]:
    """The flags an objective carries by itself, in the order the page shows them."""
    flags = []
    if o.stale:
        flags.append(STALE)
    if o.blocked:
        flags.append(BLOCKED)
    if o.output:
        flags.append(OUTPUT)
    if o.no_baseline:
        flags.append(NO_BASELINE)
    if o.unit_objectives > MAX_OBJECTIVES:
        flags.append(OVER_FIVE)
    if o.unit_kind != COMPANY and o.parent_count == 0:
        flags.append(UNALIGNED)
    # Company and function objectives set direction for others; a team objective that nobody
    # builds on is normal.
    if o.unit_kind in (COMPANY, FUNCTION) and not o.child_count:
        flags.append(NO_CONTRIBUTORS)
    return flags


# Filters ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """What the reader narrowed the tree to. Every filter narrows further (AND)."""

    function_id: int | None = None
    flag: str | None = None
    q: str = ""

    @classmethod
    def from_query(cls, params: Any) -> Filters:
        raw_function = (params.get("function") or "").strip()
        flag = (params.get("flag") or "").strip()
        return cls(
            function_id=int(raw_function) if raw_function.isdigit() else None,
            flag=flag if flag in FLAGS else None,
            q=" ".join((params.get("q") or "").split())[:100],
        )

    @property
    def active(self) -> bool:
        return bool(self.function_id or self.flag or self.q)

    def as_params(self) -> dict[str, str]:
        params = {}
        if self.function_id:
            params["function"] = str(self.function_id)
        if self.flag:
            params["flag"] = self.flag
        if self.q:
            params["q"] = self.q
        return params


def units_under(units: dict[int, UnitRow], top: int) -> set[int]:
    """The unit and every unit below it."""
    children: dict[int | None, list[int]] = {}
    for unit in units.values():
        children.setdefault(unit.parent_id, []).append(unit.id)
    found, stack = set(), [top]
    while stack:
        unit_id = stack.pop()
        if unit_id not in found:
            found.add(unit_id)
            stack.extend(children.get(unit_id, []))
    return found


def matcher(
    forest: Forest,
    filters: Filters,
    *,
    function_units: set[int] | None = None,
    text_hits: set[int] | None = None,
) -> Callable[[int], bool]:
    """A test for "this objective matches the filters". `function_units`: the chosen
    function's units (default: from forest.units); `text_hits`: objectives whose key result
    statements contain the search text (from `search_key_results`)."""
    if filters.function_id and function_units is None:
        function_units = units_under(forest.units, filters.function_id)
    needle = filters.q.casefold()
    hits = text_hits or set()

    def matches(objective_id: int) -> bool:
        o = forest.objectives[objective_id]
        if function_units is not None and filters.function_id and o.unit_id not in function_units:
            return False
        if filters.flag and filters.flag not in forest.flags(objective_id):
            return False
        return not needle or (
            needle in o.title.casefold() or needle in o.unit_name.casefold() or objective_id in hits
        )

    return matches


_NOTHING: frozenset[int] = frozenset()


class Subtrees:
    """What lies below each objective, computed once per page in one post-order pass.

    Below a node is a set of objectives, each counted once however many paths lead to it (the
    tree is a DAG). A parent's set is the union of its children and their sets, built in C by
    set.update; most objectives are leaves and share one empty set. Counting then runs over
    sets, not over paths: a company objective with a thousand objectives below costs one
    union per objective that has children, not a walk per page element.
    """

    def __init__(self, forest: Forest, matches: Callable[[int], bool] | None = None) -> None:
        self.forest = forest
        self.matches = matches
        self._sets: dict[int, frozenset[int] | set[int]] = {}
        objectives = forest.objectives.values()
        # Flat lookups, so counting over a set runs in C (map over dict.__getitem__).
        self.unit_of = {o.id: o.unit_id for o in objectives}
        self.stale_of = {o.id: o.stale for o in objectives if o.stale}
        self.blocked_of = {o.id: o.blocked for o in objectives if o.blocked}
        self.blocked = set(self.blocked_of)
        self.matching: set[int] = (
            {o.id for o in objectives if matches(o.id)} if matches is not None else set()
        )

    def _compute(self, root: int) -> None:
        """Post-order over everything below `root` not computed yet; a loop (never allowed)
        is cut where it closes instead of recursing forever."""
        children, sets = self.forest.children, self._sets
        in_progress = {root}
        stack = [(root, iter(children.get(root, ())))]
        while stack:
            node, pending = stack[-1]
            for kid in pending:
                if kid not in sets and kid not in in_progress and kid in children:
                    in_progress.add(kid)
                    stack.append((kid, iter(children[kid])))
                    break
            else:
                stack.pop()
                kids = children.get(node)
                if kids:
                    found = set(kids)
                    for kid in kids:
                        below = sets.get(kid)
                        if below:
                            found.update(below)
                    sets[node] = found
                else:
                    sets[node] = _NOTHING
                in_progress.discard(node)

    def of(self, objective_id: int) -> frozenset[int] | set[int]:
        """Every objective below this one."""
        found = self._sets.get(objective_id)
        if found is None:
            if objective_id not in self.forest.children:
                return _NOTHING
            self._compute(objective_id)
            found = self._sets[objective_id]
        return found

    def below(self, objective_id: int) -> Below:
        found = self.of(objective_id)
        stale, blocked = self.stale_of, self.blocked_of
        return Below(
            objectives=len(found),
            units=len(set(map(self.unit_of.__getitem__, found))),
            stale=sum(map(stale.__getitem__, stale.keys() & found)),
            blocked=sum(map(blocked.__getitem__, blocked.keys() & found)),
            matches=len(self.matching.intersection(found)) if self.matches else 0,
        )

    def has_match_below(self, objective_id: int) -> bool:
        return not self.matching.isdisjoint(self.of(objective_id))

    def blockers_below(self, objective_id: int) -> list[BlockerRow]:
        """Blocked key results below an objective, by unit name then the unit's order."""
        objectives = self.forest.objectives
        blocked = sorted(
            self.blocked.intersection(self.of(objective_id)),
            key=lambda i: (objectives[i].unit_name.casefold(), objectives[i].order, i),
        )
        return [row for i in blocked for row in self.forest.blockers.get(i, ())]


class Visibility:
    """Which objectives show under the filters: those that match, and those with a match
    somewhere below them (shown as context, so a match is never cut off from its parents)."""

    def __init__(self, forest: Forest, matches: Callable[[int], bool] | None) -> None:
        self.forest = forest
        self.matches = matches
        self.subtrees = forest.subtrees() if matches is None else Subtrees(forest, matches)

    def has_match_below(self, objective_id: int) -> bool:
        return self.subtrees.has_match_below(objective_id)

    def shows(self, objective_id: int) -> bool:
        if self.matches is None:
            return True
        return self.matches(objective_id) or self.has_match_below(objective_id)

    def below(self, objective_id: int) -> Below:
        return self.subtrees.below(objective_id)


@dataclass(slots=True)
class Below:
    """What sits below one node, each objective counted once however many paths lead to it."""

    objectives: int = 0
    units: int = 0
    stale: int = 0
    blocked: int = 0
    matches: int = 0


# 2. Loading -----------------------------------------------------------------------------------

OBJECTIVE_FIELDS = (
    "id",
    "unit_id",
    "title",
    "order",
    "kind",
    "status",
    "sufficiency",
    "sufficiency_note",
)


def load_units() -> dict[int, UnitRow]:
    """Every org unit (an organisation has hundreds to a few thousand): one query."""
    rows = remembered(
        "units",
        lambda: list(OrgUnit.objects.order_by().values_list("id", "parent_id", "name", "kind")),
    )
    return {row[0]: UnitRow(*row) for row in rows}


def _fetch(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    """Rows of a raw statement, remembered while the tree's data holds (`tree_memo`). The
    hot whole-cycle reads use this rather than `values_list()`: the ORM's per-row iteration
    costs about a third again on 6,000 rows."""

    return remembered((sql, frozen(params)), lambda: _fetch_now(sql, params))


def _fetch_now(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def load_cycle(cycle: Any, today: date, units: dict[int, UnitRow] | None = None) -> Forest:
    """The whole cycle, light: every objective, every link, every unit, and the key results
    that carry a flag. Three queries, however large the cycle; none while remembered
    (`tree_memo`: the assembled Forest is kept, since building it costs more than reading
    it). What comes back is the request's own (`Forest.private`).

    Progress is not here: it needs every key result's numbers. `load_key_results` adds it for
    the objectives that are shown.
    """
    if units is not None:
        return _load_cycle(cycle, today, units)
    return remembered(("cycle", cycle.pk, today), lambda: _load_cycle(cycle, today)).private()


def _load_cycle(cycle: Any, today: date, units: dict[int, UnitRow] | None = None) -> Forest:
    """`load_cycle`, read now."""
    obj, link, kr, unit = (_table(m) for m in (Objective, AlignmentLink, KeyResult, OrgUnit))
    order = connection.ops.quote_name("order")
    fields = f"o.title, o.{order}, o.kind, o.status, o.sufficiency, o.sufficiency_note"
    objectives: dict[int, ObjectiveRow] = {}
    if units is None:
        # Every unit and the cycle's objectives in one statement: a unit without objectives
        # comes once, with NULLs.
        units = {}
        for unit_id, parent_id, name, kind, objective_id, *rest in _fetch_now(
            f"SELECT u.id, u.parent_id, u.name, u.kind, o.id, {fields} FROM {unit} u "
            f"LEFT JOIN {obj} o ON o.unit_id = u.id AND o.cycle_id = %s",
            [cycle.pk],
        ):
            if unit_id not in units:
                units[unit_id] = UnitRow(unit_id, parent_id, name, kind)
            if objective_id is not None:
                objectives[objective_id] = ObjectiveRow(objective_id, unit_id, *rest, name, kind)
    else:
        objectives = {
            row[0]: ObjectiveRow(*row)
            for row in _fetch_now(
                f"SELECT o.id, o.unit_id, {fields}, u.name, u.kind FROM {obj} o "
                f"JOIN {unit} u ON u.id = o.unit_id WHERE o.cycle_id = %s",
                [cycle.pk],
            )
        }
    per_unit = Counter(o.unit_id for o in objectives.values())
    for o in objectives.values():
        o.unit_objectives = per_unit[o.unit_id]

    children: dict[int, list[int]] = {}
    expected: dict[tuple[int, int], str] = {}
    # Ordered by id: a child's first link names its primary parent (where it is not a repeat).
    for child_id, parent_id, contribution in _fetch_now(
        f"SELECT l.child_id, l.parent_id, l.expected_contribution FROM {link} l "
        f"JOIN {obj} o ON o.id = l.child_id WHERE o.cycle_id = %s ORDER BY l.id",
        [cycle.pk],
    ):
        child, parent = objectives.get(child_id), objectives.get(parent_id)
        if child is None or parent is None:
            continue  # a link across cycles (never created, but not a crash)
        children.setdefault(parent_id, []).append(child_id)
        if contribution:
            expected[(child_id, parent_id)] = contribution
        parent.child_count += 1
        child.parent_count += 1
        if child.primary_parent_id is None:
            child.primary_parent_id = parent_id

    # Only key results with a flag come back, and their text only when blocked.
    blockers: dict[int, list[BlockerRow]] = {}
    for objective_id, stale, no_baseline, kr_id, statement, blocker, blocker_unit_id in _fetch_now(
        f"""SELECT k.objective_id,
                   CASE WHEN k.check_in_due_on < %s THEN 1 ELSE 0 END,
                   CASE WHEN k.baseline_value IS NULL THEN 1 ELSE 0 END,
                   CASE WHEN k.blocker <> '' THEN k.id END,
                   CASE WHEN k.blocker <> '' THEN k.statement END,
                   CASE WHEN k.blocker <> '' THEN k.blocker END,
                   CASE WHEN k.blocker <> '' THEN k.blocker_unit_id END
            FROM {kr} k JOIN {obj} o ON o.id = k.objective_id
            WHERE o.cycle_id = %s
              AND (k.blocker <> '' OR k.check_in_due_on < %s OR k.baseline_value IS NULL)
            ORDER BY k.objective_id, k.{order}, k.id""",
        [today, cycle.pk, today],
    ):
        o = objectives.get(objective_id)
        if o is None:
            continue
        o.stale += stale
        o.no_baseline += no_baseline
        if kr_id is not None:
            o.blocked += 1
            blockers.setdefault(objective_id, []).append(
                BlockerRow(kr_id, objective_id, statement, blocker, blocker_unit_id)
            )
    return Forest(
        today=today,
        objectives=objectives,
        children=children,
        expected=expected,
        units=units,
        blockers=blockers,
    )


def _table(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def subtree_sql(root: int, today: date, *, everyone: bool = False) -> tuple[str, list[Any]]:
    """One statement for an objective and everything below it: the objective's own row
    (parent NULL), then each link in the subtree with the child's row: its fields and unit,
    and from its key results how many are stale, blocked or without a baseline (what the
    counts below any node are made of).

    The objective and its direct contributors (everyone, with `everyone`: the SVG map, and
    filters that need them deeper) also get their number of parents in the whole cycle and
    first parent (where they are not a repeat), how many objectives their unit has in the
    cycle, and their progress (progress_sql, averaged) and mean confidence. Full key results
    are loaded only for the rows printed.

    Recursive, so the cost follows the subtree's size; UNION (not UNION ALL) visits an
    objective reached by two paths once and would stop a loop. On PostgreSQL each step looks
    its links up through a LATERAL subquery fenced with OFFSET 0: the planner cannot estimate
    a recursive term's size and otherwise hashes the whole link table (and every objective)
    at each step, 1-2 ms instead of a few index probes. SQLite (the embedded default) always
    probes the index.
    """
    obj, link, kr, unit = (_table(m) for m in (Objective, AlignmentLink, KeyResult, OrgUnit))
    order = connection.ops.quote_name("order")
    if connection.vendor == "postgresql":
        # OFFSET 0 keeps each LATERAL subquery a per-row index probe: without it the planner
        # flattens it back into the hash join this is here to avoid.
        step = f"""SELECT c.child_id FROM below b CROSS JOIN LATERAL (
                       SELECT l.child_id FROM {link} l WHERE l.parent_id = b.id OFFSET 0) c"""
        edges = f"""SELECT c.parent_id, c.child_id, c.expected_contribution FROM below b
                    CROSS JOIN LATERAL (
                       SELECT l.parent_id, l.child_id, l.expected_contribution
                       FROM {link} l WHERE l.parent_id = b.id OFFSET 0) c"""
        child = f"""CROSS JOIN LATERAL (
                       SELECT * FROM {obj} o1 WHERE o1.id = e.child_id OFFSET 0) o"""
    else:
        step = f"SELECT l.child_id FROM below b JOIN {link} l ON l.parent_id = b.id"
        edges = f"""SELECT l.parent_id, l.child_id, l.expected_contribution
                    FROM below b JOIN {link} l ON l.parent_id = b.id"""
        child = f"JOIN {obj} o ON o.id = e.child_id"
    details = [
        f"(SELECT COUNT(*) FROM {link} l2 WHERE l2.child_id = o.id)",
        f"""(SELECT l3.parent_id FROM {link} l3 WHERE l3.child_id = o.id
             ORDER BY l3.id LIMIT 1)""",
        f"""(SELECT COUNT(*) FROM {obj} o2
             WHERE o2.unit_id = o.unit_id AND o2.cycle_id = o.cycle_id)""",
    ]
    common = f"""o.unit_id, o.title, o.{order}, o.kind, o.status, o.sufficiency,
               o.sufficiency_note, u.name, u.kind"""
    figures = "f.stale, f.blocked, f.no_baseline, p.progress, p.confidence"
    if everyone:
        edge_details, detail_params = ", ".join(details), []
        who, who_params = "SELECT id FROM below", []
    else:
        # CASE evaluates its subquery only where the condition holds: deeper rows skip it.
        edge_details = ", ".join(f"CASE WHEN e.parent_id = %s THEN {d} END" for d in details)
        detail_params = [root] * len(details)
        who = "SELECT child_id FROM edges WHERE parent_id = %s UNION SELECT %s"
        who_params = [root, root]
    sql = f"""
        WITH RECURSIVE below(id) AS (
            SELECT o.id FROM {obj} o WHERE o.id = %s
            UNION
            {step}
        ),
        edges AS MATERIALIZED ({edges}),
        flags AS MATERIALIZED (
            SELECT k.objective_id,
                   SUM(CASE WHEN k.check_in_due_on < %s THEN 1 ELSE 0 END) AS stale,
                   SUM(CASE WHEN k.blocker <> '' THEN 1 ELSE 0 END) AS blocked,
                   SUM(CASE WHEN k.baseline_value IS NULL THEN 1 ELSE 0 END) AS no_baseline
            FROM {kr} k WHERE k.objective_id IN (SELECT id FROM below)
            GROUP BY k.objective_id
        ),
        own AS MATERIALIZED (
            SELECT k.objective_id, AVG({progress_sql("k")}) AS progress,
                   AVG(k.confidence) AS confidence
            FROM {kr} k WHERE k.objective_id IN ({who})
            GROUP BY k.objective_id
        )
        SELECT NULL, o.id, '', {common}, {", ".join(details)}, {figures}
        FROM {obj} o JOIN {unit} u ON u.id = o.unit_id
        LEFT JOIN flags f ON f.objective_id = o.id LEFT JOIN own p ON p.objective_id = o.id
        WHERE o.id = %s
        UNION ALL
        SELECT e.parent_id, e.child_id, e.expected_contribution, {common}, {edge_details},
               {figures}
        FROM edges e {child} JOIN {unit} u ON u.id = o.unit_id
        LEFT JOIN flags f ON f.objective_id = o.id LEFT JOIN own p ON p.objective_id = o.id
    """
    return sql, [root, today, *who_params, root, *detail_params]


def _fetch_prepared(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    """Like `_fetch`, but on PostgreSQL through a server-side-binding cursor, which psycopg
    prepares after a few runs on a connection: planning this statement costs more than
    running it for a small subtree (about 2 ms against 1). Still goes through Django's cursor
    wrapper, so query counts and logs see it."""
    if connection.vendor != "postgresql":
        return _fetch(sql, params)
    return remembered((sql, frozen(params)), lambda: _fetch_prepared_now(sql, params))


def _fetch_prepared_now(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    import psycopg

    connection.ensure_connection()
    raw = psycopg.Cursor(connection.connection)
    # What connection.cursor() does, with the cursor class swapped: logged when queries are
    # (tests counting them, DEBUG), plain otherwise.
    cursor = (
        connection.make_debug_cursor(raw)
        if connection.queries_logged
        else connection.make_cursor(raw)
    )
    try:
        cursor.execute(sql, params)
        return cursor.fetchall()
    finally:
        cursor.close()


def load_subtree(root: int, today: date, *, everyone: bool = False) -> Forest | None:
    """An objective and everything below it: one query. None when there is no such
    objective. `children[root]` are its direct contributors. Each objective has its flag
    counts; the root and its contributors (everyone, with `everyone`) their details,
    progress and mean confidence (see `subtree_sql`). `attach` the full key results of the
    rows shown."""
    objectives: dict[int, ObjectiveRow] = {}
    children: dict[int, list[int]] = {}
    expected: dict[tuple[int, int], str] = {}
    for row in _fetch_prepared(*subtree_sql(root, today, everyone=everyone)):
        parent_id, child_id, contribution = row[:3]
        if parent_id is not None:
            children.setdefault(parent_id, []).append(child_id)
            if contribution:
                expected[(child_id, parent_id)] = contribution
        if child_id not in objectives:
            o = ObjectiveRow(child_id, *row[3:12])
            # Rows below the contributors come without details (see `subtree_sql`): they
            # have a parent (the link that reached them), and no unit count.
            parent_count, o.primary_parent_id, unit_objectives = row[12:15]
            o.parent_count = 1 if parent_count is None else parent_count
            o.unit_objectives = unit_objectives or 0
            stale, blocked, no_baseline, progress, confidence = row[15:]
            o.stale, o.blocked, o.no_baseline = (
                int(stale or 0),
                int(blocked or 0),
                int(no_baseline or 0),
            )
            o.progress = None if progress is None else float(progress)
            o.mean_confidence = None if confidence is None else float(confidence)
            objectives[child_id] = o
    if root not in objectives:
        return None
    # Every link below a subtree member is in the subtree, so these counts are complete.
    for parent_id, kids in children.items():
        objectives[parent_id].child_count = len(kids)
    return Forest(today=today, objectives=objectives, children=children, expected=expected)


def load_key_results(objective_ids: Iterable[int], today: date) -> dict[int, list[KeyResultRow]]:
    """The full key results of these objectives, in their order: one query.

    Written out rather than built by the ORM: on PostgreSQL the ids go as one array
    parameter, so the statement's text is the same for any number of objectives and psycopg
    can prepare it (planning it, with the ORM's IN list and unit join, took longer than
    running it); the unit that could unblock is a per-row lookup, not a join of every unit.
    """
    ids = sorted(set(objective_ids))  # sorted: the same ids make the same remembered key
    found: dict[int, list[KeyResultRow]] = {}
    if not ids:
        return found
    kr, unit = _table(KeyResult), _table(OrgUnit)
    if connection.vendor == "postgresql":
        where, params, fetch = "k.objective_id = ANY(%s)", [ids], _fetch_prepared
    else:
        where, params, fetch = f"k.objective_id IN ({', '.join(['%s'] * len(ids))})", ids, _fetch
    order = connection.ops.quote_name("order")
    for row in fetch(
        f"""SELECT k.id, k.objective_id, k.statement, k.unit, k.direction, k.baseline_value,
                   k.target, k.current_value, k.confidence, k.checked_in_at, k.check_in_due_on,
                   k.blocker, k.blocker_unit_id,
                   (SELECT u.name FROM {unit} u WHERE u.id = k.blocker_unit_id), k.score,
                   k.score_note
            FROM {kr} k WHERE {where} ORDER BY k.objective_id, k.{order}, k.id""",
        params,
    ):
        kr_row = KeyResultRow(*row).derive(today)
        found.setdefault(kr_row.objective_id, []).append(kr_row)
    return found


def progress_sql(alias: str = "k") -> str:
    """KeyResult.progress() as an SQL expression over a key result row `alias` (portable:
    CASE only, clamped by comparison rather than LEAST/GREATEST, which SQLite lacks).
    tests/okrs/test_tree.py holds it to the model's method in every direction."""
    b, t, d = f"{alias}.baseline_value", f"{alias}.target", f"{alias}.direction"
    now = f"COALESCE({alias}.current_value, {b})"

    def travelled(moved: str, span: str) -> str:
        return f"""CASE WHEN {span} <= 0 THEN CASE WHEN {moved} >= 0 THEN 1.0 ELSE 0.0 END
                        WHEN {moved} <= 0 THEN 0.0
                        WHEN {moved} >= {span} THEN 1.0
                        ELSE ({moved}) * 1.0 / ({span}) END"""

    return f"""CASE
        WHEN {t} IS NULL OR {now} IS NULL THEN NULL
        WHEN {d} = 'stay_above' THEN CASE WHEN {now} >= {t} THEN 1.0 ELSE 0.0 END
        WHEN {d} = 'stay_below' THEN CASE WHEN {now} <= {t} THEN 1.0 ELSE 0.0 END
        WHEN {b} IS NULL THEN NULL
        WHEN {d} = 'decrease' THEN {travelled(f"{b} - {now}", f"{b} - {t}")}
        ELSE {travelled(f"{now} - {b}", f"{t} - {b}")}
    END"""


def load_progress(objectives_sql: str, params: list[Any]) -> dict[int, float | None]:
    """Each objective's own progress, the mean of its key results', for the objectives a
    subquery names (`objectives_sql` selects their ids): averaged by the database, one row
    per objective, for objectives counted but not shown (fetching each key result's numbers
    would cost more)."""
    kr = _table(KeyResult)
    return {
        objective_id: None if progress is None else float(progress)
        for objective_id, progress in _fetch(
            f"SELECT k.objective_id, AVG({progress_sql('k')}) FROM {kr} k "
            f"WHERE k.objective_id IN ({objectives_sql}) GROUP BY k.objective_id",
            params,
        )
    }


def company_contributors_sql() -> str:
    """The ids of the objectives that contribute directly to a company objective of the
    cycle (one parameter: the cycle's id)."""
    obj, link, unit = _table(Objective), _table(AlignmentLink), _table(OrgUnit)
    return (
        f"SELECT l.child_id FROM {link} l JOIN {obj} p ON p.id = l.parent_id "
        f"JOIN {unit} u ON u.id = p.unit_id WHERE p.cycle_id = %s AND u.kind = '{COMPANY}'"
    )


def search_key_results(
    q: str, *, cycle_id: int | None = None, among: Iterable[int] = ()
) -> set[int]:
    """Objectives (of the cycle, or among these) with a key result whose statement contains
    `q`: one query, only when searching."""
    rows = KeyResult.objects.filter(statement__icontains=q)
    rows = (
        rows.filter(objective__cycle_id=cycle_id)
        if cycle_id is not None
        else rows.filter(objective_id__in=list(among))
    )
    return remembered(
        ("search", q, cycle_id, tuple(sorted(set(among))) if cycle_id is None else ()),
        lambda: frozenset(rows.order_by().values_list("objective_id", flat=True).distinct()),
    )


def load_output_flags(
    *, cycle_id: int | None = None, among: Iterable[int] = (), q: str = ""
) -> tuple[dict[int, int], set[int]]:
    """How many key results the quality check calls outputs, per objective (of the cycle, or
    among these), and, when `q` is given, the objectives whose key results contain it (the
    same rows answer both: one query). Runs the check over every key result asked about, so
    it runs only when the reader filters on outputs; objectives on screen get the flag from
    their own key results."""
    rows = KeyResult.objects.all()
    rows = (
        rows.filter(objective__cycle_id=cycle_id)
        if cycle_id is not None
        else rows.filter(objective_id__in=list(among))
    )
    found: dict[int, int] = {}
    hits: set[int] = set()
    needle = q.casefold()
    fields = ("objective_id", "statement", "direction", "baseline_value", "target", "unit")
    for objective_id, statement, direction, baseline, target, unit in remembered(
        ("output-check", cycle_id, tuple(sorted(set(among))) if cycle_id is None else ()),
        lambda: list(rows.order_by().values_list(*fields)),
    ):
        if looks_like_output(statement, direction, baseline, target, unit):
            found[objective_id] = found.get(objective_id, 0) + 1
        if needle and needle in statement.casefold():
            hits.add(objective_id)
    return found, hits


def load_unit_objectives(
    cycle: Any, unit_ids: Iterable[int], today: date, units: dict[int, UnitRow]
) -> Forest:
    """The cycle's objectives of these units, each with its key results' flag counts and its
    links counted (for the organisation view, where links are not followed): one query."""

    def count(rows: Any, outer: str) -> Coalesce:
        return Coalesce(
            Subquery(
                rows.filter(**{outer: OuterRef("pk")})
                .order_by()
                .values(outer)
                .annotate(n=Count("pk"))
                .values("n")
            ),
            0,
        )

    unit_ids = tuple(sorted(set(unit_ids)))
    key_results = KeyResult.objects.all()
    rows = (
        Objective.objects.filter(cycle=cycle, unit_id__in=unit_ids)
        .annotate(
            n_parents=count(AlignmentLink.objects.all(), "child"),
            n_children=count(AlignmentLink.objects.all(), "parent"),
            n_stale=count(key_results.filter(check_in_due_on__lt=today), "objective"),
            n_blocked=count(key_results.filter(blocker__gt=""), "objective"),
            n_no_baseline=count(key_results.filter(baseline_value__isnull=True), "objective"),
        )
        .order_by()
        .values_list(
            *OBJECTIVE_FIELDS, "n_parents", "n_children", "n_stale", "n_blocked", "n_no_baseline"
        )
    )
    objectives: dict[int, ObjectiveRow] = {}
    per_unit: dict[int, int] = {}
    for *fields, parents, kids, stale, blocked, no_baseline in remembered(
        ("unit-objectives", cycle.pk, unit_ids, today), lambda: list(rows)
    ):
        o = ObjectiveRow(*fields)
        unit = units.get(o.unit_id)
        if unit is not None:
            o.unit_name, o.unit_kind = unit.name, unit.kind
        o.parent_count, o.child_count = parents, kids
        o.stale, o.blocked, o.no_baseline = stale, blocked, no_baseline
        objectives[o.id] = o
        per_unit[o.unit_id] = per_unit.get(o.unit_id, 0) + 1
    for o in objectives.values():
        o.unit_objectives = per_unit[o.unit_id]
    return Forest(today=today, objectives=objectives, children={}, expected={}, units=units)


@dataclass(slots=True)
class UnitTotals:
    """What a unit and every unit below it hold in the cycle."""

    objectives: int = 0
    own_objectives: int = 0
    stale: int = 0
    blocked: int = 0
    matches: int = 0


def unit_totals(
    forest: Forest, matches: Callable[[int], bool] | None = None
) -> dict[int, UnitTotals]:
    """Each objective counts toward its own unit and every unit above it."""
    parent_of = {u.id: u.parent_id for u in forest.units.values()}
    totals: dict[int, UnitTotals] = {}
    for o in forest.objectives.values():
        hit = matches is not None and matches(o.id)
        unit: int | None = o.unit_id
        seen: set[int] = set()
        first = True
        while unit is not None and unit not in seen:
            seen.add(unit)
            t = totals.get(unit)
            if t is None:
                t = totals[unit] = UnitTotals()
            t.objectives += 1
            t.own_objectives += first
            t.stale += o.stale
            t.blocked += o.blocked
            t.matches += hit
            first = False
            unit = parent_of.get(unit)
    return totals
