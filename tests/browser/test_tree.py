"""Leadership's minute with the alignment tree, in real Chromium: open it from the main
navigation, narrow it to stale check-ins, open a subtree with the keyboard, and open an
objective. Every page and every htmx swap is axe-checked and CSP-checked by the guard in
tests/browser/conftest.py."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from okrs.models import AlignmentLink
from tests.browser.conftest import axe_check, navigating, visit
from tests.browser.test_sign_in import PHONE, sign_in
from tests.conftest import Org
from tests.okrs.factories import KeyResultFactory, ObjectiveFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def aligned(org: Org) -> Org:
    """The company objective <- the function's <- Payments' (a stale check-in, blocked) and
    Search's (up to date)."""
    overdue = timezone.localdate() - datetime.timedelta(days=3)
    for child, parent in [
        (org.function_objective, org.company_objective),
        (org.objective, org.function_objective),
    ]:
        AlignmentLink.objects.create(child=child, parent=parent, how="It moves it.")
    org.key_result.check_in_due_on = overdue
    org.key_result.confidence = 35
    org.key_result.blocker = "Waiting for the acquiring bank"
    org.key_result.save()
    search = ObjectiveFactory(unit=org.other_team, cycle=org.cycle, title="Search answers fast")
    KeyResultFactory(objective=search, check_in_due_on=timezone.localdate())
    AlignmentLink.objects.create(child=search, parent=org.function_objective, how="Faster")
    KeyResultFactory(objective=org.company_objective, statement="Raise NPS from 30 to 45")
    return org


def node(page: Page, title: str) -> Locator:
    """The tree node whose own row (not a descendant's) links to this objective."""
    return page.locator("li.node").filter(
        has=page.locator(":scope > .node__row").get_by_role("link", name=title, exact=True)
    )


def test_leadership_narrows_the_tree_to_stale_check_ins_and_opens_an_objective(
    page: Page, live_server: Any, aligned: Org
) -> None:
    org = aligned
    sign_in(page, live_server, email="leader@example.com")
    with navigating(page):
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Alignment").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Alignment, 2026 Q4")
    expect(page.get_by_text("Raise NPS from 30 to 45")).to_be_visible()
    function_node = node(page, org.function_objective.title)
    expect(function_node).to_contain_text("1 open blocker · 1 stale check-in")

    # Narrow to stale check-ins: htmx swaps the tree and the address follows.
    page.get_by_label("Show only").select_option(label="Stale check-ins")
    expect(page.get_by_text("Showing stale check-ins")).to_be_visible()
    expect(page).to_have_url(re.compile(r"flag=stale"))
    axe_check(page)

    # Open the function objective's contributors, from the keyboard.
    summary = function_node.locator("summary").first
    summary.focus()
    page.keyboard.press("Enter")
    payments = function_node.get_by_role("link", name=org.objective.title, exact=True)
    expect(payments).to_be_visible()
    # Search is up to date: filtered out, and said so.
    expect(function_node.get_by_text("1 more contributes but does not match")).to_be_visible()
    expect(function_node.get_by_role("link", name="Search answers fast")).to_have_count(0)
    axe_check(page)

    with navigating(page):
        payments.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(org.objective.title)
    expect(page.get_by_text(org.key_result.statement)).to_be_visible()


def test_the_tree_fits_a_phone(page: Page, live_server: Any, aligned: Org) -> None:
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, email="leader@example.com")
    visit(page, "/alignment/")
    function_node = node(page, aligned.function_objective.title)
    function_node.locator("summary").first.click()
    expect(
        function_node.get_by_role("link", name=aligned.objective.title, exact=True)
    ).to_be_visible()
    axe_check(page)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]


def test_without_javascript_the_filters_still_work(
    browser: Any, live_server: Any, aligned: Org
) -> None:
    """A GET form and plain links: the page reads the same with scripts off."""
    context = browser.new_context(java_script_enabled=False, base_url=live_server.url)
    page = context.new_page()
    page.goto("/accounts/sign-in/")
    page.get_by_label("Email").fill("leader@example.com")
    page.get_by_label("Password").fill("pw")
    page.get_by_role("button", name="Sign in").click()
    page.goto("/alignment/")
    page.get_by_label("Show only").select_option(label="Open blockers")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"flag=blocked"))
    expect(page.get_by_text("Showing open blockers")).to_be_visible()
    context.close()
