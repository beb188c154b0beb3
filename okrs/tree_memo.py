"""The alignment tree's reads, remembered per process until what they read from changes.

Leadership opens the tree far more often than anyone changes an objective, a key result, a
link or a unit, and on a large organisation the whole-cycle reads cost more than everything
else on the page (bench/tree.py). So the tree keeps the rows each read returned, in this
process's memory, under the data version they were read at, and reuses them while the
version holds.

The version is exact, not a timeout. Triggers on the four tables the tree reads (objectives,
key results, alignment links, org units) insert a row into `okrs_treechange` in the same
transaction as any insert, update or delete, whether it came from a form, `QuerySet.update()`,
a bulk import or hand-written SQL; a check-in changes its key result's denormalised fields, so
it counts too. The version is the number of those rows ever committed (the rows there plus
`TreeVersion.pruned`, the ones a periodic task has deleted): every commit that changes the
tree's data raises it, a rolled-back write takes its rows with it, and pruning moves rows from
one term to the other without changing the sum. A reader reads the version before anything
else, so rows kept under a version are never older than it.

Inserts take no lock that another writer waits for, so writers never queue or deadlock on the
version (a single counter row that every writer updated would make every check-in wait for a
long import, and deadlock two writers that lock rows in opposite orders).

Limits:
- each process keeps at most `LIMIT` read results and `FRAGMENT_LIMIT` rendered fragments,
  and forgets them all when the version changes;
  in a busy organisation check-ins change it every few seconds, and the first reader after
  each change reads afresh;
- rows read outside a `remembering()` block (tests calling a loader, the shell), or inside
  a transaction (what it reads may never be committed), are never kept.

The triggers come with migration okrs 0004 (and go when it is unapplied), and are put back,
if missing, after every `migrate` and `flush`: on SQLite, Django rebuilds a table to alter it,
which drops its triggers.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import connections, transaction

TABLES = ("okrs_objective", "okrs_keyresult", "okrs_alignmentlink", "accounts_orgunit")
CHANGES_TABLE = "okrs_treechange"
VERSION_TABLE = "okrs_treeversion"
LIMIT = 256  # results of reads (a whole-cycle Forest, subtrees, key results)
FRAGMENT_LIMIT = 256  # rendered htmx fragments, apart: a reader paging through many
# fragments must not push out the Forest that costs most to read again
TRIGGER = "okrs_tree_changed"

# The version as an SQL expression: one statement's snapshot sees both terms together. NULL
# without the version row (after a flush, before post_migrate puts it back).
VERSION_SQL = (
    f"SELECT (SELECT COUNT(*) FROM {CHANGES_TABLE}) + v.pruned FROM {VERSION_TABLE} v "
    "WHERE v.id = 1"
)

_POSTGRESQL_FUNCTION = f"""
CREATE OR REPLACE FUNCTION {TRIGGER}() RETURNS trigger AS $$
BEGIN
    INSERT INTO {CHANGES_TABLE} DEFAULT VALUES;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql
