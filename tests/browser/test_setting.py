"""A team's OKRs drafted, coached, aligned, proposed and agreed in real Chromium.

The lead drafts an objective with three key results, watches the coaching flag an output
while typing and clear once it is rewritten as an outcome, aligns the objective to the
function's and proposes it; the function's lead agrees it; the engineer reads but cannot
edit. Every page and every htmx swap is axe-checked (see tests/browser/conftest.py).
"""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from cycles.models import Cycle
from okrs.models import AlignmentLink, Objective
from tests.browser.conftest import axe_check, navigating, visit
from tests.browser.test_sign_in import PHONE, sign_in
from tests.conftest import Org
from tests.cycles.factories import CycleFactory
from tests.okrs.factories import KeyResultFactory, ObjectiveFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def next_quarter(org: Org) -> Cycle:
    """The quarter being set, far enough ahead that nothing is locked yet, with a function
    objective to align to."""
    today = timezone.localdate()
    starts = today + datetime.timedelta(days=40)
    cycle = CycleFactory(
        name="Next quarter",
        starts_on=starts,
        ends_on=starts + datetime.timedelta(days=90),
        phase=Cycle.Phase.SETTING,
    )
    ObjectiveFactory(unit=org.function, cycle=cycle, title="Ship safely, fast")
    return cycle


def settled(page: Page) -> None:
    """Wait until htmx has nothing in flight (a swap can trigger a refresh of another
    region), then axe-check what is on screen."""
    idle = "() => document.querySelectorAll('.htmx-request').length === 0"
    for _ in range(2):
        page.wait_for_timeout(150)
        page.wait_for_function(idle)
    axe_check(page)


def sign_out(page: Page) -> None:
    with navigating(page):
        page.get_by_role("button", name="Sign out").click()


def add_key_result(
    card: Locator, page: Page, statement: str, direction: str, fill: bool, target: str = ""
) -> None:
    """Type a key result into the card's open form and save it."""
    form = card.locator("form.kr-form")
    statement_field = form.get_by_label("Key result")
    statement_field.fill(statement)
    coach = form.locator(".kr-form__coach")
    if fill:
        # The coaching read the numbers from the words: one click copies them into the form.
        button = coach.get_by_role("button", name="Fill in the numbers")
        expect(button).to_be_visible()
        settled(page)
        button.click()
        expect(form.get_by_label("Target")).not_to_have_value("")
    if target:
        form.get_by_label("Target").fill(target)
    form.get_by_label("Direction").select_option(direction)
    settled(page)
    rows = card.locator("li.setting-kr")
    before = rows.count()
    form.get_by_role("button", name="Add key result").click()
    expect(rows).to_have_count(before + 1)
    expect(rows.last).to_contain_text(statement)
    # The form stays open, empty, with the cursor back in it for the next one.
    expect(statement_field).to_have_value("")
    expect(statement_field).to_be_focused()
    settled(page)


