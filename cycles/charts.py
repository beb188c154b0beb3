"""Server-rendered SVG: a key result's value and confidence over the quarter, and the small
trend line on "My key results".

The geometry is computed here and the templates only print numbers, so the charts need no
JavaScript and no inline style (the CSP forbids style attributes; SVG presentation attributes
and classes from site.css carry the look). Each chart has a text alternative: the history
table on the same page, and a title/desc inside the SVG.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from okrs.models import KeyResult
from okrs.templatetags.okrs import number

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 56, 48, 16, 32  # room for the axes' labels
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    label: str


@dataclass(frozen=True)
class Tick:
    pos: float
    label: str


@dataclass
class Chart:
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    top: int = TOP
    right_edge: int = WIDTH - RIGHT
    bottom_edge: int = HEIGHT - BOTTOM
    plot_width: int = PLOT_W
    plot_height: int = PLOT_H
    value_points: list[Point] = field(default_factory=list)
    confidence_points: list[Point] = field(default_factory=list)
    value_ticks: list[Tick] = field(default_factory=list)
    confidence_ticks: list[Tick] = field(default_factory=list)
    month_ticks: list[Tick] = field(default_factory=list)
    plan: tuple[float, float, float, float] | None = None  # baseline-to-target line x1 y1 x2 y2
    today_x: float | None = None
    description: str = ""

    @property
    def value_line(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.value_points)

    @property
    def confidence_line(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.confidence_points)


def _moment(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def key_result_chart(
    kr: KeyResult,
    history: list[tuple[datetime, Decimal, int]],
    *,
    starts_on: date,
    ends_on: date,
    now: datetime,
) -> Chart:
    """history: (time, value, confidence) of the effective check-ins, oldest first."""
    start, end = _moment(starts_on), _moment(ends_on + timedelta(days=1))
    span = (end - start).total_seconds() or 1.0

    def x(moment: datetime) -> float:
        ratio = (moment - start).total_seconds() / span
        return LEFT + PLOT_W * min(1.0, max(0.0, ratio))

    values = [float(v) for _, v, _ in history]
    for extra in (kr.baseline_value, kr.target):
        if extra is not None:
            values.append(float(extra))
    low, high = (min(values), max(values)) if values else (0.0, 1.0)
    if high == low:
        low, high = low - 1, high + 1
    # Round numbers on the axis (0.1, 0.2, 0.3, not 0.105, 0.24, 0.375): a step of 1, 2, 2.5
    # or 5 times a power of ten, and the range widened to whole steps around the data.
    step = _nice_step((high - low) / 4)
    low = math.floor(low / step) * step
    high = math.ceil(high / step) * step
    if high - low < step * 2:
        high = low + step * 2

    def y_value(v: float) -> float:
        return TOP + PLOT_H * (1 - (v - low) / (high - low))

    def y_confidence(c: int) -> float:
        return TOP + PLOT_H * (1 - c / 100)

    chart = Chart()
    for moment, value, confidence in history:
        when = f"{moment:%d %b}"
        chart.value_points.append(
            Point(x(moment), y_value(float(value)), f"{when}: {number(value)}{_unit(kr)}")
        )
        chart.confidence_points.append(
            Point(x(moment), y_confidence(confidence), f"{when}: confidence {confidence}%")
        )
    ticks = round((high - low) / step)
    chart.value_ticks = [
        Tick(y_value(low + step * i), number(Decimal(str(round(low + step * i, 6)))) + _unit(kr))
        for i in range(ticks + 1)
    ]
    chart.confidence_ticks = [Tick(y_confidence(c), f"{c}%") for c in (0, 50, 100)]
    month = date(starts_on.year, starts_on.month, 1)
    while month <= ends_on:
        if month >= starts_on:
            chart.month_ticks.append(Tick(x(_moment(month)), f"{month:%b}"))
        month = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    if kr.target is not None:
        if kr.direction in (KeyResult.Direction.STAY_ABOVE, KeyResult.Direction.STAY_BELOW):
            level = y_value(float(kr.target))
            chart.plan = (LEFT, level, LEFT + PLOT_W, level)
        elif kr.baseline_value is not None:
            chart.plan = (
                LEFT,
                y_value(float(kr.baseline_value)),
                LEFT + PLOT_W,
                y_value(float(kr.target)),
            )
    if start <= now <= end:
        chart.today_x = x(now)
    if history:
        first, last = history[0], history[-1]
        chart.description = (
            f"{len(history)} check-in{'s' if len(history) != 1 else ''} from {first[0]:%d %b} "
            f"to {last[0]:%d %b}: value {number(first[1])} to {number(last[1])}{_unit(kr)}, "
            f"confidence {first[2]}% to {last[2]}%."
        )
    else:
        chart.description = "No check-ins yet."
    return chart


def _nice_step(rough: float) -> float:
    if rough <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(rough))
    for multiple in (1, 2, 2.5, 5, 10):
        if rough <= multiple * power:
            return multiple * power
    return 10 * power


def _unit(kr: KeyResult) -> str:
    if not kr.unit:
        return ""
    return kr.unit if kr.unit in ("%", "‰") else f" {kr.unit}"


@dataclass
class Trend:
    points: str
    label: str
    last_x: float
    last_y: float
    width: int = 96
    height: int = 24


def trend(values: list[Decimal]) -> Trend | None:
    """A sparkline of the last few values, oldest first; None with fewer than two."""
    if len(values) < 2:
        return None
    floats = [float(v) for v in values]
    low, high = min(floats), max(floats)
    if high == low:
        low, high = low - 1, high + 1
    w, h, pad = 96, 24, 3
    step = (w - 2 * pad) / (len(floats) - 1)
    coords = [
        (pad + i * step, pad + (h - 2 * pad) * (1 - (v - low) / (high - low)))
        for i, v in enumerate(floats)
    ]
    return Trend(
        points=" ".join(f"{cx:.1f},{cy:.1f}" for cx, cy in coords),
        label="Trend of the last check-ins: " + ", ".join(number(v) for v in values),
        last_x=coords[-1][0],
        last_y=coords[-1][1],
    )


# Calibration charts ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str  # "0.7: 4 key results"
    tick: str  # the axis label under it ("" for most)


@dataclass
class Histogram:
    """A cycle's score distribution: eleven bars, 0.0 to 1.0."""

    bars: list[Bar]
    title: str
    description: str
    line_x: float  # the aspirational success line, 0.7
    width: int = 280
    height: int = 140
    base_y: float = 112
    left: float = 8
    right: float = 272
    peak: int = 0


