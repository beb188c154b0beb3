"""Integration harness: a real SMTP server, a real Celery worker, a private Redis.

Tests here talk to real services; nothing is mocked. Tests marked `integration` are skipped
(or fail, under QUARTERDECK_REQUIRE_SERVICES=1) unless DATABASE_URL is PostgreSQL and REDIS_URL
answers: see tests/plugins/services.py.

Fixtures
--------
smtp_server
    An aiosmtpd server on a spare loopback port, recording every accepted message (envelope
    and parsed message, so tests can compare Message-IDs) and every DATA attempt. It can be
    told to answer 451 the next N times (`fail_next`) or 550 from now on (`reject_all`), at
    RCPT or DATA. `use_for(settings)` points this process's Django mail at it.
celery_worker
    `celery -A config.celery_app worker --pool prefork --concurrency 1` in its own process
    group, with the production settings module and an environment that points it at the
    pytest test database, at REDIS_URL as the broker and at `smtp_server`. It turns off eager
    tasks in this process for the test, purges the queue before and after, and kills the
    worker's whole process group at teardown. Tests using it must be
    `@pytest.mark.django_db(transaction=True)`: the worker is another process and only sees
    committed rows (and on_commit hooks only fire on a real commit).
private_redis
    A throwaway `redis-server` on a spare port, with persistence off (`--save "" --appendonly
    no`), for fault tests that stop, kill or restart the broker without touching the shared
    Redis. `restart()` comes back empty, as a Redis without persistence does.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from django.db import connection

from tests.plugins.services import BASE_DIR, skip_or_fail

# How long a fixture waits for a service it started before calling the start a failure. Far
# above what they take here (worker ~2 s, redis-server ~0.1 s) and far below the 30 s a test
# may take in all.
START_TIMEOUT = 20.0


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now.

    The kernel picks it; there is a short window before our server binds it, which is fine on
    a test machine (the alternative, port 0, does not work with aiosmtpd's Controller, which
    connects to its own port to know it is up).
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(
    condition: Callable[[], Any], *, timeout: float, interval: float = 0.05, what: str
) -> Any:
    """Poll `condition` until it returns something truthy; fail the test after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"Timed out after {timeout:.0f} s waiting for {what}", pytrace=False)
        time.sleep(interval)


