"""How fast the alignment tree is on a large organisation, against its floors.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/qd_tree_bench \
        .venv/bin/python bench/tree.py [--runs 21]

Build the organisation first with bench/generate_org.py. Everything runs in this process
through Django's test Client (the full middleware stack, signed in as leader@example.com),
DEBUG off. Each page and its floor are timed alternately, so the machine's noise (2 shared
cores) hits both alike; the figures are medians. Floors are in bench/floors.py.

Each page is timed twice: remembered (okrs.tree_memo holds what it read, as for every reader
after the first since the last change) and cold (nothing remembered: the first reader after a
change, or a fresh process). Printed per page: SQL queries, median server time, response
size, elements (start tags), and the ratio to each floor. Targets (issue 6): a fixed query
count of 10 or fewer; first paint within 2x of its floor and under 50 ms; one subtree
expansion under 2 ms; the full export (the SVG map of the largest company objective) within
3x of its floor.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._django import setup  # noqa: E402


def elements(body: bytes) -> int:
    return len(re.findall(rb"<[a-zA-Z]", body))


class Bench:
    def __init__(self, runs: int) -> None:
        from django.db import connection
        from django.test import Client

        from accounts.models import User

        self.connection = connection
        self.runs = runs
        self.client = Client()
        self.client.force_login(User.objects.get(email="leader@example.com"))

    def get(self, url: str, htmx: bool = False) -> bytes:
        headers = {"HX-Request": "true"} if htmx else {}
        response = self.client.get(url, headers=headers)
        assert response.status_code == 200, (url, response.status_code)
        return response.content

    def queries(self, url: str, htmx: bool = False) -> int:
        count = [0]

        def counter(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
            count[0] += 1
            return execute(sql, params, many, context)

        with self.connection.execute_wrapper(counter):
            self.get(url, htmx)
        return count[0]

    def timed(self, *calls: Callable[[], object]) -> list[float]:
        """Median seconds of each call, timed in turn, after warming up (psycopg prepares a
        statement after five runs on a connection). Also keeps, in `self.cpu`, the median CPU
        time this process spent on each: on a busy shared machine wall time includes waiting
        for a core, CPU time does not (it leaves out the database server's share)."""
        for call in calls:
            for _ in range(6):
                call()
        samples: list[list[float]] = [[] for _ in calls]
        cpu: list[list[float]] = [[] for _ in calls]
        for _ in range(self.runs):
            for i, call in enumerate(calls):
                start, start_cpu = time.perf_counter(), time.process_time()
                call()
                samples[i].append(time.perf_counter() - start)
                cpu[i].append(time.process_time() - start_cpu)
        self.cpu = [statistics.median(c) for c in cpu]
        return [statistics.median(s) for s in samples]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    setup()

    from django.db.models import Count

    from cycles.models import Cycle
    from okrs.models import AlignmentLink, KeyResult, Objective

    cycle = Cycle.objects.current()
    assert cycle is not None, "No cycle: run bench/generate_org.py first."
    b = Bench(args.runs)
    print(
        f"Organisation: {Objective.objects.filter(cycle=cycle).count():,} objectives, "
        f"{KeyResult.objects.filter(objective__cycle=cycle).count():,} key results, "
        f"{AlignmentLink.objects.filter(child__cycle=cycle).count():,} links in {cycle.name}; "
        f"{args.runs} runs each, medians.\n"
    )
    # The expansion a reader makes most: a function objective under a company objective,
    # the one with the most contributors (worst case) and a typical one (the median).
    functions = list(
        Objective.objects.filter(cycle=cycle, unit__kind="function", links_up__isnull=False)
        .annotate(n=Count("links_down", distinct=True))
        .order_by("-n", "pk")
        .values_list("pk", "n")
    )
    biggest, typical = functions[0], functions[len(functions) // 2]
    company = (
        Objective.objects.filter(cycle=cycle, unit__kind="company")
        .annotate(n=Count("links_down"))
        .order_by("-n")
        .values_list("pk", flat=True)
        .first()
    )

    hello = b.timed(lambda: b.get("/bench/hello/"))[0]
    print(
        f"framework floor (signed-in trivial view, same middleware): {ms(hello)} "
        f"(CPU {ms(b.cpu[0]).strip()}; the reference machine, idle: 0.12 ms)\n"
    )

    rows: list[tuple[str, str, str, bool]] = [
        ("first paint (/alignment/)", "/alignment/", f"/bench/floor/tree/?cycle={cycle.pk}", False),
        (
            f"expansion, largest function objective ({biggest[1]} contributors)",
            f"/alignment/objectives/{biggest[0]}/",
            f"/bench/floor/children/{biggest[0]}/",
            True,
        ),
        (
            f"expansion, typical function objective ({typical[1]} contributors)",
            f"/alignment/objectives/{typical[0]}/",
            f"/bench/floor/children/{typical[0]}/",
            True,
        ),
        (
            "full export: SVG map of the largest company objective",
            f"/alignment/objectives/{company}/map.svg",
            f"/bench/floor/map/{company}/",
            False,
        ),
    ]
    from okrs import tree_memo

    def cold(call: Callable[[], bytes]) -> Callable[[], bytes]:
        """The call as the first reader after a change meets it: nothing remembered."""

        def run() -> bytes:
            tree_memo.forget()
            return call()

        return run

    print(
        "Each page twice: remembered (read again with nothing changed since; what most\n"
        "readers get) and cold (the first reader after any change: nothing remembered).\n"
    )
    head = ("page", "queries", "server", "floor", "ratio", "size", "elements", "CPU", "floor")
    print("{:64} {:>7} {:>11} {:>11} {:>6} {:>9} {:>8} {:>11} {:>11}".format(*head))
    for label, url, floor, htmx in rows:
        page = lambda u=url, h=htmx: b.get(u, h)  # noqa: E731
        floor_page = lambda f=floor, h=htmx: b.get(f, h)  # noqa: E731
        # Remembered reads timed beside the trivial view only: after a heavy request (a cold
        # run, a floor) the next one pays for the garbage and caches it left (about 2 ms).
        page_time, hello = b.timed(page, lambda: b.get("/bench/hello/"))
        page_cpu = b.cpu[0]
        floor_time = b.timed(floor_page)[0]
        floor_cpu = b.cpu[0]
        cold_time = b.timed(cold(page))[0]
        cold_cpu = b.cpu[0]
        body = b.get(url, htmx)
        warm_queries = b.queries(url, htmx)
        tree_memo.forget()
        cold_queries = b.queries(url, htmx)
        print(f"{label}")
        size = f"{len(body) / 1024:7.0f}kB {elements(body):>8}"
        print(
            f"{'  remembered':64} {warm_queries:>7} {ms(page_time)} {ms(floor_time)} "
            f"{page_time / floor_time:6.2f} {size} {ms(page_cpu)} {ms(floor_cpu)}"
        )
        print(
            f"{'  cold':64} {cold_queries:>7} {ms(cold_time)} {ms(floor_time)} "
            f"{cold_time / floor_time:6.2f} {size} {ms(cold_cpu)} {ms(floor_cpu)}"
        )
        if htmx:
            print(
                f"{'  remembered, less the framework floor (the view itself)':64} {'':>7} "
                f"{ms(page_time - hello)}"
            )
        if url == "/alignment/":
            reads = b.timed(lambda: b.get(f"/bench/floor/tree-reads/?cycle={cycle.pk}"))[0]
            print(
                f"{'  vs. its whole-cycle reads alone, printed unassembled':64} {'':>7} "
                f"{'':>11} {ms(reads)} {page_time / reads:6.2f}"
            )

    # The quality check's answers are kept per process; a fresh process pays it once per key
    # result shown.
    from okrs.tree import looks_like_output

    url = f"/alignment/objectives/{typical[0]}/"
    fresh = []
    for _ in range(5):
        looks_like_output.cache_clear()
        tree_memo.forget()
        start = time.perf_counter()
        b.get(url, True)
        fresh.append(time.perf_counter() - start)
    print(
        f"{'  the typical expansion with the quality check cold (fresh process)':64} "
        f"{'':>7} {ms(statistics.median(fresh))}"
    )

    print("\nOther views (no floor; remembered, then cold):")
    for label, url, htmx in [
        ("first paint filtered to stale check-ins", "/alignment/?flag=stale", False),
        ("first paint with a text search", "/alignment/?q=latency", False),
        ("by organisation", "/alignment/?view=org", False),
        ("the aligned-to-nothing bucket", "/alignment/unaligned/", True),
        ("a function opened by organisation", f"/alignment/units/{_a_function()}/", True),
    ]:
        page = lambda u=url, h=htmx: b.get(u, h)  # noqa: E731
        t, t_cold = b.timed(page)[0], b.timed(cold(page))[0]
        body = b.get(url, htmx)
        size = f"{len(body) / 1024:7.0f}kB"
        warm_queries = b.queries(url, htmx)
        tree_memo.forget()
        print(
            f"  {label:62} {warm_queries:>3}/{b.queries(url, htmx):<3} {ms(t)} {ms(t_cold)} "
            f"{size} {elements(body):>8}"
        )


def _a_function() -> int:
    from accounts.models import OrgUnit

    return OrgUnit.objects.filter(kind="function").order_by("name").values_list("pk", flat=True)[0]


if __name__ == "__main__":
    main()
