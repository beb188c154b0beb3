"""From the reminder email to a submitted check-in, in Chromium: the link is taken from the
message a real SMTP server (aiosmtpd) received; opening it is the first click, the "Check in"
button the second. Every page and every htmx swap is axe-checked and CSP-checked by the guard
in tests/browser/conftest.py. And the same screen by keyboard alone."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from cycles import services
from cycles.models import CheckIn, Cycle
from okrs.models import KeyResult
from tests.browser.conftest import axe_check, visit
from tests.conftest import Org
from tests.integration.conftest import SmtpServer, smtp_server  # noqa: F401 (a fixture)
from tests.okrs.factories import KeyResultFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def emailed_link(org: Org, live_server: Any, settings: Any, smtp_server: SmtpServer) -> str:  # noqa: F811
    """The engineer is due (two key results, never checked in, in a quarter around today);
    the dispatch runs and its email goes to the SMTP server. Returns the link in that email."""
    today = timezone.localdate()
    Cycle.objects.filter(pk=org.cycle.pk).update(
        setting_opens_on=today - timedelta(weeks=9),
        starts_on=today - timedelta(weeks=6),
        scoring_opens_on=today + timedelta(weeks=5),
        ends_on=today + timedelta(weeks=6),
    )
    KeyResultFactory(
        objective=org.objective, owner=org.engineer, statement="Cut card declines from 4% to 2%"
    )
    KeyResult.objects.update(created_at=timezone.now() - timedelta(weeks=10))
    smtp_server.use_for(settings)
    settings.SITE_URL = live_server.url  # the email links to this server
    services.reminders_dispatch()  # tasks run eagerly here: the email is sent on commit
    (message,) = smtp_server.wait_for_messages(1)
    assert message.rcpt_tos == (org.engineer.email,)
    match = re.search(r"(https?://\S+/check-in/\S+/)", message.text)
    assert match, message.text
    return match.group(1)


def test_from_the_emails_link_to_a_check_in_in_two_clicks(
    page: Page, emailed_link: str, org: Org
) -> None:
    visit(page, emailed_link)  # click 1: the link in the email
    expect(page.get_by_role("heading", name="Check in, Eli")).to_be_visible()
    row = page.locator(f"#kr-row-{org.key_result.pk}")
    row.get_by_label("Confidence").fill("70")
    row.get_by_label("Value now").fill("0.55")
    row.get_by_role("button", name="Check in").click()  # click 2
    expect(row.get_by_text("Checked in", exact=True)).to_be_visible()
    axe_check(page)  # the swapped row
    check_in = CheckIn.objects.get()
    assert (check_in.author, check_in.via, check_in.confidence) == (org.engineer, "email", 70)
    assert str(check_in.value) == "0.5500"
    # The link signed nobody in.
    assert "sessionid" not in {c["name"] for c in page.context.cookies()}


def test_bad_input_then_the_keyboard_alone(page: Page, emailed_link: str, org: Org) -> None:
    visit(page, emailed_link)
    confidence = page.locator("input[name$='-confidence']").first
    first_name = confidence.get_attribute("name")
    confidence.focus()
    page.keyboard.type("101")
    page.keyboard.press("Enter")
    expect(
        page.get_by_text("Confidence is a whole number from 0 to 100; 100 is the highest.")
    ).to_be_visible()
    axe_check(page)
    # Focus came back to the field with the message, its text selected: type over it.
    page.keyboard.type("65")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Checked in", exact=True).first).to_be_visible()
    axe_check(page)
    # Focus moved on to the next due key result's confidence: one more check-in, Enter only.
    focused = page.evaluate("document.activeElement.name")
    assert focused.endswith("-confidence") and focused != first_name
    page.keyboard.type("40")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Checked in", exact=True)).to_have_count(2)
    axe_check(page)
    assert sorted(CheckIn.objects.values_list("confidence", flat=True)) == [40, 65]


def test_the_check_in_pages_pass_axe_signed_in(page: Page, live_server: Any, org: Org) -> None:
    """My key results (with an htmx check-in), the key result page with its chart, a unit's
    coverage, its cadence and the reminder settings, as the engineer and as the lead."""
    from tests.browser.test_sign_in import sign_in
    from tests.cycles.helpers import check_in

    today = timezone.localdate()
    Cycle.objects.filter(pk=org.cycle.pk).update(
        setting_opens_on=today - timedelta(weeks=9),
        starts_on=today - timedelta(weeks=6),
        scoring_opens_on=today + timedelta(weeks=5),
        ends_on=today + timedelta(weeks=6),
    )
    KeyResult.objects.update(created_at=timezone.now() - timedelta(weeks=10))
    check_in(
        org.key_result,
        at=timezone.now() - timedelta(weeks=3),
        blocker="Index",
        blocker_unit=org.other_team,
    )
    sign_in(page, live_server, email=org.engineer.email)
    visit(page, "/check-ins/")
    page.get_by_label("Confidence").fill("60")
    page.get_by_role("button", name="Check in").click()
    expect(page.get_by_text("Checked in", exact=True)).to_be_visible()
    axe_check(page)
    expect(page.locator("#checkin-summary")).to_contain_text("Nothing of yours is due now")
    axe_check(page)  # the summary's own swap
    for path in (
        f"/key-results/{org.key_result.pk}/",
        f"/units/{org.team.pk}/check-ins/",
        f"/units/{org.team.pk}/cadence/",
        "/reminders/",
    ):
        visit(page, path)
    expect(page.locator("svg.chart")).to_have_count(0)  # the last page has no chart
    visit(page, f"/key-results/{org.key_result.pk}/")
    expect(page.locator("svg.chart circle")).to_have_count(2)
