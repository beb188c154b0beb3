"""Closing a quarter in real Chromium: a lead scores the team's key results (accepting two
suggestions, overriding one with its reason), runs the retrospective, and finds its action on
the next quarter's setting page; everyone else reads. The demo's calibration pages, read on a
desktop and a phone. Every page and htmx swap is axe-checked (tests/browser/conftest.py)."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from cycles.models import Cycle, RetroAction
from okrs.models import KeyResult
from tests.browser.conftest import axe_check, navigating, visit
from tests.browser.test_setting import settled, sign_out
from tests.browser.test_sign_in import PHONE, sign_in
from tests.conftest import Org
from tests.cycles.helpers import check_in
from tests.okrs.factories import KeyResultFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def quarter_to_score(org: Org) -> list[KeyResult]:
    """Three key results with check-ins, then the cycle moved into scoring."""
    krs = [org.key_result]
    check_in(org.key_result, value="1.5", confidence=60)  # 2 -> 1, at 1.5: suggests 0.5
    for statement, final in (
        ("Raise self-serve completion from 40% to 60%", "48"),  # suggests 0.4
        ("Raise trial conversion from 40% to 60%", "61"),  # suggests 1.0
    ):
        kr = KeyResultFactory(
            objective=org.objective,
            owner=org.engineer,
            direction="increase",
            baseline_value=Decimal(40),
            target=Decimal(60),
            statement=statement,
        )
        check_in(kr, value=final, confidence=70)
        krs.append(kr)
    Cycle.objects.filter(pk=org.cycle.pk).update(phase=Cycle.Phase.SCORING)
    return krs


def test_a_lead_scores_the_quarter_and_runs_the_retrospective(
    page: Page, live_server: Any, org: Org
) -> None:
    first, second, third = quarter_to_score(org)
    sign_in(page, live_server, email=org.lead.email)

    # The banner says what the phase asks of a lead, with the way there.
    with navigating(page):
        page.get_by_role("link", name="Score Payments").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Scoring Payments, {org.cycle}")
    summary = page.locator("#scoring-summary")
    expect(summary).to_contain_text("0 of 3 key results scored")

    # Accept the first suggestion: the objective's block and the summary update in place.
    row = page.locator(f"#kr-{first.pk}")
    expect(row).to_contain_text("Suggested 0.5")
    row.get_by_role("button", name=f"Accept 0.5 for “{first.statement}”").click()
    expect(page.locator(f"#kr-{first.pk} .score-badge")).to_have_text("0.5")
    expect(summary).to_contain_text("1 of 3 key results scored")
    settled(page)

    # Override the second: without a reason it is refused, next to the field, kept as typed.
    row = page.locator(f"#kr-{second.pk}")
    row.get_by_text("Give another score").click()
    row.get_by_role("combobox", name="Score", exact=True).select_option("0.6")
    row.get_by_label("In a few words").fill("December's sign-ups were counted in January")
    row.get_by_role("button", name="Save score").click()
    row = page.locator(f"#kr-{second.pk}")
    expect(row).to_contain_text("Say why the score differs from the suggested 0.4.")
    expect(row.get_by_label("In a few words")).to_have_value(
        "December's sign-ups were counted in January"
    )
    settled(page)
    row.get_by_label("Why it differs from the suggestion").select_option(
        label="The data arrived late"
    )
    row.get_by_role("button", name="Save score").click()
    note = (
        "Overridden from 0.4: the data arrived late (December's sign-ups were counted in January)"
    )
    expect(page.locator(f"#kr-{second.pk}")).to_contain_text(note)
    expect(summary).to_contain_text("2 of 3 key results scored")
    settled(page)

    # The rest in one click, without JavaScript's help.
    with navigating(page):
        page.get_by_role("button", name="Accept the 1 remaining suggestion").click()
    expect(page.get_by_role("status")).to_contain_text("1 suggestion accepted")
    expect(summary).to_contain_text("3 of 3 key results scored")
    assert [(kr.score, kr.score_note) for kr in KeyResult.objects.order_by("pk")] == [
        (Decimal("0.5"), ""),
        (Decimal("0.6"), note),
        (Decimal("1.0"), ""),
    ]

    # The reason stays beside the score on the unit's page.
    visit(page, f"/units/{org.team.pk}/")
    expect(page.get_by_text(note)).to_be_visible()

    # The retrospective: questions, marks sorted by the data, an action with an owner.
    visit(page, f"/units/{org.team.pk}/scoring/?cycle={org.cycle.pk}")
    with navigating(page):
        page.get_by_role("link", name="Every key result is scored: on to the retrospective").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Retrospective of Payments, {org.cycle}"
    )
    page.get_by_label("What did we learn?").fill("Sign-ups lag a month: measure them later.")
    marks = page.locator(f"#retro-kr-{second.pk}")
    marks.get_by_label("Too hard").check()
    marks.get_by_label("Note for next time").fill("Count sign-ups when they are confirmed.")
    page.get_by_role("button", name="Save the retrospective").click()
    expect(page.locator("#retro-form").get_by_role("status")).to_have_text("Saved.")
    settled(page)

    actions = page.locator("#actions")
    actions.get_by_label("Action").fill("Measure sign-ups a month after the quarter")
    actions.get_by_role("button", name="Add the action").click()
    expect(actions).to_contain_text("Choose who owns it.")
    settled(page)
    actions.get_by_label("Owner").select_option(label=org.engineer.name)
    actions.get_by_role("button", name="Add the action").click()
    expect(actions.get_by_role("listitem")).to_contain_text(
        "Measure sign-ups a month after the quarter"
    )
    settled(page)
    with navigating(page):
        page.get_by_role("button", name="Mark the retrospective as held").click()
    expect(page.get_by_text("Marked as held on")).to_be_visible()
    assert RetroAction.objects.get().owner == org.engineer
    sign_out(page)

    # An org admin opens the next quarter in one click...
    sign_in(page, live_server, email=org.admin.email)
    with navigating(page):
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Cycles").click()
    with navigating(page):
        page.get_by_role("button", name="Create 2027 Q1").click()
    expect(page.get_by_role("status")).to_contain_text("2027 Q1 created")
    sign_out(page)

    # ... and the lead finds the action waiting on its setting page.
    sign_in(page, live_server, email=org.lead.email)
    following = Cycle.objects.get(name="2027 Q1")
    visit(page, f"/units/{org.team.pk}/setting/?cycle={following.pk}")
    retro = page.get_by_role("region", name="From the last retrospective")
    expect(retro).to_contain_text("Measure sign-ups a month after the quarter")
    expect(retro).to_contain_text(org.engineer.name)


def test_an_engineer_reads_the_scores_on_a_phone(page: Page, live_server: Any, org: Org) -> None:
    quarter_to_score(org)
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, email=org.engineer.email)
    visit(page, f"/units/{org.team.pk}/scoring/?cycle={org.cycle.pk}")
    expect(page.get_by_text("The leads of Payments score these key results now")).to_be_visible()
    expect(page.get_by_role("button", name="Save score")).to_have_count(0)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    visit(page, f"/units/{org.team.pk}/retro/?cycle={org.cycle.pk}")
    expect(page.get_by_role("button", name="Save the retrospective")).to_have_count(0)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]


@pytest.mark.parametrize("width", [1280, PHONE["width"]])
def test_the_demo_calibration_pages(page: Page, live_server: Any, width: int) -> None:
    call_command("load_demo", stdout=StringIO())
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_server, email="lead@example.com", password="demo")
    with navigating(page):
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Calibration").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Calibration across the organisation")
    units = page.get_by_role("table").filter(has_text="Flags")
    expect(units.get_by_role("row").filter(has_text="Checkout")).to_contain_text(
        "Aspirational targets look safe, 2026 Q3"
    )
    expect(units.get_by_role("row").filter(has_text="Identity & Access")).to_contain_text(
        "Targets look out of reach, 2026 Q3"
    )
    with navigating(page):
        units.get_by_role("link", name="Payments Platform").click()
    expect(page.locator(".reliability__text strong").first).to_have_text(
        "Confidence ran ahead of outcomes: key results reached their line less often than the "
        "stated confidence said."
    )
    expect(page.get_by_text("What the rituals cost (an estimate)")).to_be_visible()
    page.get_by_text("How the estimate is made").click()
    axe_check(page)
    q3 = Cycle.objects.get(name="2026 Q3")
    visit(page, f"/units/{_unit('Payments Platform')}/retro/?cycle={q3.pk}")
    expect(page.get_by_text("Marked as held on")).to_be_visible()
    visit(page, f"/units/{_unit('Payments Platform')}/scoring/?cycle={q3.pk}")
    expect(page.get_by_text("2026 Q3 is closed")).to_be_visible()
    if width < 500:
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width


def _unit(name: str) -> int:
    from accounts.models import OrgUnit

    return OrgUnit.objects.get(name=name).pk
