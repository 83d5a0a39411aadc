"""The base of every SQL store: one connection, writes that turn clashes into Conflicts."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError, OperationalError

from engine.errors import Conflict, StaleCase


class SqlStore:
    def __init__(self, connection: Connection):
        self.c = connection

    def _run(self, statement: Any, rows: Any = None) -> Any:
        """Execute a write; a concurrent writer or a duplicate key becomes a Conflict."""
        try:
            return self.c.execute(statement, rows)
        except IntegrityError as error:
            raise Conflict(f"Conflicting change: {error.orig}") from None
        except OperationalError as error:
            if "locked" in str(error.orig):
                raise StaleCase("The case is being changed by someone else; try again.") from None
            raise
