"""A team lead's first minute: sign in, find the team, read its OKRs; on a desktop, on a
phone, and with the keyboard alone. Every page on the way is axe-checked and CSP-checked by
the guard in tests/browser/conftest.py."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import navigating, visit
from tests.conftest import Org

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def sign_in(page: Page, live_server: Any, *, email: str, password: str = "pw") -> None:
    """Through the real form, starting where a bookmark would: the home page."""
    visit(page, "/")
    expect(page).to_have_url(re.compile(r"/accounts/sign-in/\?next=/$"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    with navigating(page):
        page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{live_server.url}/")


def test_lead_signs_in_and_reads_the_teams_okrs(page: Page, live_server: Any, org: Org) -> None:
    sign_in(page, live_server, email=org.lead.email)
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Lena")

    with navigating(page):
        page.get_by_role("link", name=org.team.name, exact=True).click()

    expect(page).to_have_url(f"{live_server.url}/units/{org.team.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Payments")
    objective = page.get_by_role("article").filter(
        has=page.get_by_role("heading", name="Payments never fail")
    )
    expect(objective).to_be_visible()
    expect(
        objective.get_by_role("listitem").filter(has_text=org.key_result.statement)
    ).to_be_visible()


def test_navigation_is_usable_at_phone_width(page: Page, live_server: Any, org: Org) -> None:
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, email=org.lead.email)
    visit(page, f"/units/{org.team.pk}/")

    # Nothing sticks out sideways: the page never scrolls horizontally.
    scroll_width = page.evaluate("() => document.documentElement.scrollWidth")
    assert scroll_width <= PHONE["width"]
    navigation = page.get_by_role("navigation", name="Main")
    expect(navigation).to_be_visible()
    links = navigation.get_by_role("link").all()
    assert [link.inner_text() for link in links] == [
        "Home",
        "My key results",
        "Organisation",
        "Alignment",
        "Calibration",
    ]
    for link in links + [page.get_by_role("button", name="Sign out")]:
        expect(link).to_be_in_viewport()
        box = link.bounding_box()
        assert box is not None
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        # WCAG 2.2 target size (minimum): 24 CSS pixels.
        assert box["height"] >= 24, f"{link.inner_text()!r} is {box['height']:.0f} px tall"

    with navigating(page):
        navigation.get_by_role("link", name="Organisation").click()
    expect(page).to_have_url(f"{live_server.url}/units/")
    expect(page.get_by_role("link", name=org.team.name, exact=True)).to_be_in_viewport()


def test_tab_reaches_the_skip_link_first(page: Page, live_server: Any, org: Org) -> None:
    sign_in(page, live_server, email=org.lead.email)
    visit(page, f"/units/{org.team.pk}/")

    page.keyboard.press("Tab")
    skip_link = page.get_by_role("link", name="Skip to content")
    expect(skip_link).to_be_focused()
    expect(skip_link).to_be_in_viewport()  # hidden off-screen until focused

    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
