"""The skip-or-fail rule: what a bare machine skips, CI fails."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import free_port
from tests.plugins import services


def test_missing_chromium_and_axe_are_named(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(services, "CHROMIUM", tmp_path / "chromium")
    monkeypatch.setattr(services, "AXE_SCRIPT", services.BASE_DIR / "absent" / "axe.min.js")

    problem = services.browser_problem()

    assert problem is not None
    assert f"{tmp_path / 'chromium'}" in problem
    assert "absent/axe.min.js" in problem


def test_a_redis_that_does_not_answer_is_named(settings: Any) -> None:
    settings.REDIS_URL = f"redis://:secret@127.0.0.1:{free_port()}/3"

    problem = services.redis_problem.__wrapped__()  # uncached: the real probe

    assert problem is not None
    assert "does not answer" in problem
    assert "secret" not in problem  # credentials stay out of logs


def test_no_redis_url_is_named(settings: Any) -> None:
    settings.REDIS_URL = ""
    assert "REDIS_URL is not set" in (services.redis_problem.__wrapped__() or "")


def test_missing_services_skip_on_a_bare_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(services.REQUIRE_ENV, raising=False)
    with pytest.raises(pytest.skip.Exception, match="no chromium"):
        services.skip_or_fail("no chromium")


def test_missing_services_fail_when_required(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(services.REQUIRE_ENV, "1")
    with pytest.raises(pytest.fail.Exception, match="no chromium .*turns this skip into a failure"):
        services.skip_or_fail("no chromium")