def score_histogram(bins: list[int], *, title: str) -> Histogram:
    """Bars for the counts of scores 0.0 .. 1.0 (cycles.calibration.distribution)."""
    width, left, right, top, base = 280, 8.0, 272.0, 14.0, 112.0
    slot = (right - left) / 11
    peak = max(bins) if bins else 0
    bars = []
    for i, n in enumerate(bins):
        height = (base - top) * n / peak if peak else 0.0
        score = f"{i / 10:.1f}"
        bars.append(
            Bar(
                x=left + i * slot + 2,
                y=base - height,
                width=slot - 4,
                height=height,
                label=f"{score}: {n} key result{'s' if n != 1 else ''}",
                tick=score if i in (0, 5, 7, 10) else "",
            )
        )
    total = sum(bins)
    parts = [f"{b.label.split(':')[0]}: {n}" for b, n in zip(bars, bins, strict=True) if n]
    description = (
        f"{total} scored key result{'s' if total != 1 else ''}: " + ", ".join(parts)
        if total
        else "No scored key results."
    )
    return Histogram(
        bars=bars,
        title=f"Scores in {title}",
        description=description,
        line_x=left + 7.5 * slot,
        width=width,
        peak=peak,
    )


@dataclass(frozen=True)
class Dot:
    x: float
    y: float
    r: float
    label: str


@dataclass
class ReliabilityChart:
    """Stated confidence (x) against how often key results reached their line (y), one dot
    per band with forecasts; the diagonal is perfect calibration."""

    dots: list[Dot]
    ticks: list[Tick]
    size: int = 260
    left: int = 44
    top: int = 12
    plot: int = 200

    @property
    def right(self) -> int:
        return self.left + self.plot

    @property
    def bottom(self) -> int:
        return self.top + self.plot


def reliability_chart(bands: list) -> ReliabilityChart:
    """bands: cycles.calibration.Band, in order."""
    left, top, plot = 44, 12, 200
    biggest = max((b.forecasts for b in bands), default=0) or 1
    dots = []
    for b in bands:
        if not b.forecasts or b.mean_confidence is None:
            continue
        rate = b.hit_rate or 0.0
        dots.append(
            Dot(
                x=left + plot * b.mean_confidence / 100,
                y=top + plot * (1 - rate),
                r=3 + 7 * (b.forecasts / biggest) ** 0.5,
                label=b.sentence(),
            )
        )
    ticks = [Tick(left + plot * v / 100, f"{v}%") for v in (0, 50, 100)]
    return ReliabilityChart(dots=dots, ticks=ticks)
