"""What a node of the alignment tree shows, worked out and formatted once, in Python.

Templates then only print strings: number formatting in template filters costs as much again
as the rest of a row on a big page (../shared/reference/performance-reliability.md, 1.2).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from statistics import median
from urllib.parse import urlencode

from django.urls import get_script_prefix, reverse
from django.utils import timezone

from okrs.models import KeyResult, Objective
from okrs.templatetags.okrs import with_unit
from okrs.tree import (
    BLOCKED,
    COMPANY,
    FUNCTION,
    NO_BASELINE,
    NO_CONTRIBUTORS,
    OUTPUT,
    OVER_FIVE,
    RISK_CONFIDENCE,
    STALE,
    UNALIGNED,
    Below,
    BlockerRow,
    Forest,
    KeyResultRow,
    ObjectiveRow,
    Visibility,
)

KIND_LABELS = dict(Objective.Kind.choices)
STATUS_LABELS = dict(Objective.Status.choices)
SUFFICIENCY_LABELS = dict(Objective.Sufficiency.choices)
DIRECTION_WORDS = {
    KeyResult.Direction.INCREASE: "up to",
    KeyResult.Direction.DECREASE: "down to",
    KeyResult.Direction.STAY_ABOVE: "at or above",
    KeyResult.Direction.STAY_BELOW: "at or below",
}


def percent(ratio: float | None) -> str:
    return "–" if ratio is None else f"{round(ratio * 100)}%"


def plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def day(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return f"{value.day} {value:%b}"


def flag_texts(o: ObjectiveRow, flags: list[str]) -> list[FlagView]:
    """Each flag as a short phrase that says how many, for the node's row."""
    text = {
        STALE: lambda: plural(o.stale, "stale check-in"),
        BLOCKED: lambda: plural(o.blocked, "open blocker"),
        OUTPUT: lambda: plural(o.output, "output key result"),
        NO_BASELINE: lambda: plural(o.no_baseline, "key result") + " without a baseline",
        OVER_FIVE: lambda: f"{o.unit_objectives} objectives in {o.unit_name}",
        UNALIGNED: lambda: "Aligned to nothing",
        NO_CONTRIBUTORS: lambda: "Nothing contributes",
    }
    return [FlagView(code, text[code]()) for code in flags]


@dataclass(slots=True)
class FlagView:
    code: str
    text: str


@dataclass(slots=True)
class KeyResultView:
    id: int
    statement: str
    now_text: str
    target_text: str
    progress_value: str
    progress_text: str
    has_progress: bool
    confidence_text: str
    check_in_text: str
    stale: bool
    due_text: str
    blocker: str
    blocker_unit: str
    score_text: str
    score_note: str
    no_baseline: bool
    output: bool


def key_result_view(kr: KeyResultRow) -> KeyResultView:
    unit = kr.unit
    return KeyResultView(
        id=kr.id,
        statement=kr.statement,
        now_text=with_unit(kr.current, unit) if kr.current is not None else "no check-in yet",
        target_text=(
            f"{DIRECTION_WORDS.get(kr.direction, 'to')} {with_unit(kr.target, unit)}"
            if kr.target is not None
            else "no target yet"
        ),
        progress_value=f"{kr.progress:.3f}" if kr.progress is not None else "",
        progress_text=percent(kr.progress),
        has_progress=kr.progress is not None,
        confidence_text=f"{kr.confidence}%" if kr.confidence is not None else "",
        check_in_text=day(kr.checked_in_at),
        stale=kr.stale,
        due_text=day(kr.due_on),
        blocker=kr.blocker,
        blocker_unit=kr.blocker_unit_name or "",
        score_text=_score(kr.score),
        score_note=kr.score_note,
        no_baseline=kr.baseline is None,
        output=kr.output,
    )


def _score(value: Decimal | float | None) -> str:
    """0.47 stays 0.47 (as the scoring page shows an objective's mean); 0.70 reads 0.7."""
    if value is None:
        return ""
    text = f"{float(value):.2f}"
    return text[:-1] if text.endswith("0") else text


@dataclass(slots=True)
class BlockerView:
    objective_id: int
    objective_title: str
    unit_name: str
    statement: str
    blocker: str
    blocker_unit: str


@dataclass(slots=True)
class NodeView:
    """One objective in the tree, ready to print."""

    id: int
    url: str
    title: str
    unit_name: str
    kind: str
    kind_label: str
    status: str
    status_label: str
    has_progress: bool
    progress_value: str
    progress_text: str
    confidence_text: str
    lowest_text: str
    score_text: str
    at_risk: bool
    risk_text: str
    flags: list[FlagView]
    expected: str
    repeat: bool
    sufficiency: str
    sufficiency_label: str
    sufficiency_note: str
    asks_sufficiency: bool
    below_text: str
    summary_text: str
    children_url: str
    expandable: bool
    context_only: bool
    # Filled for nodes rendered open (company objectives on first paint).
    key_results: list[KeyResultView] = field(default_factory=list)
    children: list[NodeView] = field(default_factory=list)
    more_url: str = ""
    more_text: str = ""
    contributors_text: str = ""
    blockers: list[BlockerView] = field(default_factory=list)
    blockers_more_text: str = ""
    blockers_url: str = ""


def url_for(name: str, objective_id: int) -> str:
    """reverse() for a URL whose one argument is an id, from the pattern resolved once: a
    row needs two of these, and reverse() costs as much as the rest of the row."""
    prefix, suffix = _url_parts(name, get_script_prefix())
    return f"{prefix}{objective_id}{suffix}"


