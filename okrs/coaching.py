"""Key-result coaching on the setting page: the quality check applied to a saved key result or
to the fields of a form the lead is still typing, and an objective's one-line summary.

The check itself lives in okrs/quality.py (`check_key_result`, `summarise`). This module only
turns what the page has (a KeyResult, or raw POST data from a half-typed form) into the
check's arguments, so the views and templates never call the check directly.

Coaching never blocks a save: nothing here raises for bad input, and no service asks it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from okrs.models import KeyResult
from okrs.quality import Report, check_key_result, summarise

# A few words per finding, for the summary line beside a saved key result; the full message
# opens under it.
SHORT_LABELS = {
    "no_metric": "no metric named",
    "no_baseline": "no baseline",
    "no_target": "no numeric target",
    "target_not_beyond_baseline": "target not beyond the baseline",
}


def _decimal(raw: Any) -> Decimal | None:
    """A number from a form field as typed, or None (coaching reads half-typed input)."""
    if raw is None:
        return None
    if isinstance(raw, Decimal):
        return raw
    text = str(raw).strip().replace(",", "")
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def check_saved(kr: KeyResult) -> Report:
    """Coach a stored key result. Expects `metric` loaded (select_related) when set."""
    return check_key_result(
        kr.statement,
        baseline=kr.baseline_value,
        target=kr.target,
        unit=kr.unit or (kr.metric.unit if kr.metric_id and kr.metric else ""),
        direction=kr.direction or None,
        metric_name=kr.metric.name if kr.metric_id and kr.metric else "",
    )


def check_typed(data: Mapping[str, Any], *, metric_names: Mapping[int, str]) -> Report:
    """Coach the key-result form as the lead is typing it: raw POST data, possibly invalid.

    `metric_names` maps the picked metric's id to its name (the view loads just that one).
    An empty direction (not chosen yet) lets the check infer it from the words.
    """
    metric_name = str(data.get("new_metric_name", "")).strip()
    raw_metric = str(data.get("metric", "")).strip()
    if not metric_name and raw_metric.isdigit():
        metric_name = metric_names.get(int(raw_metric), "")
    direction = str(data.get("direction", "")).strip()
    return check_key_result(
        str(data.get("statement", ""))[:2000],
        baseline=_decimal(data.get("baseline_value")),
        target=_decimal(data.get("target")),
        unit=str(data.get("unit", "")).strip()[:40],
        direction=direction if direction in KeyResult.Direction.values else None,
        metric_name=metric_name,
    )


def summary(reports: Iterable[Report]) -> str | None:
    """One line for an objective's key results, or None when nothing needs a look."""
    return summarise(list(reports))


def numbers_to_fill(data: Mapping[str, Any], report: Report) -> dict[str, str]:
    """What the statement says that the form's number fields do not yet: the baseline, the
    target and the direction the check read from the words ("from 340 a week to 120"), for
    the fields the lead has left empty. The page offers them with one button.

    The check converts units to compare them ("2 hours" is 7200 seconds), so a value is only
    offered when it appears in the statement as written: the form's unit field must still
    describe it.
    """
    from okrs.templatetags.okrs import number

    statement = str(data.get("statement", "")).replace(",", "")
    found: dict[str, str] = {}
    for field, value in (
        ("baseline_value", getattr(report, "baseline", None)),
        ("target", getattr(report, "target", None)),
    ):
        if value is None or str(data.get(field, "")).strip():
            continue
        written = number(value)
        if re.search(rf"(?<![\d.]){re.escape(written)}(?![\d])", statement):
            found[field] = written
    direction = getattr(report, "direction", None)
    if found and direction in KeyResult.Direction.values and not data.get("direction"):
        found["direction"] = direction
    if found and not str(data.get("unit", "")).strip():
        # "from 30% to 5%": without the unit the saved key result reads "30 -> 5".
        for value in found.values():
            match = re.search(
                rf"(?<![\d.]){re.escape(value)}\s*({_UNITS})(?![\w%])", statement, re.IGNORECASE
            )
            if match:
                found["unit"] = match.group(1)
                break
    return found


# Units a statement writes right after a number, as the form's unit field would hold them.
_UNITS = (
    r"%|ms|s|secs?|seconds?|mins?|minutes?|h|hrs?|hours?|days?|weeks?|months?|"
    r"incidents?|pages?|tickets?|findings?|alerts?|requests?|errors?|builds?|deploys?|"
    r"customers?|users?|merchants?|teams?|points?"
)
