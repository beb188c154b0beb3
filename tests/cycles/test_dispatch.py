"""The reminder dispatch, the lead digest and `manage.py send_due_reminders`, with time frozen.

People in these tests live in Oslo (the user factory's zone) and their units keep the default
cadence, every other Monday at 09:00: due on Monday 5 October 2026 at 07:00 UTC, then 19 Oct.
"""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from io import StringIO

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import connection

from accounts.models import Membership, OutgoingEmail
from cycles import services
from cycles.models import CheckInSchedule, Reminder, ReminderSettings
from okrs.models import KeyResult
from tests.accounts.factories import MembershipFactory, UserFactory
from tests.conftest import Org
from tests.cycles.helpers import check_in
from tests.okrs.factories import KeyResultFactory, ObjectiveFactory

BEFORE = datetime(2026, 9, 20, 12, tzinfo=UTC)
DUE = datetime(2026, 10, 5, 7, tzinfo=UTC)  # Monday 09:00 in Oslo
NEXT_DUE = datetime(2026, 10, 19, 7, tzinfo=UTC)


def at(moment: datetime):
    return time_machine.travel(moment, tick=False)


def dispatch(moment: datetime, **kwargs) -> services.DispatchReport:
    with at(moment):
        return services.reminders_dispatch(**kwargs)


@pytest.fixture
def team(org: Org):
    """The engineer owns two key results in the team (created before the quarter)."""
    with at(BEFORE):
        second = KeyResultFactory(
            objective=org.objective,
            owner=org.engineer,
            statement="Cut card declines from 4% to 2%",
            baseline_value=Decimal("4"),
            target=Decimal("2"),
        )
        KeyResult.objects.filter(pk=org.key_result.pk).update(created_at=BEFORE)
        org.key_result.refresh_from_db()
    return org, [org.key_result, second]


def test_nobody_is_reminded_before_their_due_time(team) -> None:
    assert dispatch(DUE - timedelta(minutes=1)).new == []
    assert not Reminder.objects.exists()


def test_a_due_person_gets_one_email_bundling_their_key_results(
    team, django_capture_on_commit_callbacks
) -> None:
    org, krs = team
    with django_capture_on_commit_callbacks(execute=True):
        report = dispatch(DUE + timedelta(minutes=2))
    (bundle,) = report.new
    assert bundle.user == org.engineer and bundle.due_on == date(2026, 10, 5)
    reminder = Reminder.objects.get()
    assert (reminder.user, reminder.due_on, reminder.due_at) == (
        org.engineer,
        date(2026, 10, 5),
        DUE,
    )
    assert reminder.window_ends_at == NEXT_DUE  # the link works until the next due time
    assert set(reminder.key_results.all()) == set(krs)
    assert reminder.email.key == f"reminder:{org.engineer.pk}:2026-10-05"
    assert reminder.email.state == OutgoingEmail.State.SENT

    (message,) = mail.outbox
    assert message.to == ["engineer@example.com"]
    assert message.subject == "Check in on your 2 key results"
    parsed = email.message_from_bytes(message.message().as_bytes(), policy=email.policy.default)
    assert parsed["Message-ID"] == reminder.email.message_id
    assert (
        str(parsed["List-Unsubscribe"])
        .strip()
        .startswith("<http://127.0.0.1:8000/reminders/unsubscribe/")
    )
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = parsed.get_body(preferencelist=("plain",)).get_content()
    html = parsed.get_body(preferencelist=("html",)).get_content()
    for body in (text, html):
        assert "Reduce 5xx on payments from 0.8% to 0.2%" in body
        assert "Cut card declines from 4% to 2%" in body
        assert "decrease to 2%" in body  # the target, with its direction
    assert "/check-in/" in text and "/check-in/" in html
    # Times in the person's own zone: the window closes on Monday 19 Oct at 09:00 in Oslo.
    assert "the link works until 19 October, 09:00" in text
    assert "The link works until 19 October, 09:00" in html
    link = next(line for line in text.splitlines() if "/check-in/" in line).strip()
    token = link.rstrip("/").rsplit("/", 1)[1]
    with at(DUE + timedelta(minutes=3)):
        assert services.reminder_for_token(token) == reminder


def test_a_second_dispatch_at_the_same_time_creates_nothing(team) -> None:
    first = dispatch(DUE + timedelta(minutes=2))
    second = dispatch(DUE + timedelta(minutes=2))
    assert len(first.new) == 1 and second.bundles == []
    assert Reminder.objects.count() == OutgoingEmail.objects.count() == 1