@functools.lru_cache(maxsize=64)
def _url_parts(name: str, script_prefix: str) -> tuple[str, str]:
    # Keyed by the script prefix too: reverse() puts it in front, and it may differ per
    # request behind a proxy.
    marker = "987654321"
    prefix, suffix = reverse(name, args=[marker]).split(marker, 1)
    return prefix, suffix


def children_url(objective_id: int, params: dict[str, str], **extra: str | int) -> str:
    query = urlencode({**params, **{k: str(v) for k, v in extra.items()}})
    url = url_for("okrs:tree-children", objective_id)
    return f"{url}?{query}" if query else url


def node_view(
    forest: Forest,
    objective_id: int,
    *,
    parent_id: int | None,
    visibility: Visibility,
    params: dict[str, str],
    below_counts: Below | None = None,
) -> NodeView:
    """The row of one objective, shown under `parent_id` (None at the top or in a bucket)."""
    o = forest.objectives[objective_id]
    rollup = o.rollup
    kids = forest.children.get(objective_id)
    # Loads that do not follow links (the organisation view) know only how many there are.
    n_kids = sum(1 for k in kids if visibility.shows(k)) if kids is not None else o.child_count
    flags = forest.flags(objective_id)
    risk = []
    if o.at_risk:
        if rollup and rollup.confidence is not None and rollup.confidence < RISK_CONFIDENCE:
            risk.append(f"confidence {percent(rollup.confidence / 100)}")
        if o.blocked:
            risk.append(plural(o.blocked, "blocker"))
    key_result_count = rollup.key_results if rollup else None
    parts = []
    if key_result_count is not None:
        parts.append(plural(key_result_count, "key result"))
    if n_kids:
        parts.append(f"{n_kids:,} contributing")
    below_text = ""
    if below_counts is not None and below_counts.objectives:
        bits = [
            f"{plural(below_counts.objectives, 'objective')} below"
            + (f" in {plural(below_counts.units, 'unit')}" if below_counts.units > 1 else "")
        ]
        if below_counts.blocked:
            bits.append(plural(below_counts.blocked, "open blocker"))
        if below_counts.stale:
            bits.append(plural(below_counts.stale, "stale check-in"))
        if visibility.matches is not None:
            bits.append(plural(below_counts.matches, "match", "matches"))
        below_text = " · ".join(bits)
    # The sufficiency question belongs to parents: objectives others build on, or that set
    # direction for others (company and function objectives).
    is_parent = bool(o.child_count) or o.unit_kind in (COMPANY, FUNCTION)
    return NodeView(
        id=o.id,
        url=url_for("okrs:objective-detail", o.id),
        title=o.title,
        unit_name=o.unit_name,
        kind=o.kind,
        kind_label=KIND_LABELS.get(o.kind, o.kind),
        status=o.status,
        status_label=STATUS_LABELS.get(o.status, o.status),
        has_progress=bool(rollup and rollup.progress is not None),
        progress_value=f"{rollup.progress:.3f}" if rollup and rollup.progress is not None else "",
        progress_text=percent(rollup.progress if rollup else None),
        confidence_text=percent(rollup.confidence / 100)
        if rollup and rollup.confidence is not None
        else "",
        lowest_text=f"{rollup.lowest_confidence}%"
        if rollup
        and rollup.lowest_confidence is not None
        and rollup.key_results > 1
        and rollup.confidence is not None
        and rollup.lowest_confidence < rollup.confidence - 10
        else "",
        score_text=(
            _score(rollup.score)
            + ("" if rollup.scored == rollup.key_results else f" ({rollup.scored} scored)")
        )
        if rollup and rollup.scored
        else "",
        at_risk=bool(risk),
        risk_text=", ".join(risk),
        flags=flag_texts(o, flags),
        expected=forest.expected.get((o.id, parent_id), "") if parent_id else "",
        repeat=parent_id is not None
        and o.parent_count > 1
        and o.primary_parent_id not in (None, parent_id),
        sufficiency=o.sufficiency,
        sufficiency_label=SUFFICIENCY_LABELS.get(o.sufficiency, ""),
        sufficiency_note=o.sufficiency_note,
        # Unanswered, the question shows on the company's own objectives only: asked on
        # every parent, it drowned the rows out.
        asks_sufficiency=is_parent
        and parent_id is None
        and o.unit_kind == COMPANY
        and not o.fully_scored,
        below_text=below_text,
        summary_text=" · ".join(parts) or "Details",
        children_url=children_url(o.id, params),
        expandable=True,
        context_only=visibility.matches is not None and not visibility.matches(o.id),
    )


def contributors_text(progress: Iterable[float | None]) -> str:
    """The contributors' own progress, beside the parent's and never mixed into it."""
    values = [p for p in progress if p is not None]
    if not values:
        return ""
    if len(values) == 1:
        return f"Its contributor's own progress: {percent(values[0])}."
    return (
        f"Contributors' own progress: median {percent(median(values))}, "
        f"from {percent(min(values))} to {percent(max(values))}."
    )


def blocker_views(forest: Forest, rows: list[BlockerRow]) -> list[BlockerView]:
    result = []
    for row in rows:
        o = forest.objectives[row.objective_id]
        unit = forest.units.get(row.blocker_unit_id) if row.blocker_unit_id else None
        result.append(
            BlockerView(
                objective_id=o.id,
                objective_title=o.title,
                unit_name=o.unit_name,
                statement=row.statement,
                blocker=row.blocker,
                blocker_unit=unit.name if unit else "",
            )
        )
    return result
