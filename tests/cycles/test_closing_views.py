"""Scoring, retrospective, calibration and cycles pages: what each person sees and may do, bad
input, the reason beside a score wherever it appears, and query counts that do not grow."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from accounts.models import Membership
from cycles import services
from cycles.models import Cycle, RetroAction, RetroMark, Retrospective, Score
from okrs.models import KeyResult, Metric
from tests.accounts.factories import MembershipFactory, UserFactory
from tests.conftest import Org
from tests.cycles.factories import CycleFactory
from tests.cycles.helpers import check_in
from tests.okrs.factories import KeyResultFactory, MetricFactory, ObjectiveFactory

HTMX = {"HX-Request": "true"}
NOW = datetime(2026, 12, 28, 10, tzinfo=UTC)  # the org's cycle is in its scoring window
D = Decimal


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def scoring(org: Org) -> Org:
    Cycle.objects.filter(pk=org.cycle.pk).update(phase=Cycle.Phase.SCORING)
    org.cycle.refresh_from_db()
    return org


def kr_40_60(org: Org, *, final: str | None = "48", **kwargs) -> KeyResult:
    kr = KeyResultFactory(
        objective=org.objective,
        owner=org.engineer,
        direction="increase",
        baseline_value=D(40),
        target=D(60),
        statement=kwargs.pop("statement", "Raise self-serve completion from 40% to 60%"),
        **kwargs,
    )
    if final is not None:
        check_in(kr, value=final, confidence=70, at=NOW - timedelta(days=30))
        check_in(kr, value=final, confidence=40, at=NOW - timedelta(days=3), what_changed="Slow")
    return KeyResult.objects.get(pk=kr.pk)


def past_cycle(org: Org, name: str, starts: date) -> Cycle:
    return CycleFactory(
        name=name,
        starts_on=starts,
        ends_on=starts + timedelta(days=90),
        phase=Cycle.Phase.CLOSED,
    )


def grow(org: Org, n: int) -> None:
    """n more of everything these pages show: key results in the cycle being scored (some
    scored, with check-ins), a past closed quarter with scores, a retrospective with marks and
    actions, people in the team, and other units' history."""
    past = Cycle.objects.filter(name="2026 Q3").first() or past_cycle(
        org, "2026 Q3", date(2026, 7, 1)
    )
    retro, _ = Retrospective.objects.get_or_create(unit=org.team, cycle=past)
    current_retro, _ = Retrospective.objects.get_or_create(unit=org.team, cycle=org.cycle)
    for i in range(n):
        objective = ObjectiveFactory(unit=org.team, cycle=org.cycle, kind="committed")
        kr = KeyResultFactory(objective=objective, owner=org.engineer, metric=MetricFactory())
        check_in(kr, value="1.5", confidence=60, at=NOW - timedelta(days=20 + i))
        services.key_result_score(
            key_result=kr, by=org.lead, score=D("0.2"), reason="other", reason_text=f"Reason {i}"
        )
        KeyResultFactory(objective=objective, owner=org.engineer)  # not scored, no check-in
        old = KeyResultFactory(
            objective=ObjectiveFactory(unit=org.team, cycle=past),
            owner=org.engineer,
            metric=kr.metric,
        )
        KeyResult.objects.filter(pk=old.pk).update(created_at=datetime(2026, 6, 20, tzinfo=UTC))
        for week in range(0, 12, 2):
            check_in_past(old, datetime(2026, 7, 6, 10, tzinfo=UTC) + timedelta(weeks=week))
        Score.objects.create(key_result=old, score=D("0.7"), suggested=D("0.7"))
        KeyResult.objects.filter(pk=old.pk).update(score=D("0.7"))
        RetroMark.objects.create(
            retrospective=retro, key_result=old, calibration="too_hard", note=f"Note {i}"
        )
        RetroAction.objects.create(retrospective=retro, text=f"Action {i}", owner=org.engineer)
        RetroAction.objects.create(retrospective=current_retro, text=f"Now {i}", owner=org.lead)
        mate = UserFactory()
        MembershipFactory(user=mate, unit=org.team, role=Membership.Role.MEMBER)
        other = KeyResultFactory(
            objective=ObjectiveFactory(unit=org.other_team, cycle=past), owner=org.outsider
        )
        Score.objects.create(key_result=other, score=D("1.0"), suggested=D("1.0"))
        KeyResult.objects.filter(pk=other.pk).update(score=D("1.0"))


