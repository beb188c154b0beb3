"""Writes about the quarter: check-ins, cadences, reminder settings, the periodic dispatch of
reminders and lead digests; phases and the next cycle; scores, retrospectives and the reminders
for key results whose measurement window ends after their quarter.

Every function is keyword-only and typed, validates, runs in one transaction, checks the actor's
permission (`by`; None means an operator's command, which has full authority) and enqueues email
only through the outbox, which sends after commit.

The key result's denormalised check-in fields (current_value, confidence, checked_in_at,
blocker, blocker_unit, check_in_due_on) are written here, in the check-in's own transaction, and
nowhere else: okrs' pages and the alignment tree read them without touching check-ins.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, OrgUnit, User
from accounts.rules import require_perm
from accounts.services import EmailSpec, absolute_url, email_queue, email_queue_many
from cycles.cadence import (
    EffectiveCadence,
    due_times,
    expected_by,
    first_after,
    latest_at_or_before,
    local_date,
    local_time_in_utc,
)
from cycles.models import (
    Cadence,
    CadenceMap,
    CheckIn,
    CheckInSchedule,
    Cycle,
    PhaseChange,
    Reminder,
    ReminderSettings,
    RetroAction,
    RetroMark,
    Retrospective,
    Score,
)
from cycles.scoring import SCORES, Suggestion, suggest
from okrs.models import KeyResult
from okrs.services import metric_record_measurement

log = logging.getLogger(__name__)

# Check-ins are recorded while the quarter runs and during scoring (final values).
CHECK_IN_PHASES = (Cycle.Phase.RUNNING, Cycle.Phase.SCORING)
# Reminders and digests only while it runs.
REMINDER_PHASE = Cycle.Phase.RUNNING

LINK_SALT = "cycles.reminder-link"
UNSUBSCRIBE_SALT = "cycles.unsubscribe"
# The link works until its check-in window closes (Reminder.window_ends_at); this is only a
# backstop on the signature itself.
LINK_MAX_AGE = timedelta(days=62)
# A digest for a due date goes out a day after it (people answer their reminder in the
# meantime), and not at all when the dispatch was down for more than two more days.
DIGEST_DELAY = timedelta(days=1)
DIGEST_GIVE_UP_AFTER = timedelta(days=2)


def zone_name_of(user: User | None) -> str:
    """A person's time zone; the organisation's for key results nobody owns."""
    return user.time_zone if user is not None and user.time_zone else settings.TIME_ZONE


def key_result_due_times(
    kr: KeyResult, cadences: CadenceMap
) -> tuple[EffectiveCadence, tuple[datetime, ...]]:
    """The key result's cadence and its due times this cycle, in its owner's zone.
    Expects kr.objective.cycle and kr.owner loaded."""
    cycle = kr.objective.cycle
    cadence = cadences.for_unit(kr.objective.unit_id)
    times = due_times(
        starts_on=cycle.starts_on,
        ends_on=cycle.ends_on,
        cadence=cadence,
        zone_name=zone_name_of(kr.owner),
    )
    return cadence, times


@dataclass(frozen=True)
class DueState:
    """Where a key result stands against its cadence right now."""

    period_due_at: datetime | None  # the current period's due time (latest at or before now)
    expected_at: datetime | None  # when the next check-in is expected (None: not this cycle)
    next_due_at: datetime | None  # the next due time after now
    zone_name: str
    checked_in_for_period: bool = False  # a check-in counts for the current period

    def is_due(self, now: datetime) -> bool:
        """No check-in since the current period's due time (early window allowed)."""
        return self.expected_at is not None and self.expected_at <= now

    def status(self, now: datetime) -> str:
        """ "due", "done" (checked in for this period) or "not-due" (no period has begun, or the
        key result is newer than it)."""
        if self.is_due(now):
            return "due"
        return "done" if self.checked_in_for_period else "not-due"

    @property
    def expected_on(self) -> date | None:
        return local_date(self.expected_at, self.zone_name) if self.expected_at else None


def due_state(kr: KeyResult, cadences: CadenceMap, now: datetime) -> DueState:
    cadence, times = key_result_due_times(kr, cadences)
    period = latest_at_or_before(times, now)
    return DueState(
        period_due_at=period,
        checked_in_for_period=bool(
            period and kr.checked_in_at and kr.checked_in_at >= period - cadence.early_window
        ),
        expected_at=expected_by(
            times,
            early_window=cadence.early_window,
            checked_in_at=kr.checked_in_at,
            created_at=kr.created_at,
        ),
        next_due_at=first_after(times, now),
        zone_name=zone_name_of(kr.owner),
    )


# Check-ins -----------------------------------------------------------------------------------


def is_delayed(kr: KeyResult) -> bool:
    """Delayed payback: its measurement window ends after its quarter. Expects the cycle."""
    return bool(kr.measurement_ends_on and kr.measurement_ends_on > kr.objective.cycle.ends_on)


def check_in_open(kr: KeyResult) -> bool:
    """Whether check-ins on this key result are recorded now: while its quarter runs and
    during scoring, and for a delayed-payback key result, after that too until it is scored
    (its final value is measured when its window ends). Expects the objective's cycle."""
    cycle = kr.objective.cycle
    if cycle.phase in CHECK_IN_PHASES:
        return True
    return cycle.phase != Cycle.Phase.SETTING and is_delayed(kr) and kr.score is None


