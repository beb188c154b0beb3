"""Writes about people: users, memberships, invitations, and the email outbox.

Every function is keyword-only, validates with full_clean(), runs in one transaction, checks the
actor's permission where there is an actor, and enqueues work only after commit.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import (
    Invitation,
    Membership,
    OrgUnit,
    OutgoingEmail,
    User,
    hash_token,
    normalize_email,
)
from accounts.rules import forget_access

log = logging.getLogger(__name__)


def absolute_url(path: str) -> str:
    """A link for an email: emails have no request to build an absolute URL from."""
    return f"{settings.SITE_URL}{path}"


# Users and memberships ------------------------------------------------------------------------


def user_create(
    *,
    email: str,
    name: str,
    password: str | None = None,
    time_zone: str = "UTC",
    is_org_admin: bool = False,
) -> User:
    """Create a person. Without a password they cannot sign in until they set one."""
    user = User(
        email=normalize_email(email),
        name=name.strip(),
        time_zone=time_zone,
        is_staff=is_org_admin,
        is_superuser=is_org_admin,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean()
    user.save()
    return user


def membership_set(*, user: User, unit: OrgUnit, role: str) -> Membership:
    """Put a person in a unit with a role, or change their role there."""
    membership, created = Membership.objects.get_or_create(
        user=user, unit=unit, defaults={"role": role}
    )
    if not created and membership.role != role:
        membership.role = role
        membership.full_clean()
        membership.save(update_fields=["role"])
    forget_access(user)
    return membership


# Invitations ---------------------------------------------------------------------------------


@dataclass
class InvitationResult:
    invitation: Invitation | None
    membership: Membership | None

    @property
    def added_existing_user(self) -> bool:
        return self.membership is not None


@transaction.atomic
def invitation_create(
    *, email: str, unit: OrgUnit, role: str, by: User, name: str = ""
) -> InvitationResult:
    """Invite someone into a unit with a role (org admins only).

    Someone who already has an account is added to the unit straight away and told by email;
    anyone else gets a link that sets their password, works once, and expires after
    INVITATION_MAX_AGE. Inviting the same address again revokes the earlier pending link.
    """
    if not by.has_perm("accounts.invite"):
        raise PermissionDenied("Only org admins invite people.")
    email = normalize_email(email)
    existing = User.objects.filter(email=email, is_active=True).first()
    if existing is not None:
        membership = membership_set(user=existing, unit=unit, role=role)
        email_queue(
            key=f"membership-added:{membership.pk}:{role}:{secrets.token_hex(4)}",
            to=existing.email,
            user=existing,
            template="added_to_unit",
            context={
                "user": existing,
                "unit": unit,
                "role": membership.get_role_display(),
                "by": by,
                "url": absolute_url(reverse("home")),
            },
        )
        return InvitationResult(invitation=None, membership=membership)

    now = timezone.now()
    Invitation.objects.filter(email=email).usable(now).update(revoked_at=now)
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        email=email,
        name=name.strip(),
        unit=unit,
        role=role,
        token_hash=hash_token(token),
        invited_by=by,
        expires_at=now + settings.INVITATION_MAX_AGE,
    )
    invitation.full_clean()
    invitation.save()
    email_queue(
        key=f"invitation:{invitation.pk}",
        to=email,
        template="invitation",
        context={
            "invitation": invitation,
            "by": by,
            "url": absolute_url(reverse("accounts:invitation-accept", args=[token])),
        },
    )
    return InvitationResult(invitation=invitation, membership=None)


def invitation_for_token(token: str) -> Invitation | None:
    """The usable invitation a link's token names, or None (unknown, used, expired, revoked)."""
    return (
        Invitation.objects.usable()
        .select_related("unit")
        .filter(token_hash=hash_token(token))
        .first()
    )


@transaction.atomic
def invitation_accept(*, token: str, name: str, password: str) -> User:
    """Turn an invitation into an account: set the password, join the unit. Works once."""
    invitation = (
        Invitation.objects.select_for_update().filter(token_hash=hash_token(token)).usable().first()
    )
    if invitation is None:
        raise ValidationError("This invitation link has expired or has already been used.")
    if User.objects.filter(email=invitation.email).exists():
        raise ValidationError("An account with this email already exists: sign in instead.")
    user = user_create(email=invitation.email, name=name, password=password)
    membership_set(user=user, unit=invitation.unit, role=invitation.role)
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    return user


# The outbox ----------------------------------------------------------------------------------


def render_email(template: str, context: dict[str, Any]) -> tuple[str, str, str]:
    """Subject, text and HTML bodies from templates/emails/<template>_{subject,body}.*"""
    context = {"site_url": settings.SITE_URL, **context}
    subject = render_to_string(f"emails/{template}_subject.txt", context)
    text = render_to_string(f"emails/{template}_body.txt", context)
    html = render_to_string(f"emails/{template}_body.html", context)
    return " ".join(subject.split()), text, html


