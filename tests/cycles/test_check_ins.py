"""The check-in service: what a check-in changes, what it refuses, and that history is never
rewritten."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, InternalError, connection, transaction

from accounts.models import Membership, OutgoingEmail
from cycles import services
from cycles.models import AppendOnlyError, CheckIn, CheckInSchedule, Cycle
from okrs.models import KeyResult
from tests.accounts.factories import MembershipFactory, UserFactory
from tests.conftest import Org
from tests.cycles.helpers import check_in
from tests.okrs.factories import KeyResultFactory, MetricFactory

NOW = datetime(2026, 10, 20, 9, 30, tzinfo=UTC)


@pytest.fixture
def kr(org: Org) -> KeyResult:
    """The engineer's key result, created before the quarter."""
    with time_machine.travel(datetime(2026, 9, 20, tzinfo=UTC), tick=False):
        return KeyResultFactory(
            objective=org.objective,
            owner=org.engineer,
            baseline_value=Decimal("0.8"),
            target=Decimal("0.2"),
            metric=MetricFactory(name="Payment 5xx rate"),
        )


def test_a_check_in_becomes_the_key_results_current_state(org: Org, kr: KeyResult) -> None:
    with time_machine.travel(NOW, tick=False):
        ci = services.check_in_create(
            key_result=kr,
            by=org.engineer,
            confidence=70,
            value=Decimal("0.55"),
            what_changed="Retries on the card gateway landed.",
            blocker="Waiting for the search team's index rebuild.",
            blocker_unit=org.other_team,
        )
    kr.refresh_from_db()
    assert (ci.author, ci.confidence, ci.value, ci.via) == (
        org.engineer,
        70,
        Decimal("0.55"),
        "web",
    )
    assert kr.current_value == Decimal("0.55") and kr.confidence == 70
    assert kr.checked_in_at == NOW
    assert kr.blocker == "Waiting for the search team's index rebuild."
    assert kr.blocker_unit == org.other_team
    # Checked in on Tuesday 20 Oct (the engineer is in Oslo): the next one is due on
    # Monday 2 Nov, and the schedule holds it in UTC (09:00 CET = 08:00 UTC).
    assert kr.check_in_due_on == date(2026, 11, 2)
    schedule = CheckInSchedule.objects.get(key_result=kr)
    assert schedule.due_at == schedule.remind_at == datetime(2026, 11, 2, 8, tzinfo=UTC)
    # The metric remembers its latest measurement.
    kr.metric.refresh_from_db()
    assert (kr.metric.last_value, kr.metric.last_measured_on) == (
        Decimal("0.55"),
        date(2026, 10, 20),
    )


def test_a_later_check_in_without_a_blocker_clears_it(org: Org, kr: KeyResult) -> None:
    check_in(kr, blocker="Index rebuild", blocker_unit=org.other_team)
    check_in(kr, confidence=60, value="0.5")
    kr.refresh_from_db()
    assert kr.blocker == "" and kr.blocker_unit is None


@pytest.mark.parametrize("persona", ["engineer", "lead", "function_lead", "leader", "admin"])
def test_the_owner_and_leads_above_check_in(org: Org, kr: KeyResult, persona: str) -> None:
    ci = services.check_in_create(
        key_result=kr, by=getattr(org, persona), confidence=50, value=Decimal("0.7")
    )
    assert ci.author == getattr(org, persona)


def test_others_only_read(org: Org, kr: KeyResult) -> None:
    teammate = UserFactory()
    MembershipFactory(user=teammate, unit=org.team, role=Membership.Role.MEMBER)
    for person in (org.outsider, teammate):
        with pytest.raises(PermissionDenied):
            services.check_in_create(key_result=kr, by=person, confidence=50, value=Decimal("1"))
    assert not CheckIn.objects.exists()


def test_a_changed_confidence_asks_what_changed(org: Org, kr: KeyResult) -> None:
    check_in(kr, confidence=60)
    with pytest.raises(ValidationError) as caught:
        services.check_in_create(
            key_result=kr, by=org.engineer, confidence=40, value=Decimal("0.7")
        )
    assert "moved from 60 to 40" in caught.value.message_dict["what_changed"][0]
    # The same confidence needs no words; a changed one with words is fine.
    services.check_in_create(key_result=kr, by=org.engineer, confidence=60, value=Decimal("0.7"))
    services.check_in_create(
        key_result=kr, by=org.engineer, confidence=40, value=Decimal("0.7"), what_changed="Outage"
    )
    assert CheckIn.objects.count() == 3


