from __future__ import annotations

import datetime
import smtplib

import pytest
from django.core import mail
from django.utils import timezone

from accounts import services
from accounts.models import OutgoingEmail
from tests.accounts import scripted_backend


@pytest.fixture
def scripted(settings):
    settings.EMAIL_BACKEND = "tests.accounts.scripted_backend.ScriptedBackend"
    scripted_backend.FAILURES.clear()
    yield scripted_backend.FAILURES
    scripted_backend.FAILURES.clear()


def _queue(key: str = "test:1", to: str = "eli@example.com") -> OutgoingEmail:
    return services.email_queue(
        key=key,
        to=to,
        template="added_to_unit",
        context={"user": None, "unit": "Payments", "role": "Member", "by": None, "url": "/"},
    )


def test_queued_email_is_sent_after_commit_only(db, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        row = _queue()
        assert mail.outbox == []  # nothing leaves before the transaction commits
    assert len(callbacks) == 1
    callbacks[0]()
    row.refresh_from_db()
    assert row.state == OutgoingEmail.State.SENT and row.attempts == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.extra_headers["Message-ID"] == row.message_id
    assert message.alternatives and "Payments" in message.alternatives[0][0]


def test_the_same_key_is_one_email(db, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        first = _queue()
        second = _queue()
    assert first.pk == second.pk
    assert OutgoingEmail.objects.count() == 1 and len(mail.outbox) == 1


def test_running_the_send_task_again_sends_nothing_more(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        row = _queue()
    assert services.outgoing_email_send(pk=row.pk) == services.SendOutcome.SKIPPED
    assert len(mail.outbox) == 1


def test_a_temporary_refusal_is_retried_later(db, scripted) -> None:
    scripted.append(smtplib.SMTPResponseException(451, b"try again later"))
    row = OutgoingEmail.objects.create(key="k", to="a@example.com", subject="s", body_text="b")
    assert services.outgoing_email_send(pk=row.pk) == services.SendOutcome.RETRY
    row.refresh_from_db()
    assert row.state == OutgoingEmail.State.QUEUED and row.attempts == 1
    assert "451" in row.last_error
    assert row.next_attempt_at > timezone.now() + datetime.timedelta(seconds=20)
    # Too early: a duplicate message for the delayed retry does nothing.
    assert services.outgoing_email_send(pk=row.pk) == services.SendOutcome.SKIPPED
    later = row.next_attempt_at + datetime.timedelta(seconds=1)
    assert services.outgoing_email_send(pk=row.pk, now=later) == services.SendOutcome.SENT
    row.refresh_from_db()
    assert row.state == OutgoingEmail.State.SENT and row.attempts == 2
    assert len(mail.outbox) == 1


@pytest.mark.parametrize(
    "error",
    [
        smtplib.SMTPResponseException(550, b"no such mailbox"),
        smtplib.SMTPRecipientsRefused({"a@example.com": (550, b"unknown user")}),
    ],
)
def test_a_permanent_refusal_fails_for_good(db, scripted, error) -> None:
    scripted.append(error)
    row = OutgoingEmail.objects.create(key="k", to="a@example.com", subject="s", body_text="b")
    assert services.outgoing_email_send(pk=row.pk) == services.SendOutcome.FAILED
    row.refresh_from_db()
    assert row.state == OutgoingEmail.State.FAILED and "550" in row.last_error
    assert services.outgoing_email_send(pk=row.pk) == services.SendOutcome.SKIPPED
    assert mail.outbox == []


def test_gives_up_after_the_last_retry(db, scripted) -> None:
    row = OutgoingEmail.objects.create(key="k", to="a@example.com", subject="s", body_text="b")
    now = timezone.now()
    for _ in range(len(services.RETRY_DELAYS) + 1):
        scripted.append(ConnectionRefusedError("server down"))
        now += datetime.timedelta(hours=1)
        services.outgoing_email_send(pk=row.pk, now=now)
    row.refresh_from_db()
    assert row.state == OutgoingEmail.State.FAILED
    assert row.attempts == len(services.RETRY_DELAYS) + 1


def test_sweep_requeues_rows_a_dead_worker_left_sending(db) -> None:
    now = timezone.now()
    stuck = OutgoingEmail.objects.create(
        key="stuck",
        to="a@example.com",
        subject="s",
        body_text="b",
        state=OutgoingEmail.State.SENDING,
        sending_since=now - datetime.timedelta(minutes=2),
    )
    busy = OutgoingEmail.objects.create(
        key="busy",
        to="a@example.com",
        subject="s",
        body_text="b",
        state=OutgoingEmail.State.SENDING,
        sending_since=now - datetime.timedelta(seconds=5),
    )
    lost = OutgoingEmail.objects.create(
        key="lost",
        to="a@example.com",
        subject="s",
        body_text="b",
        next_attempt_at=now - datetime.timedelta(minutes=5),
    )
    sent = OutgoingEmail.objects.create(
        key="sent",
        to="a@example.com",
        subject="s",
        body_text="b",
        state=OutgoingEmail.State.SENT,
        next_attempt_at=now - datetime.timedelta(days=1),
    )
    assert services.outbox_sweep(now=now) == 2
    states = dict(OutgoingEmail.objects.values_list("key", "state"))
    assert states == {"stuck": "queued", "busy": "sending", "lost": "queued", "sent": "sent"}
    # Re-queued rows are due again from now: the next sweep leaves them to their new task.
    assert services.outbox_sweep(now=now) == 0
    # Two minutes on, they and the once-busy row count as lost again.
    assert services.outbox_sweep(now=now + datetime.timedelta(minutes=2)) == 3
    del stuck, busy, lost, sent