def check_in_past(kr: KeyResult, at: datetime) -> None:
    """A check-in in a closed quarter, as the demo writes them (the service refuses closed
    cycles)."""
    from cycles.models import CheckIn

    CheckIn.objects.create(
        key_result=kr, author=kr.owner, created_at=at, confidence=70, value=D("1.5")
    )


def count(client, method: str, url: str, n: int, django_assert_num_queries, **kwargs):
    with django_assert_num_queries(n):
        response = getattr(client, method)(url, **kwargs)
    assert response.status_code in (200, 302), response.content[:1000]
    return response


def _scoring_url(org: Org, **params: str) -> str:
    return reverse("cycles:unit-scoring", args=[org.team.pk]) + f"?cycle={org.cycle.pk}"


# name: (persona, method, url, kwargs, queries). Session and user, then the page's own, then
# the cycle banner's personal hint on full pages.
def _pages(org: Org) -> dict:
    kr = org.key_result
    scoring = _scoring_url(org)
    retro = reverse("cycles:unit-retro", args=[org.team.pk]) + f"?cycle={org.cycle.pk}"
    return {
        # unit, cycle, objectives, key results (with score, scorer, mark), check-ins,
        # memberships + tree (may score), cycles + hint (banner)
        "scoring": ("lead", "get", scoring, {}, 11),
        # the same without the banner
        "scoring summary (htmx)": ("lead", "get", scoring + "&part=summary", {"headers": HTMX}, 9),
        # key result, memberships + tree (may score); the service: savepoint, lock, check-ins,
        # delete, insert, update, release; the block: objectives, key results, check-ins
        "accept (htmx)": (
            "lead",
            "post",
            reverse("cycles:key-result-score", args=[kr.pk]),
            {"data": {"action": "accept"}, "headers": HTMX},
            15,
        ),
        # unit, cycle, objectives, key results, check-ins, the retrospective and its actions,
        # memberships + tree (may edit), people for the owner list, cycles + hint (banner)
        "retro": ("lead", "get", retro, {}, 14),
        # unit, cycle, objectives, key results, check-ins, retrospective, actions,
        # memberships + tree; the service: savepoint, lock, update, key results, marks,
        # release; the form again: objectives, key results, check-ins, retrospective, actions,
        # people
        "retro save (htmx)": (
            "lead",
            "post",
            retro,
            {"data": {"learned": "Baselines first."}, "headers": HTMX},
            23,
        ),
        # unit, cycles, key results, check-ins, tree, cadences, objectives, comments,
        # changes, people, retrospectives, cycles + hint (banner)
        "unit calibration": (
            "engineer",
            "get",
            reverse("cycles:unit-calibration", args=[org.team.pk]),
            {},
            15,
        ),
        # the same for every unit, and the units' names, without the unit
        "calibration": ("leader", "get", reverse("cycles:calibration"), {}, 15),
        # cycles, recent phase changes, the latest cycle (next defaults), cycles + hint
        "cycles": ("admin", "get", reverse("cycles:cycle-list"), {}, 7),
    }


@pytest.mark.parametrize(
    "name",
    [
        "scoring",
        "scoring summary (htmx)",
        "accept (htmx)",
        "retro",
        "retro save (htmx)",
        "unit calibration",
        "calibration",
        "cycles",
    ],
)
def test_pages_cost_the_same_queries_at_two_sizes(
    client, scoring: Org, name: str, django_assert_num_queries
) -> None:
    org = scoring
    check_in(org.key_result, value="1.5", confidence=60, at=NOW - timedelta(days=9))
    persona, method, url, kwargs, n = _pages(org)[name]
    client.force_login(org.persona(persona))
    grow(org, 1)
    small = count(client, method, url, n, django_assert_num_queries, **kwargs)
    Score.objects.filter(key_result=org.key_result).delete()
    KeyResult.objects.filter(pk=org.key_result.pk).update(score=None)
    grow(org, 6)
    big = count(client, method, url, n, django_assert_num_queries, **kwargs)
    if name not in ("cycles", "accept (htmx)"):
        assert len(big.content) > len(small.content), name


# Scoring ----------------------------------------------------------------------------------


def test_the_lead_sees_each_key_result_with_its_suggestion(client, scoring: Org) -> None:
    kr = kr_40_60(scoring)
    client.force_login(scoring.lead)
    page = client.get(_scoring_url(scoring)).content.decode()
    assert "Suggested <strong>0.4</strong>: Travelled 40% of the way from 40 to 60" in page
    assert "Accept 0.4" in page
    assert "70% → 40%" in page  # the confidence history
    assert f'id="kr-{kr.pk}"' in page
    assert "no page lists scores by person" in page


