"""The alignment tree's reads, remembered per process until what they read from changes.

Leadership opens the tree far more often than anyone changes an objective, a key result, a
link or a unit, and on a large organisation the whole-cycle reads cost more than everything
else on the page (bench/tree.py). So the tree keeps the rows each read returned, in this
process's memory, under the token of `okrs.TreeVersion` they were read at, and reuses them
while the token holds.

The token is exact, not a timeout. Triggers on the four tables the tree reads (objectives, key
results, alignment links, org units) write a fresh random token in the same transaction as
any insert, update or delete, whether it came from a form, `QuerySet.update()`, a bulk
import or hand-written SQL; a check-in changes its key result's denormalised fields, so it
changes the token too. A reader reads the token before anything else, so rows kept under a
token are never older than it. A rolled-back write rolls its token back with it.

Costs and limits:
- a writer holds the token's row from its first write to these tables until it commits, so
  such transactions queue behind each other for that moment (they are short: a check-in,
  a form save, a reorder); PostgreSQL breaks the rare deadlock by cancelling one;
- each process keeps at most `LIMIT` results and forgets them all when the token changes;
- rows from outside a `remembering()` block (tests calling a loader, the shell) are never
  kept.

The triggers are (re)installed after every `migrate` (and after `flush`, which Django's test
runner uses between live-server tests): on SQLite, Django rebuilds a table to alter it, and
that drops its triggers.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import connections

TABLES = ("okrs_objective", "okrs_keyresult", "okrs_alignmentlink", "accounts_orgunit")
VERSION_TABLE = "okrs_treeversion"
LIMIT = 256

_POSTGRESQL_FUNCTION = f"""
CREATE OR REPLACE FUNCTION okrs_tree_changed() RETURNS trigger AS $$
BEGIN
    UPDATE {VERSION_TABLE} SET token = floor(random() * 4e18)::bigint;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql
"""


def _postgresql_trigger(table: str) -> str:
    # One bump per statement, however many rows it touched.
    return (
        f"CREATE OR REPLACE TRIGGER okrs_tree_changed AFTER INSERT OR UPDATE OR DELETE OR "
        f"TRUNCATE ON {table} FOR EACH STATEMENT EXECUTE FUNCTION okrs_tree_changed()"
    )


def _sqlite_triggers(table: str) -> list[str]:
    return [
        f"CREATE TRIGGER IF NOT EXISTS okrs_tree_changed_{table}_{event.lower()} "
        f"AFTER {event} ON {table} BEGIN "
        f"UPDATE {VERSION_TABLE} SET token = abs(random()); END"
        for event in ("INSERT", "UPDATE", "DELETE")
    ]


def install(using: str = "default", **kwargs: Any) -> None:
    """Create the token's row and the triggers that change it, if missing (a post_migrate
    receiver; idempotent)."""
    connection = connections[using]
    with connection.cursor() as cursor:
        existing = set(connection.introspection.table_names(cursor))
        if VERSION_TABLE not in existing or not set(TABLES) <= existing:
            return  # migrating part of the way; the run that finishes installs them
        cursor.execute(f"SELECT COUNT(*) FROM {VERSION_TABLE}")
        if cursor.fetchone()[0] == 0:
            cursor.execute(
                f"INSERT INTO {VERSION_TABLE} (id, token) VALUES (1, %s)", [secrets.randbits(62)]
            )
        if connection.vendor == "postgresql":
            cursor.execute(_POSTGRESQL_FUNCTION)
            for table in TABLES:
                cursor.execute(_postgresql_trigger(table))
        elif connection.vendor == "sqlite":
            for table in TABLES:
                for statement in _sqlite_triggers(table):
                    cursor.execute(statement)


def data_version() -> int | None:
    """The current token (one query); None when there is none to trust (no row: tables
    flushed without the post_migrate that follows)."""
    from okrs.models import TreeVersion

    return TreeVersion.objects.filter(pk=1).values_list("token", flat=True).first()


class _Memo:
    """Results kept under one token at a time, least recently used first out."""

    def __init__(self) -> None:
        self.token: int | None = None
        self.rows: OrderedDict[Hashable, Any] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, token: int, key: Hashable, fetch: Callable[[], Any]) -> Any:
        with self.lock:
            if self.token != token:
                self.token = token
                self.rows.clear()
            if key in self.rows:
                self.rows.move_to_end(key)
                return self.rows[key]
        found = fetch()
        with self.lock:
            if self.token == token:
                self.rows[key] = found
                while len(self.rows) > LIMIT:
                    self.rows.popitem(last=False)
        return found

    def clear(self) -> None:
        with self.lock:
            self.token = None
            self.rows.clear()


_memo = _Memo()
_token: ContextVar[int | None] = ContextVar("okrs_tree_token", default=None)


@contextmanager
def remembering(token: int | None) -> Iterator[None]:
    """Inside, `remembered` reuses what this process read under `token` (a `data_version()`
    read at the start of the request). With None, everything is read afresh."""
    reset = _token.set(token)
    try:
        yield
    finally:
        _token.reset(reset)


def remembered(key: Hashable, fetch: Callable[[], Any]) -> Any:
    """`fetch()`'s result, kept for the current token under `key` (which must name
    everything the result depends on: the statement and its parameters). Callers treat the
    result as read-only: build fresh objects from it."""
    token = _token.get()
    if token is None:
        return fetch()
    return _memo.get(token, key, fetch)


def forget() -> None:
    """Drop everything this process keeps (tests that want a cold start)."""
    _memo.clear()


def frozen(params: Any) -> Hashable:
    """Statement parameters as a key: lists become tuples."""
    return tuple(tuple(p) if isinstance(p, list | set | frozenset) else p for p in params)
