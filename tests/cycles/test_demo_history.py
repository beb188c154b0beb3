"""The demo's past quarters: what its calibration pages say is true of its data."""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse

from accounts.models import OrgUnit, User
from cycles import history
from cycles.calibration import DISCONNECTED, SANDBAGGING
from cycles.models import CheckIn, Cycle, RetroAction, Retrospective, Score
from okrs.models import AlignmentLink, KeyResult, Objective

TODAY = datetime(2026, 11, 22, 12, tzinfo=UTC)


@pytest.fixture
def demo(db):
    with time_machine.travel(TODAY, tick=False):
        call_command("load_demo", stdout=StringIO())
        yield


def flags_of(name: str) -> dict[str, list[str]]:
    unit = OrgUnit.objects.get(name=name)
    data = history.load_unit_calibration(unit, now=TODAY, today=TODAY.date())
    return {uc.cycle.name: [f.code for f in uc.flags] for uc in data.per_cycle}


def test_two_closed_scored_quarters_with_retrospectives(demo) -> None:
    past = Cycle.objects.filter(name__in=["2026 Q2", "2026 Q3"], phase="closed")
    assert past.count() == 2
    krs = KeyResult.objects.filter(objective__cycle__in=past)
    assert krs.count() > 80 and not krs.filter(score__isnull=True).exists()
    assert Score.objects.filter(key_result__in=krs).count() == krs.count()
    assert Score.objects.exclude(reason="").exists()  # some overrides, with their reasons
    assert CheckIn.objects.filter(key_result__in=krs).count() > 400
    # Every unit held both retrospectives: the company, its functions and its teams.
    units_with_objectives = OrgUnit.objects.filter(objectives__cycle__name="2026 Q4").distinct()
    assert (
        Retrospective.objects.filter(cycle__in=past, done_at__isnull=False).count()
        == 2 * units_with_objectives.count()
    )


def test_the_past_quarters_trees_have_the_shape_of_the_current_one(demo) -> None:
    """Company and function objectives too, linked as their successors are, so picking
    2026 Q3 on the alignment tree shows company objectives with what contributed to them."""
    q3 = Cycle.objects.get(name="2026 Q3")
    company = Objective.objects.filter(cycle=q3, unit__kind="company")
    assert company.count() == 2
    below = AlignmentLink.objects.filter(parent__in=company)
    assert below.exists()
    assert not below.exclude(child__cycle=q3).exists()
    teams_aligned = AlignmentLink.objects.filter(child__cycle=q3, child__unit__kind="team")
    assert teams_aligned.count() >= 6


def test_the_flags_tell_the_story(demo) -> None:
    assert flags_of("Checkout") == {"2026 Q2": [], "2026 Q3": [SANDBAGGING]}
    assert flags_of("Identity & Access") == {"2026 Q2": [], "2026 Q3": [DISCONNECTED]}
    # One safe quarter is not a pattern.
    assert flags_of("Mobile SDK") == {"2026 Q2": [], "2026 Q3": []}
    assert flags_of("Site Reliability") == {"2026 Q2": [], "2026 Q3": []}


def test_payments_platform_was_over_confident(demo) -> None:
    unit = OrgUnit.objects.get(name="Payments Platform")
    data = history.load_unit_calibration(unit, now=TODAY, today=TODAY.date())
    assert data.verdict.startswith("Confidence ran ahead of outcomes")
    top = data.overall.bands[-1]
    assert top.forecasts > 10 and (top.hit_rate or 0) < 0.5
    reliability = history.load_unit_calibration(
        OrgUnit.objects.get(name="Site Reliability"), now=TODAY, today=TODAY.date()
    )
    assert (reliability.overall.brier or 1) < (data.overall.brier or 0)


def test_fewer_key_results_without_a_baseline_than_a_quarter_ago(demo) -> None:
    data = history.load_org_calibration(now=TODAY, today=TODAY.date())
    q2, q3 = data.per_cycle
    # Q2's five task-like key results ("Migrate refunds to the new ledger service") are read
    # as outputs by the quality check, beside whatever else it reads so.
    assert q2.stats.outputs >= 5 and q3.stats.outputs >= 1
    assert q2.stats.no_baseline_share > q3.stats.no_baseline_share > 0


def test_the_last_retrospectives_actions_wait_on_the_current_setting_page(client, demo) -> None:
    lead = User.objects.get(email="lead@example.com")
    client.force_login(lead)
    unit = OrgUnit.objects.get(name="Payments Platform")
    q4 = Cycle.objects.get(name="2026 Q4")
    with time_machine.travel(TODAY, tick=False):
        page = client.get(
            reverse("okrs:unit-setting", args=[unit.pk]) + f"?cycle={q4.pk}"
        ).content.decode()
    assert "From the last retrospective" in page
    for action in RetroAction.objects.filter(
        retrospective__unit=unit, retrospective__cycle__name="2026 Q3"
    ):
        assert escape(action.text) in page
