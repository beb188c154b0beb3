"""Key-result coaching on the setting page: the quality check applied to a saved key result or
to the fields of a form the lead is still typing, and an objective's one-line summary.

The check itself lives in okrs/quality.py (`check_key_result`, `summarise`). This module only
turns what the page has (a KeyResult, or raw POST data from a half-typed form) into the
check's arguments, so the views and templates never call the check directly.

Coaching never blocks a save: nothing here raises for bad input, and no service asks it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from okrs.models import KeyResult

# --------------------------------------------------------------------------------------------
# TEMPORARY until okrs/quality.py lands on main (branch setting-quality). After `git merge
# main`, replace this whole block with:
#
#     from okrs.quality import Report, check_key_result, summarise
#
# The stand-in below does NOT decide output vs outcome (that is the quality check's job; it
# always says "outcome"): it only reports the gaps the form's structured fields show, so the
# page has something true to display until the real check arrives.
# --------------------------------------------------------------------------------------------
try:
    from okrs.quality import Report, check_key_result, summarise  # type: ignore[import-not-found]
except ImportError:

    @dataclass(frozen=True)
    class Finding:  # type: ignore[no-redef]
        code: str
        message: str
        quote: str = ""
        span: tuple[int, int] | None = None

    @dataclass(frozen=True)
    class Report:  # type: ignore[no-redef]
        statement: str
        kind: str
        findings: tuple[Finding, ...] = field(default_factory=tuple)
        suggestion: str | None = None

        @property
        def codes(self) -> tuple[str, ...]:
            return tuple(f.code for f in self.findings)

        @property
        def is_output(self) -> bool:
            return self.kind == "output"

    def check_key_result(  # type: ignore[no-redef]
        statement: str,
        *,
        baseline: Any = None,
        target: Any = None,
        unit: str = "",
        direction: str | None = None,
        metric_name: str = "",
    ) -> Report:
        findings = []
        if statement.strip():
            if not (metric_name.strip() or unit.strip()):
                findings.append(Finding("no_metric", "No metric is named."))
            if baseline is None:
                findings.append(Finding("no_baseline", "No baseline: where does it start?"))
            if target is None:
                findings.append(Finding("no_target", "No numeric target."))
            if (
                baseline is not None
                and target is not None
                and (
                    (direction == "increase" and target <= baseline)
                    or (direction == "decrease" and target >= baseline)
                )
            ):
                findings.append(
                    Finding(
                        "target_not_beyond_baseline",
                        f"The target ({target}) is not beyond the baseline ({baseline}).",
                    )
                )
        return Report(statement=statement, kind="outcome", findings=tuple(findings))

    def summarise(reports: Iterable[Report]) -> str | None:  # type: ignore[no-redef]
        items = list(reports)
        gaps = sum(1 for r in items if r.findings)
        if not gaps:
            return None
        return f"{gaps} of {len(items)} key results need a second look"


# --- end of the temporary block --------------------------------------------------------------


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