def test_the_unique_constraint_holds_even_when_the_schedule_is_replayed(team) -> None:
    """As if a second dispatch had read the schedules before the first moved them on: it finds
    the reminder rows and creates no second reminder or email."""
    dispatch(DUE + timedelta(minutes=2))
    CheckInSchedule.objects.update(remind_at=DUE)
    replay = dispatch(DUE + timedelta(minutes=2))
    assert [b.already_reminded for b in replay.bundles] == [True]
    assert replay.new == []
    assert Reminder.objects.count() == OutgoingEmail.objects.count() == 1


def test_people_who_checked_in_since_get_nothing(team) -> None:
    org, krs = team
    for kr in krs:
        check_in(kr, at=DUE + timedelta(minutes=1))
    assert dispatch(DUE + timedelta(minutes=2)).bundles == []


def test_checking_in_just_before_the_due_time_counts_for_it(team) -> None:
    org, krs = team
    friday = DUE - timedelta(days=2, hours=16)
    for kr in krs:
        check_in(kr, at=friday)
    assert dispatch(DUE + timedelta(minutes=2)).bundles == []
    # Two weeks later it is due again.
    assert len(dispatch(NEXT_DUE + timedelta(minutes=2)).new) == 1


def test_only_the_due_key_results_are_bundled(team) -> None:
    org, (first, second) = team
    check_in(first, at=DUE - timedelta(hours=1))
    dispatch(DUE + timedelta(minutes=2))
    assert list(Reminder.objects.get().key_results.all()) == [second]


def test_an_ignored_reminder_comes_again_at_the_next_due_date_only(team) -> None:
    dispatch(DUE + timedelta(minutes=2))
    for hours in (1, 24, 24 * 13):
        assert dispatch(DUE + timedelta(hours=hours)).bundles == []
    assert len(dispatch(NEXT_DUE + timedelta(minutes=1)).new) == 1
    assert list(Reminder.objects.order_by("due_on").values_list("due_on", flat=True)) == [
        date(2026, 10, 5),
        date(2026, 10, 19),
    ]
    org, krs = team
    krs[0].refresh_from_db()
    # Still stale: expected since 5 October, whatever the reminders did.
    assert krs[0].check_in_due_on == date(2026, 10, 5)


@pytest.mark.parametrize(
    ("state", "paused_until", "reminded"),
    [
        (ReminderSettings.State.OFF, None, False),
        (ReminderSettings.State.PAUSED, date(2026, 10, 5), False),
        (ReminderSettings.State.PAUSED, date(2026, 10, 4), True),  # the pause is over
        (ReminderSettings.State.ON, None, True),
    ],
)
def test_paused_or_off_means_no_reminder(team, state, paused_until, reminded) -> None:
    org, _ = team
    ReminderSettings.objects.create(user=org.engineer, state=state, paused_until=paused_until)
    report = dispatch(DUE + timedelta(minutes=2))
    assert bool(report.new) is reminded
    assert report.skipped_paused == (0 if reminded else 2)


def test_key_results_without_an_active_owner_remind_nobody(team) -> None:
    org, krs = team
    KeyResult.objects.filter(pk=krs[0].pk).update(owner=None)
    org.engineer.is_active = False
    org.engineer.save()
    # The key result nobody owns keeps the organisation's time zone (UTC): due at 09:00 UTC.
    report = dispatch(DUE + timedelta(hours=3))
    assert report.bundles == [] and report.skipped_no_owner == 2


def test_new_key_results_get_their_due_date_from_the_dispatch(org: Org) -> None:
    """KeyResult.check_in_due_on is set for key results that have none yet."""
    with at(BEFORE):
        kr = KeyResultFactory(objective=org.objective, owner=org.engineer)
    assert kr.check_in_due_on is None
    report = dispatch(datetime(2026, 9, 30, tzinfo=UTC))
    assert report.initialised >= 1
    kr.refresh_from_db()
    assert kr.check_in_due_on == date(2026, 10, 5)
    assert CheckInSchedule.objects.get(key_result=kr).remind_at == DUE


def test_a_person_due_in_two_units_gets_one_email_for_the_date(team) -> None:
    org, krs = team
    with at(BEFORE):
        objective = ObjectiveFactory(unit=org.other_team, cycle=org.cycle)
        KeyResultFactory(objective=objective, owner=org.engineer)
    dispatch(DUE + timedelta(minutes=2))
    assert Reminder.objects.get().key_results.count() == 3


