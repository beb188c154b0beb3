"""Reminders for a 10,000-person organisation: the dispatch's queries and time, the send
throughput to a local SMTP sink with one and two worker processes, and the worker's peak memory.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<yours> .venv/bin/python bench/reminders.py \
        [--people 10000] [--small 1000] [--send 2000] [--keep]

What it does, all on this machine and all torn down at the end:
1. Creates a fresh PostgreSQL database next to the one DATABASE_URL names (`<name>_bench_rem`,
   dropped at the end unless --keep) and migrates it. Starts a private redis-server on a spare
   port (the broker) and an aiosmtpd sink on another (accepts and discards every message).
2. For --small and then --people people: an organisation of teams of 20 (a company, ten
   functions), everyone in one of four time zones, each owning three key results created weeks
   before a running quarter, never checked in: at "now" everyone is due. It times
   reminders_dispatch in a dry run (finding who is due) and for real (writing the reminders and
   the outbox rows, then enqueueing one send task per email after commit), and counts the SQL
   queries of both. The count must not grow with the number of people.
3. With the --people dispatch's tasks queued in Redis, starts one worker process (prefork, one
   child, as `make demo` and the integration tests run it) until --send emails are sent, stops
   it, then two worker processes for another --send. Emails per second are taken from the
   outbox rows' sent_at (first to last), so start-up time is not counted. The peak resident
   memory (VmHWM) of each worker process is read from /proc before it stops.

Not a test: it prints figures. Expect 10-20 % noise between runs on a shared 2-core machine;
the SMTP sink, Redis, PostgreSQL and the workers all share those two cores.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import suppress
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ZONES = ["Europe/Oslo", "America/Los_Angeles", "Asia/Kolkata", "Europe/London"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing answered on port {port}")


def stop(process: subprocess.Popen[bytes], grace: float = 30) -> None:
    """SIGTERM the process group (a Celery worker finishes its task and hands back the rest),
    then SIGKILL whatever is left."""
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def group_peak_memory(pgid: int) -> list[tuple[int, str, int]]:
    """(pid, command, peak RSS in KiB) of every live process in a process group."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with suppress(OSError):
            fields = stat.read_text().rpartition(")")[2].split()
            if int(fields[2]) != pgid:
                continue
            status = (stat.parent / "status").read_text()
            peak = next(
                int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM")
            )
            command = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()[:60]
            found.append((int(stat.parent.name), command, peak))
    return sorted(found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--send", type=int, default=2_000, help="emails per throughput run")
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    args = parser.parse_args()

    base_url = os.environ.get("DATABASE_URL", "")
    if not base_url.startswith("postgres"):
        sys.exit("Set DATABASE_URL=postgres://... (the bench creates its own database beside it).")
    parts = urlsplit(base_url)
    bench_db = f"{parts.path.lstrip('/') or 'quarterdeck'}_bench_rem"
    bench_url = urlunsplit(parts._replace(path=f"/{bench_db}"))

    import psycopg

    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{bench_db}"')
        conn.execute(f'CREATE DATABASE "{bench_db}"')

    tmp = Path(tempfile.mkdtemp(prefix="qd-bench-reminders-"))
    redis_port, smtp_port = free_port(), free_port()
    redis_server = shutil.which("redis-server")
    if redis_server is None:
        sys.exit("redis-server is not installed")
    redis = subprocess.Popen(
        [redis_server, "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(tmp), "--logfile", str(tmp / "redis.log")],
        start_new_session=True,
    )  # fmt: skip
    sink = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{smtp_port}",
         "-c", "aiosmtpd.handlers.Sink"],
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    workers: list[subprocess.Popen[bytes]] = []
    try:
        wait_for_port(redis_port)
        wait_for_port(smtp_port)
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DEBUG": "0",
            "SECRET_KEY": "bench-only-secret-key-not-for-production-0123456789abcdef",
            "ALLOWED_HOSTS": "localhost",
            "DATABASE_URL": bench_url,
            "CONN_MAX_AGE": "0",
            "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
            "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
        }
        os.environ.update(env)
        run(args, env, workers, tmp)
    finally:
        for process in [*workers, sink, redis]:
            stop(process, grace=10)
        shutil.rmtree(tmp, ignore_errors=True)
        if not args.keep:
            from django.db import connections

            connections.close_all()
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{bench_db}"')