def email_queue(
    *,
    key: str,
    to: str,
    template: str,
    context: dict[str, Any],
    user: User | None = None,
    headers: dict[str, str] | None = None,
) -> OutgoingEmail:
    """Put one email in the outbox under an idempotency key, and send it after commit.

    Queuing the same key again returns the existing row and sends nothing new: callers choose
    keys that name the fact they report ("reminder:<person>:<due date>").
    """
    existing = OutgoingEmail.objects.filter(key=key).first()
    if existing is not None:
        return existing
    subject, text, html = render_email(template, context)
    try:
        with transaction.atomic():
            row = OutgoingEmail.objects.create(
                key=key,
                to=to,
                user=user,
                subject=subject,
                body_text=text,
                body_html=html,
                headers=headers or {},
            )
    except IntegrityError:
        # A concurrent caller queued the same key first: theirs is the one.
        return OutgoingEmail.objects.get(key=key)
    _enqueue_after_commit(row.pk)
    return row


@dataclass(frozen=True)
class EmailSpec:
    """One email for email_queue_many: the same arguments as email_queue."""

    key: str
    to: str
    template: str
    context: dict[str, Any]
    user_id: int | None = None
    headers: dict[str, str] | None = None


def email_queue_many(specs: list[EmailSpec]) -> dict[str, OutgoingEmail]:
    """Queue many emails at once, in a fixed number of queries however many there are.

    The bulk form of email_queue, for the reminder dispatch (thousands of people due at the same
    minute): one query for the keys already queued, one insert for the rest, one to read them
    back. Same idempotency: a key already in the outbox is not rendered or sent again. Returns
    the row for every key, new or existing. Each new row is sent after commit.
    """
    if not specs:
        return {}
    keys = [spec.key for spec in specs]
    existing = set(OutgoingEmail.objects.filter(key__in=keys).values_list("key", flat=True))
    rows = []
    for spec in specs:
        if spec.key in existing:
            continue
        existing.add(spec.key)  # the same key twice in one call is one email
        subject, text, html = render_email(spec.template, spec.context)
        rows.append(
            OutgoingEmail(
                key=spec.key,
                to=spec.to,
                user_id=spec.user_id,
                subject=subject,
                body_text=text,
                body_html=html,
                headers=spec.headers or {},
            )
        )
    new_keys = {row.key for row in rows}
    # A concurrent caller that inserted the same key first wins; ours is skipped, not an error.
    OutgoingEmail.objects.bulk_create(rows, ignore_conflicts=True)
    by_key = {row.key: row for row in OutgoingEmail.objects.filter(key__in=keys)}
    _enqueue_many_after_commit(
        [
            row.pk
            for key in new_keys
            if (row := by_key.get(key)) is not None and row.state == OutgoingEmail.State.QUEUED
        ]
    )
    return by_key


def _enqueue_many_after_commit(pks: list[int]) -> None:
    """Enqueue many send tasks after commit through one producer (a connection from the pool
    per message costs more than the message). The first failure stops the loop: with the broker
    down, every further publish would wait out its own retries, and the sweeper sends whatever
    is left queued once the broker is back."""
    if not pks:
        return
    from accounts.tasks import send_outgoing_email

    def enqueue() -> None:
        sent = 0
        app = send_outgoing_email.app
        try:
            # Eager tasks (unit tests) run in place and need no connection to a broker.
            with (
                contextlib.nullcontext(None)
                if app.conf.task_always_eager
                else app.producer_or_acquire()
            ) as producer:
                for pk in pks:
                    send_outgoing_email.apply_async((pk,), producer=producer)
                    sent += 1
        except Exception:
            log.exception(
                "Enqueued %s of %s outgoing emails; the sweeper will send the rest", sent, len(pks)
            )

    transaction.on_commit(enqueue)


def _enqueue_after_commit(pk: int, countdown: float | None = None) -> None:
    from accounts.tasks import send_outgoing_email

    def enqueue() -> None:
        try:
            send_outgoing_email.apply_async((pk,), countdown=countdown)
        except Exception:  # broker down: the row stays queued and the sweeper sends it later
            log.exception("Could not enqueue outgoing email %s; the sweeper will retry", pk)

    transaction.on_commit(enqueue)


