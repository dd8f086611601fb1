"""A read cache of rendered list pages, invalidated by a data version the database keeps (decision 0040).

`read_model_versions` holds one row per read model: a number that database triggers move forward, in the
writer's own transaction, on every write of a table the read model reads. No code path can forget it: a
use case, a bulk Core insert, a job, a migration and a person at `psql` all go through the triggers. A
view that answers from this cache reads the number first (one primary-key lookup), then serves the page it
rendered for that number, or renders it and keeps it. See `Blueprint.cached` (framework.web) for the
order of the reads and why a page can never be older than the data the caller may expect.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass

from sqlalchemy import BigInteger, Column, Engine, MetaData, String, Table
from sqlalchemy.exc import DBAPIError

READ_MODEL_VERSIONS = "read_model_versions"


def define_read_model_versions_table(metadata: MetaData) -> Table:
    """`read_model_versions`: the data version of each cached read model (its rows come with the triggers
    of the migration that creates the read model's cache)."""
    # On PostgreSQL, a writing transaction's note that a read model changed, until its commit moves the
    # version (statement-level triggers, then one deferred trigger: the migration says why). SQLite's
    # row-level triggers move the version themselves: the table stays empty there.
    Table(
        "read_model_changes",
        metadata,
        Column("name", String(64), nullable=False),
        Column("txid", BigInteger, nullable=False),
    )
    return Table(
        READ_MODEL_VERSIONS,
        metadata,
        Column("name", String(64), primary_key=True),
        #: Moved forward by the triggers to at least the writer's clock in microseconds (never back): a
        #: table dropped and created again, or a database restored from a backup, then goes on from
        #: numbers no running process has seen, so no process serves a page it kept under an old one.
        Column("version", BigInteger, nullable=False),
    )


class ReadModelVersions:
    """Reads a read model's current version: one statement on a pooled connection, outside any unit of
    work (the page, when it must be rendered, is read afterwards in its own).

    On the driver's cursor, not through SQLAlchemy's statement machinery: a tenth of the cost (13 µs
    against 80 on SQLite), on a path every cached request takes. The driver's errors still reach the
    services as SQLAlchemy's (a database unreachable is answered 503), and a connection that failed is
    not given back to the pool."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        dialect = engine.dialect
        # Only the two the services run on: SQLite's "qmark" and psycopg's "pyformat".
        placeholder = "?" if dialect.paramstyle == "qmark" else "%s"
        self._sql = f"SELECT version FROM {READ_MODEL_VERSIONS} WHERE name = {placeholder}"  # noqa: S608
        self._driver_error: type[Exception] = dialect.loaded_dbapi.Error

    def current(self, name: str) -> int | None:
        """The version of `name`, or None when it has no row (nothing is then cached)."""
        # The pool's connection: on SQLite in autocommit (framework.db), so that this one statement
        # neither takes a lock nor waits for one; on PostgreSQL the pool rolls it back when given back.
        connection = self._engine.raw_connection()
        try:
            cursor = connection.cursor()
            cursor.execute(self._sql, (name,))
            row = cursor.fetchone()
            cursor.close()
        except self._driver_error as error:
            connection.invalidate()
            raise DBAPIError.instance(self._sql, (name,), error, self._driver_error) from error
        finally:
            connection.close()
        return None if row is None else int(row[0])


@dataclass(frozen=True, slots=True)
class CachedAnswer:
    """A rendered answer, exactly as the view returned it (the after-request hooks run on it again)."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


class ReadCache:
    """A bounded least-recently-used map of rendered answers, per process; size 0 keeps nothing.

    Keys carry the data version, so an entry of an older version is never found again: it only waits for
    eviction. Thread-safe (a threaded server shares one per process)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[Hashable, CachedAnswer] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @property
    def enabled(self) -> bool:
        return self.size > 0

    def get(self, key: Hashable) -> CachedAnswer | None:
        with self._lock:
            answer = self._entries.get(key)
            if answer is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return answer

    def put(self, key: Hashable, answer: CachedAnswer) -> None:
        if not self.enabled:
            return
        with self._lock:
            self._entries[key] = answer
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