def populate(people: int) -> None:
    """Teams of 20 (the first one its lead), three key results each, created ten weeks ago in
    a quarter that began seven weeks ago: everyone has been due since the last due date."""
    from django.utils import timezone

    from accounts.models import Membership, OrgUnit, User
    from cycles.models import Cycle
    from okrs.models import KeyResult, Objective

    today = timezone.localdate()
    company = OrgUnit.objects.create(name="Bench Co", kind=OrgUnit.Kind.COMPANY)
    functions = OrgUnit.objects.bulk_create(
        [OrgUnit(name=f"Function {i}", kind="function", parent=company) for i in range(10)]
    )
    teams = OrgUnit.objects.bulk_create(
        [
            OrgUnit(name=f"Team {i}", kind="team", parent=functions[i % 10])
            for i in range((people + 19) // 20)
        ]
    )
    users = User.objects.bulk_create(
        [
            User(
                email=f"person{i}@bench.example.com",
                name=f"Person {i}",
                time_zone=ZONES[i % len(ZONES)],
                password="!unusable",
            )
            for i in range(people)
        ]
    )
    Membership.objects.bulk_create(
        [
            Membership(user=u, unit=teams[i // 20], role="lead" if i % 20 == 0 else "member")
            for i, u in enumerate(users)
        ]
    )
    cycle = Cycle.objects.create(
        name="Bench quarter",
        starts_on=today - timedelta(weeks=7),
        ends_on=today + timedelta(weeks=6),
        setting_opens_on=today - timedelta(weeks=10),
        scoring_opens_on=today + timedelta(weeks=5),
        phase=Cycle.Phase.RUNNING,
    )
    objectives = Objective.objects.bulk_create(
        [Objective(unit=t, cycle=cycle, title=f"Objective of {t.name}") for t in teams]
    )
    KeyResult.objects.bulk_create(
        [
            KeyResult(
                objective=objectives[i // 20],
                owner=u,
                statement=f"Raise metric {k} of person {i} from 10% to 20%",
                unit="%",
                direction="increase",
                baseline_value=10,
                target=20,
                current_value=12,
                confidence=50,
                order=k,
            )
            for i, u in enumerate(users)
            for k in range(3)
        ],
        batch_size=5000,
    )
    KeyResult.objects.update(created_at=timezone.now() - timedelta(weeks=10))


def wipe() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE cycles_reminder_key_results, cycles_reminder, cycles_checkinschedule, "
            "cycles_checkin, accounts_outgoingemail, okrs_keyresult, okrs_objective, "
            "cycles_cycle, accounts_membership, accounts_user, accounts_orgunit CASCADE"
        )


def measure_dispatch(people: int) -> tuple[int, int, float, float, int]:
    """(queries dry run, queries for real, seconds dry run, seconds for real, reminders)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from cycles import services

    with CaptureQueriesContext(connection) as dry_queries:
        started = time.perf_counter()
        dry = services.reminders_dispatch(dry_run=True)
        dry_seconds = time.perf_counter() - started
    assert len(dry.new) == people, (len(dry.new), people)
    with CaptureQueriesContext(connection) as real_queries:
        started = time.perf_counter()
        real = services.reminders_dispatch()  # the after-commit enqueues included
        real_seconds = time.perf_counter() - started
    return len(dry_queries), len(real_queries), dry_seconds, real_seconds, len(real.new)


def run(args: argparse.Namespace, env: dict[str, str], workers: list, tmp: Path) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from accounts.models import OutgoingEmail

    call_command("migrate", verbosity=0)
    print(f"PostgreSQL {connection.cursor().connection.info.server_version}, "
          f"{os.cpu_count()} cores; broker: private redis-server; SMTP: aiosmtpd Sink")  # fmt: skip
    print()
    print("Dispatch (reminders_dispatch: every person due, 3 key results each)")
    print(f"{'people':>8} {'key results':>12} {'queries dry':>12} {'queries real':>13} "
          f"{'dry run s':>10} {'real s':>8} {'reminders':>10}")  # fmt: skip
    for size in (args.small, args.people):
        wipe()
        started = time.perf_counter()
        populate(size)
        made = time.perf_counter() - started
        dry_q, real_q, dry_s, real_s, created = measure_dispatch(size)
        print(f"{size:>8} {size * 3:>12} {dry_q:>12} {real_q:>13} {dry_s:>10.2f} {real_s:>8.2f} "
              f"{created:>10}   (populated in {made:.0f} s)")  # fmt: skip
    queued = OutgoingEmail.objects.filter(state=OutgoingEmail.State.QUEUED).count()
    print(f"\n{queued} emails queued in Redis for the send runs.\n")

    print("Send throughput to the SMTP sink (one SMTP connection per email, as Django sends)")
    celery = str(Path(sys.executable).with_name("celery"))
    for processes in (1, 2):
        baseline = OutgoingEmail.objects.filter(state=OutgoingEmail.State.SENT).count()
        since = time.time()
        batch = []
        for n in range(processes):
            batch.append(
                subprocess.Popen(
                    [
                        celery,
                        "-A",
                        "config.celery_app",
                        "worker",
                        "--pool",
                        "prefork",
                        "--concurrency",
                        "1",
                        "--loglevel",
                        "WARNING",
                        "--hostname",
                        f"bench{processes}-{n}@%h",
                        "--without-gossip",
                        "--without-mingle",
                        "--without-heartbeat",
                    ],
                    cwd=ROOT,
                    env=env,
                    stdout=(tmp / f"worker-{processes}-{n}.log").open("wb"),
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )  # fmt: skip
            )
        workers.extend(batch)
        deadline = time.monotonic() + 900
        while (
            OutgoingEmail.objects.filter(state=OutgoingEmail.State.SENT).count()
            < baseline + args.send
        ):
            if time.monotonic() > deadline:
                raise RuntimeError("sending stalled; see the worker logs in " + str(tmp))
            time.sleep(0.5)
        memory = [row for w in batch for row in group_peak_memory(w.pid)]
        for w in batch:
            stop(w)
        from datetime import UTC, datetime

        sent = list(
            OutgoingEmail.objects.filter(
                state=OutgoingEmail.State.SENT, sent_at__gte=datetime.fromtimestamp(since, UTC)
            ).values_list("sent_at", flat=True)
        )
        span = (max(sent) - min(sent)).total_seconds()
        print(f"  {processes} worker process{'es' if processes > 1 else ''}: {len(sent)} emails in "
              f"{span:.1f} s = {len(sent) / span:.0f} emails/s")  # fmt: skip
        leaders = {w.pid for w in batch}
        for pid, _command, peak in memory:
            role = "worker main process" if pid in leaders else "its pool child (sends)"
            print(f"      peak RSS {peak / 1024:6.1f} MiB  pid {pid}, {role}")
    left = OutgoingEmail.objects.filter(state=OutgoingEmail.State.QUEUED).count()
    duplicates = OutgoingEmail.objects.filter(attempts__gt=1).count()
    print(f"\n{left} emails left queued (discarded with the bench); rows sent more than once: "
          f"{duplicates}")  # fmt: skip


if __name__ == "__main__":
    main()
