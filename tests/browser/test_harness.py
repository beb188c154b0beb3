"""The browser guard can fail: each check is shown catching the problem it exists for.

Without these, a guard that silently never ran (axe not loaded, the CSP listener not installed,
sessionStorage not written) would look exactly like a clean site.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import PageGuard, axe_check, visit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIGN_IN = "/accounts/sign-in/"


def test_axe_check_fails_on_a_serious_violation(page: Page) -> None:
    visit(page, SIGN_IN)
    page.evaluate("() => document.documentElement.removeAttribute('lang')")

    with pytest.raises(AssertionError, match=r"html-has-lang \(serious\)") as failure:
        axe_check(page)
    assert "at: html" in str(failure.value)

    page.evaluate("() => document.documentElement.setAttribute('lang', 'en')")
    axe_check(page)  # and passes again once fixed


def test_inline_script_is_blocked_and_reported(page: Page, page_guard: PageGuard) -> None:
    visit(page, SIGN_IN)
    page.evaluate(
        """() => {
            const script = document.createElement("script");
            script.textContent = "window.inlineRan = true";
            document.body.append(script);
        }"""
    )

    assert page.evaluate("() => window.inlineRan === undefined")  # the policy is enforced
    problems = page_guard.csp_problems()
    assert any("script-src" in p and "inline" in p for p in problems), problems
    with pytest.raises(AssertionError, match="Content-Security-Policy violations"):
        axe_check(page)
    page_guard.reset()


def test_a_page_left_unchecked_is_reported(page: Page, page_guard: PageGuard) -> None:
    visit(page, SIGN_IN)
    page.goto("/accounts/password-reset/")  # a plain goto: no check
    visit(page, SIGN_IN)

    assert page_guard.unchecked() == [
        f"{page.url.replace(SIGN_IN, '')}/accounts/password-reset/ (never checked)"
    ]
    page_guard.reset()


def test_an_unchecked_htmx_swap_is_reported(page: Page, page_guard: PageGuard) -> None:
    visit(page, SIGN_IN)
    page.evaluate("() => document.dispatchEvent(new Event('htmx:afterSettle'))")

    (problem,) = page_guard.unchecked()
    assert problem.endswith("(1 htmx swap(s) after the last check)")
    axe_check(page)
    assert page_guard.unchecked() == []
