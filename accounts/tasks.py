"""Celery tasks for accounts: they take ids and call services."""

from __future__ import annotations

from celery import shared_task

from accounts import services


# acks_late + reject_on_worker_lost (settings) hand the message back if the worker dies; the
# service's claim makes a second run harmless. The soft limit keeps a send well inside
# services.STUCK_AFTER, after which the sweeper assumes the worker died.
@shared_task(acks_late=True, soft_time_limit=45, time_limit=55)
def send_outgoing_email(pk: int) -> str:
    return services.outgoing_email_send(pk=pk)


@shared_task(acks_late=True)
def sweep_outbox() -> int:
    return services.outbox_sweep()
