"""Email leaves through the outbox, a real Celery worker, real Redis and a real SMTP server.

The worker tests prove the wiring production depends on: a service's on-commit enqueue reaches
Redis, a separate worker process picks it up with the production settings, reads the committed
row from PostgreSQL and delivers exactly one message over SMTP. The retry test drives the send
service in this process against the same kind of SMTP server, because the real retry delays
(30 s, 60 s, ...) are too long for a worker test.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import redis
import time_machine
from django.conf import settings as django_settings
from django.utils import timezone

from accounts.models import Invitation, Membership, OutgoingEmail, hash_token
from accounts.services import RETRY_DELAYS, SendOutcome, invitation_create, outgoing_email_send
from tests.conftest import Org
from tests.integration.conftest import CeleryWorker, SmtpServer, wait_until

INVITEE = "new.person@example.com"
INVITATION_LINK = re.compile(r"(https?://\S+/accounts/invitations/([A-Za-z0-9_-]+)/)")


def _invite(org: Org) -> OutgoingEmail:
    invitation_create(email=INVITEE, unit=org.team, role=Membership.Role.MEMBER, by=org.admin)
    return OutgoingEmail.objects.get(to=INVITEE)


def _wait_for_state(pk: int, *states: str, timeout: float = 15.0) -> OutgoingEmail:
    def settled() -> OutgoingEmail | None:
        row = OutgoingEmail.objects.get(pk=pk)
        return row if row.state in states else None

    return wait_until(settled, timeout=timeout, what=f"outbox row {pk} to become {states}")


def _broker_is_drained() -> bool:
    """No message waiting in the queue and none delivered but unacknowledged: nothing left
    that could make the worker send again."""
    client = redis.Redis.from_url(django_settings.REDIS_URL)
    try:
        return client.llen("celery") == 0 and client.hlen("unacked") == 0
    finally:
        client.close()


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_invitation_is_delivered_once_by_the_worker(
    org: Org, smtp_server: SmtpServer, celery_worker: CeleryWorker
) -> None:
    row = _invite(org)

    (message,) = smtp_server.wait_for_messages(1)
    row = _wait_for_state(row.pk, OutgoingEmail.State.SENT, OutgoingEmail.State.FAILED)
    assert row.state == OutgoingEmail.State.SENT, row.last_error
    assert row.attempts == 1
    assert row.sent_at is not None

    assert message.rcpt_tos == (INVITEE,)
    assert message.message_id == row.message_id
    assert message.message["Subject"] == row.subject
    # The link in the email is the invitation's own: its token hashes to the stored hash.
    match = INVITATION_LINK.search(message.text)
    assert match, message.text
    assert match.group(1).startswith(django_settings.SITE_URL)
    invitation = Invitation.objects.get(email=INVITEE)
    assert hash_token(match.group(2)) == invitation.token_hash

    # Exactly once: after the worker acknowledged the task, the broker holds nothing that
    # could deliver it again, and the server has this one message only.
    wait_until(_broker_is_drained, timeout=10, what="the broker queue to drain")
    assert len(smtp_server.messages) == 1
    assert smtp_server.data_attempts == [row.message_id]


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_permanent_rejection_fails_the_row_and_delivers_nothing(
    org: Org, smtp_server: SmtpServer, celery_worker: CeleryWorker
) -> None:
    smtp_server.reject_all(code=550)

    row = _invite(org)

    row = _wait_for_state(row.pk, OutgoingEmail.State.SENT, OutgoingEmail.State.FAILED)
    assert row.state == OutgoingEmail.State.FAILED
    assert row.attempts == 1  # a 5xx is final: no retry was scheduled
    assert "550" in row.last_error
    wait_until(_broker_is_drained, timeout=10, what="the broker queue to drain")
    assert smtp_server.messages == []
    assert smtp_server.data_attempts == [row.message_id]


@pytest.mark.django_db
def test_temporary_failures_are_retried_with_backoff_until_accepted(
    org: Org,
    smtp_server: SmtpServer,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """451, 451, then 250: one message arrives, on the third attempt, with one Message-ID.

    The clock is frozen and moved by hand so the retry delays can be checked exactly.
    """
    smtp_server.use_for(settings)
    smtp_server.fail_next(2, code=451)
    start = timezone.now().replace(microsecond=0)

    with (
        time_machine.travel(start, tick=False) as clock,
        django_capture_on_commit_callbacks() as enqueued,
    ):
        row = _invite(org)
        assert outgoing_email_send(pk=row.pk) == SendOutcome.RETRY
        row.refresh_from_db()
        assert (row.state, row.attempts) == (OutgoingEmail.State.QUEUED, 1)
        assert "451" in row.last_error
        assert row.next_attempt_at == start + timedelta(seconds=RETRY_DELAYS[0])

        # Before the retry is due, a duplicate task (a redelivery, a second beat) sends nothing.
        clock.shift(RETRY_DELAYS[0] - 5)
        assert outgoing_email_send(pk=row.pk) == SendOutcome.SKIPPED
        assert len(smtp_server.data_attempts) == 1

        clock.move_to(row.next_attempt_at)
        assert outgoing_email_send(pk=row.pk) == SendOutcome.RETRY
        row.refresh_from_db()
        assert (row.state, row.attempts) == (OutgoingEmail.State.QUEUED, 2)
        second_try = start + timedelta(seconds=RETRY_DELAYS[0])
        assert row.next_attempt_at == second_try + timedelta(seconds=RETRY_DELAYS[1])

        clock.move_to(row.next_attempt_at)
        assert outgoing_email_send(pk=row.pk) == SendOutcome.SENT
    row.refresh_from_db()
    assert (row.state, row.attempts, row.last_error) == (OutgoingEmail.State.SENT, 3, "")
    # The invitation's own enqueue, then one retry task per temporary failure; none after
    # the success.
    assert len(enqueued) == 3

    (message,) = smtp_server.messages
    assert message.rcpt_tos == (INVITEE,)
    assert message.message_id == row.message_id
    assert smtp_server.data_attempts == [row.message_id] * 3

    # A sent row is final: a late duplicate task finds nothing to do.
    assert outgoing_email_send(pk=row.pk) == SendOutcome.SKIPPED
    assert len(smtp_server.messages) == 1
