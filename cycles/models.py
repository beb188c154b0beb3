"""When: cycles (quarters) and their phases, cadences, check-ins, reminders, scores and
retrospectives. All of it builds on okrs and accounts, never the other way round.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import OrgUnit
from cycles.cadence import DEFAULT_CADENCE, EffectiveCadence

# Scoring runs through the last week of the quarter and the first week after it (final numbers
# often arrive a few days late); the retrospective gets the two weeks after that.
RETRO_OPENS_AFTER_END = timedelta(days=8)
CLOSES_AFTER_END = timedelta(days=22)


class CycleQuerySet(models.QuerySet["Cycle"]):
    def current(self, today: date | None = None) -> Cycle | None:
        """The cycle people are working in: the open one whose dates hold today, else the
        nearest open one ahead (being set up), else the latest one. One query: an organisation
        has a handful of cycles a year, so they are compared in Python."""
        return pick_current(list(self.all()), today)


def pick_current(cycles: list[Cycle], today: date | None = None) -> Cycle | None:
    """`CycleQuerySet.current` over cycles already fetched (every one of the organisation)."""
    today = today or timezone.localdate()
    cycles = sorted(cycles, key=lambda c: c.starts_on)
    open_cycles = [c for c in cycles if c.phase != Cycle.Phase.CLOSED]
    for c in open_cycles:
        if c.setting_opens_on <= today <= c.ends_on:
            return c
    ahead = [c for c in open_cycles if c.starts_on > today]
    if ahead:
        return ahead[0]
    return cycles[-1] if cycles else None


class Cycle(models.Model):
    """A quarter: setting window, the quarter itself, a scoring window at its end.

    `phase` is stored, not derived from today's date: an org admin may advance or hold it by
    hand (a late retro, an extended setting window). The dates give the defaults.
    """

    class Phase(models.TextChoices):
        SETTING = "setting", "Setting"
        RUNNING = "running", "Running"
        SCORING = "scoring", "Scoring"
        RETRO = "retro", "Retrospective"
        CLOSED = "closed", "Closed"

    name = models.CharField(max_length=100, unique=True, help_text="For example “2026 Q1”.")
    starts_on = models.DateField()
    ends_on = models.DateField()
    setting_opens_on = models.DateField(help_text="Usually two to three weeks before the start.")
    scoring_opens_on = models.DateField(help_text="Usually the last week of the quarter.")
    retro_opens_on = models.DateField(
        null=True,
        blank=True,
        help_text="When scoring gives way to the retrospective. Blank: eight days after the end.",
    )
    closes_on = models.DateField(
        null=True,
        blank=True,
        help_text="When the cycle closes and becomes read-only. Blank: 22 days after the end.",
    )
    phase = models.CharField(max_length=16, choices=Phase.choices, default=Phase.SETTING)
    # An org admin held the phase by hand: the daily schedule leaves this cycle alone until
    # the hold is released (cycles.services.cycle_set_phase).
    phase_held = models.BooleanField(
        default=False,
        help_text="Held: the daily schedule does not move the phase on until released.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CycleQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_on__lt=F("ends_on")),
                name="cycle_starts_before_it_ends",
                violation_error_message="A cycle must start before it ends.",
            ),
            models.CheckConstraint(
                condition=Q(setting_opens_on__lte=F("starts_on")),
                name="cycle_setting_opens_before_start",
                violation_error_message="The setting window opens on or before the start.",
            ),
            models.CheckConstraint(
                condition=Q(scoring_opens_on__gte=F("starts_on"))
                & Q(scoring_opens_on__lte=F("ends_on")),
                name="cycle_scoring_opens_within_cycle",
                violation_error_message="The scoring window opens within the cycle.",
            ),
            models.CheckConstraint(
                condition=Q(retro_opens_on__isnull=True) | Q(retro_opens_on__gt=F("ends_on")),
                name="cycle_retro_opens_after_end",
                violation_error_message="The retrospective opens after the cycle ends.",
            ),
            models.CheckConstraint(
                condition=Q(closes_on__isnull=True)
                | (Q(closes_on__gt=F("ends_on")) & Q(retro_opens_on__isnull=True))
                | Q(closes_on__gte=F("retro_opens_on")),
                name="cycle_closes_after_retro_opens",
                violation_error_message="The cycle closes after the retrospective opens.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def default_dates(starts_on: date, ends_on: date) -> dict[str, date]:
        """Setting opens three weeks before the start; scoring in the last week; the
        retrospective eight days after the end; closed 22 days after the end."""
        return {
            "setting_opens_on": starts_on - timedelta(weeks=3),
            "scoring_opens_on": max(starts_on, ends_on - timedelta(days=6)),
            "retro_opens_on": ends_on + RETRO_OPENS_AFTER_END,
            "closes_on": ends_on + CLOSES_AFTER_END,
        }

    # Phases in order: the schedule and admins move a cycle along this list.
    PHASE_ORDER = (Phase.SETTING, Phase.RUNNING, Phase.SCORING, Phase.RETRO, Phase.CLOSED)

    @property
    def retro_date(self) -> date:
        """When the retrospective opens (the stored date, else the default)."""
        return self.retro_opens_on or self.ends_on + RETRO_OPENS_AFTER_END

    @property
    def close_date(self) -> date:
        """When the cycle closes (the stored date, else the default)."""
        return max(self.closes_on or self.ends_on + CLOSES_AFTER_END, self.retro_date)

    def phase_starts(self) -> list[tuple[str, date]]:
        """Each phase with the day the schedule moves a cycle into it."""
        return [
            (self.Phase.SETTING, self.setting_opens_on),
            (self.Phase.RUNNING, self.starts_on),
            (self.Phase.SCORING, self.scoring_opens_on),
            (self.Phase.RETRO, self.retro_date),
            (self.Phase.CLOSED, self.close_date),
        ]

    def scheduled_phase(self, today: date) -> str:
        """The phase the dates give for `today` (a cycle exists in setting before its
        setting window opens too: it is being prepared)."""
        found = self.Phase.SETTING
        for phase, starts in self.phase_starts()[1:]:
            if today >= starts:
                found = phase
        return found

    @classmethod
    def phase_index(cls, phase: str) -> int:
        return cls.PHASE_ORDER.index(cls.Phase(phase))

    @property
    def next_phase(self) -> str | None:
        i = self.phase_index(self.phase)
        return self.PHASE_ORDER[i + 1] if i + 1 < len(self.PHASE_ORDER) else None

    @property
    def is_scoring_open(self) -> bool:
        """Leads score in the scoring and retrospective phases (a score often moves when the
        retrospective looks at it again)."""
        return self.phase in (self.Phase.SCORING, self.Phase.RETRO)

    @property
    def is_retro_open(self) -> bool:
        return self.phase in (self.Phase.SCORING, self.Phase.RETRO)

    @property
    def is_scored_phase(self) -> bool:
        """Scoring has begun: scoring, retrospective or closed."""
        return self.phase in (self.Phase.SCORING, self.Phase.RETRO, self.Phase.CLOSED)


class PhaseChange(models.Model):
    """A cycle moved from one phase to another: by an org admin (`by`) or by the daily
    schedule (`by` empty). The history the cycles page shows."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="phase_changes")
    from_phase = models.CharField(max_length=16, choices=Cycle.Phase.choices)
    to_phase = models.CharField(max_length=16, choices=Cycle.Phase.choices)
    held = models.BooleanField(default=False)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.cycle}: {self.from_phase} → {self.to_phase}"


