"""Browser harness: Playwright drives Debian's Chromium (headless) against pytest-django's
live_server.

Tests here are marked `browser` and `django_db(transaction=True)` (the live server runs in
another thread and only sees committed rows). They are skipped, or fail under
QUARTERDECK_REQUIRE_SERVICES=1, when /usr/bin/chromium or node_modules/axe-core is missing:
see tests/plugins/services.py. Chromium comes from Debian, never from `playwright install`.

Every page is checked, and a test cannot forget to
------------------------------------------------
The `page` fixture here wraps pytest-playwright's with a guard:

* `visit(page, url)` opens a URL, asserts the response is not an error, and runs `axe_check`.
* `with navigating(page): <click or submit>` waits for the new document, then runs
  `axe_check` on it. Use it around every action that loads a new page.
* `axe_check(page)` runs axe-core's WCAG 2.0/2.1 A and AA rules on the current document and
  fails on any serious or critical violation, naming rule, help text and CSS targets. Call it
  after an htmx swap (it then checks the swapped state).
* At teardown the guard checks the final state of the last page if nobody did, then fails the
  test if any document it loaded, or any htmx swap (`htmx:afterSettle`), was never checked:
  a page reached by a plain click without `navigating` is reported, not silently skipped.

The bookkeeping lives in the page: an init script logs each new document (and its htmx swaps
and CSP violations) in sessionStorage, which survives navigation within the tab, so the guard
knows about documents the test has already left.

The Content-Security-Policy stays ON
------------------------------------
`bypass_csp` stays False on purpose. Bypassing it would let axe in through a <script> tag
(`page.add_script_tag`), but it also switches the policy off, so no violation could ever be
reported and "our pages are CSP-clean" would be a claim nothing tests. Instead axe-core and
the guard arrive as init scripts (`page.add_init_script`), which Chromium runs through the
DevTools protocol, outside the page's CSP; axe itself needs no eval or inline code. With the
policy enforced, the guard records every `securitypolicyviolation` event (from the init
script, which therefore sees violations from the very first inline script or style) and every
console message about the Content Security Policy; any of them fails the test. So do uncaught
JavaScript errors and stylesheets, scripts, images or fonts that fail to load.

Failure artefacts
-----------------
When a test fails, a full-page screenshot is saved as test-results/<test id>.png (the folder
is gitignored; pytest-playwright empties it at the start of each run).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from weakref import WeakKeyDictionary

import pytest
from playwright.sync_api import ConsoleMessage, Page, Response

from tests.plugins.services import AXE_SCRIPT, BASE_DIR, CHROMIUM

# pytest-playwright's sync API runs an asyncio event loop in this thread; Django refuses
# database access from a thread with a running loop unless told it is safe (it is here: the
# loop only drives the browser connection).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# Flags that let Debian's Chromium run headless in a container on a closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
FAILING_IMPACTS = {"serious", "critical"}
SCREENSHOT_DIR = BASE_DIR / "test-results"
# Fail fast: nothing on a local live server legitimately takes 10 s.
TIMEOUT_MS = 10_000

# Runs at the start of every document, before the page's own scripts. Keeps the log in
# sessionStorage (per tab and origin, kept across navigations). Only top-level http(s)
# documents are logged: frames and about:blank are not pages a test visits.
GUARD_SCRIPT = r"""
(() => {
  if (window !== window.top || !/^https?:$/.test(location.protocol)) return;
  const KEY = "quarterdeck-browser-guard";
  const read = () => {
    try { return JSON.parse(sessionStorage.getItem(KEY)) || {docs: [], csp: []}; }
    catch (e) { return {docs: [], csp: []}; }
  };
  const write = (log) => sessionStorage.setItem(KEY, JSON.stringify(log));
  const id = Date.now().toString(36) + Math.random().toString(36).slice(2);
  const log = read();
  log.docs.push({id: id, url: location.href, swaps: 0, checked: -1});
  write(log);
  const update = (change) => {
    const log = read();
    change(log, log.docs.find((doc) => doc.id === id));
    write(log);
  };
  window.__qdGuard = {
    id: id,
    markChecked: () => update((log, doc) => { if (doc) doc.checked = doc.swaps; }),
  };
  document.addEventListener("securitypolicyviolation", (event) => update((log) => {
    log.csp.push({
      page: location.href,
      directive: event.effectiveDirective,
      blocked: event.blockedURI,
      source: event.sourceFile ? event.sourceFile + ":" + event.lineNumber : "",
      sample: event.sample,
    });
  }));
  document.addEventListener("htmx:afterSettle", () => update((log, doc) => {
    if (doc) doc.swaps += 1;
  }));
})();
"""

AXE_RUN = """
async (tags) => {
  const result = await axe.run(document, {
    runOnly: {type: "tag", values: tags},
    resultTypes: ["violations"],
  });
  return result.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    helpUrl: v.helpUrl,
    targets: v.nodes.map((node) => node.target.join(" ")),
  }));
}
"""

_GUARDS: WeakKeyDictionary[Page, PageGuard] = WeakKeyDictionary()
_REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()


class PageGuard:
    """Watches one page for unchecked documents, CSP violations and script errors."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.console_csp: list[str] = []
        self.page_errors: list[str] = []
        self.failed_resources: list[str] = []
        page.add_init_script(GUARD_SCRIPT)
        page.add_init_script(path=AXE_SCRIPT)
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))
        page.on("response", self._on_response)

    def _on_console(self, message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            self.console_csp.append(message.text)

    def _on_response(self, response: Response) -> None:
        # A page's own 4xx is sometimes the point of a test; a broken stylesheet never is.
        kind = response.request.resource_type
        if response.status >= 400 and kind in {"stylesheet", "script", "image", "font"}:
            self.failed_resources.append(f"{response.status} {kind} {response.url}")

    def _log(self) -> dict[str, list[dict[str, Any]]]:
        if self.page.is_closed() or not self.page.url.startswith("http"):
            return {"docs": [], "csp": []}
        raw = self.page.evaluate(
            "() => sessionStorage.getItem('quarterdeck-browser-guard') || '{}'"
        )
        log = json.loads(raw)
        return {"docs": log.get("docs", []), "csp": log.get("csp", [])}

    def csp_problems(self) -> list[str]:
        """Every CSP violation seen so far, from the page's events and from the console."""
        problems = [
            f"{v['page']}: blocked {v['blocked'] or 'inline'} by {v['directive']}"
            + (f" at {v['source']}" if v["source"] else "")
            + (f" ({v['sample']!r})" if v["sample"] else "")
            for v in self._log()["csp"]
        ]
        return problems + [f"console: {text}" for text in self.console_csp]

    def unchecked(self) -> list[str]:
        """Documents, or htmx swaps in them, that axe never saw."""
        result = []
        for doc in self._log()["docs"]:
            if doc["checked"] < 0:
                result.append(f"{doc['url']} (never checked)")
            elif doc["checked"] < doc["swaps"]:
                unseen = doc["swaps"] - doc["checked"]
                result.append(f"{doc['url']} ({unseen} htmx swap(s) after the last check)")
        return result

    def problems(self) -> list[str]:
        """Everything that should fail the test, one line each."""
        return (
            [f"CSP violation: {p}" for p in self.csp_problems()]
            + [f"uncaught JavaScript error: {e}" for e in self.page_errors]
            + [f"failed to load: {r}" for r in self.failed_resources]
            + [f"not axe-checked: {u}" for u in self.unchecked()]
        )

    def reset(self) -> None:
        """Forget everything recorded so far (for tests of the guard itself)."""
        self.console_csp.clear()
        self.page_errors.clear()
        self.failed_resources.clear()
        if not self.page.is_closed() and self.page.url.startswith("http"):
            self.page.evaluate("() => sessionStorage.removeItem('quarterdeck-browser-guard')")

    def finish(self) -> None:
        """Check the final state of the current page if nobody did, then fail on anything
        found, all of it in one message."""
        found = []
        if not self.page.is_closed() and self.page.url.startswith("http"):
            current = self.page.evaluate("() => window.__qdGuard ? window.__qdGuard.id : null")
            doc = next((d for d in self._log()["docs"] if d["id"] == current), None)
            if doc is not None and doc["checked"] < doc["swaps"]:  # never checked: -1 < 0
                failing = _serious(_run_axe(self.page))
                if failing:
                    found.append(_format_violations(self.page.url, failing))
        found += self.problems()
        if found:
            items = ("- " + item.replace("\n", "\n  ") for item in found)
            raise AssertionError("The browser guard found:\n" + "\n".join(items))


def guard_for(page: Page) -> PageGuard:
    return _GUARDS[page]


def _format_violations(url: str, violations: list[dict[str, Any]]) -> str:
    lines = [
        f"axe-core found {len(violations)} serious or critical WCAG 2.1 A/AA violation(s) on {url}:"
    ]
    for v in violations:
        targets = v["targets"]
        shown = ", ".join(targets[:5]) + (
            f" and {len(targets) - 5} more" if len(targets) > 5 else ""
        )
        lines += [f"  - {v['id']} ({v['impact']}): {v['help']}", f"    {v['helpUrl']}"]
        lines.append(f"    at: {shown}")
    return "\n".join(lines)


def _run_axe(page: Page) -> list[dict[str, Any]]:
    page.wait_for_load_state("load")
    violations: list[dict[str, Any]] = page.evaluate(AXE_RUN, WCAG_TAGS)
    page.evaluate("() => window.__qdGuard && window.__qdGuard.markChecked()")
    return violations


def _serious(violations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [v for v in violations if v["impact"] in FAILING_IMPACTS]


def axe_check(page: Page) -> list[dict[str, Any]]:
    """Run axe-core on the current document; fail on serious/critical violations or on any
    CSP violation so far. Returns all violations (minor and moderate ones pass)."""
    violations = _run_axe(page)
    guard = _GUARDS.get(page)
    if guard is not None:
        csp = guard.csp_problems()
        assert not csp, "Content-Security-Policy violations:\n  - " + "\n  - ".join(csp)
    failing = _serious(violations)
    if failing:
        raise AssertionError(_format_violations(page.url, failing))
    return violations


def visit(page: Page, url: str) -> Response:
    """Open `url` (relative to the live server), insist on a non-error answer, axe-check it."""
    response = page.goto(url)
    assert response is not None, f"{url} did not load a document"
    assert response.ok, f"{url} answered {response.status}"
    axe_check(page)
    return response


@contextmanager
def navigating(page: Page) -> Iterator[None]:
    """Wrap an action that loads a new document; the new document is then axe-checked.

    Waits for a document other than the current one (by the guard's id per document), so a
    POST answered by a redirect, and pages whose URL does not change, work alike.
    """
    before = page.evaluate("() => window.__qdGuard ? window.__qdGuard.id : null")
    yield
    page.wait_for_function(
        "before => window.__qdGuard !== undefined && window.__qdGuard.id !== before", arg=before
    )
    axe_check(page)


# Fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    # Headless always, even with --headed: CI and this machine have no display.
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "headless": True,
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any], live_server: Any) -> dict[str, Any]:
    return {
        **browser_context_args,
        "base_url": live_server.url,
        # Keep the page's CSP enforced: see "The Content-Security-Policy stays ON" above.
        "bypass_csp": False,
        "viewport": {"width": 1280, "height": 800},
        "locale": "en-GB",
        "timezone_id": "UTC",
    }


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    # Keep each phase's report, so the page fixture knows at teardown whether the test failed.
    report = yield
    item.stash.setdefault(_REPORTS, {})[report.when] = report
    return report


def _screenshot(page: Page, nodeid: str) -> None:
    if page.is_closed():
        return
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", nodeid).strip("-")[:180]
    path = SCREENSHOT_DIR / f"{name}.png"
    try:
        page.screenshot(path=path, full_page=True)
    except Exception as exc:  # a crashed page must not hide the test's own failure
        print(f"Could not save a screenshot: {exc}")
    else:
        print(f"Screenshot: {path}")


@pytest.fixture
def page(page: Page, request: pytest.FixtureRequest) -> Iterator[Page]:
    """pytest-playwright's page, guarded (see the module docstring)."""
    page.set_default_timeout(TIMEOUT_MS)
    page.set_default_navigation_timeout(TIMEOUT_MS)
    guard = PageGuard(page)
    _GUARDS[page] = guard
    yield page
    reports = request.node.stash.get(_REPORTS, {})
    test_failed = any(r.failed for r in reports.values())
    try:
        if not test_failed:
            guard.finish()
    except BaseException:
        _screenshot(page, request.node.nodeid)
        raise
    if test_failed:
        _screenshot(page, request.node.nodeid)


@pytest.fixture
def page_guard(page: Page) -> PageGuard:
    """The guard watching `page`, for tests that check the guard itself."""
    return guard_for(page)
