"""Helpers for cycles' tests: reminders and check-ins without going through a dispatch."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from accounts.models import OutgoingEmail, User
from cycles import services
from cycles.models import CheckIn, Reminder
from okrs.models import KeyResult


def make_reminder(
    user: User,
    key_results: list[KeyResult],
    *,
    due_on: date | None = None,
    window_ends_at: datetime | None = None,
) -> tuple[Reminder, str]:
    """A Reminder row (with its outbox row) for `user`, and the token of its link."""
    now = timezone.now()
    due_on = due_on or now.date()
    email = OutgoingEmail.objects.create(
        key=Reminder.outbox_key(user.pk, due_on),
        to=user.email,
        user=user,
        subject="Check in",
        body_text="…",
        state=OutgoingEmail.State.SENT,
    )
    reminder = Reminder.objects.create(
        user=user,
        cycle=key_results[0].objective.cycle,
        due_on=due_on,
        due_at=now - timedelta(hours=1),
        window_ends_at=window_ends_at or now + timedelta(days=14),
        email=email,
    )
    reminder.key_results.set(key_results)
    return reminder, services.reminder_link_token(user_id=user.pk, due_on=due_on)


def check_in(
    kr: KeyResult,
    *,
    confidence: int = 60,
    value: str = "1.5",
    at: datetime | None = None,
    what_changed: str = "Moving",
    **kwargs,
) -> CheckIn:
    """A check-in recorded with an operator's authority (by=None), optionally in the past."""
    return services.check_in_create(
        key_result=kr,
        by=None,
        confidence=confidence,
        value=Decimal(value),
        what_changed=what_changed,
        at=at,
        **kwargs,
    )