# Cadences ------------------------------------------------------------------------------------


class CadenceMap:
    """Every unit's effective cadence, resolved through the tree in memory.

    Two queries (the tree, the cadences) however many units ask: the dispatch and the pages look
    up thousands of key results' cadences from one map.
    """

    def __init__(self, parent_of: dict[int, int | None], own: dict[int, EffectiveCadence]):
        self.parent_of = parent_of
        self.own = own
        self._resolved: dict[int, EffectiveCadence] = {}

    @classmethod
    def load(cls) -> CadenceMap:
        parent_of = dict(OrgUnit.objects.order_by().values_list("id", "parent_id"))
        own = {
            c.unit_id: EffectiveCadence(
                frequency=c.frequency, weekday=c.weekday, hour=c.hour, source_unit_id=c.unit_id
            )
            for c in Cadence.objects.order_by()
        }
        return cls(parent_of, own)

    def for_unit(self, unit_id: int | None) -> EffectiveCadence:
        """The unit's own cadence, else the nearest ancestor's, else the default."""
        if unit_id is None:
            return DEFAULT_CADENCE
        if unit_id in self._resolved:
            return self._resolved[unit_id]
        seen: set[int] = set()
        node: int | None = unit_id
        found = DEFAULT_CADENCE
        while node is not None and node not in seen:  # a corrupt loop ends the walk
            if node in self.own:
                found = self.own[node]
                break
            seen.add(node)
            node = self.parent_of.get(node)
        self._resolved[unit_id] = found
        return found

    def inheritors(self, unit_id: int) -> set[int]:
        """The unit and every unit below it that takes its cadence from it (no own cadence
        between them): the units a change to this unit's cadence affects."""
        children: dict[int | None, list[int]] = {}
        for child, parent in self.parent_of.items():
            children.setdefault(parent, []).append(child)
        found = {unit_id}
        stack = list(children.get(unit_id, []))
        while stack:
            node = stack.pop()
            if node in found or node in self.own:
                continue
            found.add(node)
            stack.extend(children.get(node, []))
        return found


