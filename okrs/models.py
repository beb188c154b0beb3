"""What: metrics, objectives, key results, alignment links and dependencies.

okrs refers to its cycle as "cycles.Cycle" and imports nothing from cycles: cycles builds on
okrs. A key result's current value and confidence are the latest check-in's; cycles' check-in
service writes them onto the key result in the check-in's own transaction, so every page here
can show them without reading check-ins.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Prefetch, Q
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.models import OrgUnit

VALUE = {"max_digits": 18, "decimal_places": 4}


def cycle_has_started(cycle, today: date | None = None) -> bool:
    """The quarter is under way: its start date has come, or its phase has moved past setting
    (an admin may start a cycle early). From then on agreed objectives are locked."""
    today = today or timezone.localdate()
    return cycle.phase != "setting" or cycle.starts_on <= today


def cycle_is_closed(cycle) -> bool:
    """A closed cycle is read-only."""
    return cycle.phase == "closed"


class Metric(models.Model):
    """A measured quantity that outlives any one quarter ("p95 CI pipeline duration").

    A new key result on a known metric starts from its last measured value as baseline;
    `last_value`/`last_measured_on` are kept up to date by whoever records a measurement
    (a key result's baseline, a check-in's value).
    """

    name = models.CharField(max_length=200)
    unit = models.CharField(max_length=40, blank=True, help_text="For example “%”, “ms”, “days”.")
    definition = models.TextField(blank=True, help_text="What exactly is counted, and how.")
    source = models.CharField(
        max_length=300, blank=True, help_text="Where it is measured: a dashboard, a query."
    )
    last_value = models.DecimalField(**VALUE, null=True, blank=True)
    last_measured_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                name="metric_name_unique_ci",
                violation_error_message="A metric with this name already exists.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.unit})" if self.unit else self.name


class ObjectiveQuerySet(models.QuerySet["Objective"]):
    def for_cycle(self, cycle) -> ObjectiveQuerySet:
        return self.filter(cycle=cycle)

    def for_unit(self, unit: OrgUnit) -> ObjectiveQuerySet:
        return self.filter(unit=unit)

    def with_key_results(self) -> ObjectiveQuerySet:
        """Objectives with `unit`, `owner` joined and `key_results` prefetched in order (each
        with its owner and metric): a list page costs three queries however long it is."""
        return self.select_related("unit", "owner").prefetch_related(
            Prefetch(
                "key_results",
                queryset=KeyResult.objects.select_related("owner", "metric").order_by(
                    "order", "pk"
                ),
            )
        )


class Objective(models.Model):
    """Qualitative and directional; belongs to one unit in one cycle."""

    class Kind(models.TextChoices):
        COMMITTED = "committed", "Committed"
        ASPIRATIONAL = "aspirational", "Aspirational"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PROPOSED = "proposed", "Proposed"
        AGREED = "agreed", "Agreed"

    class Sufficiency(models.TextChoices):
        YES = "yes", "Yes"
        PARTLY = "partly", "Partly"
        NO = "no", "No"

    # What a kind means for scoring, shown wherever the kind is chosen.
    KIND_HELP = {
        Kind.COMMITTED: "We expect to deliver all of it: 1.0 is success.",
        Kind.ASPIRATIONAL: "A stretch: 0.7 is success, and a lower score is information.",
    }
    SUCCESS_LINE = {Kind.COMMITTED: Decimal("1.0"), Kind.ASPIRATIONAL: Decimal("0.7")}
    # Beyond this many objectives for one unit in one cycle, focus is lost: the setting page
    # warns and asks for a reason (FocusReason).
    FOCUS_LIMIT = 5

    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="objectives")
    cycle = models.ForeignKey("cycles.Cycle", on_delete=models.PROTECT, related_name="objectives")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.ASPIRATIONAL)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_objectives",
    )
    order = models.PositiveIntegerField(default=0)
    # The parent owner's answer to: if everything that contributes were achieved, would this
    # objective's key results reach their targets?
    sufficiency = models.CharField(max_length=8, choices=Sufficiency.choices, blank=True)
    sufficiency_note = models.TextField(blank=True)
    carried_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="carried_into"
    )
    # Optimistic concurrency: a save names the version it edited; a stale one is refused.
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Who saved the current version: named when a concurrent edit is refused.
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ObjectiveQuerySet.as_manager()

    class Meta:
        ordering = ["order", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(title=""), name="objective_has_title"),
        ]
        indexes = [
            # The setting page and the unit page: one unit's objectives in one cycle, in order.
            models.Index(fields=["cycle", "unit", "order"], name="objective_unit_page_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def success_line(self) -> Decimal:
        return self.SUCCESS_LINE[self.Kind(self.kind)]

    def is_locked(self, today: date | None = None) -> bool:
        """Agreed, and its quarter has started (by date, or an admin moved the phase on).

        A locked objective and its key results still change, but only with a reason, and
        every change is written to its history (ObjectiveChange). Reads `cycle`: load it with
        select_related where many objectives are asked.
        """
        return self.status == self.Status.AGREED and cycle_has_started(self.cycle, today)

    def progress(self) -> float | None:
        """Mean progress of this objective's own key results (never its children's).
        Expects `key_results` prefetched (ObjectiveQuerySet.with_key_results)."""
        values = [p for kr in self.key_results.all() if (p := kr.progress()) is not None]
        return sum(values) / len(values) if values else None


class KeyResult(models.Model):
    """How we will know: a metric moving from a baseline toward a target."""

    class Direction(models.TextChoices):
        INCREASE = "increase", "Increase to"
        DECREASE = "decrease", "Decrease to"
        STAY_ABOVE = "stay_above", "Stay at or above"
        STAY_BELOW = "stay_below", "Stay at or below"

    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="key_results")
    statement = models.CharField(max_length=500)
    metric = models.ForeignKey(
        Metric, null=True, blank=True, on_delete=models.SET_NULL, related_name="key_results"
    )
    unit = models.CharField(max_length=40, blank=True, help_text="For example “%”, “ms”.")
    direction = models.CharField(
        max_length=16, choices=Direction.choices, default=Direction.INCREASE
    )
    baseline_value = models.DecimalField(**VALUE, null=True, blank=True)
    baseline_measured_on = models.DateField(null=True, blank=True)
    baseline_source = models.CharField(max_length=300, blank=True)
    target = models.DecimalField(**VALUE, null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_key_results",
    )
    order = models.PositiveIntegerField(default=0)
    # Delayed payback: the effect is measured until this date, after the quarter ends.
    measurement_ends_on = models.DateField(null=True, blank=True)
    # The latest check-in's, written by cycles' check-in service in the same transaction, so
    # pages and the alignment tree read them without touching check-ins.
    current_value = models.DecimalField(**VALUE, null=True, blank=True)
    confidence = models.PositiveSmallIntegerField(null=True, blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    blocker = models.TextField(blank=True, help_text="What blocks it, from the latest check-in.")
    blocker_unit = models.ForeignKey(
        OrgUnit,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="blocking_key_results",
        help_text="The unit that could unblock it.",
    )
    # The due date by which the next check-in is expected, from the unit's cadence. cycles
    # writes it (on each check-in, when a cadence changes, and in its periodic dispatch for key
    # results that have none yet). A check-in is stale once this date has passed.
    check_in_due_on = models.DateField(null=True, blank=True)
    # The final score, 0.0-1.0 in steps of 0.1, written by cycles' scoring service (the score's
    # full record, with any override and its reason, lives there). Null until scored.
    score = models.DecimalField(max_digits=2, decimal_places=1, null=True, blank=True)
    # How the score came about, in one line, written with it: "Overridden from 0.6: the data
    # arrived late", "Scored by judgement: ...", or "" for an accepted suggestion. Kept here
    # rather than read from cycles' Score row so that every page showing the score (the unit
    # and objective pages, the alignment tree's one-query key result rows, exports) shows the
    # reason beside it at no extra query, the way current_value travels with the check-in.
    score_note = models.CharField(max_length=400, blank=True)
    # Optimistic concurrency for the setting page (see okrs.services.key_result_update).
    # Check-ins do not bump it: they write other columns, so they never collide with an edit.
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["order", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(statement=""), name="key_result_has_statement"),
            models.CheckConstraint(
                condition=Q(confidence__isnull=True) | Q(confidence__lte=100),
                name="key_result_confidence_0_100",
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=0, score__lte=1),
                name="key_result_score_0_1",
            ),
        ]
        indexes = [
            # "My key results": everything one person owns.
            models.Index(fields=["owner"], name="key_result_owner_idx"),
        ]

    def __str__(self) -> str:
        return self.statement

    def progress(self) -> float | None:
        """Where the current value stands between baseline (0.0) and target (1.0), clamped.

        Without a current value the baseline stands in (nothing has moved yet). Holding
        directions are all-or-nothing: the line is held or it is not. None when the numbers
        needed are missing.
        """
        current = self.current_value if self.current_value is not None else self.baseline_value
        if current is None or self.target is None:
            return None
        if self.direction == self.Direction.STAY_ABOVE:
            return 1.0 if current >= self.target else 0.0
        if self.direction == self.Direction.STAY_BELOW:
            return 1.0 if current <= self.target else 0.0
        if self.baseline_value is None:
            return None
        span = self.target - self.baseline_value
        if self.direction == self.Direction.DECREASE:
            span = -span
            moved = self.baseline_value - current
        else:
            moved = current - self.baseline_value
        if span <= 0:
            # Target not beyond the baseline: nothing to travel; reached if the line holds.
            return 1.0 if moved >= 0 else 0.0
        return float(min(Decimal(1), max(Decimal(0), moved / span)))


class AlignmentLink(models.Model):
    """`child` contributes to `parent`: chosen by the contributing team, with how.

    Alignment, not cascade: a parent never creates its children, and its score comes from its
    own key results. Within one cycle and acyclic; okrs.services.alignment_link_create checks
    both under a lock, since neither fits a row-level database constraint.
    """

    child = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="links_up")
    parent = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="links_down")
    how = models.TextField(help_text="How this objective contributes to the parent.")
    expected_contribution = models.CharField(
        max_length=200,
        blank=True,
        help_text="What the team expects to move, in the parent's terms (“+3 of the 10 points”).",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["child", "parent"],
                name="alignment_link_once",
                violation_error_message="This objective already contributes to that one.",
            ),
            models.CheckConstraint(
                condition=~Q(child=F("parent")),
                name="alignment_link_not_to_itself",
                violation_error_message="An objective cannot contribute to itself.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.child} → {self.parent}"


class Dependency(models.Model):
    """An objective needs something from another unit, which answers."""

    class Status(models.TextChoices):
        REQUESTED = "requested", "Requested"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        DONE = "done", "Done"

    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="dependencies")
    provider = models.ForeignKey(
        OrgUnit,
        on_delete=models.CASCADE,
        related_name="incoming_dependencies",
        help_text="The unit asked for help.",
    )
    description = models.TextField(help_text="What is needed, and by when.")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.REQUESTED)
    response = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "dependencies"
        indexes = [
            # Incoming requests on a unit's setting page: open ones only.
            models.Index(
                fields=["provider"],
                condition=Q(status__in=["requested", "accepted"]),
                name="dependency_open_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.objective} needs {self.provider}"


class ObjectiveComment(models.Model):
    """The debate on an objective: what people wrote, and the status changes it led to.

    A status change (proposed, agreed, sent back) is an entry of its own, with the comment
    that came with it, so the thread reads as the story of the agreement. Its primary key
    names the event in email idempotency keys ("objective-agreed:<comment>:<person>").
    """

    class Kind(models.TextChoices):
        COMMENT = "comment", "Comment"
        PROPOSED = "proposed", "Proposed"
        AGREED = "agreed", "Agreed"
        SENT_BACK = "sent_back", "Sent back"
        REOPENED = "reopened", "Changed after agreement"

    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.COMMENT)
    body = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="comment", body=""),
                name="objective_comment_has_text",
                violation_error_message="Write something to comment.",
            ),
            models.CheckConstraint(
                condition=~Q(kind="sent_back", body=""),
                name="objective_sent_back_says_why",
                violation_error_message="Say what should change when sending an objective back.",
            ),
        ]
        indexes = [
            # The thread on an objective's page, oldest first.
            models.Index(fields=["objective", "created_at"], name="objective_comment_thread_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.objective_id}"


class ObjectiveChange(models.Model):
    """One change to a locked objective (agreed, quarter started) or to its key results: who,
    when, what changed field by field, and why. Anyone reads it on the objective's page.

    `changes` is a list of {"field", "label", "before", "after"} with values already turned
    into the words the page shows, so the history reads the same after the metric is renamed
    or the owner leaves.
    """

    class Action(models.TextChoices):
        OBJECTIVE_EDITED = "objective_edited", "Objective changed"
        KEY_RESULT_ADDED = "key_result_added", "Key result added"
        KEY_RESULT_EDITED = "key_result_edited", "Key result changed"
        KEY_RESULT_DELETED = "key_result_deleted", "Key result deleted"
        KEY_RESULT_MOVED_IN = "key_result_moved_in", "Key result moved here"
        KEY_RESULT_MOVED_OUT = "key_result_moved_out", "Key result moved away"

    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="changes")
    key_result = models.ForeignKey(
        KeyResult, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=32, choices=Action.choices)
    # What was changed, as it was called at the time (a key result's statement).
    subject = models.CharField(max_length=500, blank=True)
    changes = models.JSONField(default=list, blank=True)
    reason = models.TextField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="objective_change_has_reason"),
        ]
        indexes = [
            # The history on an objective's page, newest first.
            models.Index(fields=["objective", "-created_at"], name="objective_change_history_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} on {self.objective_id}"


class FocusReason(models.Model):
    """Why a unit keeps more than five objectives in a cycle.

    Three to five is where focus holds; more is allowed, but the setting page asks for the
    reason and shows it to everyone who reads the unit's OKRs.
    """

    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="focus_reasons")
    cycle = models.ForeignKey("cycles.Cycle", on_delete=models.CASCADE, related_name="+")
    reason = models.TextField()
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["unit", "cycle"], name="focus_reason_once"),
        ]

    def __str__(self) -> str:
        return f"Why {self.unit} has more than five objectives"


class TreeChange(models.Model):
    """One row per committed write to what the alignment tree reads (objectives, key results,
    alignment links, org units), inserted by database triggers in the writer's transaction.

    Inserts take no lock another writer waits for, so this costs writers nothing but the row.
    The rows carry nothing: only how many there are matters (see okrs.tree_memo). A periodic
    task moves their count into TreeVersion.pruned and deletes them.
    """

    id = models.BigAutoField(primary_key=True)

    class Meta:
        verbose_name = "alignment tree change"

    def __str__(self) -> str:
        return f"tree change {self.pk}"


class TreeVersion(models.Model):
    """How many TreeChange rows were deleted by pruning (one row, id 1).

    The alignment tree's data version is this plus the TreeChange rows still there: the
    number of tree writes ever committed, which grows with every commit and is never the
    same for two states of the data (okrs.tree_memo).
    """

    pruned = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = "alignment tree version"

    def __str__(self) -> str:
        return f"{self.pruned} tree changes pruned"