def grow(org: Org, n: int) -> None:
    """n more people in the team, each owning three key results, all due at the same time."""
    with at(BEFORE):
        for _ in range(n):
            person = UserFactory()
            MembershipFactory(user=person, unit=org.team, role=Membership.Role.MEMBER)
            for _ in range(3):
                KeyResultFactory(objective=org.objective, owner=person)


# Savepoint; the tree and the cadences; key results without a schedule, their schedules'
# insert and two due-date updates (the org fixture's key result was created on another day
# than the rest: one UPDATE per distinct due date, not per key result); the due schedules with
# key result, owner and settings; which reminders exist; one grouped update moving the
# schedules on; the outbox's existing keys, insert and read-back; the reminders' insert and
# read-back; their key results' insert; release. On PostgreSQL one more: the advisory lock
# that makes concurrent dispatches take turns.
DISPATCH_QUERIES = 17 + (connection.vendor == "postgresql")


@pytest.mark.parametrize("size", [3, 30])
def test_dispatch_costs_the_same_queries_for_3_or_30_people(
    org: Org, size: int, django_assert_num_queries
) -> None:
    grow(org, size)
    with at(DUE + timedelta(minutes=2)), django_assert_num_queries(DISPATCH_QUERIES):
        report = services.reminders_dispatch()
    assert len(report.new) == size


# The command ---------------------------------------------------------------------------------


def test_send_due_reminders_dry_run_prints_who_and_writes_nothing(team) -> None:
    out = StringIO()
    with at(DUE + timedelta(minutes=2)):
        call_command("send_due_reminders", "--dry-run", stdout=out)
    text = out.getvalue()
    assert (
        "would remind: Eli Engineer <engineer@example.com>, due Mon 05 Oct, 2 key result(s)" in text
    )
    assert "1 person would be reminded" in text
    assert not Reminder.objects.exists() and not OutgoingEmail.objects.exists()
    assert not CheckInSchedule.objects.exists()  # not even the schedules


def test_send_due_reminders_runs_the_dispatch_once(
    team, django_capture_on_commit_callbacks
) -> None:
    out = StringIO()
    with at(DUE + timedelta(minutes=2)), django_capture_on_commit_callbacks(execute=True):
        call_command("send_due_reminders", stdout=out)
        call_command("send_due_reminders", stdout=out)
    text = out.getvalue()
    assert text.count("reminded: Eli Engineer") == 1
    assert Reminder.objects.count() == 1 and len(mail.outbox) == 1


# Lead digests --------------------------------------------------------------------------------


def test_each_lead_gets_one_digest_a_day_after_the_due_date(team) -> None:
    org, (first, second) = team
    check_in(
        first, at=DUE + timedelta(hours=2), blocker="Vendor API down", blocker_unit=org.other_team
    )
    with at(BEFORE):
        other = KeyResultFactory(
            objective=ObjectiveFactory(unit=org.other_team, cycle=org.cycle), owner=org.outsider
        )
    check_in(
        other, at=DUE + timedelta(hours=3), blocker="Payments' schema change", blocker_unit=org.team
    )
    with at(DUE + timedelta(hours=23)):
        assert services.lead_digests_dispatch() == []  # too early
    with at(DUE + timedelta(days=1, minutes=2)):
        digests = services.lead_digests_dispatch()
        again = services.lead_digests_dispatch()
    assert again == []
    team_digest = next(d for d in digests if d.unit == org.team)
    assert team_digest.lead == org.lead and team_digest.due_on == date(2026, 10, 5)
    row = OutgoingEmail.objects.get(key=team_digest.key)
    assert row.to == "lead@example.com"
    assert row.subject == "Payments check-ins for 5 Oct: 1 of 2 in, blockers open"
    assert "Cut card declines from 4% to 2% (Eli Engineer)" in row.body_text  # not yet
    assert "Vendor API down (could be unblocked by Search)" in row.body_text
    assert "Other units say Payments could unblock them" in row.body_text
    assert "Payments' schema change" in row.body_text
    assert row.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # Leads of units above get their own unit's digest only (these have no key results).
    assert {d.unit for d in digests} <= {org.team, org.other_team}


def test_a_lead_with_reminders_off_gets_no_digest(team) -> None:
    org, _ = team
    ReminderSettings.objects.create(user=org.lead, state=ReminderSettings.State.OFF)
    with at(DUE + timedelta(days=1, minutes=2)):
        assert [d for d in services.lead_digests_dispatch() if d.lead == org.lead] == []
