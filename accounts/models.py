"""Who: people, the organisation tree, memberships, invitations, and the email outbox.

Rights derive from memberships (accounts/rules.py): leads of a unit and of its ancestors edit
its OKRs; every signed-in person reads everything.
"""

from __future__ import annotations

import hashlib
import zoneinfo
from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone


def validate_time_zone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(f"“{value}” is not a known time zone.") from exc


def normalize_email(email: str) -> str:
    """Emails are stored lower-case so that sign-in and invitations match however typed."""
    return email.strip().lower()


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields) -> User:
        if not email:
            raise ValueError("A user needs an email address.")
        user = self.model(email=normalize_email(email), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields) -> User:
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email=normalize_email(username or ""))


class User(AbstractBaseUser, PermissionsMixin):
    """A person. Signs in with email; org admins are superusers (they may use Django admin)."""

    # Stored lower-case (a check constraint holds it), so `unique` is case-insensitive.
    email = models.EmailField("email address", max_length=254, unique=True)
    name = models.CharField(max_length=150)
    time_zone = models.CharField(
        max_length=64,
        default="UTC",
        validators=[validate_time_zone],
        help_text="Reminders arrive at the cadence's hour in this time zone.",
    )
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(
        default=False, help_text="Can sign in to the Django admin (org admins)."
    )
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        ordering = ["name", "email"]
        constraints = [
            models.CheckConstraint(
                condition=Q(email=Lower("email")),
                name="user_email_lower_case",
                violation_error_message="Email addresses are stored in lower case.",
            ),
        ]

    def __str__(self) -> str:
        return self.name or self.email

    def clean(self) -> None:
        super().clean()
        self.email = normalize_email(self.email)

    def get_full_name(self) -> str:
        return self.name

    def get_short_name(self) -> str:
        return self.name.split(" ")[0] if self.name else self.email

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


class OrgUnitQuerySet(models.QuerySet["OrgUnit"]):
    def company(self) -> OrgUnit | None:
        return self.filter(kind=OrgUnit.Kind.COMPANY).first()


class OrgUnit(models.Model):
    """A node of the organisation tree: one company at the root, functions, teams below.

    The tree is an adjacency list. Organisations have hundreds to a few thousand units, so
    code that needs ancestors or descendants loads (id, parent_id) for all units in one query
    (see accounts.rules.UnitTree) instead of walking parent links one query at a time.
    """

    class Kind(models.TextChoices):
        COMPANY = "company", "Company"
        FUNCTION = "function", "Function"
        TEAM = "team", "Team"

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = OrgUnitQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="company", parent__isnull=True) | Q(parent__isnull=False)),
                name="orgunit_root_is_company",
                violation_error_message="Only the company has no parent unit.",
            ),
            models.CheckConstraint(
                condition=~Q(kind="company", parent__isnull=False),
                name="orgunit_company_is_root",
                violation_error_message="The company is the root: it has no parent unit.",
            ),
            models.UniqueConstraint(
                fields=["kind"],
                condition=Q(kind="company"),
                name="orgunit_one_company",
                violation_error_message="There is already a company unit.",
            ),
            models.UniqueConstraint(
                "parent",
                Lower("name"),
                name="orgunit_name_unique_among_siblings",
                violation_error_message="A unit with this name already exists here.",
            ),
            models.CheckConstraint(condition=~Q(parent=F("id")), name="orgunit_not_own_parent"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        parent = self.parent
        if parent is None:
            return
        allowed = {
            self.Kind.FUNCTION: {self.Kind.COMPANY},
            self.Kind.TEAM: {self.Kind.FUNCTION, self.Kind.TEAM},
        }.get(self.kind, set())
        if parent.kind not in allowed:
            raise ValidationError(
                {
                    "parent": f"A {self.get_kind_display().lower()} cannot sit under a "
                    f"{parent.get_kind_display().lower()}."
                }
            )
        if self.pk:
            node: OrgUnit | None = parent
            while node is not None:
                if node.pk == self.pk:
                    raise ValidationError({"parent": "A unit cannot sit under itself."})
                node = node.parent


class Membership(models.Model):
    """A person in an org unit, as its lead or a member. Leadership = leads of company and
    function units."""

    class Role(models.TextChoices):
        LEAD = "lead", "Lead"
        MEMBER = "member", "Member"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["unit__name", "-role", "user__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "unit"],
                name="membership_once_per_unit",
                violation_error_message="This person is already in this unit.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display().lower()} of {self.unit})"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class InvitationQuerySet(models.QuerySet["Invitation"]):
    def usable(self, now: datetime | None = None) -> InvitationQuerySet:
        return self.filter(
            accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now or timezone.now()
        )


class Invitation(models.Model):
    """An org admin's invitation for someone to join a unit with a role.

    Only a hash of the token is stored, so a database leak does not leak working links. The
    link works once (accepted_at) and until expires_at (INVITATION_MAX_AGE after sending).
    """

    email = models.EmailField(max_length=254)
    name = models.CharField(max_length=150, blank=True)
    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="invitations")
    role = models.CharField(
        max_length=16, choices=Membership.Role.choices, default=Membership.Role.MEMBER
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Invitation for {self.email} to {self.unit}"

    @property
    def status(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "pending"


class OutgoingEmailQuerySet(models.QuerySet["OutgoingEmail"]):
    def stuck(self, now: datetime, grace_seconds: int) -> OutgoingEmailQuerySet:
        """Rows whose send task should have run by now but evidently did not: queued and
        due for longer than the grace, or 'sending' for longer than any live send can take."""
        cutoff = now - timezone.timedelta(seconds=grace_seconds)
        return self.filter(
            Q(state=OutgoingEmail.State.QUEUED, next_attempt_at__lte=cutoff)
            | Q(state=OutgoingEmail.State.SENDING, sending_since__lte=cutoff)
        )


class OutgoingEmail(models.Model):
    """The outbox: every email Quarterdeck sends is a row here before it is a message.

    A state machine rather than a sent flag: a flag set before the SMTP call loses mail when the
    call fails, and one set after it doubles mail when the worker dies in between. `key` is the
    idempotency key ("invitation:12", "reminder:7:2026-01-05"): whatever enqueues twice hits
    the same row. accounts.tasks.send_outgoing_email sends a row; sweep_outbox re-queues rows
    whose task was lost.
    """

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    key = models.CharField(max_length=200, unique=True)
    to = models.EmailField(max_length=254)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="emails",
    )
    subject = models.CharField(max_length=300)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    headers = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    sending_since = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    objects = OutgoingEmailQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # sweep_outbox: "queued or sending, and overdue". Sent rows, the vast majority,
            # stay out of the index.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(state__in=["queued", "sending"]),
                name="outbox_unfinished_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {self.to} ({self.state})"

    @property
    def message_id(self) -> str:
        """Stable across retries, so a receiving server (and our tests) can spot a resend."""
        domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip(">") or "localhost"
        return f"<outbox-{self.pk}.{hash_token(self.key)[:12]}@{domain}>"