class Cadence(models.Model):
    """A unit's own check-in rhythm. A unit without one inherits its parent's, up to the
    organisation's default (every two weeks, Monday 09:00). The hour is each person's own: a team
    spread over Oslo, Los Angeles and Kolkata is each reminded at 09:00 where they are."""

    class Frequency(models.TextChoices):
        WEEKLY = "weekly", "Weekly"
        BIWEEKLY = "biweekly", "Every two weeks"
        MONTHLY = "monthly", "Monthly"

    class Weekday(models.IntegerChoices):
        MONDAY = 0, "Monday"
        TUESDAY = 1, "Tuesday"
        WEDNESDAY = 2, "Wednesday"
        THURSDAY = 3, "Thursday"
        FRIDAY = 4, "Friday"
        SATURDAY = 5, "Saturday"
        SUNDAY = 6, "Sunday"

    unit = models.OneToOneField(OrgUnit, on_delete=models.CASCADE, related_name="cadence")
    frequency = models.CharField(
        max_length=16, choices=Frequency.choices, default=Frequency.BIWEEKLY
    )
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices, default=Weekday.MONDAY)
    hour = models.PositiveSmallIntegerField(
        default=9, help_text="In each person's own time zone, 0-23."
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(weekday__lte=6), name="cadence_weekday_0_6"),
            models.CheckConstraint(condition=Q(hour__lte=23), name="cadence_hour_0_23"),
        ]

    def __str__(self) -> str:
        return f"{self.unit}: {self.get_frequency_display().lower()}"

    def as_effective(self) -> EffectiveCadence:
        return EffectiveCadence(
            frequency=self.frequency,
            weekday=self.weekday,
            hour=self.hour,
            source_unit_id=self.unit_id,
        )


def describe_cadence(cadence: EffectiveCadence) -> str:
    """“Every two weeks on Monday at 09:00” (local to each person)."""
    weekday = Cadence.Weekday(cadence.weekday).label
    when = {
        Cadence.Frequency.WEEKLY: f"Every {weekday}",
        Cadence.Frequency.BIWEEKLY: f"Every other {weekday}",
        Cadence.Frequency.MONTHLY: f"Monthly, on a {weekday}",
    }[Cadence.Frequency(cadence.frequency)]
    return f"{when} at {cadence.hour:02d}:00"


# Check-ins -----------------------------------------------------------------------------------


class AppendOnlyError(Exception):
    """Check-ins are history: a correction is a new check-in, never an edit."""