def test_naming_a_unit_needs_a_blocker(org: Org, kr: KeyResult) -> None:
    with pytest.raises(ValidationError) as caught:
        services.check_in_create(
            key_result=kr, by=org.engineer, confidence=50, value=Decimal("1"), blocker_unit=org.team
        )
    assert "blocker" in caught.value.message_dict


@pytest.mark.parametrize("bad", [101, -1])
def test_confidence_outside_0_100_is_refused(org: Org, kr: KeyResult, bad: int) -> None:
    with pytest.raises(ValidationError) as caught:
        services.check_in_create(key_result=kr, by=org.engineer, confidence=bad, value=Decimal("1"))
    assert "confidence" in caught.value.message_dict


def test_check_ins_wait_for_the_quarter_to_run(org: Org, kr: KeyResult) -> None:
    Cycle.objects.filter(pk=org.cycle.pk).update(phase=Cycle.Phase.CLOSED)
    kr = KeyResult.objects.get(pk=kr.pk)
    with pytest.raises(ValidationError, match="closed phase"):
        services.check_in_create(key_result=kr, by=org.engineer, confidence=50, value=Decimal("1"))


# Append-only ---------------------------------------------------------------------------------


def test_a_stored_check_in_cannot_be_changed_or_deleted_through_the_orm(kr: KeyResult) -> None:
    ci = check_in(kr)
    ci.confidence = 10
    with pytest.raises(AppendOnlyError):
        ci.save()
    with pytest.raises(AppendOnlyError):
        ci.delete()
    with pytest.raises(AppendOnlyError):
        CheckIn.objects.filter(pk=ci.pk).update(confidence=10)
    with pytest.raises(AppendOnlyError):
        CheckIn.objects.all().delete()
    assert CheckIn.objects.get(pk=ci.pk).confidence == 60