# SMTP ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceivedMessage:
    """One message the SMTP server accepted."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])

    @property
    def text(self) -> str:
        """The plain-text body (the part a link check reads)."""
        part = self.message.get_body(preferencelist=("plain",))
        return part.get_content() if part is not None else ""


@dataclass
class _Failure:
    code: int
    text: str
    stage: str  # "RCPT" or "DATA"
    remaining: int | None  # None: every time from now on


class RecordingHandler:
    """aiosmtpd handler: records accepted messages and DATA attempts; fails on request.

    Handler methods run on the server's own event-loop thread, while tests read from the
    test thread, hence the lock.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._failure: _Failure | None = None
        self.received: list[ReceivedMessage] = []
        # Message-ID of every DATA the client sent, accepted or not: retries show up here.
        self.data_attempts: list[str] = []

    def fail(self, *, code: int, text: str, stage: str, times: int | None) -> None:
        if stage not in ("RCPT", "DATA"):
            raise ValueError("stage is RCPT or DATA")
        with self._lock:
            self._failure = _Failure(code=code, text=text, stage=stage, remaining=times)

    def _take_failure(self, stage: str) -> str | None:
        with self._lock:
            failure = self._failure
            if failure is None or failure.stage != stage:
                return None
            if failure.remaining is not None:
                failure.remaining -= 1
                if failure.remaining <= 0:
                    self._failure = None
            return f"{failure.code} {failure.text}"

    async def handle_RCPT(  # noqa: N802 (aiosmtpd's hook name)
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list
    ) -> str:
        refusal = self._take_failure("RCPT")
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802 (aiosmtpd's hook name)
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        raw = envelope.original_content or envelope.content
        assert isinstance(raw, bytes)
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self._lock:
            self.data_attempts.append(str(message["Message-ID"]))
        refusal = self._take_failure("DATA")
        if refusal:
            return refusal
        with self._lock:
            self.received.append(
                ReceivedMessage(
                    mail_from=str(envelope.mail_from),
                    rcpt_tos=tuple(envelope.rcpt_tos),
                    message=message,
                )
            )
        return "250 Message accepted for delivery"


@dataclass
class SmtpServer:
    """The running test SMTP server, as tests see it."""

    host: str
    port: int
    handler: RecordingHandler

    @property
    def url(self) -> str:
        """EMAIL_URL for a process that should send here."""
        return f"smtp://{self.host}:{self.port}"

    @property
    def messages(self) -> list[ReceivedMessage]:
        with self.handler._lock:
            return list(self.handler.received)

    @property
    def data_attempts(self) -> list[str]:
        with self.handler._lock:
            return list(self.handler.data_attempts)

    def fail_next(self, times: int, *, code: int = 451, stage: str = "DATA") -> None:
        """Answer `code` (a temporary failure by default) the next `times` times."""
        self.handler.fail(code=code, text="4.3.0 Try again later", stage=stage, times=times)

    def reject_all(self, *, code: int = 550, stage: str = "DATA") -> None:
        """Answer `code` (a permanent failure by default) from now on."""
        self.handler.fail(code=code, text="5.7.1 Message rejected", stage=stage, times=None)

    def wait_for_messages(self, count: int, *, timeout: float = 15.0) -> list[ReceivedMessage]:
        wait_until(
            lambda: len(self.messages) >= count,
            timeout=timeout,
            what=f"{count} message(s) at the SMTP server (have {len(self.messages)})",
        )
        return self.messages

    def use_for(self, settings: Any) -> None:
        """Point this process's Django mail at the server (`settings` is pytest-django's)."""
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = self.host
        settings.EMAIL_PORT = self.port
        settings.EMAIL_HOST_USER = ""
        settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_USE_TLS = False
        settings.EMAIL_USE_SSL = False
        settings.EMAIL_TIMEOUT = 5


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    # aiosmtpd logs every SMTP command at INFO; a failing test's report needs none of it.
    mail_log = logging.getLogger("mail.log")
    previous_level = mail_log.level
    mail_log.setLevel(logging.WARNING)
    handler = RecordingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, ready_timeout=START_TIMEOUT)
    controller.start()
    try:
        yield SmtpServer(host="127.0.0.1", port=port, handler=handler)
    finally:
        controller.stop()
        mail_log.setLevel(previous_level)


# Processes -----------------------------------------------------------------------------------


def _group_members(pgid: int) -> list[int]:
    """Live (non-zombie) processes in a process group, from /proc.

    Zombies are excluded: an orphaned child that already exited waits for PID 1 to reap it,
    which in a container may never happen, and it holds nothing.
    """
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # the process ended while we looked
        # Fields after the command name, which is in parentheses and may contain spaces.
        fields = text.rpartition(")")[2].split()
        state, group = fields[0], int(fields[2])
        if group == pgid and state != "Z":
            members.append(int(stat.parent.name))
    return members


def kill_process_group(process: subprocess.Popen[bytes], *, grace: float = 10.0) -> None:
    """Stop a process started with start_new_session=True and everything it spawned.

    SIGTERM first (a Celery worker then stops cleanly and hands unfinished messages back),
    SIGKILL to the whole group after `grace`. Fails the test if anything survives: leaving
    processes behind would make later tests and other people's runs flaky.
    """
    pgid = process.pid  # a session leader's process group id is its pid
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=grace)  # a worker finishing its task may take a while
    deadline = time.monotonic() + 5
    while True:
        survivors = _group_members(pgid) if Path("/proc").is_dir() else []
        if process.poll() is None:
            survivors.append(process.pid)
        if not survivors:
            break
        if time.monotonic() > deadline:
            raise RuntimeError(f"processes {survivors} of group {pgid} survived SIGKILL")
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
        time.sleep(0.1)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=1)


# Celery worker -------------------------------------------------------------------------------