def test_a_lead_drafts_aligns_and_proposes_and_the_function_lead_agrees(
    page: Page, live_server: Any, org: Org
) -> None:
    cycle = next_quarter(org)
    setting_url = f"/units/{org.team.pk}/setting/?cycle={cycle.pk}"

    # The lead finds the setting page from home.
    sign_in(page, live_server, email=org.lead.email)
    with navigating(page):
        page.get_by_role("link", name="Payments: set the OKRs for Next quarter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Payments: OKRs for Next quarter")

    # A new objective leads straight into its first key result.
    new = page.locator("#new-objective")
    new.get_by_label("Objective").fill("Payments never fail at checkout")
    new.get_by_label("Committed").check()
    new.get_by_role("button", name="Add objective").click()
    card = page.locator("li.setting-objective").filter(has_text="Payments never fail at checkout")
    expect(card).to_be_visible()
    expect(card).to_contain_text("Now its first key result")
    statement = card.get_by_label("Key result")
    expect(statement).to_be_focused()
    expect(new.get_by_label("Objective")).to_have_value("")
    settled(page)

    add_key_result(
        card, page, "Reduce failed card payments from 2.1% to 0.8%", "decrease", fill=True
    )

    # An output: the coaching says so while the lead is still typing...
    coach = card.locator(".kr-form__coach")
    statement.press_sequentially("Launch the new payment retry service", delay=15)
    expect(coach).to_contain_text("Looks like an output")
    expect(coach.locator("[data-code=output]")).to_be_visible()
    settled(page)
    # ...and stops once it is rewritten as a change in the world.
    statement.fill("")
    statement.press_sequentially(
        "Raise the share of retried card payments that succeed from 35% to 60%", delay=5
    )
    expect(coach.locator("[data-code=output]")).to_have_count(0)
    expect(coach).not_to_contain_text("Looks like an output")
    settled(page)
    coach.get_by_role("button", name="Fill in the numbers").click()
    form = card.locator("form.kr-form")
    form.get_by_label("Direction").select_option("increase")
    settled(page)
    form.get_by_role("button", name="Add key result").click()
    expect(card.locator("li.setting-kr")).to_have_count(2)
    settled(page)

    # A line to hold: typed by hand (the check reads "300 ms" as 0.3 s, so it offers nothing).
    add_key_result(
        card,
        page,
        "Keep the payment API's p99 latency under 300 ms",
        "stay_below",
        fill=False,
        target="300",
    )
    expect(card.locator("li.setting-kr")).to_have_count(3)
    card.get_by_role("link", name="Done").click()
    expect(card.get_by_role("link", name=re.compile("^Add a key result"))).to_be_focused()
    settled(page)

    # Alignment is the team's choice, with a sentence on how.
    card.get_by_role("link", name=re.compile("^Align to an objective")).click()
    alignment = card.locator(".alignment")
    alignment.get_by_label("Contributes to").select_option(label="Engineering: Ship safely, fast")
    alignment.get_by_label("How it contributes").fill(
        "Fewer failed payments means fewer hotfixes and calmer releases."
    )
    settled(page)
    alignment.get_by_role("button", name="Save alignment").click()
    expect(alignment).to_contain_text("Fewer failed payments means fewer hotfixes")
    settled(page)

    card.get_by_role("button", name=re.compile("^Propose for agreement")).click()
    expect(card).to_contain_text("Proposed: waiting for the lead above to agree")
    settled(page)
    objective = Objective.objects.get(title="Payments never fail at checkout")
    assert objective.status == "proposed" and objective.kind == "committed"
    assert objective.key_results.count() == 3
    assert AlignmentLink.objects.filter(child=objective, parent__unit=org.function).exists()
    sign_out(page)

    # The function's lead agrees it on the team's setting page.
    sign_in(page, live_server, email=org.function_lead.email)
    visit(page, setting_url)
    card = page.locator("li.setting-objective").filter(has_text="Payments never fail at checkout")
    card.get_by_role("button", name=re.compile("^Agree")).click()
    expect(card.locator(".tag--status-agreed")).to_be_visible()
    settled(page)
    objective.refresh_from_db()
    assert objective.status == "agreed"
    with navigating(page):
        card.get_by_role("link", name=re.compile("^Debate and history")).click()
    expect(page.locator("#thread")).to_contain_text("Proposed")
    expect(page.locator("#thread")).to_contain_text("Agreed")
    sign_out(page)

    # The engineer reads everything and can change nothing.
    sign_in(page, live_server, email=org.engineer.email)
    visit(page, setting_url)
    heading = page.get_by_role("heading", name="Payments never fail at checkout", exact=True)
    expect(heading).to_be_visible()
    expect(page.get_by_role("button", name="Add objective")).to_have_count(0)
    expect(page.get_by_role("link", name=re.compile("^Edit"))).to_have_count(0)
    response = page.goto(f"/objectives/{objective.pk}/edit/")
    assert response is not None and response.status == 403
    axe_check(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("You cannot do that here")


def test_keyboard_only_reorder_edit_and_delete(page: Page, live_server: Any, org: Org) -> None:
    cycle = next_quarter(org)
    first = ObjectiveFactory(unit=org.team, cycle=cycle, title="First objective", order=0)
    KeyResultFactory(objective=first, statement="Reduce refund tickets from 340 to 120")
    ObjectiveFactory(unit=org.team, cycle=cycle, title="Second objective", order=1)
    sign_in(page, live_server, email=org.lead.email)
    visit(page, f"/units/{org.team.pk}/setting/?cycle={cycle.pk}")
    titles = page.locator("li.setting-objective h3")
    expect(titles).to_have_text(["First objective", "Second objective"])

    # Up on the second objective, by keyboard: it moves, and focus stays on the button.
    up = page.get_by_role("button", name=re.compile("move “Second objective” up"))
    up.focus()
    page.keyboard.press("Enter")
    expect(titles).to_have_text(["Second objective", "First objective"])
    expect(up).to_be_focused()
    settled(page)

    # Edit a key result with Enter, change it, save with Enter on the button.
    edit = page.get_by_role("link", name=re.compile("^Edit key result “Reduce refund"))
    edit.focus()
    page.keyboard.press("Enter")
    statement = page.locator("li.setting-kr").get_by_label("Key result")
    expect(statement).to_be_focused()
    settled(page)
    statement.fill("Reduce refund tickets from 340 to 100 a week")
    settled(page)
    page.locator("li.setting-kr").get_by_role("button", name="Save key result").press("Enter")
    expect(page.locator("li.setting-kr")).to_contain_text("from 340 to 100 a week")
    expect(page.get_by_role("link", name=re.compile("^Edit key result"))).to_be_focused()
    settled(page)

    # Delete asks first; "Keep it" has focus, so Enter is the safe choice.
    delete = page.get_by_role("link", name=re.compile("Delete objective “Second objective”"))
    delete.focus()
    page.keyboard.press("Enter")
    keep = page.get_by_role("link", name="Keep it")
    expect(keep).to_be_focused()
    settled(page)
    page.get_by_role("button", name="Delete objective").press("Enter")
    expect(titles).to_have_text(["First objective"])
    expect(page.locator("h3#" + f"objective-{first.pk}-title")).to_be_focused()
    settled(page)


def test_the_setting_page_at_phone_width(page: Page, live_server: Any, org: Org) -> None:
    cycle = next_quarter(org)
    objective = ObjectiveFactory(unit=org.team, cycle=cycle, title="Payments never fail")
    KeyResultFactory(objective=objective, statement="Launch the retry service")
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, email=org.lead.email)
    visit(page, f"/units/{org.team.pk}/setting/?cycle={cycle.pk}")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    card = page.locator("li.setting-objective")
    expect(card.locator(".coach")).to_contain_text("Looks like an output")
    card.get_by_role("link", name=re.compile("^Add a key result")).click()
    statement = card.get_by_label("Key result")
    expect(statement).to_be_focused()
    statement.press_sequentially("Write the retry runbook", delay=10)
    expect(card.locator(".kr-form__coach")).to_contain_text("Looks like an output")
    settled(page)
    # On a phone the coaching sits right under the statement, in view while typing.
    coach_box = card.locator(".kr-form__coach").bounding_box()
    statement_box = statement.bounding_box()
    assert coach_box and statement_box and 0 <= coach_box["y"] - statement_box["y"] < 300
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
