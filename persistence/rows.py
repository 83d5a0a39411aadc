"""The base of every SQL store: one connection, writes that turn clashes into Conflicts."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError, OperationalError

from engine.kernel.errors import Conflict, StaleCase

_BATCH = "write_batch"  # key in Connection.info while a batch is open


class WriteBatch:
    """Writes queued while it is open, sent at its end with one executemany per statement.

    Statements are sent in `order` (foreign-key order), so queued writes must not depend on
    one another beyond it; any other write first sends what is queued. Reads inside the
    block do not see queued writes.
    """

    def __init__(self, order: Sequence[Any]):
        self.queued: dict[Any, list[dict[str, Any]]] = {statement: [] for statement in order}
        self.stale: dict[Any, str] = {}

    def takes(self, statement: Any) -> bool:
        return statement in self.queued

    def add(self, statement: Any, rows: dict[str, Any] | list[dict[str, Any]], stale: str | None) -> None:
        self.queued[statement].extend(rows if isinstance(rows, list) else [rows])
        if stale:
            self.stale[statement] = stale

    def send(self, store: SqlStore) -> None:
        for statement, rows in self.queued.items():
            if rows:
                self.queued[statement] = []
                store._execute(statement, rows, self.stale.get(statement))


@contextmanager
def write_batch(connection: Connection, order: Sequence[Any]) -> Iterator[None]:
    batch = connection.info[_BATCH] = WriteBatch(order)
    try:
        yield
        batch.send(SqlStore(connection))
    finally:
        del connection.info[_BATCH]


class SqlStore:
    def __init__(self, connection: Connection):
        self.c = connection

    def _run(self, statement: Any, rows: Any = None, stale: str | None = None) -> Any:
        """Execute a write now (after any queued ones); clashes become Conflicts.

        With `stale`, every row given must change exactly one row (the optimistic lock on a
        revision) or StaleCase(stale) is raised.
        """
        batch = self.c.info.get(_BATCH)
        if batch is not None:
            batch.send(self)
        return self._execute(statement, rows, stale)

    def _write(self, statement: Any, rows: Any, *, stale: str | None = None) -> None:
        """A write whose result is not read: queued while a batch takes it, else run now."""
        batch = self.c.info.get(_BATCH)
        if batch is not None and batch.takes(statement):
            batch.add(statement, rows, stale)
        else:
            self._run(statement, rows, stale)

    def _execute(self, statement: Any, rows: Any = None, stale: str | None = None) -> Any:
        try:
            result = self.c.execute(statement, rows)
        except IntegrityError as error:
            raise Conflict(f"Conflicting change: {error.orig}") from None
        except OperationalError as error:
            if "locked" in str(error.orig):
                raise StaleCase("The case is being changed by someone else; try again.") from None
            raise
        if stale is not None and result.rowcount != (len(rows) if isinstance(rows, list) else 1):
            raise StaleCase(stale)
        return result