def database_url_for_this_test_run() -> str:
    """DATABASE_URL naming the database pytest-django created (test_<name>), not the one in
    the environment: the worker must read and write the rows this test sees."""
    db = connection.settings_dict
    user = quote(db.get("USER") or "", safe="")
    password = quote(db.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = quote(db.get("HOST") or "", safe="")  # a socket directory becomes %2Fvar%2Frun...
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{credentials}{host}{port}/{quote(db['NAME'], safe='')}"


@dataclass
class CeleryWorker:
    process: subprocess.Popen[bytes]
    hostname: str
    log_path: Path
    env: dict[str, str] = field(repr=False)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@pytest.fixture
def celery_worker(
    transactional_db: None, smtp_server: SmtpServer, settings: Any, tmp_path: Path
) -> Iterator[CeleryWorker]:
    from config.celery_app import app

    executable = Path(sys.executable).with_name("celery")
    command = [str(executable)] if executable.exists() else [sys.executable, "-m", "celery"]
    hostname = f"qd-test-{os.getpid()}-{uuid.uuid4().hex[:6]}@%h"
    env = {
        **os.environ,
        # The production settings module: the worker runs as it does in production, apart
        # from where these variables point.
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "0",
        "SECRET_KEY": settings.SECRET_KEY,
        "ALLOWED_HOSTS": "localhost",
        "DATABASE_URL": database_url_for_this_test_run(),
        # No persistent connections: nothing of the worker's lingers on the test database
        # when pytest-django flushes it after the test.
        "CONN_MAX_AGE": "0",
        "REDIS_URL": settings.REDIS_URL,
        "EMAIL_URL": smtp_server.url,
        # Emails are rendered in this process; the worker only sends them, but Message-ID is
        # derived from DEFAULT_FROM_EMAIL on both sides, so they must agree.
        "DEFAULT_FROM_EMAIL": settings.DEFAULT_FROM_EMAIL,
        "SITE_URL": settings.SITE_URL,
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("PYTEST_CURRENT_TEST", None)
    log_path = tmp_path / "celery-worker.log"

    was_eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    # Leftovers from an earlier, interrupted run would reach this worker otherwise.
    app.control.purge()
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [
                *command,
                "-A",
                "config.celery_app",
                "worker",
                "--pool",
                "prefork",
                "--concurrency",
                "1",
                "--loglevel",
                "INFO",
                "--hostname",
                hostname,
                # Nothing to synchronise with: skipping these saves ~1 s of start-up.
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=BASE_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so teardown can kill it all
        )
    worker = CeleryWorker(process=process, hostname=hostname, log_path=log_path, env=env)
    try:

        def ready() -> bool:
            if process.poll() is not None:
                pytest.fail(
                    f"The Celery worker exited with {process.returncode}:\n{worker.log()}",
                    pytrace=False,
                )
            return " ready." in worker.log()

        wait_until(ready, timeout=START_TIMEOUT, interval=0.1, what="the Celery worker")
        yield worker
    finally:
        try:
            kill_process_group(process)
        finally:
            app.control.purge()
            app.conf.task_always_eager = was_eager
            # Shown by pytest only when the test fails.
            print(f"--- Celery worker log ({log_path}) ---\n{worker.log()}")


# Private Redis -------------------------------------------------------------------------------


class PrivateRedis:
    """A redis-server of the test's own, on a spare port, with nothing kept on disk."""

    def __init__(self, executable: str, directory: Path) -> None:
        self.executable = executable
        self.directory = directory
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.executable,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                # No snapshots and no append-only file: a restart loses every queued message,
                # the failure the outbox sweeper has to recover from.
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
                "--logfile",
                str(self.directory / "redis.log"),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_until(self.answers, timeout=START_TIMEOUT, what=f"redis-server on {self.port}")

    def answers(self) -> bool:
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        # No retries: redis-py's default backs off for seconds before admitting it is down.
        client = redis.Redis(
            host="127.0.0.1",
            port=self.port,
            socket_connect_timeout=0.5,
            retry=Retry(NoBackoff(), 0),
        )
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False
        finally:
            client.close()

    def stop(self) -> None:
        """Stop it (SIGTERM, then SIGKILL): what a crash or a restart looks like to clients."""
        if self.process is not None:
            kill_process_group(self.process, grace=5)
            self.process = None

    def kill(self) -> None:
        """kill -9: no chance to write anything anywhere."""
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.stop()

    def restart(self) -> None:
        self.stop()
        self.start()


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    import shutil

    executable = shutil.which("redis-server")
    if executable is None:
        skip_or_fail("redis-server is not installed (apt-get install redis-server)")
    assert executable is not None
    server = PrivateRedis(executable, tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()
