"""Phases, the next cycle, scores, retrospectives and delayed-payback notices (cycles.services)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import OutgoingEmail
from cycles import services
from cycles.models import Cycle, PhaseChange, RetroAction, RetroMark, Retrospective, Score
from okrs.models import KeyResult
from tests.conftest import Org
from tests.cycles.factories import CycleFactory
from tests.cycles.helpers import check_in
from tests.okrs.factories import KeyResultFactory, ObjectiveFactory

D = Decimal


def in_phase(org: Org, phase: str) -> Cycle:
    Cycle.objects.filter(pk=org.cycle.pk).update(phase=phase)
    org.cycle.refresh_from_db()
    return org.cycle


def kr_40_60(org: Org, **kwargs) -> KeyResult:
    return KeyResultFactory(
        objective=org.objective,
        owner=org.engineer,
        direction="increase",
        baseline_value=D(40),
        target=D(60),
        statement="Raise self-serve completion from 40% to 60%",
        **kwargs,
    )


# Phases ----------------------------------------------------------------------------------------


def test_the_schedule_moves_cycles_forward_by_date_and_never_back(org: Org) -> None:
    cycle = org.cycle  # running, 1 Oct - 31 Dec 2026, scoring from 25 Dec
    assert services.cycles_advance_by_schedule(today=date(2026, 12, 1)) == []
    changes = services.cycles_advance_by_schedule(today=date(2026, 12, 26))
    cycle.refresh_from_db()
    assert cycle.phase == "scoring"
    assert [(c.from_phase, c.to_phase, c.by) for c in changes] == [("running", "scoring", None)]
    # A second run the same day changes nothing; an earlier date never moves it back.
    assert services.cycles_advance_by_schedule(today=date(2026, 12, 26)) == []
    assert services.cycles_advance_by_schedule(today=date(2026, 11, 1)) == []
    cycle.refresh_from_db()
    assert cycle.phase == "scoring"
    services.cycles_advance_by_schedule(today=date(2027, 1, 8))  # 31 Dec + 8 days
    cycle.refresh_from_db()
    assert cycle.phase == "retro"
    services.cycles_advance_by_schedule(today=date(2027, 1, 22))
    cycle.refresh_from_db()
    assert cycle.phase == "closed"


def test_an_admin_moves_a_phase_by_hand_and_back_holds_it(org: Org) -> None:
    cycle = services.cycle_set_phase(cycle=org.cycle, phase="scoring", by=org.admin)
    assert (cycle.phase, cycle.phase_held) == ("scoring", False)
    cycle = services.cycle_set_phase(cycle=cycle, phase="running", by=org.admin)
    assert (cycle.phase, cycle.phase_held) == ("running", True)
    # Held: the schedule leaves it alone, even past its dates.
    assert services.cycles_advance_by_schedule(today=date(2027, 1, 30)) == []
    cycle = services.cycle_release_hold(cycle=cycle, by=org.admin, today=date(2026, 12, 26))
    assert (cycle.phase, cycle.phase_held) == ("scoring", False)
    log = list(PhaseChange.objects.order_by("at", "pk").values_list("to_phase", "by_id", "held"))
    assert log == [
        ("scoring", org.admin.pk, False),
        ("running", org.admin.pk, True),
        ("scoring", None, False),
    ]


def test_only_org_admins_move_phases(org: Org) -> None:
    for person in (org.leader, org.lead, org.engineer):
        with pytest.raises(PermissionDenied):
            services.cycle_set_phase(cycle=org.cycle, phase="scoring", by=person)
        with pytest.raises(PermissionDenied):
            services.cycle_create_next(by=person)


def test_the_next_cycle_in_one_step(org: Org) -> None:
    cycle = services.cycle_create_next(by=org.admin, today=date(2026, 11, 22))
    assert cycle.name == "2027 Q1"
    assert (cycle.starts_on, cycle.ends_on) == (date(2027, 1, 1), date(2027, 3, 31))
    assert cycle.setting_opens_on == date(2026, 12, 11)
    assert cycle.scoring_opens_on == date(2027, 3, 25)
    assert (cycle.retro_opens_on, cycle.closes_on) == (date(2027, 4, 8), date(2027, 4, 22))
    assert cycle.phase == "setting"
    # A name already taken (an oddly named older cycle) is refused, not duplicated.
    CycleFactory(name="2027 Q2", starts_on=date(2026, 4, 1), ends_on=date(2026, 6, 30))
    with pytest.raises(ValidationError, match="2027 Q2 already exists"):
        services.cycle_create_next(by=org.admin)


def test_next_cycle_defaults_without_any_cycle(db) -> None:
    defaults = services.next_cycle_defaults(date(2026, 5, 10))
    assert defaults["name"] == "2026 Q3"
    assert defaults["starts_on"] == date(2026, 7, 1)


# Scores -------------------------------------------------------------------------------------------


def test_a_lead_accepts_the_suggestion(org: Org) -> None:
    kr = kr_40_60(org)
    check_in(kr, value="48", confidence=60)
    in_phase(org, "scoring")
    score = services.key_result_score(key_result=kr, by=org.lead)
    assert (score.score, score.suggested, score.final_value) == (D("0.4"), D("0.4"), D(48))
    kr.refresh_from_db()
    assert (kr.score, kr.score_note) == (D("0.4"), "")


def test_an_override_needs_a_reason_that_stays_beside_the_score(org: Org) -> None:
    kr = kr_40_60(org)
    check_in(kr, value="48", confidence=60)
    in_phase(org, "scoring")
    with pytest.raises(ValidationError) as raised:
        services.key_result_score(key_result=kr, by=org.lead, score=D("0.6"))
    assert "differs from the suggested 0.4" in str(raised.value)
    with pytest.raises(ValidationError, match="other reason"):
        services.key_result_score(key_result=kr, by=org.lead, score=D("0.6"), reason="other")
    services.key_result_score(
        key_result=kr,
        by=org.lead,
        score=D("0.6"),
        reason="data_late",
        reason_text="December's numbers came in January",
    )
    kr.refresh_from_db()
    assert kr.score == D("0.6")
    assert kr.score_note == (
        "Overridden from 0.4: the data arrived late (December's numbers came in January)"
    )
    # Scoring again replaces it; accepting clears the reason.
    services.key_result_score(key_result=kr, by=org.lead)
    kr.refresh_from_db()
    assert (kr.score, kr.score_note) == (D("0.4"), "")
    assert Score.objects.count() == 1


def test_scores_are_tenths_from_zero_to_one(org: Org) -> None:
    kr = kr_40_60(org)
    in_phase(org, "scoring")
    for bad in (D("1.1"), D("0.45"), D("-0.1")):
        with pytest.raises(ValidationError, match="0.0 to 1.0"):
            services.key_result_score(key_result=kr, by=org.lead, score=bad)


def test_without_check_ins_the_lead_scores_by_judgement(org: Org) -> None:
    kr = kr_40_60(org)
    in_phase(org, "scoring")
    with pytest.raises(ValidationError, match="no suggestion"):
        services.key_result_score(key_result=kr, by=org.lead)
    services.key_result_score(key_result=kr, by=org.lead, score=D("0.2"))
    kr.refresh_from_db()
    assert kr.score == D("0.2")
    assert kr.score_note == "Scored by judgement: nothing measured to suggest from"


def test_only_leads_of_the_unit_and_above_score(org: Org) -> None:
    kr = kr_40_60(org)
    check_in(kr, value="48")
    in_phase(org, "scoring")
    for person in (org.engineer, org.outsider):
        with pytest.raises(PermissionDenied):
            services.key_result_score(key_result=kr, by=person)
    services.key_result_score(key_result=kr, by=org.leader)


@pytest.mark.parametrize("phase", ["setting", "running", "closed"])
def test_scores_are_given_in_scoring_and_retro_only(org: Org, phase: str) -> None:
    kr = kr_40_60(org)
    check_in(kr, value="48")
    in_phase(org, phase)
    with pytest.raises(ValidationError, match="scoring and retrospective phases"):
        services.key_result_score(key_result=kr, by=org.lead)


def test_withdrawing_a_score_clears_it_everywhere(org: Org) -> None:
    kr = kr_40_60(org)
    check_in(kr, value="60")
    in_phase(org, "retro")
    services.key_result_score(key_result=kr, by=org.lead, score=D("0.9"), reason="metric_wrong")
    services.key_result_score_withdraw(key_result=kr, by=org.lead)
    kr.refresh_from_db()
    assert (kr.score, kr.score_note) == (None, "")
    assert not Score.objects.exists()


def test_accept_all_scores_what_has_a_suggestion(org: Org, django_assert_num_queries) -> None:
    krs = [kr_40_60(org) for _ in range(3)]
    for kr in krs[:2]:
        check_in(kr, value="50")
    in_phase(org, "scoring")
    assert services.unit_scores_accept_all(unit=org.team, cycle=org.cycle, by=org.lead) == 2
    assert KeyResult.objects.filter(score=D("0.5")).count() == 2
    assert KeyResult.objects.get(pk=krs[2].pk).score is None
    assert services.unit_scores_accept_all(unit=org.team, cycle=org.cycle, by=org.lead) == 0


# Delayed payback ---------------------------------------------------------------------------


def test_a_delayed_payback_key_result_is_pending_until_its_window_ends(org: Org) -> None:
    kr = kr_40_60(org, measurement_ends_on=date(2027, 2, 28))
    check_in(kr, value="45")
    in_phase(org, "scoring")
    with pytest.raises(ValidationError, match="scored once that window ends"):
        services.key_result_score(key_result=kr, by=org.lead, today=date(2026, 12, 28))
    # The quarter closes; the window ends; the owner records the final value and the lead
    # scores it in the cycle it belongs to.
    in_phase(org, "closed")
    kr.refresh_from_db()
    assert services.check_in_open(kr)
    check_in(kr, value="58", confidence=80, what_changed="The window ended")
    score = services.key_result_score(key_result=kr, by=org.lead, today=date(2027, 3, 2))
    assert score.score == D("0.9")
    kr.refresh_from_db()
    assert not services.check_in_open(kr)


def test_the_owner_is_told_once_when_the_window_ends(
    org: Org, django_capture_on_commit_callbacks, mailoutbox
) -> None:
    kr = kr_40_60(org, measurement_ends_on=date(2027, 2, 28))
    kr_40_60(org, measurement_ends_on=date(2026, 12, 15))  # within the quarter: not delayed
    assert services.score_due_notices_dispatch(today=date(2027, 2, 28)) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert services.score_due_notices_dispatch(today=date(2027, 3, 1)) == 1
        assert services.score_due_notices_dispatch(today=date(2027, 3, 2)) == 0
    email = OutgoingEmail.objects.get(key=f"score-due:{kr.pk}")
    assert email.to == org.engineer.email
    assert "Ready to score" in email.subject
    assert "Lena Lead" in email.body_text and "/units/" in email.body_text
    assert len(mailoutbox) == 1


# Retrospectives ----------------------------------------------------------------------------


def test_a_lead_writes_the_retrospective_with_marks(org: Org) -> None:
    kr = kr_40_60(org)
    in_phase(org, "scoring")
    retro = services.retrospective_save(
        unit=org.team,
        cycle=org.cycle,
        by=org.lead,
        learned="  Baselines first.  ",
        marks={kr.pk: services.MarkInput("too_hard", True, "Aim for 50 next time")},
    )
    assert retro.learned == "Baselines first."
    mark = RetroMark.objects.get(key_result=kr)
    assert (mark.calibration, mark.moved_not_objective, mark.note) == (
        "too_hard",
        True,
        "Aim for 50 next time",
    )
    services.retrospective_save(
        unit=org.team,
        cycle=org.cycle,
        by=org.lead,
        marks={kr.pk: services.MarkInput("about_right")},
    )
    assert RetroMark.objects.get(key_result=kr).calibration == "about_right"
    assert Retrospective.objects.count() == 1


def test_marks_only_for_the_units_key_results(org: Org) -> None:
    other = KeyResultFactory(objective=ObjectiveFactory(unit=org.other_team, cycle=org.cycle))
    in_phase(org, "scoring")
    with pytest.raises(ValidationError, match="not this unit's"):
        services.retrospective_save(
            unit=org.team, cycle=org.cycle, by=org.lead, marks={other.pk: services.MarkInput()}
        )


def test_only_leads_write_the_retrospective_while_it_is_open(org: Org) -> None:
    in_phase(org, "retro")
    for person in (org.engineer, org.outsider):
        with pytest.raises(PermissionDenied):
            services.retrospective_save(unit=org.team, cycle=org.cycle, by=person)
    in_phase(org, "closed")
    with pytest.raises(ValidationError, match="scoring and retrospective phases"):
        services.retrospective_save(unit=org.team, cycle=org.cycle, by=org.lead)


def test_actions_have_an_owner_and_the_owner_ticks_them_off(org: Org) -> None:
    in_phase(org, "retro")
    with pytest.raises(ValidationError) as raised:
        services.retro_action_create(
            unit=org.team, cycle=org.cycle, by=org.lead, text=" ", owner=None
        )
    assert set(raised.value.error_dict) == {"text", "owner"}
    action = services.retro_action_create(
        unit=org.team, cycle=org.cycle, by=org.lead, text="Measure first", owner=org.engineer
    )
    in_phase(org, "closed")  # next quarter: the owner ticks it off
    services.retro_action_set_done(action=action, by=org.engineer, done=True)
    assert RetroAction.objects.get().done
    with pytest.raises(PermissionDenied):
        services.retro_action_set_done(action=action, by=org.outsider, done=False)


def test_marking_the_retrospective_held(org: Org) -> None:
    in_phase(org, "retro")
    retro = services.retrospective_set_done(unit=org.team, cycle=org.cycle, by=org.lead)
    assert retro.done_at is not None
    retro = services.retrospective_set_done(unit=org.team, cycle=org.cycle, by=org.lead, done=False)
    assert retro.done_at is None


def test_check_ins_stay_closed_after_scoring_for_ordinary_key_results(org: Org) -> None:
    kr = kr_40_60(org)
    in_phase(org, "retro")
    with pytest.raises(ValidationError, match="retrospective phase"):
        check_in(kr, value="50")