def test_readers_see_no_scoring_controls(client, scoring: Org) -> None:
    kr_40_60(scoring)
    for person in (scoring.engineer, scoring.outsider):
        client.force_login(person)
        page = client.get(_scoring_url(scoring)).content.decode()
        assert "Suggested <strong>0.4</strong>" in page
        assert "Accept 0.4" not in page and "Give another score" not in page
        assert "The leads of Payments score these key results now" in page


def test_an_override_without_a_reason_keeps_what_was_typed(client, scoring: Org) -> None:
    kr = kr_40_60(scoring)
    client.force_login(scoring.lead)
    url = reverse("cycles:key-result-score", args=[kr.pk])
    data = {"action": "score", f"kr{kr.pk}-score": "0.6", f"kr{kr.pk}-reason_text": "Q4 late"}
    response = client.post(url, data, headers=HTMX)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Say why the score differs from the suggested 0.4." in page
    assert 'value="0.6" selected' in page and 'value="Q4 late"' in page
    assert not Score.objects.exists()
    # Without JavaScript: the whole page, the same message.
    page = client.post(url, data).content.decode()
    assert "<h1>Scoring Payments, " in page and "Say why the score differs" in page


def test_an_override_with_its_reason_shows_beside_the_score_everywhere(
    client, scoring: Org
) -> None:
    kr = kr_40_60(scoring)
    client.force_login(scoring.lead)
    response = client.post(
        reverse("cycles:key-result-score", args=[kr.pk]),
        {
            "action": "score",
            f"kr{kr.pk}-score": "0.6",
            f"kr{kr.pk}-reason": "metric_wrong",
            f"kr{kr.pk}-reason_text": "Counted trial sign-ups too",
        },
        headers=HTMX,
    )
    assert response["HX-Trigger"] == "score-saved"
    note = "Overridden from 0.4: the metric turned out wrong (Counted trial sign-ups too)"
    assert note in response.content.decode()
    for url in (
        _scoring_url(scoring),
        reverse("okrs:unit-detail", args=[scoring.team.pk]),
        reverse("okrs:objective-detail", args=[scoring.objective.pk]),
        reverse("cycles:unit-retro", args=[scoring.team.pk]) + f"?cycle={scoring.cycle.pk}",
    ):
        assert note in client.get(url).content.decode(), url
    tree = client.get(
        reverse("okrs:tree-children", args=[scoring.company_objective.pk]), headers=HTMX
    )
    # The team's objective is not aligned to the company's: read the key results fragment
    # the tree shows for the team's own objective instead.
    from okrs.tree import load_key_results

    rows = load_key_results([scoring.objective.pk], NOW.date())[scoring.objective.pk]
    assert [r.score_note for r in rows if r.id == kr.pk] == [note]
    assert tree.status_code == 200


def test_a_plain_accept_redirects_to_the_key_result(client, scoring: Org) -> None:
    kr = kr_40_60(scoring)
    client.force_login(scoring.lead)
    response = client.post(reverse("cycles:key-result-score", args=[kr.pk]), {"action": "accept"})
    assert response.status_code == 302
    assert response["Location"].endswith(f"#kr-{kr.pk}")
    assert KeyResult.objects.get(pk=kr.pk).score == D("0.4")


def test_scoring_before_the_scoring_phase_is_refused_with_a_message(client, org: Org) -> None:
    kr = kr_40_60(org)
    client.force_login(org.lead)
    response = client.post(
        reverse("cycles:key-result-score", args=[kr.pk]), {"action": "accept"}, follow=True
    )
    page = response.content.decode()
    assert "scores are given in the scoring and retrospective phases" in page
    assert "Scoring opens on 25 December" in page
    assert not Score.objects.exists()


def test_no_check_ins_means_scoring_by_judgement(client, scoring: Org) -> None:
    kr_40_60(scoring, final=None)
    client.force_login(scoring.lead)
    page = client.get(_scoring_url(scoring)).content.decode()
    assert "No suggestion. No check-ins, so no final value to score from" in page
    assert "Score it by judgement" in page