def _validate_check_in(
    *,
    kr: KeyResult,
    confidence: int,
    what_changed: str,
    blocker: str,
    blocker_unit: OrgUnit | None,
    corrects: CheckIn | None,
) -> None:
    errors: dict[str, str] = {}
    if not check_in_open(kr):
        raise ValidationError(
            f"{kr.objective.cycle} is in its {kr.objective.cycle.get_phase_display().lower()} "
            "phase: check-ins are recorded while the quarter runs and during scoring."
        )
    if corrects is not None:
        if not what_changed.strip():
            errors["what_changed"] = "Say what was wrong in the check-in you are correcting."
    elif (
        kr.confidence is not None
        and confidence is not None
        and confidence != kr.confidence
        and not what_changed.strip()
    ):
        errors["what_changed"] = (
            f"Your confidence moved from {kr.confidence} to {confidence}: say what changed."
        )
    if blocker_unit is not None and not blocker.strip():
        errors["blocker"] = "Say what blocks it before naming who could unblock it."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def check_in_create(
    *,
    key_result: KeyResult,
    by: User | None,
    confidence: int,
    value: Decimal,
    what_changed: str = "",
    blocker: str = "",
    blocker_unit: OrgUnit | None = None,
    corrects: CheckIn | None = None,
    via: str = CheckIn.Via.WEB,
    at: datetime | None = None,
    author: User | None = None,
    notify: bool = True,
) -> CheckIn:
    """Record a check-in and make it the key result's current state.

    Only the owner and leads of the key result's unit (or above) check in. A changed confidence
    needs `what_changed`. In the same transaction: the key result's current value, confidence,
    blocker and check-in time become this check-in's, the next due date moves on (the schedule
    and KeyResult.check_in_due_on), the metric remembers the value, and a newly named blocking
    unit's leads get an email after commit.

    `at`, `author` and `notify` are for operators' commands (`by=None`): the demo data
    backdates check-ins and tells nobody about blockers raised weeks ago.
    """
    require_perm(
        by,
        "cycles.check_in",
        key_result,
        "Only the key result's owner and the leads of its unit check in on it.",
    )
    if (at is not None or not notify) and by is not None:
        raise PermissionDenied("Only operators' commands backdate check-ins or stay silent.")
    now = at or timezone.now()
    # Lock the key result: two check-ins on it serialise, so "latest" is well defined and the
    # confidence comparison reads the value the other one wrote.
    kr = (
        KeyResult.objects.select_for_update(of=("self",))
        .select_related("objective__cycle", "owner", "metric")
        .get(pk=key_result.pk)
    )
    what_changed, blocker = what_changed.strip(), blocker.strip()
    if corrects is not None:
        if corrects.key_result_id != kr.pk:
            raise ValidationError("A correction belongs to the same key result.")
        latest = kr.check_ins.order_by("-created_at", "-pk").first()
        if latest is None or latest.pk != corrects.pk:
            raise ValidationError(
                "Only the latest check-in can be corrected; record a new check-in instead."
            )
    _validate_check_in(
        kr=kr,
        confidence=confidence,
        what_changed=what_changed,
        blocker=blocker,
        blocker_unit=blocker_unit,
        corrects=corrects,
    )
    check_in = CheckIn(
        key_result=kr,
        author=by or author or kr.owner,
        created_at=now,
        confidence=confidence,
        value=value,
        what_changed=what_changed,
        blocker=blocker,
        blocker_unit=blocker_unit,
        corrects=corrects,
        via=via,
    )
    # Field validation (ranges, lengths, decimals). Not the foreign keys' existence (the rows
    # are in hand) nor the check constraints, which would cost a query each: the rules they
    # state were checked above and the database enforces them anyway.
    check_in.full_clean(
        exclude=["key_result", "author", "blocker_unit", "corrects"], validate_constraints=False
    )
    check_in.save()

    previous_blocker = (kr.blocker, kr.blocker_unit_id)
    cadences = CadenceMap.load()
    cadence, times = key_result_due_times(kr, cadences)
    expected = expected_by(
        times, early_window=cadence.early_window, checked_in_at=now, created_at=kr.created_at
    )
    zone = zone_name_of(kr.owner)
    KeyResult.objects.filter(pk=kr.pk).update(
        current_value=value,
        confidence=confidence,
        checked_in_at=now,
        blocker=blocker,
        blocker_unit=blocker_unit,
        check_in_due_on=local_date(expected, zone) if expected else None,
    )
    # The key result is locked, so nobody else creates its schedule between these two.
    if not CheckInSchedule.objects.filter(key_result_id=kr.pk).update(
        due_at=expected, remind_at=expected
    ):
        CheckInSchedule.objects.create(key_result_id=kr.pk, due_at=expected, remind_at=expected)
    if kr.metric_id is not None:
        metric_record_measurement(metric=kr.metric, value=value, measured_on=local_date(now, zone))
    if (
        notify
        and blocker
        and blocker_unit is not None
        and previous_blocker != (blocker, blocker_unit.pk)
    ):
        _notify_blocking_unit(check_in=check_in, kr=kr, unit=blocker_unit)
    return check_in


def check_in_correct(
    *,
    original: CheckIn,
    by: User | None,
    confidence: int,
    value: Decimal,
    what_changed: str,
    blocker: str = "",
    blocker_unit: OrgUnit | None = None,
    via: str = CheckIn.Via.WEB,
) -> CheckIn:
    """Correct the latest check-in: a new check-in that says which one it replaces (the
    original stays in the history, marked as corrected). `what_changed` says what was wrong."""
    return check_in_create(
        key_result=original.key_result,
        by=by,
        confidence=confidence,
        value=value,
        what_changed=what_changed,
        blocker=blocker,
        blocker_unit=blocker_unit,
        corrects=original,
        via=via,
    )


def _notify_blocking_unit(*, check_in: CheckIn, kr: KeyResult, unit: OrgUnit) -> None:
    """Tell the leads of the unit named as able to unblock a key result."""
    leads = User.objects.filter(
        memberships__unit=unit, memberships__role=Membership.Role.LEAD, is_active=True
    ).exclude(pk=check_in.author_id)
    for lead in leads:
        email_queue(
            key=f"blocker:{check_in.pk}:{lead.pk}",
            to=lead.email,
            user=lead,
            template="blocker",
            context={
                "lead": lead,
                "unit": unit,
                "key_result": kr,
                "objective": kr.objective,
                "from_unit": kr.objective.unit,
                "check_in": check_in,
                "author": check_in.author,
                "key_result_url": absolute_url(reverse("cycles:key-result-detail", args=[kr.pk])),
                "coverage_url": absolute_url(reverse("cycles:unit-check-ins", args=[unit.pk])),
            },
        )


def key_results_sync_from_check_ins(*, key_result_ids: Iterable[int]) -> int:
    """Make these key results' denormalised fields their latest check-in's again (after an
    import overwrote current value or confidence). Returns how many changed."""
    changed = 0
    ids = list(key_result_ids)
    latest: dict[int, CheckIn] = {}
    for ci in CheckIn.objects.filter(key_result_id__in=ids).order_by(
        "key_result_id", "created_at", "pk"
    ):
        latest[ci.key_result_id] = ci
    for kr in KeyResult.objects.filter(pk__in=latest):
        ci = latest[kr.pk]
        wanted = (ci.value, ci.confidence, ci.created_at, ci.blocker, ci.blocker_unit_id)
        have = (kr.current_value, kr.confidence, kr.checked_in_at, kr.blocker, kr.blocker_unit_id)
        if wanted != have:
            KeyResult.objects.filter(pk=kr.pk).update(
                current_value=ci.value,
                confidence=ci.confidence,
                checked_in_at=ci.created_at,
                blocker=ci.blocker,
                blocker_unit_id=ci.blocker_unit_id,
            )
            changed += 1
    return changed


# Cadences ------------------------------------------------------------------------------------


@transaction.atomic
def cadence_set(
    *, unit: OrgUnit, frequency: str, weekday: int, hour: int, by: User | None
) -> Cadence:
    """Give a unit its own cadence (its sub-units without their own inherit it). The running
    cycle's due dates of every affected key result move at once. Sends no email by itself."""
    require_perm(by, "cycles.edit_cadence", unit, "Only leads of this unit set its cadence.")
    cadence = Cadence.objects.filter(unit=unit).first() or Cadence(unit=unit)
    cadence.frequency, cadence.weekday, cadence.hour = frequency, weekday, hour
    cadence.updated_by = by
    cadence.full_clean()
    cadence.save()
    reschedule_units(unit_ids=CadenceMap.load().inheritors(unit.pk))
    return cadence