class CheckInQuerySet(models.QuerySet["CheckIn"]):
    # The ORM's bulk paths refuse too; PostgreSQL's trigger (migration 0002) catches raw SQL.
    def update(self, **kwargs: object) -> int:
        raise AppendOnlyError("Check-ins cannot be changed; record a correction instead.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("Check-ins cannot be deleted.")

    def effective(self) -> CheckInQuerySet:
        """Check-ins that no later check-in corrects: the history a chart should draw."""
        return self.filter(corrected_by__isnull=True)


class CheckIn(models.Model):
    """One check-in on a key result: confidence first, then the value, what changed, what blocks.

    Append-only. A correction is a new check-in whose `corrects` names the one it replaces;
    nothing is ever updated or deleted (enforced here, in CheckInQuerySet, and on PostgreSQL by a
    trigger that rejects UPDATE and DELETE on this table). The key result's current value,
    confidence, blocker and check-in time are the latest check-in's, written onto the key result
    by cycles.services.check_in_create in the same transaction.
    """

    class Via(models.TextChoices):
        WEB = "web", "Quarterdeck"
        EMAIL = "email", "Reminder email link"
        IMPORT = "import", "Import"

    TEXT_LIMIT = 2000

    key_result = models.ForeignKey(
        "okrs.KeyResult", on_delete=models.PROTECT, related_name="check_ins"
    )
    # PROTECT everywhere: deleting a row this points at would have to rewrite history.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="check_ins"
    )
    created_at = models.DateTimeField(default=timezone.now)
    confidence = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="How likely the target is reached, 0-100.",
    )
    value = models.DecimalField(max_digits=18, decimal_places=4)
    what_changed = models.TextField(blank=True, validators=[MaxLengthValidator(TEXT_LIMIT)])
    blocker = models.TextField(blank=True, validators=[MaxLengthValidator(TEXT_LIMIT)])
    blocker_unit = models.ForeignKey(
        OrgUnit,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="blocking_check_ins",
        help_text="The unit that could unblock it.",
    )
    corrects = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="corrected_by"
    )
    via = models.CharField(max_length=16, choices=Via.choices, default=Via.WEB)

    objects = CheckInQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(confidence__lte=100), name="check_in_confidence_0_100"
            ),
            models.CheckConstraint(
                condition=~Q(corrects=F("id")), name="check_in_not_its_own_correction"
            ),
            models.CheckConstraint(
                condition=Q(blocker_unit__isnull=True) | ~Q(blocker=""),
                name="check_in_blocker_unit_needs_blocker",
                violation_error_message="Say what blocks it before naming who could unblock it.",
            ),
        ]
        indexes = [
            # A key result's history, newest first (its page, the trend on "My key results").
            models.Index(fields=["key_result", "-created_at"], name="check_in_history_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.key_result} @ {self.created_at:%Y-%m-%d}: {self.confidence}%"

    def save(self, *args: object, **kwargs: object) -> None:
        if not self._state.adding:
            raise AppendOnlyError("Check-ins cannot be changed; record a correction instead.")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("Check-ins cannot be deleted.")


class CheckInSchedule(models.Model):
    """When a key result's next check-in is due, and when the reminder dispatch next looks at it.

    Due-ness lives in the data, as UTC instants computed in the owner's time zone:
    `due_at` is when the next check-in is expected (KeyResult.check_in_due_on is its local date),
    `remind_at` is when the dispatch should next consider the key result. They are equal until a
    due time passes without a check-in: the dispatch then reminds (or skips, for a paused person)
    and moves `remind_at` to the following due time, while `due_at` stays where it was, so the key
    result reads as stale until someone checks in. None: no more due times this cycle.

    Written by cycles.services (check-in, cadence change, dispatch); one row per key result.
    """

    key_result = models.OneToOneField(
        "okrs.KeyResult",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="check_in_schedule",
    )
    due_at = models.DateTimeField(null=True, blank=True)
    remind_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            # The dispatch: "remind_at <= now". Finished schedules (NULL) stay out of the index.
            models.Index(
                fields=["remind_at"],
                condition=Q(remind_at__isnull=False),
                name="check_in_schedule_remind_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"Schedule of key result {self.key_result_id}: due {self.due_at}"


# Reminders -----------------------------------------------------------------------------------


class ReminderSettings(models.Model):
    """A person's choice about check-in reminder emails (and lead digests). No row: on."""

    class State(models.TextChoices):
        ON = "on", "On"
        PAUSED = "paused", "Paused"
        OFF = "off", "Off"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="reminder_settings",
    )
    state = models.CharField(max_length=16, choices=State.choices, default=State.ON)
    paused_until = models.DateField(
        null=True, blank=True, help_text="Reminders start again the day after this date."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "reminder settings"
        constraints = [
            models.CheckConstraint(
                condition=~Q(state="paused") | Q(paused_until__isnull=False),
                name="reminder_settings_pause_has_end",
                violation_error_message="A pause needs the date it ends.",
            ),
        ]

    def __str__(self) -> str:
        return f"Reminders for {self.user}: {self.state}"

    @staticmethod
    def allows(state: str | None, paused_until: date | None, today: date) -> bool:
        """Whether reminders go out today for a person in this state (None: no settings)."""
        if state == ReminderSettings.State.OFF:
            return False
        if state == ReminderSettings.State.PAUSED:
            return paused_until is None or paused_until < today
        return True


class Reminder(models.Model):
    """One reminder email to one person for one due date, bundling their due key results.

    The unique (user, due_on) constraint is what makes a second dispatch, a second beat or a
    retried task harmless: whatever runs twice hits the same row. The email itself is an outbox
    row (accounts.OutgoingEmail) whose state machine (queued -> sending -> sent / failed) does
    the sending; this row says whom it was for, when, which key results, and until when its
    signed link works (`window_ends_at`: the next due time, when the check-in window closes).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminders"
    )
    cycle = models.ForeignKey(Cycle, on_delete=models.PROTECT, related_name="reminders")
    due_on = models.DateField(help_text="The due date, in the person's time zone.")
    due_at = models.DateTimeField(help_text="The due time, in UTC.")
    window_ends_at = models.DateTimeField(help_text="The link in the email works until then.")
    email = models.OneToOneField(
        "accounts.OutgoingEmail", on_delete=models.PROTECT, related_name="reminder"
    )
    key_results = models.ManyToManyField("okrs.KeyResult", related_name="reminders")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-due_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "due_on"], name="reminder_once_per_person_per_due_date"
            ),
        ]

    def __str__(self) -> str:
        return f"Reminder for {self.user} due {self.due_on}"

    @staticmethod
    def outbox_key(user_id: int, due_on: date) -> str:
        return f"reminder:{user_id}:{due_on.isoformat()}"


# Scores --------------------------------------------------------------------------------------


class Score(models.Model):
    """A key result's score at the end of its quarter, and how it came about.

    `suggested` is what cycles.scoring computed from the final value (None: nothing to compute
    from, and the lead scored by judgement). A score that differs from the suggestion is an
    override and needs a reason from the short list (with words for "other"). The score itself
    is also written onto KeyResult.score, with a one-line `score_note` saying how it came
    about, in the same transaction (cycles.services.key_result_score), so every page that shows
    a score shows the reason beside it without reading this table.
    """

    class Reason(models.TextChoices):
        DATA_LATE = "data_late", "The data arrived late"
        METRIC_WRONG = "metric_wrong", "The metric turned out wrong"
        TARGET_CHANGED = "target_changed", "The target changed"
        OTHER = "other", "Other"

    SCORE = {"max_digits": 2, "decimal_places": 1}

    key_result = models.OneToOneField(
        "okrs.KeyResult", on_delete=models.CASCADE, primary_key=True, related_name="scoring"
    )
    score = models.DecimalField(**SCORE)
    suggested = models.DecimalField(**SCORE, null=True, blank=True)
    # The value the suggestion was computed from, kept as it was at scoring time.
    final_value = models.DecimalField(max_digits=18, decimal_places=4, null=True, blank=True)
    reason = models.CharField(max_length=20, choices=Reason.choices, blank=True)
    reason_text = models.CharField(max_length=300, blank=True)
    scored_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    scored_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(score__gte=0, score__lte=1), name="score_between_0_and_1"
            ),
            models.CheckConstraint(
                condition=Q(suggested__isnull=True) | Q(suggested__gte=0, suggested__lte=1),
                name="score_suggestion_between_0_and_1",
            ),
            models.CheckConstraint(
                condition=Q(suggested__isnull=True) | Q(score=F("suggested")) | ~Q(reason=""),
                name="score_override_has_reason",
                violation_error_message="Say why the score differs from the suggestion.",
            ),
            models.CheckConstraint(
                condition=~Q(reason="other") | ~Q(reason_text=""),
                name="score_other_reason_has_words",
                violation_error_message="Say what the other reason is.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key_result_id}: {self.score}"

    @property
    def overridden(self) -> bool:
        return self.suggested is not None and self.score != self.suggested

    def note(self) -> str:
        """The line shown beside the score wherever it appears (KeyResult.score_note)."""
        return score_note(
            score=self.score,
            suggested=self.suggested,
            reason=self.reason,
            reason_text=self.reason_text,
        )


def score_note(*, score: Decimal, suggested: Decimal | None, reason: str, reason_text: str) -> str:
    """“Overridden from 0.6: the data arrived late (numbers from finance came on 9 Jan)”;
    “Scored by judgement: no measured final value”; "" for an accepted suggestion."""
    label = Score.Reason(reason).label if reason else ""
    words = reason_text.strip()
    if reason == Score.Reason.OTHER:
        why = words
    elif label and words:
        why = f"{label.lower()} ({words})"
    else:
        why = label.lower()
    if suggested is None:
        return "Scored by judgement" + (f": {why}" if why else ": nothing measured to suggest from")
    if score != suggested:
        return f"Overridden from {suggested:.1f}: {why}"
    return ""


# Retrospectives ------------------------------------------------------------------------------


class Retrospective(models.Model):
    """A unit's look back at a cycle: the article's questions, a calibration mark per key
    result (RetroMark) and actions with owners (RetroAction) that show on the unit's setting
    page of the next cycle. `done_at`: the team marked it held (the organisation's calibration
    page shows the unit's flags from then on)."""

    TEXT_LIMIT = 4000

    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="retrospectives")
    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="retrospectives")
    learned = models.TextField(blank=True, validators=[MaxLengthValidator(TEXT_LIMIT)])
    badly_calibrated = models.TextField(blank=True, validators=[MaxLengthValidator(TEXT_LIMIT)])
    mattered_less = models.TextField(blank=True, validators=[MaxLengthValidator(TEXT_LIMIT)])
    wrong_assumptions = models.TextField(blank=True, validators=[MaxLengthValidator(TEXT_LIMIT)])
    done_at = models.DateTimeField(null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["unit", "cycle"], name="retrospective_once"),
        ]

    def __str__(self) -> str:
        return f"Retrospective of {self.unit_id} for {self.cycle_id}"


class RetroMark(models.Model):
    """The team's verdict on one key result's calibration, confirmed or corrected from what
    the data suggested, and a note pinned to its metric for the next time it is used."""

    class Calibration(models.TextChoices):
        TOO_EASY = "too_easy", "Too easy"
        ABOUT_RIGHT = "about_right", "About right"
        TOO_HARD = "too_hard", "Too hard"

    retrospective = models.ForeignKey(Retrospective, on_delete=models.CASCADE, related_name="marks")
    key_result = models.OneToOneField(
        "okrs.KeyResult", on_delete=models.CASCADE, related_name="retro_mark"
    )
    calibration = models.CharField(max_length=16, choices=Calibration.choices, blank=True)
    # The team's judgement: the number moved, but the objective it was meant to show did not.
    moved_not_objective = models.BooleanField(default=False)
    note = models.TextField(blank=True, validators=[MaxLengthValidator(1000)])

    def __str__(self) -> str:
        return f"{self.key_result_id}: {self.calibration or 'unmarked'}"


class RetroAction(models.Model):
    """Something the team will do differently, with an owner; shown on the unit's setting page
    of the next cycle."""

    retrospective = models.ForeignKey(
        Retrospective, on_delete=models.CASCADE, related_name="actions"
    )
    text = models.CharField(max_length=300)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    done = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(text=""), name="retro_action_has_text"),
        ]

    def __str__(self) -> str:
        return self.text