"""


def _sqlite_trigger(table: str, event: str) -> str:
    # Row triggers (SQLite has no others); SQLite allows no DEFAULT VALUES inside a trigger.
    return (
        f"CREATE TRIGGER IF NOT EXISTS {TRIGGER}_{table}_{event.lower()} AFTER {event} ON "
        f"{table} BEGIN INSERT INTO {CHANGES_TABLE} (id) VALUES (NULL); END"
    )


EVENTS = ("INSERT", "UPDATE", "DELETE")


def install(using: str = "default", **kwargs: Any) -> None:
    """Create the version row and the triggers, where missing (migration 0004 and a
    post_migrate receiver; idempotent, and it takes no table lock when all is there)."""
    connection = connections[using]
    with connection.cursor() as cursor:
        existing = set(connection.introspection.table_names(cursor))
        if not {CHANGES_TABLE, VERSION_TABLE, *TABLES} <= existing:
            return  # okrs 0004 not applied (yet, or any more)
        cursor.execute(f"SELECT COUNT(*) FROM {VERSION_TABLE}")
        if cursor.fetchone()[0] == 0:
            cursor.execute(f"INSERT INTO {VERSION_TABLE} (id, pruned) VALUES (1, 0)")
        # A change of its own: whatever was written while a trigger was missing (SQLite drops
        # them while Django rebuilds a table) is not served from memory afterwards.
        cursor.execute(
            f"INSERT INTO {CHANGES_TABLE} (id) VALUES (DEFAULT)"
            if connection.vendor == "postgresql"
            else f"INSERT INTO {CHANGES_TABLE} (id) VALUES (NULL)"
        )
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE t.tgname = %s",
                [TRIGGER],
            )
            guarded = {row[0] for row in cursor.fetchall()}
            if guarded >= set(TABLES):
                return
            cursor.execute(_POSTGRESQL_FUNCTION)
            for table in set(TABLES) - guarded:
                # One row per statement, however many rows it touched.
                cursor.execute(
                    f"CREATE TRIGGER {TRIGGER} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                    f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION {TRIGGER}()"
                )
        elif connection.vendor == "sqlite":
            for table in TABLES:
                for event in EVENTS:
                    cursor.execute(_sqlite_trigger(table, event))


def uninstall(using: str = "default") -> None:
    """Drop the triggers (unapplying okrs 0004)."""
    connection = connections[using]
    with connection.cursor() as cursor:
        existing = set(connection.introspection.table_names(cursor))
        if connection.vendor == "postgresql":
            for table in set(TABLES) & existing:
                cursor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON {table}")
            cursor.execute(f"DROP FUNCTION IF EXISTS {TRIGGER}()")
        elif connection.vendor == "sqlite":
            for table in TABLES:
                for event in EVENTS:
                    cursor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER}_{table}_{event.lower()}")


def prune(using: str = "default") -> int:
    """Move the change rows' count into TreeVersion.pruned and delete them, in one
    transaction, leaving the version as it was (a periodic task; returns how many went)."""
    connection = connections[using]
    with transaction.atomic(using=using), connection.cursor() as cursor:
        # Lock the version row: two prunes at once would each add what both deleted.
        cursor.execute(
            f"SELECT pruned FROM {VERSION_TABLE} WHERE id = 1"
            + (" FOR UPDATE" if connection.vendor == "postgresql" else "")
        )
        if cursor.fetchone() is None:
            return 0
        cursor.execute(f"DELETE FROM {CHANGES_TABLE}")
        deleted = cursor.rowcount
        if deleted:
            cursor.execute(
                f"UPDATE {VERSION_TABLE} SET pruned = pruned + %s WHERE id = 1", [deleted]
            )
        return deleted


def data_version(using: str = "default") -> int | None:
    """The current version (one query); None when there is none to trust (no version row:
    tables flushed, before the post_migrate that follows puts it back)."""
    with connections[using].cursor() as cursor:
        cursor.execute(VERSION_SQL)
        row = cursor.fetchone()
    return None if row is None else row[0]


class _Memo:
    """Results kept under one version at a time, least recently used first out."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.version: int | None = None
        self.rows: OrderedDict[Hashable, Any] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, version: int, key: Hashable, fetch: Callable[[], Any]) -> Any:
        with self.lock:
            if self.version != version:
                self.version = version
                self.rows.clear()
            if key in self.rows:
                self.rows.move_to_end(key)
                return self.rows[key]
        found = fetch()
        with self.lock:
            if self.version == version:
                self.rows[key] = found
                while len(self.rows) > self.limit:
                    self.rows.popitem(last=False)
        return found

    def clear(self) -> None:
        with self.lock:
            self.version = None
            self.rows.clear()


_memos = {"reads": _Memo(LIMIT), "fragments": _Memo(FRAGMENT_LIMIT)}
_version: ContextVar[int | None] = ContextVar("okrs_tree_version", default=None)


@contextmanager
def remembering(version: int | None) -> Iterator[None]:
    """Inside, `remembered` reuses what this process read under `version` (a `data_version()`
    read at the start of the request). With None, everything is read afresh."""
    reset = _version.set(version)
    try:
        yield
    finally:
        _version.reset(reset)


def remembered(key: Hashable, fetch: Callable[[], Any], pool: str = "reads") -> Any:
    """`fetch()`'s result, kept for the current version under `key` (which must name
    everything the result depends on: the statement and its parameters). Callers treat the
    result as read-only: build fresh objects from it.

    Inside a transaction nothing is kept: what it reads may never be committed, and a
    rolled-back transaction hands its version number to the next writer."""
    version = _version.get()
    if version is None or _in_transaction():
        return fetch()
    return _memos[pool].get(version, key, fetch)


def _in_transaction(using: str = "default") -> bool:
    """In an atomic block of the application's (a test case's own blocks do not count:
    each test starts with nothing remembered, see tests/conftest.py)."""
    connection = connections[using]
    return connection.in_atomic_block and not all(
        block._from_testcase for block in connection.atomic_blocks
    )


def forget() -> None:
    """Drop everything this process keeps (tests that want a cold start)."""
    for memo in _memos.values():
        memo.clear()


def frozen(params: Any) -> Hashable:
    """Statement parameters as a key: lists become tuples."""
    return tuple(tuple(p) if isinstance(p, list | set | frozenset) else p for p in params)