# Retry after 30 s, 1, 2, 5, 10 and 15 minutes; then give up. Countdowns stay far below the
# broker's visibility timeout (an ETA beyond it makes Redis redeliver the message early).
# settings.OUTBOX_RETRY_DELAYS overrides it: the integration tests shorten it so a real worker
# retries within seconds.
RETRY_DELAYS = [30, 60, 120, 300, 600, 900]
# A send never legitimately takes longer than this (EMAIL_TIMEOUT is 20 s): a row "sending"
# for longer belongs to a worker that died. settings.OUTBOX_STUCK_AFTER_SECONDS overrides it.
STUCK_AFTER = timedelta(seconds=60)


def _retry_delays() -> list[int]:
    return list(getattr(settings, "OUTBOX_RETRY_DELAYS", None) or RETRY_DELAYS)


def _stuck_after() -> timedelta:
    seconds = getattr(settings, "OUTBOX_STUCK_AFTER_SECONDS", None)
    return timedelta(seconds=seconds) if seconds else STUCK_AFTER


class SendOutcome:
    SENT = "sent"
    SKIPPED = "skipped"
    RETRY = "retry"
    FAILED = "failed"


def _is_permanent(exc: Exception) -> bool:
    """5xx from the server is permanent; 4xx, timeouts and dropped connections are not."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes)
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500
    return False


def _build_message(row: OutgoingEmail) -> EmailMultiAlternatives:
    headers = {"Message-ID": row.message_id, **row.headers}
    message = EmailMultiAlternatives(
        subject=row.subject, body=row.body_text, to=[row.to], headers=headers
    )
    if row.body_html:
        message.attach_alternative(row.body_html, "text/html")
    return message


def outgoing_email_send(*, pk: int, now: datetime | None = None) -> str:
    """Send one outbox row, exactly once in effect.

    1. Claim: lock the row; go on only if it is queued and due. Mark it sending, commit. A
       duplicate task (a second beat, a redelivered message) finds it sending or sent and stops.
    2. Send over SMTP, outside any transaction (no lock is held while the network is slow).
    3. Record: sent; or queued again with a delay on a temporary failure; or failed for good on
       a 5xx or after the last retry.
    If the worker dies between 1 and 3, the row stays "sending" and sweep_outbox re-queues it
    after STUCK_AFTER.
    """
    now = now or timezone.now()
    delays = _retry_delays()
    with transaction.atomic():
        row = OutgoingEmail.objects.select_for_update().filter(pk=pk).first()
        if row is None or row.state != OutgoingEmail.State.QUEUED:
            return SendOutcome.SKIPPED
        if row.next_attempt_at > now + timedelta(seconds=1):
            return SendOutcome.SKIPPED  # an early duplicate of a delayed retry
        row.state = OutgoingEmail.State.SENDING
        row.sending_since = now
        row.attempts += 1
        row.save(update_fields=["state", "sending_since", "attempts"])

    try:
        _build_message(row).send(fail_silently=False)
    except Exception as exc:
        permanent = _is_permanent(exc)
        give_up = permanent or row.attempts > len(delays)
        row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        row.sending_since = None
        if give_up:
            row.state = OutgoingEmail.State.FAILED
        else:
            row.state = OutgoingEmail.State.QUEUED
            delay = delays[row.attempts - 1]
            row.next_attempt_at = timezone.now() + timedelta(seconds=delay)
        row.save(update_fields=["state", "last_error", "sending_since", "next_attempt_at"])
        log.warning(
            "Email %s attempt %s failed (%s): %s",
            row.pk,
            row.attempts,
            "giving up" if give_up else "will retry",
            exc,
        )
        if give_up:
            return SendOutcome.FAILED
        _enqueue_after_commit(row.pk, countdown=delays[row.attempts - 1])
        return SendOutcome.RETRY

    row.state = OutgoingEmail.State.SENT
    row.sent_at = timezone.now()
    row.sending_since = None
    row.last_error = ""
    row.save(update_fields=["state", "sent_at", "sending_since", "last_error"])
    return SendOutcome.SENT


def outbox_sweep(*, now: datetime | None = None, limit: int = 500) -> int:
    """Re-queue emails whose send task was lost: the broker dropped its queue, or a worker
    died mid-send. Returns how many were re-enqueued. Safe to run any number of times."""
    now = now or timezone.now()
    requeued = 0
    with transaction.atomic():
        rows = list(
            OutgoingEmail.objects.stuck(now, int(_stuck_after().total_seconds()))
            .select_for_update(skip_locked=True)
            .order_by("next_attempt_at")[:limit]
        )
        for row in rows:
            row.state = OutgoingEmail.State.QUEUED
            row.sending_since = None
            # Push the due time forward so the next sweep does not enqueue it again while this
            # task is still waiting in the queue.
            row.next_attempt_at = now
            row.save(update_fields=["state", "sending_since", "next_attempt_at"])
            _enqueue_after_commit(row.pk)
            requeued += 1
    if requeued:
        log.info("Outbox sweep re-queued %s email(s)", requeued)
    return requeued
