"""Check-in reminders on real services: PostgreSQL, Redis, Celery worker processes (with beat,
so the outbox sweeper runs as in production) and an aiosmtpd server that records every message.

What is counted is what the SMTP server received, by Message-ID: exactly one email per person
per due date
- when the dispatch runs twice at the same moment (two processes, like two beats);
- when the worker is killed with SIGKILL in the middle of an SMTP conversation and started again;
- when Redis restarts (without persistence) between the dispatch and the send, or is down
  when the dispatch commits;
- when the SMTP server refuses the first attempts with 451.
None lost, none doubled.

The dispatch runs in its own process (`manage.py send_due_reminders`, or the same service from a
`manage.py shell -c` that waits for a shared start time), as beat would run it, against the
test database. The workers get production settings; only the intervals are shortened through
the environment (OUTBOX_SWEEP_SECONDS, OUTBOX_STUCK_AFTER_SECONDS, OUTBOX_RETRY_DELAYS), the
mechanism is the real one. One variant of the SIGKILL test keeps production's intervals (sweep
every 60 s, stuck after 60 s) to show recovery within two minutes. Fault tests use a private
redis-server on a spare port; every process they start is killed at teardown.

Fixtures added here (not in the shared harness): `WorkerProcess` (a worker you can SIGKILL and
start again, with beat and extra environment) and `stalling_smtp_server` (holds the first DATA
of each message until the client goes away).
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from django.conf import settings as django_settings
from django.utils import timezone

from accounts.models import Membership, OutgoingEmail
from cycles.models import Reminder
from okrs.models import KeyResult
from tests.accounts.factories import MembershipFactory, OrgUnitFactory, UserFactory
from tests.cycles.factories import CycleFactory
from tests.integration.conftest import (
    START_TIMEOUT,
    PrivateRedis,
    ReceivedMessage,
    RecordingHandler,
    SmtpServer,
    database_url_for_this_test_run,
    free_port,
    kill_process_group,
    wait_until,
)
from tests.okrs.factories import KeyResultFactory, ObjectiveFactory
from tests.plugins.services import BASE_DIR

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

FAST = {
    "OUTBOX_SWEEP_SECONDS": "2",
    "OUTBOX_STUCK_AFTER_SECONDS": "5",
    "OUTBOX_RETRY_DELAYS": "2,3,5,8,13,21",
}
PRODUCTION = {}  # settings.py's defaults: sweep every 60 s, stuck after 60 s, retry 30 s...
# Beat's own dispatch stays out of the way: each test runs the dispatch when it means to.
QUIET_BEAT = {"REMINDER_DISPATCH_SECONDS": "3600"}


# Processes -------------------------------------------------------------------------------------


def process_env(
    *, redis_url: str, smtp: SmtpServer | None, extra: dict[str, str]
) -> dict[str, str]:
    """The environment of a production-settings process working on this test's database."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "0",
        "SECRET_KEY": django_settings.SECRET_KEY,
        "ALLOWED_HOSTS": "localhost",
        "DATABASE_URL": database_url_for_this_test_run(),
        "CONN_MAX_AGE": "0",
        "REDIS_URL": redis_url,
        "DEFAULT_FROM_EMAIL": django_settings.DEFAULT_FROM_EMAIL,
        "SITE_URL": django_settings.SITE_URL,
        "PYTHONUNBUFFERED": "1",
        **extra,
    }
    if smtp is not None:
        env["EMAIL_URL"] = smtp.url
    env.pop("PYTEST_CURRENT_TEST", None)
    return env


