"""The health check, start-up validation of the environment, and the security headers.

Settings are read once per process, so everything about "what the environment does" runs in a
subprocess with a controlled environment: the production settings module, not the test one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest
from django.db import OperationalError
from django.test import Client

from config.celery_app import app as celery_app
from tests.conftest import Org
from tests.integration.conftest import free_port
from tests.plugins.services import BASE_DIR

# A complete, valid production environment. Each bad-value case changes one variable, so a
# failure can only come from that variable; the first test proves the base itself is fine.
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings",
    "DEBUG": "0",
    "SECRET_KEY": "settings-test-only-Zq8vX2mL5nR7tY1uW4kP9sD3fG6hJ0aB-not-a-real-key",
    "ALLOWED_HOSTS": "quarterdeck.example.com",
}


def run_python(args: list[str], env: dict[str, str | None]) -> subprocess.CompletedProcess[str]:
    """Run `python <args>` in the project with a clean environment plus `env` (None removes
    a name), so nothing from the shell that runs the tests leaks in."""
    base = {name: os.environ[name] for name in ("PATH", "HOME", "LANG") if name in os.environ}
    merged = {**base, **PRODUCTION_ENV, **env}
    clean = {name: value for name, value in merged.items() if value is not None}
    return subprocess.run(
        [sys.executable, *args],
        cwd=BASE_DIR,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


SETUP = ["-c", "import django; django.setup()"]


# The health check --------------------------------------------------------------------------


@pytest.mark.django_db
def test_healthz_reports_database_and_broker_to_anonymous_callers(client: Client) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"]  # a cached "ok" would hide an outage
    body = response.json()
    assert body["database"] == "ok"
    # The broker is whatever this run has (Redis, or the embedded filesystem broker); a
    # broker that does not answer must show up as "degraded", never as "ok".
    assert body["broker"] in {"ok", "unreachable"}
    assert body["status"] == ("ok" if body["broker"] == "ok" else "degraded")


@pytest.mark.django_db
def test_healthz_stays_up_but_degraded_when_the_broker_is_unreachable(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A real connection attempt to a port nothing listens on, not a mock.
    monkeypatch.setattr(celery_app.conf, "broker_url", f"redis://127.0.0.1:{free_port()}/0")

    response = client.get("/healthz")

    assert response.status_code == 200  # pages still work; mail waits in the outbox
    assert response.json() == {"status": "degraded", "database": "ok", "broker": "unreachable"}


@pytest.mark.django_db
def test_healthz_answers_503_when_the_database_is_unreachable(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Simulated: breaking the test database's real connection would break the test run.
    from django.db import connection

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "ensure_connection", refuse)
    monkeypatch.setattr(connection, "cursor", refuse)

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert (body["status"], body["database"]) == ("down", "unreachable")


# Start-up validation -----------------------------------------------------------------------


def test_the_base_production_environment_starts() -> None:
    result = run_python(SETUP, {})
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DATABASE_URL", "bogus"),
        ("TIME_ZONE", "Mars/Base"),
        ("DEBUG", "maybe"),
        ("REDIS_URL", "http://x"),
        # Empty rather than absent, so a developer's .env cannot fill it in (values already
        # in the environment win over .env); settings treat both alike.
        ("SECRET_KEY", ""),
        ("EMAIL_URL", "foo://bar"),
        ("ALLOWED_HOSTS", ""),
        ("SITE_URL", "ftp://example.com"),
        ("CONN_MAX_AGE", "forever"),
    ],
)
def test_a_wrong_value_stops_start_up_and_names_the_variable(name: str, value: str) -> None:
    env = {name: value}
    if name == "CONN_MAX_AGE":
        env["DATABASE_URL"] = "postgres://quarterdeck@db.invalid:5432/quarterdeck"

    result = run_python(SETUP, env)

    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("django.core.exceptions.ImproperlyConfigured: "), result.stderr
    assert name in last_line


def test_a_missing_secret_key_stops_production_start_up() -> None:
    if (BASE_DIR / ".env").exists():
        pytest.skip(".env exists here and may supply SECRET_KEY; the empty-value case covers it")
    result = run_python(SETUP, {"SECRET_KEY": None})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_manage_py_in_a_bare_checkout_runs_as_development() -> None:
    """Nothing configured: manage.py (a developer's tool) runs with DEBUG on; configured
    for production without a SECRET_KEY, it still refuses."""
    if (BASE_DIR / ".env").exists():
        pytest.skip(".env exists here and configures the checkout")
    bare = dict.fromkeys(PRODUCTION_ENV)
    assert run_python(["manage.py", "check"], bare).returncode == 0
    strict = run_python(["manage.py", "check"], {**bare, "DEBUG": "0"})
    assert strict.returncode != 0 and "SECRET_KEY must be set" in strict.stderr


def test_production_settings_pass_the_deployment_checks() -> None:
    result = run_python(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], {})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


# Security headers --------------------------------------------------------------------------


def _csp(header: str) -> dict[str, list[str]]:
    directives: dict[str, list[str]] = {}
    for part in header.split(";"):
        if part.strip():
            name, *values = part.split()
            directives[name] = values
    return directives


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/accounts/sign-in/", "/", "/units/", "/healthz"])
def test_pages_carry_a_strict_content_security_policy(client: Client, org: Org, path: str) -> None:
    client.force_login(org.lead)
    response = client.get(path, follow=False)
    assert response.status_code in {200, 302}

    header = response["Content-Security-Policy"]
    assert "unsafe-inline" not in header
    assert "unsafe-eval" not in header
    csp = _csp(header)
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["script-src"] == ["'self'"]
    assert csp["default-src"] == ["'self'"]


# Django's test client in a process that runs the production settings: the middleware reads
# its settings once, at start-up, so overriding them in this process would test a mixture.
PRODUCTION_REQUEST = """
import json, sys
import django
django.setup()
from django.test import Client
client = Client()
https = client.get("/healthz", secure=True, headers={"host": "quarterdeck.example.com"})
http = client.get("/healthz", headers={"host": "quarterdeck.example.com"})
print(json.dumps({
    "https": {"status": https.status_code, "headers": dict(https.headers)},
    "http": {"status": http.status_code, "headers": dict(http.headers)},
}))
"""


def test_production_responses_carry_the_security_headers(tmp_path: Any) -> None:
    # /healthz renders no template, so no collectstatic manifest is needed; the middleware
    # adds the same headers to every response.
    result = run_python(
        ["-c", PRODUCTION_REQUEST], {"DATABASE_URL": f"sqlite:///{tmp_path / 'headers.sqlite3'}"}
    )
    assert result.returncode == 0, result.stderr
    answers = json.loads(result.stdout.strip().splitlines()[-1])

    https = answers["https"]
    assert https["status"] == 200
    headers = https["headers"]
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]

    # Plain HTTP is redirected to HTTPS and never gets HSTS (browsers ignore it there).
    http = answers["http"]
    assert http["status"] == 301
    assert http["headers"]["Location"] == "https://quarterdeck.example.com/healthz"
    assert "Strict-Transport-Security" not in http["headers"]


def test_mailbox_shows_an_emails_html_part_sandboxed(client, org, settings, tmp_path) -> None:
    from django.core.mail import EmailMultiAlternatives

    settings.DEBUG = True
    settings.EMAIL_BACKEND = "config.mailbox.MailboxBackend"
    settings.MAILBOX_DIR = tmp_path
    message = EmailMultiAlternatives("Hello", "text part", to=["a@example.com"])
    message.attach_alternative("<p>html part</p>", "text/html")
    message.send()
    client.force_login(org.engineer)
    listing = client.get("/mailbox/")
    name = listing.context["messages_"][0].name
    assert client.get(f"/mailbox/{name}/").status_code == 200
    response = client.get(f"/mailbox/{name}/html")
    assert response.status_code == 200
    assert b"<p>html part</p>" in response.content
    policy = response["Content-Security-Policy"]
    assert "sandbox" in policy and "default-src 'none'" in policy
