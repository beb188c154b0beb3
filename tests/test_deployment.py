"""docker-compose.yml, the Dockerfile and .env.example agree with the code.

Docker does not run on the test machines, so these tests check what can be checked without
it: every service starts an entry point that exists, the image installs what CI tested, and
every variable the deployment files mention is one the settings actually read (a typo such as
DATABSE_URL would otherwise be silently ignored and the default used).
"""

from __future__ import annotations

import importlib
import re
from typing import Any

import pytest
import yaml
from celery import Celery
from django.core.handlers.wsgi import WSGIHandler

from tests.plugins.services import BASE_DIR

APP_SERVICES = ["web", "worker", "beat"]


def compose() -> dict[str, Any]:
    return yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())


def service(name: str) -> dict[str, Any]:
    return compose()["services"][name]


def command_of(name: str) -> list[str]:
    command = service(name)["command"]
    # Exec form only: the program is PID 1 and gets the SIGTERM that lets a worker finish
    # its task (a shell string would swallow it).
    assert isinstance(command, list), f"{name}: use the list form of command"
    return [str(part) for part in command]


def celery_target(command: list[str]) -> str:
    assert command[0] == "celery", command
    return command[command.index("-A") + 1]


def settings_variables() -> set[str]:
    """Every environment variable config/settings.py reads (through _read or _bool)."""
    source = (BASE_DIR / "config" / "settings.py").read_text()
    names = set(re.findall(r"_(?:read|bool)\(\s*\"([A-Z][A-Z0-9_]*)\"", source))
    assert {"DATABASE_URL", "SECRET_KEY", "DEBUG"} <= names  # the pattern still matches
    return names


def test_web_runs_gunicorn_on_the_wsgi_application() -> None:
    command = command_of("web")
    assert command[0] == "gunicorn"
    app_path = next(part for part in command[1:] if ":" in part and not part.startswith("-"))
    module_name, _, attribute = app_path.partition(":")

    application = getattr(importlib.import_module(module_name), attribute)

    assert isinstance(application, WSGIHandler)


@pytest.mark.parametrize(("name", "subcommand"), [("worker", "worker"), ("beat", "beat")])
def test_worker_and_beat_run_the_celery_app(name: str, subcommand: str) -> None:
    command = command_of(name)
    assert subcommand in command
    target = celery_target(command)

    # `celery -A module` looks for a Celery instance called `app` or `celery` in the module.
    module = importlib.import_module(target)
    app = getattr(module, "app", None) or getattr(module, "celery", None)

    assert isinstance(app, Celery)
    assert app.main == "quarterdeck"


def test_the_demo_starts_the_same_celery_app_as_production() -> None:
    makefile = (BASE_DIR / "Makefile").read_text()
    demo = re.search(r"^demo:.*?(?=^\S)", makefile, flags=re.MULTILINE | re.DOTALL)
    assert demo, "Makefile has no demo target"
    targets = set(re.findall(r"celery -A (\S+) worker", demo.group(0)))

    assert targets == {celery_target(command_of("worker"))}


def test_beat_is_a_single_instance() -> None:
    # Two beats fire every periodic task twice (celery/celery#2856).
    replicas = service("beat").get("deploy", {}).get("replicas", 1)
    assert replicas == 1


def test_redis_keeps_queued_tasks_across_a_restart() -> None:
    redis = service("redis")
    assert str(redis["image"]).startswith("redis:7")
    command = [str(part) for part in redis["command"]]
    assert command[command.index("--appendonly") + 1] == "yes"
    assert command[command.index("--maxmemory-policy") + 1] == "noeviction"


def test_postgres_is_version_15() -> None:
    assert service("postgres")["image"] == "postgres:15"


def test_app_services_point_at_the_compose_services() -> None:
    for name in [*APP_SERVICES, "migrate"]:
        environment = service(name)["environment"]
        assert "@postgres:5432/" in environment["DATABASE_URL"], name
        assert environment["REDIS_URL"].startswith("redis://redis:6379/"), name
        assert environment["EMAIL_URL"] == "smtp://mailpit:1025", name
        assert str(environment["DEBUG"]) == "0", name


def test_compose_sets_only_variables_the_settings_read() -> None:
    known = settings_variables()
    for name in [*APP_SERVICES, "migrate"]:
        unknown = set(service(name)["environment"]) - known
        assert not unknown, f"{name} sets variables settings.py never reads: {unknown}"


def test_env_example_lists_every_variable_the_settings_read() -> None:
    text = (BASE_DIR / ".env.example").read_text()
    # Set (NAME=...) or shown commented out (# NAME=...).
    listed = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", text, flags=re.MULTILINE))

    assert listed == settings_variables()


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    text = (BASE_DIR / "Dockerfile").read_text()
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n\s*", " ", "\n".join(lines))
    result = []
    for line in joined.splitlines():
        if line.strip():
            instruction, _, arguments = line.strip().partition(" ")
            result.append((instruction.upper(), arguments.strip()))
    return result


def test_dockerfile_installs_exactly_the_tested_versions() -> None:
    instructions = dockerfile_instructions()
    assert instructions[0] == ("FROM", "python:3.11-slim")
    copies = [(i, args) for i, (kind, args) in enumerate(instructions) if kind == "COPY"]
    installs = [
        (i, args)
        for i, (kind, args) in enumerate(instructions)
        if kind == "RUN" and "pip install" in args
    ]
    assert installs, "the Dockerfile installs nothing"
    for index, args in installs:
        assert re.search(r"(-c|--constraint)\s+constraints\.txt", args), args
        # constraints.txt is in the image before the install that uses it.
        assert any("constraints.txt" in copy for i, copy in copies if i < index)


def test_dockerfile_collects_static_files_and_drops_root() -> None:
    instructions = dockerfile_instructions()
    runs = [args for kind, args in instructions if kind == "RUN"]
    assert any("manage.py collectstatic" in args for args in runs)
    users = [args for kind, args in instructions if kind == "USER"]
    assert users and users[-1] not in {"root", "0"}
    command = next(args for kind, args in reversed(instructions) if kind == "CMD")
    assert "config.wsgi:application" in command


def test_dockerignore_keeps_secrets_and_local_state_out() -> None:
    ignored = set((BASE_DIR / ".dockerignore").read_text().split())
    assert {".env", ".venv", "var", ".git"} <= ignored
