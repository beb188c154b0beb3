"""Due dates: when check-ins are expected, from a cycle's start and a unit's cadence.

Pure functions, no database. Everything that decides "is this key result due?" (the reminder
dispatch, "My key results", a unit's coverage, the lead digest) goes through `due_times` and
`expected_by`, so they can never disagree.

The rules
---------
- Weekly and biweekly: the first chosen weekday on or after the cycle's start, then every one or
  two weeks. Monthly: each month, the first chosen weekday on or after the day of the month the
  cycle started (clamped to the month's last day, so a cycle starting on 31 January is due around
  28 February, 31 March, 30 April; the anchor never drifts to the 28th). A cycle starting on the
  1st therefore checks in on the first Monday (say) of each month.
- The due time is the cadence's hour on that date in the person's own time zone, computed with
  zoneinfo and stored in UTC. Dates are counted in local calendar days, so a due time stays at
  09:00 local across a daylight-saving change (its UTC instant moves by an hour). An hour that
  does not exist locally (clocks jump forward) resolves to the instant the clocks jumped; an hour
  that happens twice (clocks go back) means the first one.
- Due dates after the cycle's last day are dropped: the quarter is over.

Which check-in counts for which due time
----------------------------------------
A check-in counts for the next due time, and also for one that is at most `early_window` away:
someone who checks in on Friday is not reminded on Monday morning. Formally the next check-in
after one made at `t` is expected by the first due time later than `t + early_window`
(`expected_by`); a key result is due (stale) once that time has passed. A key result never
checked in is expected by the first due time after its creation plus the same window.

This is "no check-in since the last due date", with the early window added so that people who
just checked in are skipped. Late check-ins count for the period they answer: a reminder at
Monday 09:00 answered at 10:00 satisfies that Monday, and the next reminder comes at the next due
time, not one later.
"""

from __future__ import annotations

import bisect
import calendar
import functools
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta


class Frequency:
    """Mirrors cycles.models.Cadence.Frequency (kept here so this module needs no models)."""

    WEEKLY = "weekly"
    BIWEEKLY = "biweekly"
    MONTHLY = "monthly"


# How long before a due time a check-in still counts for it (see the module docstring). Well
# under half of each period, so a late answer to a reminder never counts for the next one.
EARLY_WINDOW = {
    Frequency.WEEKLY: timedelta(days=2),
    Frequency.BIWEEKLY: timedelta(days=3),
    Frequency.MONTHLY: timedelta(days=4),
}


@dataclass(frozen=True)
class EffectiveCadence:
    """A unit's cadence after inheritance. `source_unit_id` is the unit that set it (None: the
    organisation's default)."""

    frequency: str
    weekday: int  # Monday = 0, as datetime.date.weekday()
    hour: int  # 0-23, local to each person
    source_unit_id: int | None = None

    @property
    def early_window(self) -> timedelta:
        return EARLY_WINDOW[self.frequency]

    @property
    def key(self) -> tuple[str, int, int]:
        return (self.frequency, self.weekday, self.hour)


DEFAULT_CADENCE = EffectiveCadence(frequency=Frequency.BIWEEKLY, weekday=0, hour=9)


def add_months(day: date, months: int, *, anchor_day: int | None = None) -> date:
    """`day` plus whole months, on `anchor_day` (default: day.day), clamped to the month's end.

    Always computed from the original anchor, never by adding one month at a time: 31 Jan + 1
    month is 28 Feb, and + 2 months is 31 Mar (not 28 Mar).
    """
    anchor_day = anchor_day or day.day
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(anchor_day, calendar.monthrange(year, month)[1]))


def on_or_after(day: date, weekday: int) -> date:
    """The first `weekday` on or after `day`."""
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def due_dates(*, starts_on: date, ends_on: date, frequency: str, weekday: int) -> list[date]:
    """The local calendar dates check-ins are due on, from the cycle's start to its end."""
    found: list[date] = []
    if frequency in (Frequency.WEEKLY, Frequency.BIWEEKLY):
        step = timedelta(weeks=1 if frequency == Frequency.WEEKLY else 2)
        day = on_or_after(starts_on, weekday)
        while day <= ends_on:
            found.append(day)
            day += step
    elif frequency == Frequency.MONTHLY:
        n = 0
        while True:
            day = on_or_after(add_months(starts_on, n), weekday)
            if day > ends_on:
                break
            found.append(day)
            n += 1
    else:
        raise ValueError(f"Unknown cadence frequency: {frequency!r}")
    return found


def local_time_in_utc(day: date, hour: int, zone: zoneinfo.ZoneInfo) -> datetime:
    """`hour`:00 on `day` in `zone`, as an aware UTC datetime.

    zoneinfo resolves a wall time the clocks skip (fold=0) with the offset in force before the
    jump, which lands on the instant of the jump plus the gap: 02:00 on the night clocks go from
    02:00 to 03:00 becomes 03:00 local. A repeated wall time (fold=0) is its first occurrence.
    """
    return datetime.combine(day, time(hour), tzinfo=zone).astimezone(UTC)


@functools.lru_cache(maxsize=4096)
def due_times(
    *, starts_on: date, ends_on: date, cadence: EffectiveCadence, zone_name: str
) -> tuple[datetime, ...]:
    """Every due time of a cycle for one cadence in one time zone, in UTC, ascending.

    Cached: an organisation has a handful of (cycle, cadence, zone) combinations, however many
    people it has, so the dispatch computes each sequence once.
    """
    zone = zoneinfo.ZoneInfo(zone_name)
    return tuple(
        local_time_in_utc(day, cadence.hour, zone)
        for day in due_dates(
            starts_on=starts_on,
            ends_on=ends_on,
            frequency=cadence.frequency,
            weekday=cadence.weekday,
        )
    )


def latest_at_or_before(times: tuple[datetime, ...], moment: datetime) -> datetime | None:
    """The last due time at or before `moment` (the current period's), or None."""
    i = bisect.bisect_right(times, moment)
    return times[i - 1] if i else None


def first_after(times: tuple[datetime, ...], moment: datetime) -> datetime | None:
    """The first due time strictly after `moment`, or None when the cycle has no more."""
    i = bisect.bisect_right(times, moment)
    return times[i] if i < len(times) else None


def expected_by(
    times: tuple[datetime, ...],
    *,
    early_window: timedelta,
    checked_in_at: datetime | None,
    created_at: datetime,
) -> datetime | None:
    """When the next check-in on a key result is expected (None: not again this cycle).

    The first due time later than the last check-in (or, never checked in, the key result's
    creation) plus the early window. The key result is due once this has passed.
    """
    reference = checked_in_at if checked_in_at is not None else created_at
    return first_after(times, reference + early_window)


def local_date(moment: datetime, zone_name: str) -> date:
    return moment.astimezone(zoneinfo.ZoneInfo(zone_name)).date()
