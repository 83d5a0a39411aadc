"""An in-memory unit of work with the same contract as the SQL one (unit tests, fakes).

A transaction works on a private copy and records its writes; `commit` checks the revisions
of the cases it saved and replays the writes on the shared tables, so rollback and stale
updates behave as they do in the database.
"""

from __future__ import annotations

import copy
import threading
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from engine.kernel.errors import StaleCase
from persistence.memory.base import MemoryDatabase, Op, Tables
from persistence.memory.case_stores import Cases, Drafts, Events, Personal, Users, Versions, Views, WorkItems
from persistence.memory.message_stores import Attachments, Inbound, Outbox

__all__ = ["MemoryDatabase", "MemoryUnitOfWork"]


class MemoryUnitOfWork:
    """Re-enterable like the SQL one; each thread's open transaction is its own."""

    def __init__(self, db: MemoryDatabase | None = None):
        self.db = db or MemoryDatabase()
        self._local = threading.local()

    def __getattr__(self, name: str) -> Any:
        # stores (uow.cases, ...) and transaction state live on this thread's transaction
        if name.startswith("__") or name == "_local":
            raise AttributeError(name)
        return getattr(self._local.tx, name)

    def __enter__(self) -> MemoryUnitOfWork:
        with self.db.lock:
            tables = copy.deepcopy(self.db.tables)
        self._local.tx = _Transaction(self, tables)
        return self

    def __exit__(self, *exc: object) -> None:
        self.rollback()

    def write(self, op: Op) -> None:
        tx = self._local.tx
        op(tx.work)
        tx.ops.append(op)

    def commit(self) -> None:
        tx = self._local.tx
        with self.db.lock:
            for case_id, revision in tx.expected.items():
                current = self.db.tables.cases.get(case_id)
                if current is not None and current.revision != revision:
                    raise StaleCase(f"Case {current.reference} was changed by someone else; reload it.")
            for check in tx.checks:
                check(self.db.tables)
            for op in tx.ops:
                op(self.db.tables)
        tx.reset()

    def rollback(self) -> None:
        self._local.tx.reset()

    def batched_writes(self) -> AbstractContextManager[None]:
        return nullcontext()  # writes here are already applied together at commit


class _Transaction:
    """One thread's open transaction: a private copy of the tables and the writes to replay."""

    def __init__(self, uow: MemoryUnitOfWork, tables: Tables):
        self.work = tables
        self.reset()
        self.versions = Versions(uow, tables)
        self.cases = Cases(uow, tables)
        self.personal_data = Personal(uow, tables)
        self.personal_data_views = Views(uow, tables)
        self.work_items = WorkItems(uow, tables)
        self.events = Events(uow, tables)
        self.outbox = Outbox(uow, tables)
        self.users = Users(uow, tables)
        self.drafts = Drafts(uow, tables)
        self.inbound = Inbound(uow, tables)
        self.attachments = Attachments(uow, tables)

    def reset(self) -> None:
        self.ops: list[Op] = []
        self.expected: dict[str, int] = {}
        self.checks: list[Op] = []  # run on the shared tables at commit; raise to refuse it
