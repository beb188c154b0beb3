"""The setting services: drafting, reordering, the debate and agreement, locking with a
history, concurrent edits, carrying forward, alignment and dependencies."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import OutgoingEmail
from cycles.models import Cycle
from okrs import services
from okrs.models import (
    AlignmentLink,
    Dependency,
    FocusReason,
    KeyResult,
    Metric,
    Objective,
    ObjectiveChange,
    ObjectiveComment,
)
from tests.cycles.factories import CycleFactory
from tests.okrs.conftest import Setting
from tests.okrs.factories import KeyResultFactory, MetricFactory, ObjectiveFactory


def emails_to(address: str) -> list[OutgoingEmail]:
    return list(OutgoingEmail.objects.filter(to=address).order_by("pk"))


# Objectives ---------------------------------------------------------------------------------


def test_objectives_are_added_at_the_end_as_drafts(setting: Setting) -> None:
    org = setting.org
    second = services.objective_create(
        unit=org.team, cycle=setting.cycle, title="  Refunds in a day ", by=org.lead
    )
    assert second.title == "Refunds in a day"
    assert second.status == Objective.Status.DRAFT
    assert second.order > setting.objective.order
    assert second.updated_by == org.lead


def test_only_leads_of_the_unit_or_above_create_objectives(setting: Setting) -> None:
    org = setting.org
    for person in (org.engineer, org.outsider):
        with pytest.raises(PermissionDenied):
            services.objective_create(unit=org.team, cycle=setting.cycle, title="x", by=person)
    services.objective_create(unit=org.team, cycle=setting.cycle, title="y", by=org.function_lead)


def test_a_closed_cycle_is_read_only(setting: Setting) -> None:
    Cycle.objects.filter(pk=setting.cycle.pk).update(phase=Cycle.Phase.CLOSED)
    setting.cycle.refresh_from_db()
    with pytest.raises(ValidationError, match="closed"):
        services.objective_create(
            unit=setting.org.team, cycle=setting.cycle, title="x", by=setting.org.lead
        )


def test_update_changes_fields_and_bumps_the_version(setting: Setting) -> None:
    objective = setting.objective
    saved = services.objective_update(
        objective=objective,
        by=setting.org.lead,
        version=objective.version,
        title="Checkout is instant",
        kind=Objective.Kind.COMMITTED,
    )
    assert (saved.title, saved.kind, saved.version) == ("Checkout is instant", "committed", 2)
    assert saved.updated_by == setting.org.lead
    assert not ObjectiveChange.objects.exists()  # not locked: no history needed


def test_an_update_that_changes_nothing_keeps_the_version(setting: Setting) -> None:
    objective = setting.objective
    saved = services.objective_update(
        objective=objective, by=setting.org.lead, version=1, title=objective.title
    )
    assert saved.version == 1


def test_a_stale_objective_edit_is_refused_and_writes_nothing(setting: Setting) -> None:
    objective = setting.objective
    services.objective_update(objective=objective, by=setting.org.lead, version=1, title="Mine")
    with pytest.raises(services.StaleEdit) as refused:
        services.objective_update(
            objective=objective, by=setting.org.function_lead, version=1, title="Theirs"
        )
    assert refused.value.current.title == "Mine"
    assert refused.value.current.updated_by == setting.org.lead
    objective.refresh_from_db()
    assert (objective.title, objective.version) == ("Mine", 2)


def test_a_locked_objective_changes_only_with_a_reason_kept_in_its_history(
    setting: Setting,
) -> None:
    setting.lock()
    objective = setting.objective
    with pytest.raises(ValidationError) as missing:
        services.objective_update(
            objective=objective, by=setting.org.lead, version=1, title="Checkout is fast"
        )
    assert "reason" in missing.value.error_dict
    services.objective_update(
        objective=objective,
        by=setting.org.lead,
        version=1,
        title="Checkout is fast",
        owner=setting.org.engineer,
        reason="Instant was not measurable",
    )
    change = ObjectiveChange.objects.get()
    assert change.action == ObjectiveChange.Action.OBJECTIVE_EDITED
    assert change.reason == "Instant was not measurable"
    assert change.by == setting.org.lead
    assert change.changes == [
        {
            "field": "title",
            "label": "Title",
            "before": "Checkout feels instant",
            "after": "Checkout is fast",
        },
        {"field": "owner", "label": "Owner", "before": "Lena Lead", "after": "Eli Engineer"},
    ]


def test_an_agreed_objective_edited_by_the_team_before_the_start_goes_back_to_proposed(
    setting: Setting,
) -> None:
    org = setting.org
    Objective.objects.filter(pk=setting.objective.pk).update(status=Objective.Status.AGREED)
    setting.objective.refresh_from_db()
    services.objective_update(objective=setting.objective, by=org.lead, version=1, title="New")
    setting.objective.refresh_from_db()
    assert setting.objective.status == Objective.Status.PROPOSED
    assert ObjectiveComment.objects.get().kind == ObjectiveComment.Kind.REOPENED
    assert "Changed after agreement" in emails_to(org.function_lead.email)[0].subject
    # The lead above may change what they agreed without undoing the agreement.
    Objective.objects.filter(pk=setting.objective.pk).update(status=Objective.Status.AGREED)
    services.objective_update(
        objective=setting.objective, by=org.function_lead, version=2, title="Newer"
    )
    setting.objective.refresh_from_db()
    assert setting.objective.status == Objective.Status.AGREED


def test_changes_to_a_proposal_are_noted_once_and_the_approvers_told(setting: Setting) -> None:
    org = setting.org
    Objective.objects.filter(pk=setting.objective.pk).update(status=Objective.Status.PROPOSED)
    setting.objective.refresh_from_db()
    services.objective_update(objective=setting.objective, by=org.lead, version=1, title="New")
    services.objective_update(objective=setting.objective, by=org.lead, version=2, title="Newer")
    setting.objective.refresh_from_db()
    assert setting.objective.status == Objective.Status.PROPOSED
    notes = list(ObjectiveComment.objects.values_list("body", flat=True))
    assert len(notes) == 1 and notes[0].startswith("Changed while waiting for agreement")
    assert len(emails_to(org.function_lead.email)) == 1
    # The approver's own edits need no note.
    services.objective_update(
        objective=setting.objective, by=org.function_lead, version=3, title="Newest"
    )
    assert ObjectiveComment.objects.count() == 1


def test_a_locked_objective_cannot_be_deleted_but_a_draft_can(setting: Setting) -> None:
    setting.lock()
    with pytest.raises(ValidationError, match="stays on the record"):
        services.objective_delete(objective=setting.objective, by=setting.org.lead)
    draft = ObjectiveFactory(unit=setting.org.team, cycle=setting.cycle)
    KeyResultFactory(objective=draft)
    services.objective_delete(objective=draft, by=setting.org.lead)
    assert not Objective.objects.filter(pk=draft.pk).exists()


def test_engineers_cannot_delete(setting: Setting) -> None:
    with pytest.raises(PermissionDenied):
        services.objective_delete(objective=setting.objective, by=setting.org.engineer)


def test_objectives_move_up_and_down(setting: Setting) -> None:
    org = setting.org
    first = setting.objective
    second = services.objective_create(unit=org.team, cycle=setting.cycle, title="B", by=org.lead)
    third = services.objective_create(unit=org.team, cycle=setting.cycle, title="C", by=org.lead)

    def order() -> list[int]:
        return list(
            Objective.objects.filter(unit=org.team, cycle=setting.cycle)
            .order_by("order", "pk")
            .values_list("pk", flat=True)
        )

    assert services.objective_move(objective=third, direction="up", by=org.lead)
    assert order() == [first.pk, third.pk, second.pk]
    assert not services.objective_move(objective=first, direction="up", by=org.lead)
    assert services.objective_move(objective=first, direction="down", by=org.lead)
    assert order() == [third.pk, first.pk, second.pk]
    with pytest.raises(ValidationError, match="changed meanwhile"):
        services.objectives_reorder(
            unit=org.team, cycle=setting.cycle, ordered_ids=[first.pk], by=org.lead
        )


def test_focus_reason_is_one_per_unit_and_cycle(setting: Setting) -> None:
    org = setting.org
    services.focus_reason_set(unit=org.team, cycle=setting.cycle, reason="Audit", by=org.lead)
    services.focus_reason_set(unit=org.team, cycle=setting.cycle, reason="Audit+", by=org.lead)
    assert FocusReason.objects.get().reason == "Audit+"
    with pytest.raises(PermissionDenied):
        services.focus_reason_set(unit=org.team, cycle=setting.cycle, reason="x", by=org.engineer)


# The debate and agreement -------------------------------------------------------------------


def test_propose_agree_with_the_thread_and_emails(setting: Setting) -> None:
    org = setting.org
    objective = setting.objective
    services.objective_propose(objective=objective, by=org.lead, comment="Ready for you")
    assert objective.status == Objective.Status.PROPOSED
    # The lead of the unit above is asked; nobody else, and never the proposer.
    proposal = emails_to(org.function_lead.email)
    assert len(proposal) == 1 and "For your agreement" in proposal[0].subject
    assert "Ready for you" in proposal[0].body_text
    assert f"/units/{org.team.pk}/setting/?cycle={setting.cycle.pk}" in proposal[0].body_text
    assert not emails_to(org.lead.email)

    with pytest.raises(PermissionDenied):
        services.objective_agree(objective=objective, by=org.lead)
    services.objective_agree(objective=objective, by=org.function_lead)
    objective.refresh_from_db()
    assert objective.status == Objective.Status.AGREED
    agreed = emails_to(org.lead.email)
    assert len(agreed) == 1 and agreed[0].subject.startswith("Agreed:")
    kinds = list(objective.comments.values_list("kind", flat=True))
    assert kinds == ["proposed", "agreed"]


def test_proposing_needs_a_key_result_and_a_draft(setting: Setting) -> None:
    org = setting.org
    empty = ObjectiveFactory(unit=org.team, cycle=setting.cycle)
    with pytest.raises(ValidationError, match="at least one key result"):
        services.objective_propose(objective=empty, by=org.lead)
    services.objective_propose(objective=setting.objective, by=org.lead)
    with pytest.raises(ValidationError, match="Only a draft"):
        services.objective_propose(objective=setting.objective, by=org.lead)


def test_send_back_needs_a_comment_and_returns_to_draft(setting: Setting) -> None:
    org = setting.org
    services.objective_propose(objective=setting.objective, by=org.lead)
    with pytest.raises(ValidationError):
        services.objective_send_back(objective=setting.objective, by=org.function_lead, comment="")
    services.objective_send_back(
        objective=setting.objective, by=org.function_lead, comment="Which customers?"
    )
    setting.objective.refresh_from_db()
    assert setting.objective.status == Objective.Status.DRAFT
    sent_back = emails_to(org.lead.email)
    assert len(sent_back) == 1 and "Which customers?" in sent_back[0].body_text


def test_a_company_objective_is_agreed_by_the_company_lead(setting: Setting) -> None:
    org = setting.org
    company = ObjectiveFactory(unit=org.company, cycle=setting.cycle)
    KeyResultFactory(objective=company)
    services.objective_propose(objective=company, by=org.admin)
    assert len(emails_to(org.leader.email)) == 1
    services.objective_agree(objective=company, by=org.leader)


def test_comments_reach_everyone_involved_but_the_writer(setting: Setting) -> None:
    org = setting.org
    services.objective_comment_add(objective=setting.objective, by=org.engineer, body="Why 300?")
    # Owner and unit lead (the same person here) and the lead above.
    assert {e.to for e in OutgoingEmail.objects.all()} == {org.lead.email, org.function_lead.email}
    services.objective_comment_add(objective=setting.objective, by=org.lead, body="Because")
    # The engineer wrote in the thread, so now hears about replies.
    assert len(emails_to(org.engineer.email)) == 1
    with pytest.raises(ValidationError):
        services.objective_comment_add(objective=setting.objective, by=org.lead, body="  ")


def test_emails_are_escaped_and_keyed_once_per_person_and_event(setting: Setting) -> None:
    org = setting.org
    comment = services.objective_comment_add(
        objective=setting.objective, by=org.engineer, body="<script>alert(1)</script>"
    )
    row = OutgoingEmail.objects.get(to=org.lead.email)
    assert row.key == f"objective-comment:{comment.pk}:{org.lead.pk}"
    assert "<script>" not in row.body_html and "&lt;script&gt;" in row.body_html


# Key results --------------------------------------------------------------------------------


def test_a_stale_key_result_edit_keeps_a_check_in_saved_meanwhile(setting: Setting) -> None:
    kr = setting.key_result
    # A check-in lands while the lead edits: it writes other columns and no version.
    KeyResult.objects.filter(pk=kr.pk).update(current_value=Decimal("700"), confidence=60)
    services.key_result_update(key_result=kr, by=setting.org.lead, version=1, target=Decimal("250"))
    kr.refresh_from_db()
    assert (kr.target, kr.current_value, kr.confidence, kr.version) == (250, 700, 60, 2)
    with pytest.raises(services.StaleEdit) as refused:
        services.key_result_update(
            key_result=kr, by=setting.org.function_lead, version=1, target=Decimal("200")
        )
    assert refused.value.current.target == 250
    kr.refresh_from_db()
    assert kr.target == 250


def test_a_known_metric_remembers_the_latest_baseline(setting: Setting) -> None:
    metric = MetricFactory(name="p95 checkout latency", unit="ms")
    services.key_result_update(
        key_result=setting.key_result,
        by=setting.org.lead,
        version=1,
        metric=metric,
        baseline_value=Decimal("880"),
        baseline_measured_on=datetime.date(2026, 12, 1),
    )
    metric.refresh_from_db()
    assert (metric.last_value, metric.last_measured_on) == (880, datetime.date(2026, 12, 1))


def test_locked_key_result_changes_are_recorded_field_by_field(setting: Setting) -> None:
    setting.lock()
    kr = setting.key_result
    with pytest.raises(ValidationError):
        services.key_result_update(key_result=kr, by=setting.org.lead, version=1, target=250)
    services.key_result_update(
        key_result=kr,
        by=setting.org.lead,
        version=1,
        target=Decimal("250"),
        direction=KeyResult.Direction.DECREASE,
        reason="The new CDN makes 250 reachable",
    )
    change = ObjectiveChange.objects.get()
    assert change.key_result == kr
    assert change.subject == kr.statement
    assert change.changes == [
        {"field": "target", "label": "Target", "before": "300", "after": "250"}
    ]
    new = services.key_result_create(
        objective=setting.objective,
        statement="Keep checkout errors under 0.1%",
        by=setting.org.lead,
        reason="Speed must not cost errors",
        unit="%",
        target=Decimal("0.1"),
        direction=KeyResult.Direction.STAY_BELOW,
    )
    services.key_result_delete(key_result=new, by=setting.org.lead, reason="Folded into the SLO")
    actions = list(ObjectiveChange.objects.order_by("pk").values_list("action", flat=True))
    assert actions == ["key_result_edited", "key_result_added", "key_result_deleted"]
    deleted = ObjectiveChange.objects.get(action="key_result_deleted")
    assert {"field": "target", "label": "Target", "before": "0.1", "after": ""} in deleted.changes


def test_key_results_move_within_the_unit_and_cycle_only(setting: Setting) -> None:
    org = setting.org
    other = ObjectiveFactory(unit=org.team, cycle=setting.cycle, title="Refunds")
    moved = services.key_result_move(key_result=setting.key_result, to=other, by=org.lead)
    assert moved.objective == other and moved.version == 2
    elsewhere = ObjectiveFactory(unit=org.other_team, cycle=setting.cycle)
    with pytest.raises((ValidationError, PermissionDenied)):
        services.key_result_move(key_result=setting.key_result, to=elsewhere, by=org.lead)
    last_quarter = ObjectiveFactory(unit=org.team, cycle=org.cycle)
    with pytest.raises(ValidationError, match="same unit and cycle"):
        services.key_result_move(key_result=setting.key_result, to=last_quarter, by=org.lead)


def test_moving_out_of_a_locked_objective_needs_a_reason_and_shows_on_both(
    setting: Setting,
) -> None:
    org = setting.org
    setting.lock()
    other = ObjectiveFactory(unit=org.team, cycle=setting.cycle, title="Refunds")
    with pytest.raises(ValidationError):
        services.key_result_move(key_result=setting.key_result, to=other, by=org.lead)
    services.key_result_move(key_result=setting.key_result, to=other, by=org.lead, reason="Fits")
    assert set(ObjectiveChange.objects.values_list("objective_id", "action")) == {
        (setting.objective.pk, "key_result_moved_out"),
        (other.pk, "key_result_moved_in"),
    }


def test_key_results_reorder(setting: Setting) -> None:
    KeyResult.objects.filter(pk=setting.key_result.pk).update(order=0)
    second = KeyResultFactory(objective=setting.objective, order=10)
    assert services.key_result_shift(key_result=second, direction="up", by=setting.org.lead)
    assert list(setting.objective.key_results.values_list("pk", flat=True)) == [
        second.pk,
        setting.key_result.pk,
    ]


# Carrying forward ---------------------------------------------------------------------------


def test_carry_forward_brings_the_chosen_key_results_from_where_they_ended(
    setting: Setting,
) -> None:
    org = setting.org
    old = ObjectiveFactory(
        unit=org.team, cycle=org.cycle, title="Fewer chargebacks", owner=org.lead
    )
    metric = MetricFactory(name="Chargeback rate")
    ended = KeyResultFactory(
        objective=old,
        statement="Reduce chargebacks from 1.2% to 0.6%",
        metric=metric,
        baseline_value=Decimal("1.2"),
        target=Decimal("0.6"),
        current_value=Decimal("0.9"),
        checked_in_at=datetime.datetime(2026, 12, 1, 9, tzinfo=datetime.UTC),
    )
    KeyResultFactory(objective=old, statement="Left behind")
    new = services.objective_carry_forward(
        source=old, cycle=setting.cycle, key_results=[ended], by=org.lead
    )
    assert (new.cycle, new.carried_from, new.status) == (setting.cycle, old, "draft")
    carried = new.key_results.get()
    assert carried.statement == ended.statement and carried.metric == metric
    assert carried.baseline_value == Decimal("0.9")
    assert carried.baseline_measured_on == datetime.date(2026, 12, 1)
    assert carried.current_value is None
    with pytest.raises(ValidationError, match="already carried"):
        services.objective_carry_forward(
            source=old, cycle=setting.cycle, key_results=[], by=org.lead
        )
    earlier = CycleFactory(
        name="2026 Q1", starts_on=datetime.date(2026, 1, 1), ends_on=datetime.date(2026, 3, 31)
    )
    with pytest.raises(ValidationError, match="later cycle"):
        services.objective_carry_forward(source=old, cycle=earlier, key_results=[], by=org.lead)


# Alignment and dependencies -----------------------------------------------------------------


def test_alignment_links_are_removed_by_the_contributing_team(setting: Setting) -> None:
    org = setting.org
    parent = ObjectiveFactory(unit=org.function, cycle=setting.cycle)
    link = services.alignment_link_create(
        child=setting.objective, parent=parent, how="Faster pages convert", by=org.lead
    )
    with pytest.raises(PermissionDenied):
        services.alignment_link_delete(link=link, by=org.outsider)
    services.alignment_link_delete(link=link, by=org.lead)
    assert not AlignmentLink.objects.exists()


def test_alignment_refuses_loops_and_other_cycles(setting: Setting) -> None:
    org = setting.org
    parent = ObjectiveFactory(unit=org.function, cycle=setting.cycle)
    services.alignment_link_create(child=setting.objective, parent=parent, how="h", by=org.lead)
    with pytest.raises(ValidationError, match="loop"):
        services.alignment_link_create(
            child=parent, parent=setting.objective, how="h", by=org.function_lead
        )
    with pytest.raises(ValidationError, match="one cycle"):
        services.alignment_link_create(
            child=setting.objective, parent=org.function_objective, how="h", by=org.lead
        )


def test_dependencies_are_asked_and_answered_with_emails(setting: Setting) -> None:
    org = setting.org
    # Search's lead, so the other team has someone to answer.
    from accounts.models import Membership
    from tests.accounts.factories import MembershipFactory, UserFactory

    search_lead = UserFactory(email="search@example.com", name="Sam Search")
    MembershipFactory(user=search_lead, unit=org.other_team, role=Membership.Role.LEAD)
    dependency = services.dependency_create(
        objective=setting.objective,
        provider=org.other_team,
        description="Index product pages by 15 Jan",
        by=org.lead,
    )
    asked = emails_to(search_lead.email)
    assert len(asked) == 1 and "needs something from Search" in asked[0].subject
    with pytest.raises(PermissionDenied):
        services.dependency_answer(dependency=dependency, status="accepted", note="", by=org.lead)
    with pytest.raises(ValidationError, match="why you decline"):
        services.dependency_answer(
            dependency=dependency, status="declined", note=" ", by=search_lead
        )
    services.dependency_answer(
        dependency=dependency, status="declined", note="Not before March", by=search_lead
    )
    dependency.refresh_from_db()
    assert (dependency.status, dependency.answered_by) == ("declined", search_lead)
    answered = emails_to(org.lead.email)
    assert len(answered) == 1 and "Not before March" in answered[0].body_text
    # The same answer twice (a double-click) mails once.
    services.dependency_answer(
        dependency=dependency, status="declined", note="Not before March", by=search_lead
    )
    assert len(emails_to(org.lead.email)) == 1
    assert Dependency.objects.get().status == "declined"


def test_metric_records_are_created_case_insensitively(setting: Setting) -> None:
    first = services.metric_get_or_create(name="Checkout  conversion", unit="%")
    assert services.metric_get_or_create(name="checkout conversion") == first
    assert Metric.objects.count() == 1
