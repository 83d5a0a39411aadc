"""The SQL unit of work: one connection and transaction per `with uow:`, Core statements only.

Cases are saved with `WHERE revision = :read` (optimistic lock); due timers are claimed with
FOR UPDATE SKIP LOCKED on PostgreSQL. Workflow state is stored as compressed JSON.
"""

from __future__ import annotations

import threading
import zlib
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Engine, bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, OperationalError

from engine.kernel import model
from engine.kernel.errors import CaseNotFound, Conflict
from persistence import tables as t
from persistence.inbound import SqlAttachments, SqlInbound
from persistence.outbox import OUTBOX_INSERT, SqlOutbox
from persistence.processes import SqlDrafts, SqlVersions
from persistence.rows import SqlStore, write_batch
from persistence.users import SqlUsers
from persistence.work_items import DROP_ITEM, ITEM_DUE, ITEM_INSERT, SqlWorkItems


def encode_state(state: Mapping[str, Any]) -> bytes:
    if isinstance(state, LazyState) and not state.loaded:
        return state.blob
    return zlib.compress(orjson.dumps(dict(state)), 1)


def decode_state(blob: bytes) -> dict[str, Any]:
    return orjson.loads(zlib.decompress(blob))


class LazyState(Mapping[str, Any]):
    """A case's workflow state, decoded only if read: a warm workflow cache never reads it."""

    def __init__(self, blob: bytes):
        self.blob, self._data = blob, None

    @property
    def loaded(self) -> bool:
        return self._data is not None

    def _load(self) -> dict[str, Any]:
        if self._data is None:
            self._data = decode_state(self.blob)
        return self._data

    def __getitem__(self, key: str) -> Any:
        return self._load()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._load())

    def __len__(self) -> int:
        return len(self._load())


# Hot statements are built once: constructing them per call costs more than running them.
_INSERT = {table: table.insert() for table in (t.cases, t.events, t.personal_data, t.personal_data_views)}
_SELECT_CASE = select(t.cases).where(t.cases.c.id == bindparam("b_id"))
_SAVE_CASE = update(t.cases).where(t.cases.c.id == bindparam("b_id"), t.cases.c.revision == bindparam("b_revision"))
# What one step of a case writes, in foreign-key order: these can be sent in batches.
_STEP_WRITES = (_SAVE_CASE, _INSERT[t.events], DROP_ITEM, ITEM_INSERT, ITEM_DUE, OUTBOX_INSERT)


class SqlUnitOfWork(threading.local):
    """Re-enterable: each `with` block is a new transaction on a pooled connection.

    Thread-local: `complaints run` shares one unit of work between the web server's threads
    and the worker thread, and each thread's open transaction must stay its own.
    """

    def __init__(self, engine: Engine, versions_cache: dict[str, model.ProcessVersion] | None = None):
        self.engine = engine
        self.versions_cache = versions_cache if versions_cache is not None else {}

    def __enter__(self) -> SqlUnitOfWork:
        self.connection = self.engine.connect()
        self.transaction = self.connection.begin()
        self.versions = SqlVersions(self.connection, self.versions_cache)
        self.cases = SqlCases(self.connection)
        self.personal_data = SqlPersonalData(self.connection)
        self.personal_data_views = SqlPersonalDataViews(self.connection)
        self.work_items = SqlWorkItems(self.connection)
        self.events = SqlEvents(self.connection)
        self.outbox = SqlOutbox(self.connection)
        self.users = SqlUsers(self.connection)
        self.drafts = SqlDrafts(self.connection)
        self.inbound = SqlInbound(self.connection)
        self.attachments = SqlAttachments(self.connection)
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if self.transaction.is_active:
                self.transaction.rollback()
        finally:
            self.connection.close()

    def batched_writes(self) -> AbstractContextManager[None]:
        """Queue the writes of case steps and send them together (executemany) at the end."""
        return write_batch(self.connection, _STEP_WRITES)

    def commit(self) -> None:
        try:
            self.transaction.commit()
        except (IntegrityError, OperationalError) as error:
            raise Conflict(f"The change could not be saved: {error.orig}; try again.") from None

    def rollback(self) -> None:
        self.transaction.rollback()


def _case(row: Any) -> model.Case:
    values = dict(row._mapping)
    values["state"] = LazyState(values["state"])
    values["deadlines"] = [_deadline(d) for d in values["deadlines"]]
    return model.Case(**values)


def _deadline(d: dict[str, Any]) -> model.Deadline:
    moments = {k: datetime.fromisoformat(d[k]) if d.get(k) else None for k in ("set_at", "settled_at")}
    kind = d.get("kind") or ("warning" if d.get("warning") else "deadline")
    return model.Deadline(
        d["bpmn_id"], d["name"], datetime.fromisoformat(d["due"]), d.get("passed", False), kind,
        d.get("key", ""), d.get("scope", ""), d.get("scope_bpmn_id", ""), **moments,
        replaces=tuple(d.get("replaces", ())),
    )  # fmt: skip


def _deadline_row(d: model.Deadline) -> dict[str, Any]:
    row = {"bpmn_id": d.bpmn_id, "name": d.name, "due": d.due.isoformat(), "passed": d.passed, "kind": d.kind,
           "key": d.key, "scope": d.scope, "scope_bpmn_id": d.scope_bpmn_id}  # fmt: skip
    row.update({k: v.isoformat() for k, v in (("set_at", d.set_at), ("settled_at", d.settled_at)) if v})
    if d.replaces:
        row["replaces"] = list(d.replaces)
    return row


def _case_row(case: model.Case) -> dict[str, Any]:
    values = dict(vars(case))
    values["state"] = encode_state(case.state)
    values["deadlines"] = [_deadline_row(d) for d in case.deadlines]
    return values


