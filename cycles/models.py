"""When: cycles (quarters) and their phases.

Check-ins, cadences, reminders, scores and retrospectives live here too as they arrive; they
build on okrs and accounts, never the other way round.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db import models
from django.db.models import F, Q
from django.utils import timezone


class CycleQuerySet(models.QuerySet["Cycle"]):
    def current(self, today: date | None = None) -> Cycle | None:
        """The cycle people are working in: the open one whose dates hold today, else the
        nearest open one ahead (being set up), else the latest one. One query: an organisation
        has a handful of cycles a year, so they are compared in Python."""
        today = today or timezone.localdate()
        cycles = sorted(self.all(), key=lambda c: c.starts_on)
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
    phase = models.CharField(max_length=16, choices=Phase.choices, default=Phase.SETTING)
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
        ]

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def default_dates(starts_on: date, ends_on: date) -> dict[str, date]:
        """Setting opens three weeks before the start; scoring in the last week."""
        return {
            "setting_opens_on": starts_on - timedelta(weeks=3),
            "scoring_opens_on": max(starts_on, ends_on - timedelta(days=6)),
        }
