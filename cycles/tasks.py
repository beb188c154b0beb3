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


@shared_task(acks_late=True)
def advance_cycle_phases() -> int:
    """Daily: move cycles forward to the phase their dates give (never back, never a held
    one). Returns how many moved."""
    return len(services.cycles_advance_by_schedule())


@shared_task(acks_late=True)
def send_score_due_notices() -> int:
    """Daily: tell owners of delayed-payback key results whose window has ended that their
    key result is ready to be scored. Returns how many emails were queued."""
    return services.score_due_notices_dispatch()
