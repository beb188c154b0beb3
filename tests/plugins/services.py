"""Which external services this test run has, and what happens to tests that need missing ones.

Loaded from tests/conftest.py through `pytest_plugins`, so its hooks see every test.

- `pytest_report_header` prints the database engine, whether Redis answers, and whether Chromium
  and axe-core are present, so a run's log says what it really exercised.
- Tests marked `integration` need PostgreSQL (DATABASE_URL) and a Redis that answers (REDIS_URL);
  tests marked `browser` need Debian's Chromium and axe-core from npm. Without them they are
  skipped with the reason, so `make test` works on a bare machine.
- With QUARTERDECK_REQUIRE_SERVICES=1 (CI sets it in .ci/run) the same conditions fail the test
  instead: CI must never go green because a service quietly was not there.

Fixtures that need a program of their own (redis-server for the private Redis) call
`skip_or_fail()` with their reason, so they follow the same rule.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings

BASE_DIR = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
AXE_SCRIPT = BASE_DIR / "node_modules" / "axe-core" / "axe.min.js"
REQUIRE_ENV = "QUARTERDECK_REQUIRE_SERVICES"


def services_required() -> bool:
    """True when missing services must fail tests rather than skip them (CI)."""
    return os.environ.get(REQUIRE_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def skip_or_fail(reason: str) -> None:
    """Skip the current test for `reason`, or fail it when services are required."""
    if services_required():
        pytest.fail(f"{reason} ({REQUIRE_ENV}=1 turns this skip into a failure)", pytrace=False)
    pytest.skip(reason)


def _without_password(url: str) -> str:
    """The URL fit for a log: no credentials."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def database_vendor() -> str:
    """'postgresql' or 'sqlite3', from the engine settings.py chose from DATABASE_URL."""
    return str(settings.DATABASES["default"]["ENGINE"]).rsplit(".", 1)[-1]


@functools.cache
def redis_problem() -> str | None:
    """Why REDIS_URL cannot serve as the broker, or None when it answers PING.

    Cached: one probe per run, so the header and every integration test agree, and a dead
    Redis costs one timeout rather than one per test.
    """
    url = settings.REDIS_URL
    if not url:
        return "REDIS_URL is not set (integration tests need a real Redis as the broker)"
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    try:
        # No retries: redis-py's default backs off for seconds before admitting it is down.
        client = redis.Redis.from_url(
            url, socket_connect_timeout=1, socket_timeout=1, retry=Retry(NoBackoff(), 0)
        )
        try:
            client.ping()
        finally:
            client.close()
    except Exception as exc:  # any failure means "not usable"; the reason goes in the skip
        return f"Redis at {_without_password(url)} does not answer: {exc}"
    return None


def integration_problem() -> str | None:
    """Why `integration` tests cannot run here, or None."""
    if database_vendor() != "postgresql":
        return (
            "integration tests need PostgreSQL: set DATABASE_URL=postgres://... "
            f"(the database here is {database_vendor()})"
        )
    return redis_problem()


def browser_problem() -> str | None:
    """Why `browser` tests cannot run here, or None."""
    missing = []
    if not CHROMIUM.exists():
        missing.append(f"{CHROMIUM} (apt-get install chromium)")
    if not AXE_SCRIPT.exists():
        missing.append(f"{AXE_SCRIPT.relative_to(BASE_DIR)} (npm ci)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the playwright package (make install)")
    if missing:
        return "browser tests need " + " and ".join(missing)
    return None


def pytest_report_header(config: pytest.Config) -> list[str]:
    db = settings.DATABASES["default"]
    if database_vendor() == "postgresql":
        where = f"{db.get('HOST') or 'local socket'}:{db.get('PORT') or 5432}/{db['NAME']}"
    else:
        where = str(db["NAME"])
    redis_url = settings.REDIS_URL
    if not redis_url:
        redis_line = "not configured (REDIS_URL unset; embedded filesystem broker)"
    else:
        problem = redis_problem()
        redis_line = f"{_without_password(redis_url)} " + (
            "reachable" if problem is None else "UNREACHABLE"
        )
    return [
        f"quarterdeck: database {database_vendor()} ({where}); redis {redis_line}",
        f"quarterdeck: chromium {'found' if CHROMIUM.exists() else 'missing'} ({CHROMIUM}); "
        f"axe-core {'found' if AXE_SCRIPT.exists() else 'missing'}; "
        f"missing services {'FAIL' if services_required() else 'skip'} the tests that need them",
    ]


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    # tryfirst: decide before any fixture starts a worker, a browser or a live server.
    if item.get_closest_marker("integration"):
        problem = integration_problem()
        if problem:
            skip_or_fail(problem)
    if item.get_closest_marker("browser"):
        problem = browser_problem()
        if problem:
            skip_or_fail(problem)