class WorkerProcess:
    """A Celery worker with embedded beat (the outbox sweeper), prefork, one child: started,
    SIGKILLed and started again by the test. Always torn down with its whole process group."""

    def __init__(self, tmp_path: Path, env: dict[str, str]) -> None:
        self.tmp_path = tmp_path
        self.env = env
        self.process: subprocess.Popen[bytes] | None = None
        self.logs: list[Path] = []

    def start(self) -> None:
        executable = Path(sys.executable).with_name("celery")
        log_path = self.tmp_path / f"worker-{len(self.logs)}.log"
        self.logs.append(log_path)
        with log_path.open("wb") as log_file:
            self.process = subprocess.Popen(
                [
                    str(executable),
                    "-A",
                    "config.celery_app",
                    "worker",
                    "--beat",
                    "--schedule",
                    str(self.tmp_path / f"beat-{uuid.uuid4().hex[:6]}"),
                    "--pool",
                    "prefork",
                    "--concurrency",
                    "1",
                    "--loglevel",
                    "INFO",
                    "--hostname",
                    f"qd-reminders-{os.getpid()}-{uuid.uuid4().hex[:6]}@%h",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                ],
                cwd=BASE_DIR,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

        def ready() -> bool:
            assert self.process is not None
            if self.process.poll() is not None:
                pytest.fail(f"The worker exited:\n{self.log()}", pytrace=False)
            return " ready." in log_path.read_text(errors="replace")

        wait_until(ready, timeout=START_TIMEOUT, interval=0.1, what="the Celery worker")

    def sigkill(self) -> None:
        """kill -9 of the main process and its pool child at once: nothing gets to clean up."""
        assert self.process is not None
        os.killpg(self.process.pid, 9)
        self.process.wait(timeout=10)
        kill_process_group(self.process, grace=1)  # and make sure nothing is left
        self.process = None

    def stop(self) -> None:
        if self.process is not None:
            kill_process_group(self.process)
            self.process = None

    def log(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in self.logs if p.exists())


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[list[WorkerProcess]]:
    """Every worker a test creates, stopped at teardown whatever happened."""
    created: list[WorkerProcess] = []
    yield created
    for worker in created:
        try:
            worker.stop()
        finally:
            print(f"--- worker log ---\n{worker.log()}")


def new_worker(workers: list[WorkerProcess], tmp_path: Path, env: dict[str, str]) -> WorkerProcess:
    worker = WorkerProcess(tmp_path, env)
    workers.append(worker)
    return worker


def dispatch(env: dict[str, str]) -> str:
    """`manage.py send_due_reminders`, as a separate process. Returns what it printed."""
    result = subprocess.run(
        [sys.executable, "manage.py", "send_due_reminders"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout.decode()


# SMTP: a server that holds the first DATA of each message ----------------------------------


class StallingHandler(RecordingHandler):
    """Holds the first DATA it receives until the client goes away (aiosmtpd cancels a
    handler whose connection is lost, so a message held when the client dies is never
    accepted, as with a real server that had not yet said 250). Everything after goes through."""

    def __init__(self) -> None:
        super().__init__()
        self.stalled = threading.Event()

    async def handle_DATA(  # noqa: N802 (aiosmtpd's hook name)
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        if self.stalled.is_set():
            return await super().handle_DATA(server, session, envelope)
        raw = envelope.original_content or envelope.content
        assert isinstance(raw, bytes)
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self._lock:
            self.data_attempts.append(str(message["Message-ID"]))
        self.stalled.set()
        await asyncio.sleep(120)  # cancelled when the worker dies
        return "451 4.3.0 Held too long"


@pytest.fixture
def stalling_smtp_server() -> Iterator[SmtpServer]:
    handler = StallingHandler()
    controller = Controller(
        handler, hostname="127.0.0.1", port=free_port(), ready_timeout=START_TIMEOUT
    )
    controller.start()
    try:
        yield SmtpServer(host="127.0.0.1", port=controller.port, handler=handler)
    finally:
        controller.stop()


# Data: people due for a check-in now -------------------------------------------------------


def due_people(n: int, *, key_results_each: int = 2) -> list[Any]:
    """n people in one team, in Oslo, Los Angeles and Kolkata, each owning key results created
    long before a quarter that started six weeks ago: everyone's due time has passed."""
    today = timezone.localdate()
    company = OrgUnitFactory(name="Halyard", kind="company")
    team = OrgUnitFactory(
        name="Payments", kind="team", parent=OrgUnitFactory(kind="function", parent=company)
    )
    cycle = CycleFactory(
        name=f"Q {uuid.uuid4().hex[:6]}",
        starts_on=today - timedelta(weeks=6),
        ends_on=today + timedelta(weeks=6),
    )
    objective = ObjectiveFactory(unit=team, cycle=cycle)
    zones = ["Europe/Oslo", "America/Los_Angeles", "Asia/Kolkata"]
    people = []
    for i in range(n):
        person = UserFactory(email=f"p{i}@example.com", time_zone=zones[i % 3])
        MembershipFactory(user=person, unit=team, role=Membership.Role.MEMBER)
        for _ in range(key_results_each):
            KeyResultFactory(objective=objective, owner=person)
        people.append(person)
    KeyResult.objects.update(created_at=timezone.now() - timedelta(weeks=10))
    return people


def assert_exactly_once(messages: list[ReceivedMessage], people: list[Any]) -> None:
    """One message per person, no Message-ID twice, and each the outbox row's own."""
    ids = [m.message_id for m in messages]
    assert len(ids) == len(set(ids)), f"duplicates: {sorted(ids)}"
    assert sorted(r for m in messages for r in m.rcpt_tos) == sorted(p.email for p in people)
    rows = {
        row.message_id: row for row in OutgoingEmail.objects.filter(key__startswith="reminder:")
    }
    assert set(ids) == set(rows)
    assert all(row.state == OutgoingEmail.State.SENT for row in rows.values())
    assert Reminder.objects.count() == len(people)
    assert all("/check-in/" in m.text for m in messages)
    assert all(m.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click" for m in messages)


# The tests -----------------------------------------------------------------------------------

CONCURRENT_DISPATCH = """
import time
from cycles.services import reminders_dispatch
start = {start!r}
time.sleep(max(0.0, start - time.time()))
print("created", len(reminders_dispatch().new))
"""


def test_two_dispatches_at_the_same_moment_send_one_email_per_person(
    smtp_server: SmtpServer, workers: list[WorkerProcess], tmp_path: Path
) -> None:
    """Two processes run the dispatch at the same instant (two beats on two machines), on the
    machine's Redis: every due person gets exactly one email."""
    people = due_people(30)
    env = process_env(
        redis_url=django_settings.REDIS_URL, smtp=smtp_server, extra={**FAST, **QUIET_BEAT}
    )
    from config.celery_app import app

    app.control.purge()
    worker = new_worker(workers, tmp_path, env)
    worker.start()
    start = time.time() + 6  # both processes have imported Django by then
    code = CONCURRENT_DISPATCH.format(start=start)
    runs = [
        subprocess.Popen(
            [sys.executable, "manage.py", "shell", "-c", code],
            cwd=BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(2)
    ]
    outputs = []
    for run in runs:
        out, err = run.communicate(timeout=60)
        assert run.returncode == 0, err.decode()
        outputs.append(out.decode())
    created = [int(o.split("created")[1].split()[0]) for o in outputs]
    assert sorted(created) == [0, len(people)], outputs  # one did it all, the other nothing

    messages = smtp_server.wait_for_messages(len(people), timeout=60)
    wait_until(
        lambda: OutgoingEmail.objects.exclude(state=OutgoingEmail.State.SENT).count() == 0,
        timeout=30,
        what="every outbox row to be sent",
    )
    time.sleep(3)  # a late duplicate would show up by now (two sweeps)
    assert_exactly_once(smtp_server.messages, people)
    assert len(messages) == len(people)
    # Each email bundles both of its person's key results.
    assert all(r.key_results.count() == 2 for r in Reminder.objects.all())
    assert all(m.message["Subject"] == "Check in on your 2 key results" for m in messages)
    # And a third dispatch later finds nothing new to send.
    assert "0 people reminded" in dispatch(env)


@pytest.mark.parametrize("intervals", ["fast", "production"])
def test_a_worker_killed_in_the_middle_of_sending_loses_and_doubles_nothing(
    stalling_smtp_server: SmtpServer,
    private_redis: PrivateRedis,
    workers: list[WorkerProcess],
    tmp_path: Path,
    intervals: str,
) -> None:
    """SIGKILL to the whole worker (main process and pool child) while its SMTP conversation
    is half done; a new worker is started. The held message was never accepted, its outbox
    row is left "sending", and the sweeper sends it again once it counts as stuck: within
    seconds with short intervals, within two minutes with production's."""
    people = due_people(3, key_results_each=1)
    extra = {**(FAST if intervals == "fast" else PRODUCTION), **QUIET_BEAT}
    env = process_env(redis_url=private_redis.url, smtp=stalling_smtp_server, extra=extra)
    worker = new_worker(workers, tmp_path, env)
    worker.start()
    assert "3 people reminded" in dispatch(env)

    handler = stalling_smtp_server.handler
    assert isinstance(handler, StallingHandler)
    assert handler.stalled.wait(timeout=30), "the worker never started sending"
    held = OutgoingEmail.objects.get(state=OutgoingEmail.State.SENDING)
    worker.sigkill()
    killed_at = time.monotonic()
    worker.start()

    bound = 30 if intervals == "fast" else 130
    stalling_smtp_server.wait_for_messages(3, timeout=bound)
    recovery = time.monotonic() - killed_at
    print(f"recovered {intervals}: {recovery:.1f} s after the SIGKILL")
    # The server has the message a moment before the worker records it as sent.
    wait_until(
        lambda: OutgoingEmail.objects.get(pk=held.pk).state == OutgoingEmail.State.SENT,
        timeout=10,
        what="the held row to be recorded as sent",
    )
    held.refresh_from_db()
    assert held.attempts == 2
    time.sleep(6 if intervals == "fast" else 2)
    assert_exactly_once(stalling_smtp_server.messages, people)
    # The held message was tried twice; every other message once.
    attempts = stalling_smtp_server.data_attempts
    assert attempts.count(held.message_id) == 2
    assert len(attempts) == len(people) + 1
    assert recovery < (20 if intervals == "fast" else 125)


def test_redis_restarting_between_dispatch_and_send_loses_nothing(
    smtp_server: SmtpServer,
    private_redis: PrivateRedis,
    workers: list[WorkerProcess],
    tmp_path: Path,
) -> None:
    """The dispatch queues the emails' tasks in Redis; Redis restarts without persistence
    before any worker took them, so the queue is gone. The outbox rows are still "queued" in
    PostgreSQL: the sweeper re-enqueues them and each is sent once."""
    people = due_people(4)
    env = process_env(redis_url=private_redis.url, smtp=smtp_server, extra={**FAST, **QUIET_BEAT})
    assert "4 people reminded" in dispatch(env)
    import redis

    client = redis.Redis.from_url(private_redis.url)
    try:
        assert client.llen("celery") == 4  # the tasks were queued...
        private_redis.restart()
        assert client.llen("celery") == 0  # ...and are gone
    finally:
        client.close()
    assert OutgoingEmail.objects.filter(state=OutgoingEmail.State.QUEUED).count() == 4

    worker = new_worker(workers, tmp_path, env)
    started = time.monotonic()
    worker.start()
    smtp_server.wait_for_messages(4, timeout=30)
    print(f"recovered {time.monotonic() - started:.1f} s after the worker started")
    time.sleep(5)
    assert_exactly_once(smtp_server.messages, people)


def test_a_dispatch_while_redis_is_down_queues_in_the_outbox_and_sends_later(
    smtp_server: SmtpServer,
    private_redis: PrivateRedis,
    workers: list[WorkerProcess],
    tmp_path: Path,
) -> None:
    """The broker is down when the dispatch commits: the dispatch does not hang on one
    failing publish per email, the rows wait in the outbox, and once Redis and a worker are
    back the sweeper sends each once."""
    people = due_people(5)
    env = process_env(redis_url=private_redis.url, smtp=smtp_server, extra={**FAST, **QUIET_BEAT})
    private_redis.stop()
    started = time.monotonic()
    assert "5 people reminded" in dispatch(env)
    assert time.monotonic() - started < 30
    assert OutgoingEmail.objects.filter(state=OutgoingEmail.State.QUEUED).count() == 5
    private_redis.start()
    new_worker(workers, tmp_path, env).start()
    smtp_server.wait_for_messages(5, timeout=30)
    time.sleep(5)
    assert_exactly_once(smtp_server.messages, people)


def test_an_smtp_server_refusing_the_first_attempts_delays_but_loses_nothing(
    smtp_server: SmtpServer, workers: list[WorkerProcess], tmp_path: Path
) -> None:
    """451 twice, then accepted: the refused messages are retried with backoff, each
    delivered once, and the outbox rows end "sent" with the attempts they took."""
    people = due_people(3)
    smtp_server.fail_next(2, code=451)
    env = process_env(
        redis_url=django_settings.REDIS_URL, smtp=smtp_server, extra={**FAST, **QUIET_BEAT}
    )
    from config.celery_app import app

    app.control.purge()
    worker = new_worker(workers, tmp_path, env)
    worker.start()
    dispatch(env)
    smtp_server.wait_for_messages(3, timeout=40)
    wait_until(
        lambda: OutgoingEmail.objects.exclude(state=OutgoingEmail.State.SENT).count() == 0,
        timeout=30,
        what="every outbox row to be sent",
    )
    time.sleep(4)
    assert_exactly_once(smtp_server.messages, people)
    assert len(smtp_server.data_attempts) == 5  # two refused, three accepted
    attempts = sorted(OutgoingEmail.objects.values_list("attempts", flat=True))
    assert sum(attempts) == 5 and max(attempts) <= 3
    assert all(
        "451" in e or e == "" for e in OutgoingEmail.objects.values_list("last_error", flat=True)
    )