class SqlCases(SqlStore):
    def add(self, case: model.Case) -> None:
        self._run(_INSERT[t.cases], _case_row(case))

    def get(self, case_id: str) -> model.Case:
        row = self.c.execute(_SELECT_CASE, {"b_id": case_id}).first()
        if row is None:
            raise CaseNotFound(f"No case {case_id!r}.")
        return _case(row)

    def by_reference(self, reference: str) -> model.Case:
        row = self.c.execute(select(t.cases).where(t.cases.c.reference == reference)).first()
        if row is None:
            raise CaseNotFound(f"No case with reference {reference!r}.")
        return _case(row)

    def save(self, case: model.Case) -> None:
        values = _case_row(case)
        del values["id"]
        values.update(revision=case.revision + 1, b_id=case.id, b_revision=case.revision)
        stale = f"Case {case.reference} was changed by someone else meanwhile; reload it."
        self._write(_SAVE_CASE, values, stale=stale)
        case.revision += 1

    def claim_due(self, now: datetime, limit: int, exclude: Collection[str] = ()) -> list[model.Case]:
        query = select(t.cases).where(t.cases.c.next_timer_at < now)
        if exclude:
            query = query.where(t.cases.c.id.not_in(sorted(exclude)))
        query = query.order_by(t.cases.c.next_timer_at).limit(limit).with_for_update(skip_locked=True)
        return [_case(row) for row in self.c.execute(query)]

    def claim(self, case_id: str, now: datetime) -> model.Case | None:
        query = select(t.cases).where(t.cases.c.id == case_id, t.cases.c.next_timer_at < now)
        row = self.c.execute(query.with_for_update(skip_locked=True)).first()
        return _case(row) if row else None

    def next_due(self) -> datetime | None:
        return self.c.execute(select(func.min(t.cases.c.next_timer_at))).scalar()

    def next_sequence(self, year: int) -> int:
        dialect = postgresql if self.c.dialect.name == "postgresql" else sqlite
        statement = (
            dialect.insert(t.reference_counters)
            .values(year=year, last=1)
            .on_conflict_do_update(index_elements=["year"], set_={"last": t.reference_counters.c.last + 1})
            .returning(t.reference_counters.c.last)
        )
        return int(self._run(statement).scalar_one())

    def open_on(self, version_id: str) -> list[str]:
        query = select(t.cases.c.id).where(t.cases.c.version_id == version_id, t.cases.c.status == "open")
        return list(self.c.execute(query.order_by(t.cases.c.created_at)).scalars())

    def count(self) -> int:
        return int(self.c.execute(select(func.count()).select_from(t.cases)).scalar_one())

    def ids(self, after: str = "", limit: int = 1000) -> list[str]:
        query = select(t.cases.c.id).where(t.cases.c.id > after).order_by(t.cases.c.id).limit(limit)
        return list(self.c.execute(query).scalars())

    def many(self, case_ids: Sequence[str]) -> list[model.Case]:
        rows = self.c.execute(select(t.cases).where(t.cases.c.id.in_(list(case_ids))).order_by(t.cases.c.id))
        return [_case(row) for row in rows]

    def received_between(self, start: datetime, end: datetime) -> list[model.Case]:
        c = t.cases.c
        query = select(t.cases).where(c.received_at >= start, c.received_at < end).order_by(c.received_at, c.id)
        return [_case(row) for row in self.c.execute(query)]


class SqlPersonalData(SqlStore):
    def add(self, personal: model.PersonalData) -> None:
        self._run(_INSERT[t.personal_data], vars(personal))

    def for_case(self, case_id: str) -> model.PersonalData | None:
        row = self.c.execute(select(t.personal_data).where(t.personal_data.c.case_id == case_id)).first()
        return model.PersonalData(**row._mapping) if row else None

    def save(self, personal: model.PersonalData) -> None:
        values = {k: v for k, v in vars(personal).items() if k not in ("id", "case_id")}
        self._run(update(t.personal_data).where(t.personal_data.c.id == personal.id).values(**values))


class SqlPersonalDataViews(SqlStore):
    def add(self, view: model.PersonalDataView) -> None:
        self._run(_INSERT[t.personal_data_views], vars(view))

    def for_case(self, case_id: str) -> list[model.PersonalDataView]:
        v = t.personal_data_views.c
        rows = self.c.execute(select(t.personal_data_views).where(v.case_id == case_id).order_by(v.viewed_at, v.id))
        return [model.PersonalDataView(**row._mapping) for row in rows]


class SqlEvents(SqlStore):
    def append(self, event: model.Event) -> None:
        self._write(_INSERT[t.events], vars(event))

    def for_case(self, case_id: str) -> list[model.Event]:
        e = t.events.c
        query = select(e.case_id, e.seq, e.type, e.actor, e.at, e.data, e.prev_hash, e.hash, e.key_id)
        rows = self.c.execute(query.where(e.case_id == case_id).order_by(e.seq))
        return [model.Event(**row._mapping) for row in rows]

    def for_cases(self, case_ids: Sequence[str]) -> dict[str, list[model.Event]]:
        e = t.events.c
        query = select(e.case_id, e.seq, e.type, e.actor, e.at, e.data, e.prev_hash, e.hash, e.key_id)
        found: dict[str, list[model.Event]] = {i: [] for i in case_ids}
        for row in self.c.execute(query.where(e.case_id.in_(list(case_ids))).order_by(e.case_id, e.seq)):
            found[row.case_id].append(model.Event(**row._mapping))
        return found

    def replace_data(self, event: model.Event) -> None:
        e = t.events.c
        self._run(update(t.events).where(e.case_id == event.case_id, e.seq == event.seq).values(data=event.data))