def test_a_pending_key_result_says_when_it_is_scored(client, scoring: Org) -> None:
    kr_40_60(scoring, measurement_ends_on=date(2027, 3, 31))
    client.force_login(scoring.lead)
    page = client.get(_scoring_url(scoring)).content.decode()
    assert "Measured until 31 March 2027: it is scored then" in page
    assert "1 pending (measured after the quarter)" in page
    unit_page = client.get(reverse("okrs:unit-detail", args=[scoring.team.pk])).content.decode()
    assert "Score pending" in unit_page


def test_accept_all(client, scoring: Org) -> None:
    kr_40_60(scoring)
    kr_40_60(scoring, final="50", statement="Raise trial conversion from 40% to 60%")
    client.force_login(scoring.lead)
    page = client.get(_scoring_url(scoring)).content.decode()
    assert "Accept the 2 remaining suggestions" in page
    response = client.post(
        reverse("cycles:unit-scoring-accept-all", args=[scoring.team.pk])
        + f"?cycle={scoring.cycle.pk}",
        follow=True,
    )
    assert "2 suggestions accepted" in response.content.decode()


# Retrospective -------------------------------------------------------------------------


def test_the_retrospective_sorts_key_results_by_what_the_data_says(client, scoring: Org) -> None:
    safe = kr_40_60(scoring, final=None, statement="Raise A from 40 to 60")
    for value, confidence in (("61", 90), ("62", 90)):
        check_in(safe, value=value, confidence=confidence, what_changed="x")
    far = kr_40_60(scoring, final="41", statement="Raise B from 40 to 60")
    for kr in (safe, far):
        services.key_result_score(key_result=kr, by=scoring.lead)
    client.force_login(scoring.lead)
    page = client.get(
        reverse("cycles:unit-retro", args=[scoring.team.pk]) + f"?cycle={scoring.cycle.pk}"
    ).content.decode()
    assert (
        page.index("Too safe?")
        < page.index("Raise A from 40 to 60")
        < page.index("Over-reach?")
        < page.index("Raise B from 40 to 60")
    )
    assert "also: Confidence swings" in page  # B went from 70 to 40
    assert f'name="cal_{safe.pk}" value="too_easy" id="id_cal_{safe.pk}_0" checked' in page
    assert f'name="cal_{far.pk}" value="too_hard" id="id_cal_{far.pk}_2" checked' in page


def test_a_lead_saves_the_retrospective_and_adds_an_action(client, scoring: Org) -> None:
    kr = kr_40_60(scoring)
    services.key_result_score(key_result=kr, by=scoring.lead)
    client.force_login(scoring.lead)
    url = reverse("cycles:unit-retro", args=[scoring.team.pk]) + f"?cycle={scoring.cycle.pk}"
    response = client.post(
        url,
        {"learned": "Measure before promising", f"cal_{kr.pk}": "too_hard", f"note_{kr.pk}": "50"},
        headers=HTMX,
    )
    assert response["HX-Trigger"] == "retro-saved"
    assert "Saved." in response.content.decode()
    assert RetroMark.objects.get(key_result=kr).calibration == "too_hard"
    add = (
        reverse("cycles:retro-action-create", args=[scoring.team.pk]) + f"?cycle={scoring.cycle.pk}"
    )
    bad = client.post(add, {"text": "Check baselines", "owner": ""}, headers=HTMX)
    assert "Choose who owns it." in bad.content.decode()
    assert 'value="Check baselines"' in bad.content.decode()
    ok = client.post(add, {"text": "Check baselines", "owner": scoring.engineer.pk}, headers=HTMX)
    assert "Check baselines" in ok.content.decode() and "Eli Engineer" in ok.content.decode()


def test_readers_see_the_retrospective_without_forms(client, scoring: Org) -> None:
    kr = kr_40_60(scoring)
    services.key_result_score(key_result=kr, by=scoring.lead)
    services.retrospective_save(
        unit=scoring.team,
        cycle=scoring.cycle,
        by=scoring.lead,
        learned="Baselines first",
        marks={kr.pk: services.MarkInput("too_hard")},
    )
    client.force_login(scoring.outsider)
    page = client.get(
        reverse("cycles:unit-retro", args=[scoring.team.pk]) + f"?cycle={scoring.cycle.pk}"
    ).content.decode()
    assert "Baselines first" in page and "Marked <strong>too hard</strong>" in page
    assert "<textarea" not in page and "Add the action" not in page


# The next quarter's setting page ----------------------------------------------------------


