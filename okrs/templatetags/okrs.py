"""Formatting for OKR numbers. Numbers are formatted here, not with floatformat in loops:
that filter alone doubles a template row's cost on big pages."""

from __future__ import annotations

from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def number(value: Decimal | float | int | None) -> str:
    """12.5000 -> "12.5", 3.0 -> "3", None -> "–"."""
    if value is None:
        return "–"
    if isinstance(value, float):
        value = Decimal(str(round(value, 4)))
    text = format(Decimal(value).normalize(), "f")
    return text


@register.filter
def with_unit(value: Decimal | None, unit: str) -> str:
    text = number(value)
    if value is None or not unit:
        return text
    return f"{text}{unit}" if unit in ("%", "‰") else f"{text} {unit}"


@register.filter
def percent(ratio: float | None) -> str:
    if ratio is None:
        return "–"
    return f"{round(ratio * 100)}%"


@register.filter
def finding_labels(report: object) -> str:
    """The gaps a coaching report found, in a few words ("no baseline, no numeric target"),
    for the one-line summary beside a saved key result. The output finding is the title."""
    from okrs.coaching import SHORT_LABELS

    codes = [f.code for f in getattr(report, "findings", ()) if f.code != "output"]
    return ", ".join(SHORT_LABELS.get(code, code.replace("_", " ")) for code in codes)
