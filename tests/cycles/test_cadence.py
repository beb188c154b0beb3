"""Due dates from a cycle's start and a cadence: across daylight-saving changes, month ends and
time zones, with time frozen."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from accounts.models import Membership
from cycles import services
from cycles.cadence import (
    DEFAULT_CADENCE,
    EffectiveCadence,
    Frequency,
    add_months,
    due_dates,
    due_times,
    expected_by,
    local_time_in_utc,
)
from cycles.models import Cadence, CadenceMap, Reminder
from tests.accounts.factories import MembershipFactory, OrgUnitFactory, UserFactory
from tests.conftest import Org
from tests.cycles.factories import CycleFactory
from tests.okrs.factories import KeyResultFactory, ObjectiveFactory

Q4_START, Q4_END = date(2026, 10, 1), date(2026, 12, 31)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_biweekly_monday_from_a_thursday_start() -> None:
    assert due_dates(starts_on=Q4_START, ends_on=Q4_END, frequency="biweekly", weekday=0) == [
        date(2026, 10, 5),
        date(2026, 10, 19),
        date(2026, 11, 2),
        date(2026, 11, 16),
        date(2026, 11, 30),
        date(2026, 12, 14),
        date(2026, 12, 28),
    ]


def test_weekly_stops_at_the_end_of_the_cycle() -> None:
    days = due_dates(starts_on=Q4_START, ends_on=Q4_END, frequency="weekly", weekday=3)
    assert days[0] == date(2026, 10, 1)  # the start itself is a Thursday
    assert days[-1] == date(2026, 12, 31)
    assert len(days) == 14
    assert all(b - a == timedelta(weeks=1) for a, b in zip(days, days[1:], strict=False))


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2027, 1, 31), 1, date(2027, 2, 28)),
        (date(2027, 1, 31), 2, date(2027, 3, 31)),  # from the anchor: no drift to the 28th
        (date(2027, 1, 31), 3, date(2027, 4, 30)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),  # leap year
        (date(2026, 11, 30), 2, date(2027, 1, 30)),  # over a year end
        (date(2026, 10, 1), 0, date(2026, 10, 1)),
    ],
)
def test_adding_months_clamps_to_the_month_end_from_the_anchor(start, months, expected) -> None:
    assert add_months(start, months) == expected


def test_monthly_cadence_starting_on_the_31st_keeps_its_anchor() -> None:
    # Anchors 31 Jan, 28 Feb, 31 Mar, 30 Apr, 31 May; then the first Monday on or after each.
    days = due_dates(
        starts_on=date(2027, 1, 31), ends_on=date(2027, 6, 15), frequency="monthly", weekday=0
    )
    assert days == [
        date(2027, 2, 1),
        date(2027, 3, 1),
        date(2027, 4, 5),
        date(2027, 5, 3),
        date(2027, 5, 31),
    ]
    # The same anchor on the weekday it falls on: the month-end dates themselves.
    sundays = due_dates(
        starts_on=date(2027, 1, 31), ends_on=date(2027, 3, 1), frequency="monthly", weekday=6
    )
    assert sundays == [date(2027, 1, 31), date(2027, 2, 28)]


def test_monthly_from_the_first_is_the_first_weekday_of_each_month() -> None:
    days = due_dates(starts_on=Q4_START, ends_on=Q4_END, frequency="monthly", weekday=0)
    assert days == [date(2026, 10, 5), date(2026, 11, 2), date(2026, 12, 7)]


def test_local_hour_stays_put_across_the_autumn_clock_change() -> None:
    """09:00 every other Monday in Oslo, Los Angeles and Kolkata: the UTC instant moves by an
    hour when each zone leaves summer time (Oslo 25 Oct, Los Angeles 1 Nov); Kolkata has none."""
    oslo = due_times(
        starts_on=Q4_START, ends_on=Q4_END, cadence=DEFAULT_CADENCE, zone_name="Europe/Oslo"
    )
    la = due_times(
        starts_on=Q4_START, ends_on=Q4_END, cadence=DEFAULT_CADENCE, zone_name="America/Los_Angeles"
    )
    kolkata = due_times(
        starts_on=Q4_START, ends_on=Q4_END, cadence=DEFAULT_CADENCE, zone_name="Asia/Kolkata"
    )
    assert oslo[:3] == (utc(2026, 10, 5, 7), utc(2026, 10, 19, 7), utc(2026, 11, 2, 8))
    assert la[:3] == (utc(2026, 10, 5, 16), utc(2026, 10, 19, 16), utc(2026, 11, 2, 17))
    assert kolkata[:3] == (
        utc(2026, 10, 5, 3, 30),
        utc(2026, 10, 19, 3, 30),
        utc(2026, 11, 2, 3, 30),
    )


def test_a_skipped_hour_is_the_moment_the_clocks_jump_and_a_repeated_one_the_first() -> None:
    from zoneinfo import ZoneInfo

    la, oslo = ZoneInfo("America/Los_Angeles"), ZoneInfo("Europe/Oslo")
    # 8 March 2026: Los Angeles jumps from 02:00 to 03:00. A 02:00 cadence fires at 03:00 PDT.
    assert local_time_in_utc(date(2026, 3, 8), 2, la) == utc(2026, 3, 8, 10)
    assert local_time_in_utc(date(2026, 3, 1), 2, la) == utc(2026, 3, 1, 10)  # 02:00 PST
    assert local_time_in_utc(date(2026, 3, 15), 2, la) == utc(2026, 3, 15, 9)  # 02:00 PDT
    # 25 October 2026: Oslo goes from 03:00 back to 02:00; 02:00 happens twice, the first counts.
    assert local_time_in_utc(date(2026, 10, 25), 2, oslo) == utc(2026, 10, 25, 0)
    weekly_sunday_2am = EffectiveCadence(frequency="weekly", weekday=6, hour=2)
    times = due_times(
        starts_on=date(2026, 10, 18),
        ends_on=date(2026, 11, 1),
        cadence=weekly_sunday_2am,
        zone_name="Europe/Oslo",
    )
    assert times == (utc(2026, 10, 18, 0), utc(2026, 10, 25, 0), utc(2026, 11, 1, 1))


def test_the_spring_change_in_europe() -> None:
    cadence = EffectiveCadence(frequency="weekly", weekday=0, hour=9)
    times = due_times(
        starts_on=date(2026, 3, 23),
        ends_on=date(2026, 4, 6),
        cadence=cadence,
        zone_name="Europe/Oslo",
    )
    # Summer time from 29 March: 09:00 is 08:00 UTC before and 07:00 UTC after.
    assert times == (utc(2026, 3, 23, 8), utc(2026, 3, 30, 7), utc(2026, 4, 6, 7))


class TestExpectedBy:
    """Which due time a check-in counts for."""

    times = due_times(
        starts_on=Q4_START, ends_on=Q4_END, cadence=DEFAULT_CADENCE, zone_name="Europe/Oslo"
    )
    window = DEFAULT_CADENCE.early_window  # three days for every other week
    created = utc(2026, 9, 20)

    def expected(self, checked_in_at: datetime | None) -> datetime | None:
        return expected_by(
            self.times,
            early_window=self.window,
            checked_in_at=checked_in_at,
            created_at=self.created,
        )

    def test_never_checked_in_is_expected_at_the_first_due_time(self) -> None:
        assert self.expected(None) == utc(2026, 10, 5, 7)

    def test_a_late_answer_to_a_reminder_counts_for_that_period(self) -> None:
        # Reminded on Monday 19 Oct at 09:00 local, answered an hour later.
        assert self.expected(utc(2026, 10, 19, 8)) == utc(2026, 11, 2, 8)

    def test_checking_in_on_friday_covers_monday(self) -> None:
        assert self.expected(utc(2026, 10, 16, 14)) == utc(2026, 11, 2, 8)

    def test_checking_in_a_week_early_does_not(self) -> None:
        assert self.expected(utc(2026, 10, 12, 9)) == utc(2026, 10, 19, 7)

    def test_two_check_ins_in_one_period_expect_the_same_next_one(self) -> None:
        assert self.expected(utc(2026, 10, 20, 9)) == self.expected(utc(2026, 10, 26, 9))

    def test_after_the_last_due_time_nothing_more_is_expected(self) -> None:
        assert self.expected(utc(2026, 12, 28, 12)) is None


# Inheritance ---------------------------------------------------------------------------------


def test_a_unit_inherits_the_nearest_ancestors_cadence(org: Org) -> None:
    assert CadenceMap.load().for_unit(org.team.pk) == DEFAULT_CADENCE
    Cadence.objects.create(unit=org.company, frequency="monthly", weekday=2, hour=10)
    Cadence.objects.create(unit=org.function, frequency="weekly", weekday=1, hour=8)
    cadences = CadenceMap.load()
    assert cadences.for_unit(org.team.pk).key == ("weekly", 1, 8)
    assert cadences.for_unit(org.team.pk).source_unit_id == org.function.pk
    assert cadences.for_unit(org.company.pk).key == ("monthly", 2, 10)
    # Units below the function without their own follow it; the company's change would not
    # reach them.
    assert cadences.inheritors(org.function.pk) == {org.function.pk, org.team.pk, org.other_team.pk}
    assert cadences.inheritors(org.company.pk) == {org.company.pk}


def test_changing_a_cadence_moves_due_dates_of_the_units_that_inherit_it(org: Org) -> None:
    with time_machine.travel(utc(2026, 10, 6, 12), tick=False):
        kr = KeyResultFactory(objective=org.objective, owner=org.engineer)
        services.reschedule_units(unit_ids={org.team.pk})
        kr.refresh_from_db()
        assert kr.check_in_due_on == date(2026, 10, 19)  # every other Monday, 5 Oct too soon
        services.cadence_set(
            unit=org.function, frequency="weekly", weekday=2, hour=9, by=org.function_lead
        )
        kr.refresh_from_db()
        # Created "now" (Tuesday 6 Oct): with a weekly cadence's early window of two days,
        # Wednesday 7 Oct is too soon; its first check-in is expected on Wednesday 14 Oct.
        assert kr.check_in_due_on == date(2026, 10, 14)
        services.cadence_clear(unit=org.function, by=org.function_lead)
        kr.refresh_from_db()
        assert kr.check_in_due_on == date(2026, 10, 19)  # back to every other Monday


def test_only_leads_of_the_unit_and_above_set_its_cadence(org: Org) -> None:
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.cadence_set(unit=org.team, frequency="weekly", weekday=0, hour=9, by=org.engineer)
    with pytest.raises(PermissionDenied):
        services.cadence_set(unit=org.function, frequency="weekly", weekday=0, hour=9, by=org.lead)
    services.cadence_set(unit=org.team, frequency="weekly", weekday=0, hour=9, by=org.lead)
    services.cadence_set(unit=org.team, frequency="monthly", weekday=0, hour=9, by=org.leader)
    assert Cadence.objects.get(unit=org.team).frequency == Frequency.MONTHLY


# One team, three time zones, time frozen -----------------------------------------------------


@pytest.fixture
def world_team(db):
    """A team with an engineer in Oslo, one in Los Angeles and one in Kolkata, each owning a key
    result created before the quarter, on the default cadence (every other Monday 09:00)."""
    with time_machine.travel(utc(2026, 9, 15), tick=False):
        company = OrgUnitFactory(name="Halyard", kind="company")
        team = OrgUnitFactory(
            name="Payments", kind="team", parent=OrgUnitFactory(kind="function", parent=company)
        )
        cycle = CycleFactory(name="2026 Q4 world", starts_on=Q4_START, ends_on=Q4_END)
        objective = ObjectiveFactory(unit=team, cycle=cycle)
        people = {}
        for zone in ("Europe/Oslo", "America/Los_Angeles", "Asia/Kolkata"):
            person = UserFactory(time_zone=zone, name=zone.split("/")[1])
            MembershipFactory(user=person, unit=team, role=Membership.Role.MEMBER)
            KeyResultFactory(objective=objective, owner=person)
            people[zone] = person
    return people


def _reminded(now: datetime) -> set[str]:
    with time_machine.travel(now, tick=False):
        report = services.reminders_dispatch()
    return {b.user.time_zone for b in report.new}


def test_each_person_is_reminded_at_nine_in_their_own_zone(world_team) -> None:
    # Monday 5 Oct 2026. Kolkata's 09:00 is 03:30 UTC, Oslo's 07:00 UTC, Los Angeles' 16:00 UTC.
    assert _reminded(utc(2026, 10, 5, 3, 29)) == set()
    assert _reminded(utc(2026, 10, 5, 3, 31)) == {"Asia/Kolkata"}
    assert _reminded(utc(2026, 10, 5, 6, 59)) == set()
    assert _reminded(utc(2026, 10, 5, 7, 1)) == {"Europe/Oslo"}
    assert _reminded(utc(2026, 10, 5, 15, 59)) == set()
    assert _reminded(utc(2026, 10, 5, 16, 1)) == {"America/Los_Angeles"}
    assert _reminded(utc(2026, 10, 5, 23, 0)) == set()  # each once
    assert Reminder.objects.count() == 3
    assert set(Reminder.objects.values_list("due_on", flat=True)) == {date(2026, 10, 5)}


def test_after_the_clocks_change_nine_is_still_nine(world_team) -> None:
    # Nobody checks in; every other Monday each is reminded again, at 09:00 local time,
    # although Oslo (25 Oct) and Los Angeles (1 Nov) have left summer time by 2 Nov.
    for day in (5, 19):
        for hour in range(0, 24):
            _reminded(utc(2026, 10, day, hour, 59))
    assert _reminded(utc(2026, 11, 2, 3, 31)) == {"Asia/Kolkata"}
    assert _reminded(utc(2026, 11, 2, 7, 59)) == set()  # 08:59 in Oslo now
    assert _reminded(utc(2026, 11, 2, 8, 1)) == {"Europe/Oslo"}
    assert _reminded(utc(2026, 11, 2, 16, 59)) == set()  # 08:59 in Los Angeles now
    assert _reminded(utc(2026, 11, 2, 17, 1)) == {"America/Los_Angeles"}
    due_ats = dict(
        Reminder.objects.filter(due_on=date(2026, 11, 2)).values_list("user__time_zone", "due_at")
    )
    assert due_ats == {
        "Asia/Kolkata": utc(2026, 11, 2, 3, 30),
        "Europe/Oslo": utc(2026, 11, 2, 8),
        "America/Los_Angeles": utc(2026, 11, 2, 17),
    }
    # The 19 Oct reminders came out in between, at summer-time instants.
    assert Reminder.objects.filter(due_on=date(2026, 10, 19)).count() == 3