def test_actions_and_metric_notes_reach_the_next_quarter(client, scoring: Org) -> None:
    metric = MetricFactory(name="Self-serve completion")
    kr = kr_40_60(scoring, metric=metric)
    services.key_result_score(key_result=kr, by=scoring.lead)
    services.retrospective_save(
        unit=scoring.team,
        cycle=scoring.cycle,
        by=scoring.lead,
        marks={kr.pk: services.MarkInput("too_hard", note="Seasonal dip in December")},
    )
    services.retro_action_create(
        unit=scoring.team,
        cycle=scoring.cycle,
        by=scoring.lead,
        text="Measure weekly",
        owner=scoring.engineer,
    )
    following = services.cycle_create_next(by=scoring.admin)
    client.force_login(scoring.lead)
    page = client.get(
        reverse("okrs:unit-setting", args=[scoring.team.pk]) + f"?cycle={following.pk}"
    ).content.decode()
    assert "From the last retrospective" in page and "Measure weekly" in page
    assert "Eli Engineer" in page
    objective = ObjectiveFactory(unit=scoring.team, cycle=following)
    fragment = client.get(
        reverse("okrs:key-result-metric", args=[objective.pk]) + f"?prefix=p&p-metric={metric.pk}",
        headers=HTMX,
    ).content.decode()
    assert (
        "Last time (2026 Q4) you set 40 → 60 and reached 48: scored 0.4, and the "
        "retrospective marked it too hard." in fragment
    )
    assert "Seasonal dip in December" in fragment
    assert Metric.objects.count() >= 1


# Calibration ----------------------------------------------------------------------------


def _scored_quarter(org: Org, name: str, starts: date, score: str, *, done: bool) -> Cycle:
    cycle = past_cycle(org, name, starts)
    for _ in range(2):
        kr = KeyResultFactory(objective=ObjectiveFactory(unit=org.other_team, cycle=cycle))
        Score.objects.create(key_result=kr, score=D(score), suggested=D(score))
        KeyResult.objects.filter(pk=kr.pk).update(score=D(score))
    Retrospective.objects.create(unit=org.other_team, cycle=cycle, done_at=NOW if done else None)
    return cycle


def test_flags_show_to_the_unit_first(client, scoring: Org) -> None:
    _scored_quarter(scoring, "2026 Q2", date(2026, 4, 1), "1.0", done=True)
    q3 = _scored_quarter(scoring, "2026 Q3", date(2026, 7, 1), "0.9", done=False)
    Cycle.objects.filter(pk=q3.pk).update(closes_on=date(2026, 12, 20))
    client.force_login(scoring.outsider)
    own = client.get(reverse("cycles:unit-calibration", args=[scoring.other_team.pk]))
    assert "Aspirational targets look safe" in own.content.decode()
    assert "You see this first" in own.content.decode()
    client.force_login(scoring.leader)
    org_page = client.get(reverse("cycles:calibration")).content.decode()
    assert "1 flag is with its team for now" in org_page
    assert "Aspirational targets look safe, 2026 Q3" not in org_page
    # The team holds its retrospective: now the organisation sees the flag.
    Retrospective.objects.filter(unit=scoring.other_team, cycle=q3).update(done_at=NOW)
    org_page = client.get(reverse("cycles:calibration")).content.decode()
    assert "Aspirational targets look safe, 2026 Q3" in org_page


def test_the_calibration_page_says_it_is_an_estimate(client, scoring: Org) -> None:
    _scored_quarter(scoring, "2026 Q3", date(2026, 7, 1), "0.7", done=True)
    client.force_login(scoring.engineer)
    page = client.get(reverse("cycles:unit-calibration", args=[scoring.other_team.pk]))
    text = page.content.decode()
    assert "What the rituals cost (an estimate)" in text
    assert "How the estimate is made" in text and "Check-in</th><td>5 min" in text


# Cycles and phases -------------------------------------------------------------------------


def test_only_org_admins_manage_cycles(client, org: Org) -> None:
    for person in (org.leader, org.lead, org.engineer):
        client.force_login(person)
        assert client.get(reverse("cycles:cycle-list")).status_code == 403
        assert client.post(reverse("cycles:cycle-create-next")).status_code == 403


