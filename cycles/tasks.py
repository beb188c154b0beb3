"""Celery tasks for cycles: periodic jobs run by beat (config/settings.py CELERY_BEAT_SCHEDULE).
They call services; the services' idempotency makes a duplicate run (two beats, a redelivered
message) harmless."""

from __future__ import annotations

from celery import shared_task

from cycles import services


@shared_task(acks_late=True)
def dispatch_reminders() -> int:
    """Queue reminder emails for everyone whose check-in is due. Returns how many."""
    return len(services.reminders_dispatch().new)


@shared_task(acks_late=True)
def dispatch_lead_digests() -> int:
    """Queue each lead's digest of their unit's last due date. Returns how many."""
    return len(services.lead_digests_dispatch())