def test_a_key_result_with_check_ins_cannot_be_deleted(kr: KeyResult) -> None:
    from django.db.models import ProtectedError

    check_in(kr)
    with pytest.raises(ProtectedError):
        kr.delete()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE cycles_checkin SET confidence = 1",
        "UPDATE cycles_checkin SET what_changed = 'rewritten'",
        "DELETE FROM cycles_checkin",
    ],
)
def test_postgresql_rejects_any_update_or_delete(kr: KeyResult, statement: str) -> None:
    ci = check_in(kr)
    with (
        pytest.raises((IntegrityError, InternalError), match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)
    assert CheckIn.objects.get(pk=ci.pk).confidence == 60


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_an_operator_can_erase_deliberately(kr: KeyResult) -> None:
    check_in(kr)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL quarterdeck.allow_check_in_erasure = 'on'")
        cursor.execute("DELETE FROM cycles_checkin")
    assert not CheckIn.objects.exists()


# Corrections ---------------------------------------------------------------------------------


def test_a_correction_is_a_new_check_in_that_replaces_the_latest(org: Org, kr: KeyResult) -> None:
    check_in(kr, confidence=60, value="0.6", at=datetime(2026, 10, 5, 9, tzinfo=UTC))
    wrong = check_in(kr, confidence=65, value="6.5", at=datetime(2026, 10, 19, 9, tzinfo=UTC))
    fixed = services.check_in_correct(
        original=wrong,
        by=org.engineer,
        confidence=65,
        value=Decimal("0.65"),
        what_changed="Typed 6.5 for 0.65.",
    )
    assert fixed.corrects == wrong
    kr.refresh_from_db()
    assert kr.current_value == Decimal("0.65")
    assert CheckIn.objects.count() == 3  # the wrong one stays, marked
    assert list(
        CheckIn.objects.effective().order_by("created_at").values_list("value", flat=True)
    ) == [
        Decimal("0.6"),
        Decimal("0.65"),
    ]


def test_only_the_latest_check_in_is_corrected_and_only_with_a_reason(
    org: Org, kr: KeyResult
) -> None:
    first = check_in(kr, at=datetime(2026, 10, 5, 9, tzinfo=UTC))
    latest = check_in(kr, at=datetime(2026, 10, 19, 9, tzinfo=UTC))
    with pytest.raises(ValidationError, match="Only the latest"):
        services.check_in_correct(
            original=first, by=org.engineer, confidence=1, value=Decimal("1"), what_changed="x"
        )
    with pytest.raises(ValidationError) as caught:
        services.check_in_correct(
            original=latest, by=org.engineer, confidence=60, value=Decimal("1"), what_changed=""
        )
    assert "what_changed" in caught.value.message_dict
    with pytest.raises(PermissionDenied):
        services.check_in_correct(
            original=latest, by=org.outsider, confidence=60, value=Decimal("1"), what_changed="x"
        )


# Blockers ------------------------------------------------------------------------------------


def test_the_lead_of_a_named_unit_is_told_once(
    org: Org, kr: KeyResult, django_capture_on_commit_callbacks
) -> None:
    search_lead = UserFactory(name="Sam Search", email="sam@example.com")
    MembershipFactory(user=search_lead, unit=org.other_team, role=Membership.Role.LEAD)
    with django_capture_on_commit_callbacks(execute=True):
        ci = services.check_in_create(
            key_result=kr,
            by=org.engineer,
            confidence=50,
            value=Decimal("0.7"),
            blocker="The search index rebuild blocks our retries.",
            blocker_unit=org.other_team,
        )
        # Repeating the same blocker in the next check-in is not news.
        services.check_in_create(
            key_result=kr,
            by=org.engineer,
            confidence=50,
            value=Decimal("0.65"),
            blocker="The search index rebuild blocks our retries.",
            blocker_unit=org.other_team,
        )
    (email,) = OutgoingEmail.objects.filter(key__startswith="blocker:")
    assert email.key == f"blocker:{ci.pk}:{search_lead.pk}"
    assert email.to == "sam@example.com" and email.state == OutgoingEmail.State.SENT
    assert "Payments says Search could unblock" in email.subject
    assert "The search index rebuild blocks our retries." in email.body_text
    assert f"/key-results/{kr.pk}/" in email.body_text


def test_email_subjects_are_plain_text(org: Org, kr: KeyResult) -> None:
    org.other_team.name = "Identity & Access"
    org.other_team.save()
    MembershipFactory(user=UserFactory(), unit=org.other_team, role=Membership.Role.LEAD)
    check_in(kr, blocker="Waiting on <the> new API", blocker_unit=org.other_team)
    email = OutgoingEmail.objects.get(key__startswith="blocker:")
    assert email.subject.startswith("Payments says Identity & Access could unblock")
    assert "Waiting on <the> new API" in email.body_text  # the text part is not HTML
    assert "Waiting on &lt;the&gt; new API" in email.body_html


def test_nothing_is_sent_before_the_check_in_commits(
    org: Org, kr: KeyResult, django_capture_on_commit_callbacks
) -> None:
    from django.core import mail

    MembershipFactory(user=UserFactory(), unit=org.other_team, role=Membership.Role.LEAD)
    with django_capture_on_commit_callbacks() as callbacks:
        services.check_in_create(
            key_result=kr,
            by=org.engineer,
            confidence=50,
            value=Decimal("1"),
            blocker="x",
            blocker_unit=org.other_team,
        )
        assert mail.outbox == []
    assert len(callbacks) == 1


def test_sync_restores_the_latest_check_ins_values_after_an_import(kr: KeyResult) -> None:
    check_in(kr, confidence=70, value="0.4")
    KeyResult.objects.filter(pk=kr.pk).update(current_value=Decimal("9"), confidence=1)
    assert services.key_results_sync_from_check_ins(key_result_ids=[kr.pk]) == 1
    kr.refresh_from_db()
    assert (kr.current_value, kr.confidence) == (Decimal("0.4"), 70)
    assert services.key_results_sync_from_check_ins(key_result_ids=[kr.pk]) == 0


def test_deleting_a_checked_in_key_result_is_refused_with_a_reason(
    client, org: Org, kr: KeyResult
) -> None:
    """The setting page's delete meets check-ins' PROTECT: a message, not a 500."""
    from django.urls import reverse

    from okrs import services as okrs_services

    check_in(kr)
    with pytest.raises(ValidationError, match="check-ins stay on the record"):
        okrs_services.key_result_delete(key_result=kr, by=org.lead, reason="Wrong metric")
    with pytest.raises(ValidationError, match="One of its key results has check-ins"):
        okrs_services.objective_delete(objective=org.objective, by=org.lead)
    client.force_login(org.lead)
    response = client.post(
        reverse("okrs:key-result-delete", args=[kr.pk]), {"reason": "Wrong metric"}
    )
    assert response.status_code == 200
    assert "check-ins stay on the record" in response.content.decode()
    assert KeyResult.objects.filter(pk=kr.pk).exists()