def test_an_admin_advances_the_demo_cycle_into_scoring(client, org: Org) -> None:
    client.force_login(org.admin)
    page = client.get(reverse("cycles:cycle-list")).content.decode()
    assert "Advance to scoring" in page and "Create 2027 Q1" in page
    response = client.post(
        reverse("cycles:cycle-phase", args=[org.cycle.pk]), {"advance": "1"}, follow=True
    )
    assert "is now in its scoring phase" in response.content.decode()
    org.cycle.refresh_from_db()
    assert (org.cycle.phase, org.cycle.phase_held) == ("scoring", False)
    response = client.post(reverse("cycles:cycle-create-next"), follow=True)
    assert "2027 Q1 created: setting opens 11 Dec" in response.content.decode()
    assert Cycle.objects.get(name="2027 Q1").phase == "setting"


def test_moving_back_holds_and_release_catches_up(client, scoring: Org) -> None:
    client.force_login(scoring.admin)
    prefix = f"c{scoring.cycle.pk}"
    client.post(
        reverse("cycles:cycle-phase", args=[scoring.cycle.pk]), {f"{prefix}-phase": "running"}
    )
    scoring.cycle.refresh_from_db()
    assert (scoring.cycle.phase, scoring.cycle.phase_held) == ("running", True)
    page = client.get(reverse("cycles:cycle-list")).content.decode()
    assert "Release the hold" in page
    client.post(reverse("cycles:cycle-release", args=[scoring.cycle.pk]))
    scoring.cycle.refresh_from_db()
    assert (scoring.cycle.phase, scoring.cycle.phase_held) == ("scoring", False)


# The banner ---------------------------------------------------------------------------------


def test_the_banner_says_what_the_phase_asks_of_the_person(client, org: Org) -> None:
    KeyResult.objects.filter(pk=org.key_result.pk).update(check_in_due_on=date(2026, 12, 1))
    client.force_login(org.engineer)
    assert "1 of your key results is due." in client.get(reverse("home")).content.decode()
    Cycle.objects.filter(pk=org.cycle.pk).update(phase="scoring")
    client.force_login(org.lead)
    page = client.get(reverse("home")).content.decode()
    assert f'href="/units/{org.team.pk}/scoring/?cycle={org.cycle.pk}">Score Payments</a>' in page
    client.force_login(org.engineer)
    assert "Payments&#x27;s scores</a>" in client.get(reverse("home")).content.decode()
    Cycle.objects.filter(pk=org.cycle.pk).update(phase="retro")
    client.force_login(org.leader)
    assert "Run the retrospective of Acme</a>" in client.get(reverse("home")).content.decode()


def test_the_django_admin_advances_a_phase_through_the_service(client, org: Org) -> None:
    client.force_login(org.admin)
    response = client.post(
        reverse("admin:cycles_cycle_changelist"),
        {"action": "advance_phase", "_selected_action": [org.cycle.pk]},
    )
    assert response.status_code == 302
    org.cycle.refresh_from_db()
    assert org.cycle.phase == "scoring"
    from cycles.models import PhaseChange

    assert PhaseChange.objects.get().by == org.admin


def test_the_django_admin_offers_the_next_quarter_when_adding_a_cycle(client, org: Org) -> None:
    client.force_login(org.admin)
    page = client.get(reverse("admin:cycles_cycle_add")).content.decode()
    assert 'name="name" value="2027 Q1"' in page
    assert 'name="starts_on" value="01/01/2027"' in page
    assert 'name="ends_on" value="31/03/2027"' in page


def test_in_january_the_banner_asks_leads_to_finish_the_last_quarter(client, org: Org) -> None:
    Cycle.objects.filter(pk=org.cycle.pk).update(phase="scoring")
    following = CycleFactory(
        name="2027 Q1",
        starts_on=date(2027, 1, 1),
        ends_on=date(2027, 3, 31),
        phase=Cycle.Phase.RUNNING,
    )
    with time_machine.travel(datetime(2027, 1, 4, 10, tzinfo=UTC), tick=False):
        client.force_login(org.lead)
        page = client.get(reverse("home")).content.decode()
    assert "<strong>2027 Q1</strong>" in page
    assert (
        f'2026 Q4 is being scored: <a href="/units/{org.team.pk}/scoring/?cycle={org.cycle.pk}">'
        "Score Payments</a>" in page
    )
    assert following.pk


def test_an_imported_score_reads_as_scored(client, scoring: Org) -> None:
    KeyResult.objects.filter(pk=scoring.key_result.pk).update(score=D("0.8"))
    client.force_login(scoring.lead)
    page = client.get(_scoring_url(scoring)).content.decode()
    assert 'aria-label="Score 0.8"' in page and "1 of 1 key result scored" in page