@transaction.atomic
def cadence_clear(*, unit: OrgUnit, by: User | None) -> None:
    """The unit inherits its parent's cadence again."""
    require_perm(by, "cycles.edit_cadence", unit, "Only leads of this unit set its cadence.")
    Cadence.objects.filter(unit=unit).delete()
    reschedule_units(unit_ids=CadenceMap.load().inheritors(unit.pk))


def reschedule_units(*, unit_ids: set[int], now: datetime | None = None) -> int:
    """Recompute the due dates of the running cycle's key results in these units.

    A key result already overdue keeps its due date (it stays stale) but is next considered for
    a reminder at the new cadence's next due time, so a cadence change never mails anyone by
    itself. Grouped updates: the query count follows the number of distinct due times, not
    the number of key results.
    """
    now = now or timezone.now()
    krs = list(
        KeyResult.objects.filter(
            objective__unit_id__in=unit_ids, objective__cycle__phase=REMINDER_PHASE
        ).select_related("objective__cycle", "owner")
    )
    cadences = CadenceMap.load()
    plan = [(kr, due_state(kr, cadences, now)) for kr in krs]
    _write_schedules(
        [
            (kr, state.expected_at, state.next_due_at if state.is_due(now) else state.expected_at)
            for kr, state in plan
        ],
        create_missing=True,
    )
    return len(plan)


def _write_schedules(
    rows: list[tuple[KeyResult, datetime | None, datetime | None]],
    *,
    create_missing: bool,
    existing: set[int] | None = None,
) -> None:
    """Store (key result, expected_at, remind_at) and KeyResult.check_in_due_on, grouped by
    value so that thousands of key results sharing a due time cost one UPDATE. `existing`:
    the key results known to have a schedule (looked up when not given)."""
    if not rows:
        return
    if existing is None:
        existing = set(
            CheckInSchedule.objects.filter(
                key_result_id__in=[kr.pk for kr, _, _ in rows]
            ).values_list("key_result_id", flat=True)
        )
    by_times: dict[tuple[datetime | None, datetime | None], list[int]] = defaultdict(list)
    by_due_on: dict[date | None, list[int]] = defaultdict(list)
    new: list[CheckInSchedule] = []
    for kr, expected, remind in rows:
        if kr.pk in existing:
            by_times[(expected, remind)].append(kr.pk)
        elif create_missing:
            new.append(CheckInSchedule(key_result_id=kr.pk, due_at=expected, remind_at=remind))
        due_on = local_date(expected, zone_name_of(kr.owner)) if expected else None
        if kr.check_in_due_on != due_on:
            by_due_on[due_on].append(kr.pk)
            kr.check_in_due_on = due_on
    if new:
        CheckInSchedule.objects.bulk_create(new, ignore_conflicts=True)
    for (expected, remind), ids in by_times.items():
        CheckInSchedule.objects.filter(key_result_id__in=ids).update(
            due_at=expected, remind_at=remind
        )
    for due_on, ids in by_due_on.items():
        KeyResult.objects.filter(pk__in=ids).update(check_in_due_on=due_on)


# Reminder settings ---------------------------------------------------------------------------


@transaction.atomic
def reminder_settings_set(
    *, user: User, state: str, paused_until: date | None = None
) -> ReminderSettings:
    """A person turns their reminders on, pauses them until a date, or turns them off."""
    if state != ReminderSettings.State.PAUSED:
        paused_until = None
    elif paused_until is None:
        raise ValidationError({"paused_until": "Choose the date the pause ends."})
    elif paused_until < timezone.localdate(timezone=user.zone):
        raise ValidationError({"paused_until": "Choose a date from today on."})
    row = ReminderSettings.objects.filter(user=user).first() or ReminderSettings(user=user)
    row.state, row.paused_until = state, paused_until
    row.full_clean()
    row.save()
    return row


# Signed links --------------------------------------------------------------------------------


def reminder_link_token(*, user_id: int, due_on: date) -> str:
    """The token in a reminder email's link: signed, bound to the person and that reminder
    (a person has one reminder per due date)."""
    return signing.dumps({"u": user_id, "d": due_on.isoformat()}, salt=LINK_SALT)


class LinkProblem(Exception):
    """Why a reminder link does not work: `expired` (410) or not (400)."""

    def __init__(self, message: str, *, expired: bool = False) -> None:
        super().__init__(message)
        self.expired = expired


def reminder_for_token(token: str, *, now: datetime | None = None) -> Reminder:
    """The reminder a link names, if the link is genuine, unexpired and its person active.

    Raises LinkProblem otherwise, saying why in words a person can act on, without revealing
    whose link it was.
    """
    now = now or timezone.now()
    try:
        payload = signing.loads(token, salt=LINK_SALT, max_age=int(LINK_MAX_AGE.total_seconds()))
    except signing.SignatureExpired as exc:
        raise LinkProblem("This check-in link has expired.", expired=True) from exc
    except signing.BadSignature as exc:
        raise LinkProblem("This check-in link is not valid: it may have been cut short.") from exc
    try:
        user_id, due_on = int(payload["u"]), date.fromisoformat(payload["d"])
    except (KeyError, TypeError, ValueError) as exc:
        raise LinkProblem("This check-in link is not valid.") from exc
    reminder = (
        Reminder.objects.select_related("user", "cycle")
        .filter(user_id=user_id, due_on=due_on, user__is_active=True)
        .first()
    )
    if reminder is None:
        raise LinkProblem("This check-in link is not valid.")
    if now >= reminder.window_ends_at:
        raise LinkProblem(
            "This check-in link has expired: its check-in window closed on "
            f"{_day_month(timezone.localtime(reminder.window_ends_at, reminder.user.zone))}.",
            expired=True,
        )
    return reminder


def _day_month(moment: datetime) -> str:
    return f"{moment.day} {moment:%B}"


def unsubscribe_token(*, user_id: int) -> str:
    return signing.dumps({"u": user_id}, salt=UNSUBSCRIBE_SALT)


def user_for_unsubscribe_token(token: str) -> User | None:
    """The person an unsubscribe link names. It never expires: RFC 8058 one-click unsubscribe
    must work however old the email."""
    try:
        payload = signing.loads(token, salt=UNSUBSCRIBE_SALT)
        return User.objects.filter(pk=int(payload["u"]), is_active=True).first()
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


def unsubscribe_headers(user_id: int) -> dict[str, str]:
    url = absolute_url(reverse("cycles:unsubscribe", args=[unsubscribe_token(user_id=user_id)]))
    return {
        "List-Unsubscribe": f"<{url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


# Reminder dispatch ---------------------------------------------------------------------------


@dataclass
class DueBundle:
    """One person's due key results for one due date: one reminder, one email."""

    user: User
    cycle: Cycle
    due_on: date
    due_at: datetime
    window_ends_at: datetime
    key_results: list[KeyResult] = field(default_factory=list)
    already_reminded: bool = False


@dataclass
class DispatchReport:
    bundles: list[DueBundle]
    initialised: int = 0
    skipped_paused: int = 0
    skipped_no_owner: int = 0

    @property
    def new(self) -> list[DueBundle]:
        return [b for b in self.bundles if not b.already_reminded]


def reminders_dispatch(*, now: datetime | None = None, dry_run: bool = False) -> DispatchReport:
    """Remind everyone whose due time has come and who has key results with no check-in since.

    In a fixed number of queries however many people are due (the query count grows only with
    the number of distinct due times being written, which follows time zones and cadences, not
    people):
    1. key results of running cycles with no schedule yet get one (their first due date);
    2. schedules whose `remind_at` has passed are locked (SKIP LOCKED: a concurrent dispatch
       takes other rows or none) with their key result, owner and the owner's settings;
    3. in memory, each is judged against its cadence in its owner's zone: due (no check-in since
       the period's due time, early window allowed) and the owner wants reminders -> into the
       owner's bundle for that due date; either way its `remind_at` moves to the next due time;
    4. one Reminder + one outbox row per (person, due date) under their unique constraints,
       bulk-inserted; each email is sent after commit.
    A second dispatch at the same moment finds the rows moved on, or locked, or (should both
    get that far) the unique constraints: it creates nothing.

    dry_run: compute and report, write nothing.
    """
    now = now or timezone.now()
    with transaction.atomic():
        _serialise("quarterdeck.reminders_dispatch")
        report = _dispatch(now, write=not dry_run)
        if dry_run:
            transaction.set_rollback(True)
    return report


def _serialise(name: str) -> None:
    """One dispatch at a time, across processes and machines.

    Row locks alone are not enough: two dispatches starting together split the due key results
    between them (SKIP LOCKED), so each would bundle part of a person's key results, and the
    unique constraint would keep only one of the two emails: one email, but not all its key
    results. A transaction-level advisory lock on PostgreSQL makes the second wait for the
    first to commit, after which it finds nothing due. SQLite's IMMEDIATE transactions already
    serialise writers.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [name])


def _owner_settings(owner: User) -> tuple[str | None, date | None]:
    try:
        row = owner.reminder_settings
    except ObjectDoesNotExist:
        return None, None
    return row.state, row.paused_until


def _dispatch(now: datetime, *, write: bool) -> DispatchReport:
    report = DispatchReport(bundles=[])
    cadences = CadenceMap.load()

    # 1. Key results that have no schedule yet (new this cycle, or the cycle just started).
    fresh = list(
        KeyResult.objects.filter(
            objective__cycle__phase=REMINDER_PHASE, check_in_schedule__isnull=True
        )
        .select_related("objective__cycle", "objective__unit", "owner__reminder_settings")
        .select_for_update(skip_locked=True, of=("self",))
    )
    fresh_plan = [(kr, due_state(kr, cadences, now)) for kr in fresh]
    report.initialised = len(fresh)
    if write and fresh_plan:
        _write_schedules(
            [(kr, state.expected_at, state.expected_at) for kr, state in fresh_plan],
            create_missing=True,
            existing=set(),  # the query above chose key results without one
        )

    # 2. Schedules whose time has come.
    schedules = list(
        CheckInSchedule.objects.filter(
            remind_at__lte=now, key_result__objective__cycle__phase=REMINDER_PHASE
        )
        .select_related(
            "key_result__objective__cycle",
            "key_result__objective__unit",
            "key_result__owner__reminder_settings",
        )
        .select_for_update(skip_locked=True, of=("self",))
    )
    candidates = {
        s.key_result_id: (s.key_result, due_state(s.key_result, cadences, now)) for s in schedules
    }
    if not write:
        # A fresh key result already past its first due time is due now too; when writing,
        # the schedule just stored for it came back in the query above.
        for kr, state in fresh_plan:
            if state.is_due(now):
                candidates.setdefault(kr.pk, (kr, state))

    # 3. Judge each in memory.
    moves: list[tuple[KeyResult, datetime | None, datetime | None]] = []
    bundles: dict[tuple[int, date], DueBundle] = {}
    for kr, state in candidates.values():
        due = state.is_due(now)
        moves.append((kr, state.expected_at, state.next_due_at if due else state.expected_at))
        if not due or state.period_due_at is None:
            continue
        owner = kr.owner
        if owner is None or not owner.is_active:
            report.skipped_no_owner += 1
            continue
        today = local_date(now, state.zone_name)
        if not ReminderSettings.allows(*_owner_settings(owner), today):
            report.skipped_paused += 1
            continue
        due_on = local_date(state.period_due_at, state.zone_name)
        cycle = kr.objective.cycle
        window_ends_at = state.next_due_at or local_time_in_utc(
            cycle.ends_on + timedelta(days=1), 0, owner.zone
        )
        bundle = bundles.get((owner.pk, due_on))
        if bundle is None:
            bundle = bundles[(owner.pk, due_on)] = DueBundle(
                user=owner,
                cycle=cycle,
                due_on=due_on,
                due_at=state.period_due_at,
                window_ends_at=window_ends_at,
            )
        bundle.window_ends_at = min(bundle.window_ends_at, window_ends_at)
        bundle.key_results.append(kr)

    if bundles:
        existing = set(
            Reminder.objects.filter(
                user_id__in={u for u, _ in bundles}, due_on__in={d for _, d in bundles}
            ).values_list("user_id", "due_on")
        )
        for key, bundle in bundles.items():
            bundle.already_reminded = key in existing
    report.bundles = sorted(bundles.values(), key=lambda b: (b.user.name, b.user.email, b.due_on))
    if write:
        _write_schedules(moves, create_missing=False, existing=set(candidates))
        _create_reminders(report.new)
    return report


def _reminder_context(bundle: DueBundle) -> dict[str, Any]:
    token = reminder_link_token(user_id=bundle.user.pk, due_on=bundle.due_on)
    zone = bundle.user.zone
    key_results = sorted(
        bundle.key_results, key=lambda kr: (kr.objective.unit.name, kr.order, kr.pk)
    )
    return {
        "user": bundle.user,
        "due_on": bundle.due_on,
        "window_ends_at": timezone.localtime(bundle.window_ends_at, zone),
        "key_results": [
            {
                "kr": kr,
                "unit": kr.objective.unit.name,
                "progress": kr.progress(),
                "last_check_in": timezone.localtime(kr.checked_in_at, zone)
                if kr.checked_in_at
                else None,
            }
            for kr in key_results
        ],
        "url": absolute_url(reverse("cycles:reminder-link", args=[token])),
        "settings_url": absolute_url(reverse("cycles:reminder-settings")),
        "unsubscribe_url": absolute_url(
            reverse("cycles:unsubscribe", args=[unsubscribe_token(user_id=bundle.user.pk)])
        ),
    }


def _create_reminders(bundles: list[DueBundle]) -> None:
    """Outbox rows, then Reminder rows pointing at them, then which key results each bundles:
    three bulk inserts and two reads, whatever the number of people."""
    if not bundles:
        return
    specs = []
    for bundle in bundles:
        specs.append(
            EmailSpec(
                key=Reminder.outbox_key(bundle.user.pk, bundle.due_on),
                to=bundle.user.email,
                template="reminder",
                context=_reminder_context(bundle),
                user_id=bundle.user.pk,
                headers=unsubscribe_headers(bundle.user.pk),
            )
        )
    emails = email_queue_many(specs)
    Reminder.objects.bulk_create(
        [
            Reminder(
                user_id=bundle.user.pk,
                cycle_id=bundle.cycle.pk,
                due_on=bundle.due_on,
                due_at=bundle.due_at,
                window_ends_at=bundle.window_ends_at,
                email_id=emails[spec.key].pk,
            )
            for bundle, spec in zip(bundles, specs, strict=True)
        ],
        # Should a concurrent dispatch get here first, its row stands and ours is dropped.
        ignore_conflicts=True,
    )
    by_email = dict(
        Reminder.objects.filter(email_id__in=[e.pk for e in emails.values()]).values_list(
            "email_id", "id"
        )
    )
    through = Reminder.key_results.through
    links = []
    for bundle, spec in zip(bundles, specs, strict=True):
        reminder_id = by_email.get(emails[spec.key].pk)
        if reminder_id is None:
            continue
        links += [through(reminder_id=reminder_id, keyresult_id=kr.pk) for kr in bundle.key_results]
    through.objects.bulk_create(links, ignore_conflicts=True)
    log.info("Reminder dispatch queued %s reminder(s)", len(bundles))


# Lead digests --------------------------------------------------------------------------------


@dataclass
class DigestRow:
    key_result: KeyResult
    checked_in: bool


@dataclass
class Digest:
    lead: User
    unit: OrgUnit
    due_on: date
    rows: list[DigestRow] = field(default_factory=list)
    blockers_here: list[KeyResult] = field(default_factory=list)
    blockers_naming: list[KeyResult] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"digest:{self.unit.pk}:{self.lead.pk}:{self.due_on.isoformat()}"


def lead_digests_dispatch(*, now: datetime | None = None, dry_run: bool = False) -> list[Digest]:
    """One digest per lead per unit per due date, a day after the due date: who has checked in
    for that period and who has not, the unit's open blockers and blockers other units name it
    for. Idempotent through the outbox key. A fixed number of queries."""
    now = now or timezone.now()
    with transaction.atomic():
        _serialise("quarterdeck.lead_digests_dispatch")
        digests = _lead_digests(now)
        if digests and not dry_run:
            email_queue_many(
                [
                    EmailSpec(
                        key=d.key,
                        to=d.lead.email,
                        template="lead_digest",
                        context=_digest_context(d),
                        user_id=d.lead.pk,
                        headers=unsubscribe_headers(d.lead.pk),
                    )
                    for d in digests
                ]
            )
    return digests


def _lead_digests(now: datetime) -> list[Digest]:
    from accounts.models import OutgoingEmail  # the outbox keys are the digests' memory

    leads = list(
        Membership.objects.filter(
            role=Membership.Role.LEAD,
            user__is_active=True,
            unit__objectives__cycle__phase=REMINDER_PHASE,
        )
        .select_related("user__reminder_settings", "unit")
        .distinct()
    )
    cycles = {c.pk: c for c in Cycle.objects.filter(phase=REMINDER_PHASE)}
    if not leads or not cycles:
        return []
    cadences = CadenceMap.load()
    candidates: list[Digest] = []
    for m in leads:
        zone = m.user.time_zone
        if not ReminderSettings.allows(*_owner_settings(m.user), local_date(now, zone)):
            continue
        cadence = cadences.for_unit(m.unit_id)
        for cycle in cycles.values():
            times = due_times(
                starts_on=cycle.starts_on, ends_on=cycle.ends_on, cadence=cadence, zone_name=zone
            )
            digest_due = latest_at_or_before(tuple(t + DIGEST_DELAY for t in times), now)
            if digest_due is None or now - digest_due > DIGEST_GIVE_UP_AFTER:
                continue
            candidates.append(
                Digest(lead=m.user, unit=m.unit, due_on=local_date(digest_due - DIGEST_DELAY, zone))
            )
    if not candidates:
        return []
    sent = set(
        OutgoingEmail.objects.filter(key__in=[d.key for d in candidates]).values_list(
            "key", flat=True
        )
    )
    digests = [d for d in candidates if d.key not in sent]
    if not digests:
        return []
    unit_ids = {d.unit.pk for d in digests}
    krs = list(
        KeyResult.objects.filter(
            objective__unit_id__in=unit_ids, objective__cycle__phase=REMINDER_PHASE
        )
        .select_related("objective__cycle", "objective__unit", "owner", "blocker_unit")
        .order_by("objective__order", "objective_id", "order", "pk")
    )
    naming = list(
        KeyResult.objects.filter(
            blocker_unit_id__in=unit_ids, objective__cycle__phase=REMINDER_PHASE
        )
        .exclude(blocker="")
        .select_related("objective__unit", "owner")
    )
    for digest in digests:
        for kr in krs:
            if kr.objective.unit_id != digest.unit.pk:
                continue
            cadence, times = key_result_due_times(kr, cadences)
            zone = zone_name_of(kr.owner)
            period = next((t for t in times if local_date(t, zone) == digest.due_on), None)
            if period is None:
                period = latest_at_or_before(times, now)
            checked = bool(
                kr.checked_in_at and period and kr.checked_in_at >= period - cadence.early_window
            )
            digest.rows.append(DigestRow(key_result=kr, checked_in=checked))
            if kr.blocker:
                digest.blockers_here.append(kr)
        digest.blockers_naming = [
            kr
            for kr in naming
            if kr.blocker_unit_id == digest.unit.pk and kr.objective.unit_id != digest.unit.pk
        ]
    return [d for d in digests if d.rows]


def _digest_context(digest: Digest) -> dict[str, Any]:
    done = [r for r in digest.rows if r.checked_in]
    missing = [r for r in digest.rows if not r.checked_in]
    return {
        "digest": digest,
        "lead": digest.lead,
        "unit": digest.unit,
        "due_on": digest.due_on,
        "done": done,
        "missing": missing,
        "total": len(digest.rows),
        "coverage_url": absolute_url(reverse("cycles:unit-check-ins", args=[digest.unit.pk])),
        "settings_url": absolute_url(reverse("cycles:reminder-settings")),
    }


# Phases and cycles ---------------------------------------------------------------------------


def _lock_cycle(cycle: Cycle) -> Cycle:
    return Cycle.objects.select_for_update().get(pk=cycle.pk)


@transaction.atomic
def cycle_set_phase(*, cycle: Cycle, phase: str, by: User | None, hold: bool = False) -> Cycle:
    """An org admin moves a cycle to a phase, forward or back.

    Moving it back always holds it there (otherwise the daily schedule would move it straight
    forward again); moving it forward holds it only when asked. A held cycle is left alone by
    the schedule until an admin releases it (cycle_release_hold). Every move is logged.
    """
    require_perm(by, "cycles.manage_cycles", None, "Only org admins change a cycle's phase.")
    if phase not in Cycle.Phase.values:
        raise ValidationError({"phase": f"“{phase}” is not a phase."})
    locked = _lock_cycle(cycle)
    backwards = Cycle.phase_index(phase) < Cycle.phase_index(locked.phase)
    held = hold or backwards
    if phase == locked.phase and held == locked.phase_held:
        return locked
    if phase != locked.phase:
        PhaseChange.objects.create(
            cycle=locked, from_phase=locked.phase, to_phase=phase, held=held, by=by
        )
    locked.phase, locked.phase_held = phase, held
    locked.save(update_fields=["phase", "phase_held"])
    return locked


@transaction.atomic
def cycle_release_hold(*, cycle: Cycle, by: User | None, today: date | None = None) -> Cycle:
    """Let the schedule move the cycle again; it catches up with its dates at once (never
    backwards)."""
    require_perm(by, "cycles.manage_cycles", None, "Only org admins release a held phase.")
    locked = _lock_cycle(cycle)
    locked.phase_held = False
    locked.save(update_fields=["phase_held"])
    _advance_by_schedule(locked, today or timezone.localdate())
    return locked


def _advance_by_schedule(cycle: Cycle, today: date) -> PhaseChange | None:
    scheduled = cycle.scheduled_phase(today)
    if cycle.phase_held or Cycle.phase_index(scheduled) <= Cycle.phase_index(cycle.phase):
        return None
    change = PhaseChange.objects.create(cycle=cycle, from_phase=cycle.phase, to_phase=scheduled)
    cycle.phase = scheduled
    cycle.save(update_fields=["phase"])
    return change


def cycles_advance_by_schedule(*, today: date | None = None) -> list[PhaseChange]:
    """The daily job: move every cycle that is not held forward to the phase its dates give
    for today; never backwards, never a held cycle. Idempotent: a second run the same day
    changes nothing. Returns the changes made."""
    today = today or timezone.localdate()
    changes = []
    with transaction.atomic():
        for cycle in Cycle.objects.select_for_update().exclude(phase=Cycle.Phase.CLOSED):
            change = _advance_by_schedule(cycle, today)
            if change is not None:
                changes.append(change)
    for change in changes:
        log.info("Cycle %s moved to %s by its dates", change.cycle, change.to_phase)
    return changes


def quarter_of(day: date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def quarter_end(day: date) -> date:
    year, q = quarter_of(day)
    last_month = q * 3
    first_of_next = date(year + (last_month == 12), last_month % 12 + 1, 1)
    return first_of_next - timedelta(days=1)


def next_cycle_defaults(today: date | None = None) -> dict[str, Any]:
    """Name and dates of the cycle after the latest one: it starts the day after the latest
    ends and runs to the end of that calendar quarter ("2027 Q1"); with no cycle yet, the next
    calendar quarter. The other dates are Cycle.default_dates."""
    today = today or timezone.localdate()
    latest = Cycle.objects.order_by("-ends_on").first()
    starts_on = latest.ends_on + timedelta(days=1) if latest else quarter_end(today) + timedelta(1)
    ends_on = quarter_end(starts_on)
    if (ends_on - starts_on).days < 45:  # an odd latest end: a whole quarter, not a sliver
        ends_on = quarter_end(ends_on + timedelta(days=1))
    year, q = quarter_of(ends_on)
    return {
        "name": f"{year} Q{q}",
        "starts_on": starts_on,
        "ends_on": ends_on,
        **Cycle.default_dates(starts_on, ends_on),
    }


@transaction.atomic
def cycle_create_next(*, by: User | None, today: date | None = None) -> Cycle:
    """Create the next cycle in one step, with default dates, in the phase its dates give
    (setting, for a quarter that has not started)."""
    require_perm(by, "cycles.manage_cycles", None, "Only org admins create cycles.")
    today = today or timezone.localdate()
    defaults = next_cycle_defaults(today)
    if Cycle.objects.filter(name=defaults["name"]).exists():
        raise ValidationError(
            f"A cycle named {defaults['name']} already exists: change its dates in the admin."
        )
    cycle = Cycle(**defaults)
    cycle.phase = cycle.scheduled_phase(today)
    cycle.full_clean()
    cycle.save()
    return cycle


# Scores --------------------------------------------------------------------------------------


def latest_values(kr_ids: Iterable[int]) -> dict[int, Decimal]:
    """Each key result's latest effective check-in value: one query."""
    ids = list(kr_ids)
    found: dict[int, tuple[datetime, int, Decimal]] = {}
    if not ids:
        return {}
    for kr_id, created_at, pk, value in CheckIn.objects.filter(
        key_result_id__in=ids, corrected_by__isnull=True
    ).values_list("key_result_id", "created_at", "pk", "value"):
        if kr_id not in found or (created_at, pk) > found[kr_id][:2]:
            found[kr_id] = (created_at, pk, value)
    return {kr_id: row[2] for kr_id, row in found.items()}


def final_value(kr: KeyResult, latest: Decimal | None) -> Decimal | None:
    """The value a key result is scored from: its latest check-in's, else the current value
    recorded without a check-in (an import), else None."""
    return latest if latest is not None else kr.current_value


def suggestion_for(kr: KeyResult, latest: Decimal | None) -> Suggestion:
    return suggest(
        direction=kr.direction,
        baseline=kr.baseline_value,
        target=kr.target,
        final=final_value(kr, latest),
    )


def scoring_state(kr: KeyResult, today: date) -> str:
    """Where a key result stands for scoring (expects the objective's cycle):
    "closed" (its cycle has not reached scoring, or is closed), "pending" (a delayed-payback
    window still open), "open"."""
    cycle = kr.objective.cycle
    if is_delayed(kr):
        if today <= kr.measurement_ends_on:
            return "pending"
        return "open" if cycle.is_scored_phase else "closed"
    return "open" if cycle.is_scoring_open else "closed"


def _require_scoring_open(kr: KeyResult, today: date) -> None:
    state = scoring_state(kr, today)
    if state == "pending":
        raise ValidationError(
            f"Measured until {kr.measurement_ends_on:%-d %b %Y}: it is scored once that "
            "window ends."
        )
    if state == "closed":
        cycle = kr.objective.cycle
        raise ValidationError(
            f"{cycle} is in its {cycle.get_phase_display().lower()} phase: scores are given "
            "in the scoring and retrospective phases."
        )


def _valid_score(value: Decimal | None) -> Decimal:
    if value is None or value not in SCORES:
        raise ValidationError({"score": "Choose a score from 0.0 to 1.0, in steps of 0.1."})
    return value.quantize(Decimal("0.1"))


@transaction.atomic
def key_result_score(
    *,
    key_result: KeyResult,
    by: User | None,
    score: Decimal | None = None,
    reason: str = "",
    reason_text: str = "",
    today: date | None = None,
    at: datetime | None = None,
) -> Score:
    """Score a key result: accept the suggestion (`score` None) or give another score with a
    reason from Score.Reason (and words for "other"). A score the lead gives where nothing
    could be suggested needs no reason. Writes KeyResult.score and its one-line note in the
    same transaction; scoring again replaces the earlier score.

    Only leads of the key result's unit and above, in the scoring and retrospective phases
    (a delayed-payback key result: once its measurement window has ended, in any later phase).
    """
    require_perm(by, "cycles.score_unit", key_result, "Only leads of this unit and above score it.")
    today = today or timezone.localdate()
    kr = (
        KeyResult.objects.select_for_update(of=("self",))
        .select_related("objective__cycle")
        .get(pk=key_result.pk)
    )
    _require_scoring_open(kr, today)
    latest = latest_values([kr.pk]).get(kr.pk)
    suggestion = suggestion_for(kr, latest)
    if score is None:
        if suggestion.score is None:
            raise ValidationError({"score": "There is no suggestion to accept: choose a score."})
        score = suggestion.score
    score = _valid_score(score)
    reason_text = reason_text.strip()
    if reason and reason not in Score.Reason.values:
        raise ValidationError({"reason": "Choose a reason from the list."})
    if suggestion.score is not None and score == suggestion.score:
        reason, reason_text = "", ""  # an accepted suggestion needs no reason
    elif suggestion.score is not None and not reason:
        raise ValidationError(
            {"reason": f"Say why the score differs from the suggested {suggestion.score:.1f}."}
        )
    if reason == Score.Reason.OTHER and not reason_text:
        raise ValidationError({"reason_text": "Say what the other reason is."})
    row = Score(
        key_result=kr,
        score=score,
        suggested=suggestion.score,
        final_value=final_value(kr, latest),
        reason=reason,
        reason_text=reason_text,
        scored_by=by,
        scored_at=at or timezone.now(),
    )
    # Field validation only: the constraints' rules were checked above (a query each to ask
    # the database again), and the database enforces them anyway.
    row.full_clean(
        exclude=["key_result", "scored_by"], validate_unique=False, validate_constraints=False
    )
    Score.objects.filter(key_result=kr).delete()
    row.save(force_insert=True)
    KeyResult.objects.filter(pk=kr.pk).update(score=score, score_note=row.note())
    return row


@transaction.atomic
def key_result_score_withdraw(
    *, key_result: KeyResult, by: User | None, today: date | None = None
) -> None:
    """Take a score back: the key result reads as not scored again."""
    require_perm(by, "cycles.score_unit", key_result, "Only leads of this unit and above score it.")
    kr = (
        KeyResult.objects.select_for_update(of=("self",))
        .select_related("objective__cycle")
        .get(pk=key_result.pk)
    )
    _require_scoring_open(kr, today or timezone.localdate())
    Score.objects.filter(key_result=kr).delete()
    KeyResult.objects.filter(pk=kr.pk).update(score=None, score_note="")


@transaction.atomic
def unit_scores_accept_all(
    *, unit: OrgUnit, cycle: Cycle, by: User | None, today: date | None = None
) -> int:
    """Accept the suggestion of every key result of the unit in the cycle that has one and
    no score yet. A fixed number of queries; returns how many were scored."""
    require_perm(by, "cycles.score_unit", unit, "Only leads of this unit and above score it.")
    today = today or timezone.localdate()
    krs = list(
        KeyResult.objects.select_for_update(of=("self",))
        .filter(objective__unit=unit, objective__cycle=cycle, score__isnull=True)
        .select_related("objective__cycle")
    )
    latest = latest_values(kr.pk for kr in krs)
    now = timezone.now()
    rows: list[Score] = []
    for kr in krs:
        if scoring_state(kr, today) != "open":
            continue
        suggestion = suggestion_for(kr, latest.get(kr.pk))
        if suggestion.score is None:
            continue
        rows.append(
            Score(
                key_result=kr,
                score=suggestion.score,
                suggested=suggestion.score,
                final_value=final_value(kr, latest.get(kr.pk)),
                scored_by=by,
                scored_at=now,
            )
        )
    Score.objects.filter(key_result__in=[r.key_result for r in rows]).delete()
    Score.objects.bulk_create(rows)
    by_score: dict[Decimal, list[int]] = defaultdict(list)
    for r in rows:
        by_score[r.score].append(r.key_result.pk)
    for value, ids in by_score.items():
        KeyResult.objects.filter(pk__in=ids).update(score=value, score_note="")
    return len(rows)


# Delayed payback: the owner is told when the window ends ----------------------------------


def score_due_notices_dispatch(*, today: date | None = None) -> int:
    """Email the owner of every delayed-payback key result whose measurement window has
    ended and that is not scored yet: record the final value, the leads score it. Once per key
    result (the outbox key "score-due:<id>"), in a fixed number of queries. Returns how many
    emails were queued."""
    today = today or timezone.localdate()
    from accounts.models import OutgoingEmail  # the outbox keys are the notices' memory

    with transaction.atomic():
        krs = list(
            KeyResult.objects.filter(
                measurement_ends_on__lt=today,
                measurement_ends_on__gt=F("objective__cycle__ends_on"),
                score__isnull=True,
                owner__is_active=True,
            ).select_related("objective__cycle", "objective__unit", "owner")
        )
        if not krs:
            return 0
        keys = {kr.pk: f"score-due:{kr.pk}" for kr in krs}
        sent = set(
            OutgoingEmail.objects.filter(key__in=keys.values()).values_list("key", flat=True)
        )
        krs = [kr for kr in krs if keys[kr.pk] not in sent]
        leads = _leads_by_unit({kr.objective.unit_id for kr in krs})
        specs = [
            EmailSpec(
                key=keys[kr.pk],
                to=kr.owner.email,
                template="score_due",
                user_id=kr.owner.pk,
                context={
                    "person": kr.owner,
                    "key_result": kr,
                    "unit": kr.objective.unit,
                    "cycle": kr.objective.cycle,
                    "leads": leads.get(kr.objective.unit_id, []),
                    "key_result_url": absolute_url(
                        reverse("cycles:key-result-detail", args=[kr.pk])
                    ),
                    "scoring_url": absolute_url(
                        reverse("cycles:unit-scoring", args=[kr.objective.unit_id])
                        + f"?cycle={kr.objective.cycle_id}#kr-{kr.pk}"
                    ),
                },
            )
            for kr in krs
        ]
        email_queue_many(specs)
    return len(specs)


def _leads_by_unit(unit_ids: set[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = defaultdict(list)
    for unit_id, name in (
        Membership.objects.filter(unit_id__in=unit_ids, role=Membership.Role.LEAD)
        .order_by("user__name")
        .values_list("unit_id", "user__name")
    ):
        found[unit_id].append(name)
    return found


# Retrospectives ------------------------------------------------------------------------------


def _require_retro_open(cycle: Cycle) -> None:
    if not cycle.is_retro_open:
        raise ValidationError(
            f"{cycle} is in its {cycle.get_phase_display().lower()} phase: the retrospective "
            "is written in the scoring and retrospective phases."
        )


@dataclass(frozen=True)
class MarkInput:
    """The team's verdict on one key result, as the retrospective form sends it."""

    calibration: str = ""
    moved_not_objective: bool = False
    note: str = ""


@transaction.atomic
def retrospective_save(
    *,
    unit: OrgUnit,
    cycle: Cycle,
    by: User | None,
    learned: str = "",
    badly_calibrated: str = "",
    mattered_less: str = "",
    wrong_assumptions: str = "",
    marks: dict[int, MarkInput] | None = None,
) -> Retrospective:
    """Save a unit's retrospective: its answers and a calibration mark per key result (only
    the unit's key results of that cycle). Leads of the unit and above, in the scoring and
    retrospective phases. A fixed number of queries."""
    require_perm(
        by, "cycles.edit_retro", unit, "Only leads of this unit and above edit its retrospective."
    )
    _require_retro_open(cycle)
    retro = Retrospective.objects.select_for_update().filter(
        unit=unit, cycle=cycle
    ).first() or Retrospective(unit=unit, cycle=cycle)
    retro.learned = learned.strip()
    retro.badly_calibrated = badly_calibrated.strip()
    retro.mattered_less = mattered_less.strip()
    retro.wrong_assumptions = wrong_assumptions.strip()
    retro.updated_by = by
    retro.full_clean(
        exclude=["unit", "cycle", "updated_by"], validate_unique=False, validate_constraints=False
    )
    retro.save()
    if marks:
        allowed = set(
            KeyResult.objects.filter(
                objective__unit=unit, objective__cycle=cycle, pk__in=list(marks)
            ).values_list("pk", flat=True)
        )
        unknown = set(marks) - allowed
        if unknown:
            raise ValidationError("Those key results are not this unit's in this cycle.")
        errors = {}
        for mark in marks.values():
            if mark.calibration and mark.calibration not in RetroMark.Calibration.values:
                errors["marks"] = "Choose too easy, about right or too hard."
            if len(mark.note) > 1000:
                errors["marks"] = "Keep each note under 1,000 characters."
        if errors:
            raise ValidationError(errors)
        existing = {m.key_result_id: m for m in RetroMark.objects.filter(key_result_id__in=allowed)}
        new, changed = [], []
        for kr_id, mark in marks.items():
            row = existing.get(kr_id)
            values = (mark.calibration, mark.moved_not_objective, mark.note.strip())
            if row is None:
                new.append(
                    RetroMark(
                        retrospective=retro,
                        key_result_id=kr_id,
                        calibration=values[0],
                        moved_not_objective=values[1],
                        note=values[2],
                    )
                )
            elif (row.calibration, row.moved_not_objective, row.note) != values:
                row.calibration, row.moved_not_objective, row.note = values
                row.retrospective = retro
                changed.append(row)
        RetroMark.objects.bulk_create(new)
        if changed:
            RetroMark.objects.bulk_update(
                changed, ["calibration", "moved_not_objective", "note", "retrospective"]
            )
    return retro


def _retro_for(unit: OrgUnit, cycle: Cycle) -> Retrospective:
    retro = Retrospective.objects.filter(unit=unit, cycle=cycle).first()
    if retro is None:
        retro = Retrospective.objects.create(unit=unit, cycle=cycle)
    return retro


@transaction.atomic
def retrospective_set_done(
    *, unit: OrgUnit, cycle: Cycle, by: User | None, done: bool = True
) -> Retrospective:
    """Mark the retrospective held (or open it again). From then on the organisation's
    calibration page shows the unit's flags for the cycle."""
    require_perm(
        by, "cycles.edit_retro", unit, "Only leads of this unit and above edit its retrospective."
    )
    _require_retro_open(cycle)
    retro = _retro_for(unit, cycle)
    retro.done_at = timezone.now() if done else None
    retro.updated_by = by
    retro.save(update_fields=["done_at", "updated_by", "updated_at"])
    return retro


@transaction.atomic
def retro_action_create(
    *, unit: OrgUnit, cycle: Cycle, by: User | None, text: str, owner: User | None
) -> RetroAction:
    """Add an action to the unit's retrospective; it shows on the unit's setting page of the
    next cycle."""
    require_perm(
        by, "cycles.edit_retro", unit, "Only leads of this unit and above edit its retrospective."
    )
    _require_retro_open(cycle)
    text = text.strip()
    errors = {}
    if not text:
        errors["text"] = "Say what the team will do."
    if owner is None:
        errors["owner"] = "Choose who owns it."
    elif not owner.is_active:
        errors["owner"] = "That person can no longer sign in: choose someone else."
    if errors:
        raise ValidationError(errors)
    action = RetroAction(
        retrospective=_retro_for(unit, cycle), text=text, owner=owner, created_by=by
    )
    action.full_clean(exclude=["retrospective", "owner", "created_by"])
    action.save()
    return action


def _action_unit(action: RetroAction) -> OrgUnit:
    return action.retrospective.unit


@transaction.atomic
def retro_action_set_done(*, action: RetroAction, by: User | None, done: bool) -> RetroAction:
    """Tick an action off (or not), in any phase: actions are done in the next quarter. Its
    owner may do it too."""
    if by is not None and action.owner_id != by.pk:
        require_perm(
            by, "cycles.edit_retro", _action_unit(action), "Only the owner or the leads do this."
        )
    action.done = done
    action.save(update_fields=["done"])
    return action


@transaction.atomic
def retro_action_delete(*, action: RetroAction, by: User | None) -> None:
    require_perm(
        by,
        "cycles.edit_retro",
        _action_unit(action),
        "Only leads of this unit and above edit its retrospective.",
    )
    _require_retro_open(action.retrospective.cycle)
    action.delete()
