"""An in-memory unit of work with the same contract as the SQL one (unit tests, fakes).

A transaction works on a private copy and records its writes; `commit` checks the revisions
of the cases it saved and replays the writes on the shared tables, so rollback and stale
updates behave as they do in the database.
"""

from __future__ import annotations

import copy
import dataclasses
import threading
from collections.abc import Callable, Collection, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from engine import deadlines, model
from engine.errors import CaseNotFound, Conflict, MessageNotFound, NotFound, StaleCase, VersionNotFound


@dataclass
class Tables:
    versions: dict[str, model.ProcessVersion] = field(default_factory=dict)
    cases: dict[str, model.Case] = field(default_factory=dict)
    personal: dict[str, model.PersonalData] = field(default_factory=dict)
    work_items: dict[tuple[str, str], model.WorkItem] = field(default_factory=dict)
    events: dict[str, list[model.Event]] = field(default_factory=dict)
    outbox: dict[str, model.OutboxMessage] = field(default_factory=dict)
    sequences: dict[int, int] = field(default_factory=dict)
    users: dict[str, model.User] = field(default_factory=dict)
    drafts: dict[str, model.Draft] = field(default_factory=dict)
    views: list[model.PersonalDataView] = field(default_factory=list)
    inbound: dict[str, model.InboundMessage] = field(default_factory=dict)
    attachments: dict[str, model.Attachment] = field(default_factory=dict)


class MemoryDatabase:
    def __init__(self) -> None:
        self.tables = Tables()
        self.lock = threading.Lock()


Op = Callable[[Tables], None]


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
        self.versions = _Versions(uow, tables)
        self.cases = _Cases(uow, tables)
        self.personal_data = _Personal(uow, tables)
        self.personal_data_views = _Views(uow, tables)
        self.work_items = _WorkItems(uow, tables)
        self.events = _Events(uow, tables)
        self.outbox = _Outbox(uow, tables)
        self.users = _Users(uow, tables)
        self.drafts = _Drafts(uow, tables)
        self.inbound = _Inbound(uow, tables)
        self.attachments = _Attachments(uow, tables)

    def reset(self) -> None:
        self.ops: list[Op] = []
        self.expected: dict[str, int] = {}
        self.checks: list[Op] = []  # run on the shared tables at commit; raise to refuse it


def _put(table: str, key: Any, value: Any) -> Op:
    frozen = copy.deepcopy(value)
    return lambda t: getattr(t, table).__setitem__(key, copy.deepcopy(frozen))


class _Store:
    def __init__(self, uow: MemoryUnitOfWork, tables: Tables):
        self.uow = uow
        self.t = tables


class _Versions(_Store):
    def add(self, version: model.ProcessVersion) -> None:
        # as SQL's primary key and its unique (process_key, number)
        key = (version.process_key, version.number)
        if any(v.id == version.id or (v.process_key, v.number) == key for v in self.t.versions.values()):
            raise Conflict(
                f"Another version of {version.process_key} was deployed at the same moment; "
                "deploy again to add yours after it."
            )
        self.uow.write(_put("versions", version.id, version))

    def get(self, version_id: str) -> model.ProcessVersion:
        if version_id not in self.t.versions:
            raise VersionNotFound(f"No process version {version_id!r}.")
        return copy.deepcopy(self.t.versions[version_id])

    def latest(self, process_key: str) -> model.ProcessVersion | None:
        versions = self.list(process_key)
        return max(versions, key=lambda v: v.number) if versions else None

    def list(self, process_key: str | None = None) -> list[model.ProcessVersion]:
        return [copy.deepcopy(v) for v in self.t.versions.values() if process_key in (None, v.process_key)]

    def open_cases(self, process_key: str) -> dict[str, int]:
        counts: dict[str, int] = {}
        for case in self.t.cases.values():
            if case.process_key == process_key and case.status != "closed":
                counts[case.version_id] = counts.get(case.version_id, 0) + 1
        return counts


class _Cases(_Store):
    def add(self, case: model.Case) -> None:
        self.uow.write(_put("cases", case.id, case))

    def get(self, case_id: str) -> model.Case:
        if case_id not in self.t.cases:
            raise CaseNotFound(f"No case {case_id!r}.")
        return copy.deepcopy(self.t.cases[case_id])

    def by_reference(self, reference: str) -> model.Case:
        for case in self.t.cases.values():
            if case.reference == reference:
                return copy.deepcopy(case)
        raise CaseNotFound(f"No case with reference {reference!r}.")

    def save(self, case: model.Case) -> None:
        self.uow.expected.setdefault(case.id, case.revision)
        if self.t.cases[case.id].revision != case.revision:
            raise StaleCase(f"Case {case.reference} was changed by someone else; reload it.")
        case.revision += 1
        self.uow.write(_put("cases", case.id, case))

    def claim_due(self, now: datetime, limit: int, exclude: Collection[str] = ()) -> list[model.Case]:
        due = [
            c for c in self.t.cases.values()
            if c.next_timer_at is not None and c.next_timer_at < now and c.id not in exclude
        ]  # fmt: skip
        due.sort(key=lambda c: c.next_timer_at)  # type: ignore[arg-type]
        return copy.deepcopy(due[:limit])

    def claim(self, case_id: str, now: datetime) -> model.Case | None:
        case = self.t.cases.get(case_id)
        due = case is not None and case.next_timer_at is not None and case.next_timer_at < now
        return copy.deepcopy(case) if due else None

    def open_on(self, version_id: str) -> list[str]:
        cases = [c for c in self.t.cases.values() if c.version_id == version_id and c.status == "open"]
        return [c.id for c in sorted(cases, key=lambda c: c.created_at)]

    def next_due(self) -> datetime | None:
        return min((c.next_timer_at for c in self.t.cases.values() if c.next_timer_at is not None), default=None)

    def next_sequence(self, year: int) -> int:
        number = self.t.sequences.get(year, 0) + 1

        def bump(t: Tables) -> None:
            t.sequences[year] = t.sequences.get(year, 0) + 1

        self.uow.write(bump)
        return number

    def count(self) -> int:
        return len(self.t.cases)

    def ids(self, after: str = "", limit: int = 1000) -> list[str]:
        return sorted(i for i in self.t.cases if i > after)[:limit]

    def many(self, case_ids: Sequence[str]) -> list[model.Case]:
        return [copy.deepcopy(self.t.cases[i]) for i in sorted(set(case_ids)) if i in self.t.cases]

    def received_between(self, start: datetime, end: datetime) -> list[model.Case]:
        found = [c for c in self.t.cases.values() if start <= c.received_at < end]
        return [copy.deepcopy(c) for c in sorted(found, key=lambda c: (c.received_at, c.id))]


class _Personal(_Store):
    def add(self, personal: model.PersonalData) -> None:
        self.uow.write(_put("personal", personal.case_id, personal))

    save = add

    def for_case(self, case_id: str) -> model.PersonalData | None:
        return copy.deepcopy(self.t.personal.get(case_id))


class _Views(_Store):
    def add(self, view: model.PersonalDataView) -> None:
        self.uow.write(lambda t: t.views.append(view))

    def for_case(self, case_id: str) -> list[model.PersonalDataView]:
        return [v for v in self.t.views if v.case_id == case_id]


class _WorkItems(_Store):
    def update(self, case_id: str, remove: Sequence[str], add: Sequence[model.WorkItem]) -> None:
        items = [copy.deepcopy(i) for i in add]

        def op(t: Tables) -> None:
            for task_id in remove:
                t.work_items.pop((case_id, task_id), None)
            for item in items:
                t.work_items[(case_id, item.task_id)] = copy.deepcopy(item)

        self.uow.write(op)

    def set_due(self, case_id: str, dues: Mapping[str, datetime | None]) -> None:
        dues = dict(dues)

        def op(t: Tables) -> None:
            for task_id, due in dues.items():
                if (case_id, task_id) in t.work_items:
                    t.work_items[(case_id, task_id)].due_at = due

        self.uow.write(op)

    def for_case(self, case_id: str) -> list[model.WorkItem]:
        return [copy.deepcopy(i) for (c, _), i in self.t.work_items.items() if c == case_id]

    def listing(
        self, lanes: Sequence[str], *, assignee: str | None = None, limit: int = 50, offset: int = 0
    ) -> list[model.WorkItem]:
        items = [
            i for i in self.t.work_items.values()
            if i.lane in lanes and (assignee is None or i.assignee == assignee)
        ]  # fmt: skip
        items.sort(key=lambda i: (i.due_at is None, i.due_at or i.created_at, i.created_at))
        return [copy.deepcopy(i) for i in items[offset : offset + limit]]

    def _matches(self, i: model.WorkItem, f: Any, sla: bool = True) -> bool:
        if i.lane not in f.lanes or any(
            value is not None and getattr(i, name) != value
            for name, value in (("name", f.stage), ("channel", f.channel), ("assignee", f.assignee))
        ):
            return False
        return not sla or f.sla is None or _sla(i, f) == f.sla

    def search(self, f: Any) -> list[model.WorkItem]:
        items = [i for i in self.t.work_items.values() if self._matches(i, f)]
        items.sort(key=lambda i: (i.due_at is None, i.due_at or i.created_at, i.created_at), reverse=f.sort == "-due")
        page = [copy.deepcopy(i) for i in items[(f.page - 1) * f.per_page : f.page * f.per_page]]
        for item in page:
            item.stage = self.t.cases[item.case_id].stage
        return page

    def sla_counts(self, f: Any) -> dict[str, int]:
        counts = dict.fromkeys(("overdue", "at_risk", "on_time"), 0)
        for item in self.t.work_items.values():
            if self._matches(item, f, sla=False):
                counts[_sla(item, f)] += 1
        return {state: min(n, f.count_limit + 1) for state, n in counts.items()}

    def assign(self, case_id: str, task_id: str, assignee: str | None, *, expected: str | None) -> None:
        item = self.t.work_items.get((case_id, task_id))
        if item is None or item.assignee != expected:
            raise Conflict("Someone else claimed or released this task meanwhile; reload the list.")

        def op(t: Tables) -> None:
            t.work_items[(case_id, task_id)].assignee = assignee

        self.uow.write(op)


def _sla(item: model.WorkItem, f: Any) -> str:
    return deadlines.sla_state(item.due_at, f.now, f.at_risk_before)


class _Events(_Store):
    def append(self, event: model.Event) -> None:
        frozen = copy.deepcopy(event)
        self.uow.write(lambda t: t.events.setdefault(event.case_id, []).append(copy.deepcopy(frozen)))

    def for_case(self, case_id: str) -> list[model.Event]:
        return copy.deepcopy(self.t.events.get(case_id, []))

    def for_cases(self, case_ids: Sequence[str]) -> dict[str, list[model.Event]]:
        return {i: self.for_case(i) for i in case_ids}

    def replace_data(self, event: model.Event) -> None:
        data = copy.deepcopy(event.data)

        def op(t: Tables) -> None:
            t.events[event.case_id][event.seq - 1].data = copy.deepcopy(data)

        self.uow.write(op)


class _Outbox(_Store):
    def add(self, message: model.OutboxMessage) -> None:
        self.uow.write(_put("outbox", message.id, message))

    def for_case(self, case_id: str) -> list[model.OutboxMessage]:
        return [copy.deepcopy(m) for m in self.t.outbox.values() if m.case_id == case_id]

    def replace_payload(self, message_id: str, payload: dict[str, Any]) -> None:
        frozen = copy.deepcopy(payload)

        def op(t: Tables) -> None:
            t.outbox[message_id].payload = copy.deepcopy(frozen)

        self.uow.write(op)

    def get(self, message_id: str) -> model.OutboxMessage:
        if message_id not in self.t.outbox:
            raise MessageNotFound(f"No message {message_id!r}.")
        return copy.deepcopy(self.t.outbox[message_id])

    def claim_due(self, now: datetime, exclude: set[str]) -> model.OutboxMessage | None:
        due = [m for m in self._pending() if m.next_attempt_at <= now and m.id not in exclude]  # type: ignore[operator]
        first = min(due, key=lambda m: (m.next_attempt_at, m.created_at)) if due else None  # type: ignore[arg-type]
        return copy.deepcopy(first)

    def save(self, message: model.OutboxMessage, *, expected: str) -> None:
        def check(t: Tables) -> None:
            current = t.outbox.get(message.id)
            if current is None or current.status != expected:
                raise Conflict("The message was changed meanwhile (sent, retried or handled); reload the page.")

        check(self.t)
        self.uow.checks.append(check)
        self.uow.write(_put("outbox", message.id, dataclasses.replace(message, reference="")))

    def listing(self, status: str, *, limit: int, newest: bool = False) -> list[model.OutboxMessage]:
        found = sorted(
            (m for m in self.t.outbox.values() if m.status == status), key=lambda m: m.created_at, reverse=newest
        )
        return [
            dataclasses.replace(copy.deepcopy(m), reference=self.t.cases[m.case_id].reference) for m in found[:limit]
        ]

    def next_due(self) -> datetime | None:
        return min((m.next_attempt_at for m in self._pending()), default=None)  # type: ignore[type-var]

    def _pending(self) -> list[model.OutboxMessage]:
        return [m for m in self.t.outbox.values() if m.status == "pending"]


class _Users(_Store):
    def add(self, user: model.User) -> None:
        if user.username in self.t.users:
            raise Conflict(f"User {user.username!r} exists already.")
        self.uow.write(_put("users", user.username, user))

    def get(self, username: str) -> model.User | None:
        return copy.deepcopy(self.t.users.get(username))

    def list(self) -> list[model.User]:
        return [copy.deepcopy(u) for u in self.t.users.values()]

    def set_password(self, username: str, password_hash: str) -> None:
        def op(t: Tables) -> None:
            t.users[username].password_hash = password_hash

        self.uow.write(op)


class _Drafts(_Store):
    def add(self, draft: model.Draft) -> None:
        self.uow.write(_put("drafts", draft.id, draft))

    save = add

    def get(self, draft_id: str) -> model.Draft:
        if draft_id not in self.t.drafts:
            raise NotFound(f"No draft {draft_id!r}.")
        return copy.deepcopy(self.t.drafts[draft_id])

    def delete(self, draft_id: str) -> None:
        self.uow.write(lambda t: t.drafts.pop(draft_id, None))

    def list(self, process_key: str | None = None) -> list[model.Draft]:
        drafts = [d for d in self.t.drafts.values() if process_key in (None, d.process_key)]
        return [copy.deepcopy(d) for d in sorted(drafts, key=lambda d: d.updated_at, reverse=True)]


class _Inbound(_Store):
    def erase_for_case(self, case_id: str) -> int:
        ids = [i for i, m in self.t.inbound.items() if m.case_id == case_id]

        def op(t: Tables) -> None:
            for inbound_id in ids:
                message = t.inbound[inbound_id]
                message.sender, message.subject, message.body, message.raw = "", "[erased]", "[erased]", None
                message.attachments = []

        self.uow.write(op)
        return len(ids)

    def add(self, message: model.InboundMessage) -> None:
        if self.by_external_id(message.channel, message.external_id) is not None:
            raise Conflict(f"Message {message.external_id!r} of {message.channel} was received already.")
        self.uow.write(_put("inbound", message.id, message))

    def by_external_id(self, channel: str, external_id: str) -> model.InboundMessage | None:
        for message in self.t.inbound.values():
            if (message.channel, message.external_id) == (channel, external_id):
                return _listed(message)
        return None

    def get(self, inbound_id: str) -> model.InboundMessage:
        if inbound_id not in self.t.inbound:
            raise NotFound(f"No inbound message {inbound_id!r}.")
        return copy.deepcopy(self.t.inbound[inbound_id])

    def for_case(self, case_id: str) -> list[model.InboundMessage]:
        found = [_listed(m) for m in self.t.inbound.values() if m.case_id == case_id]
        return sorted(found, key=lambda m: m.received_at)

    def quarantined(self, limit: int = 100) -> list[model.InboundMessage]:
        found = [_listed(m) for m in self.t.inbound.values() if m.outcome == "quarantined"]
        return sorted(found, key=lambda m: m.received_at, reverse=True)[:limit]


def _listed(message: model.InboundMessage) -> model.InboundMessage:
    """As the SQL store lists them: without the raw bytes."""
    listed = copy.deepcopy(message)
    listed.raw = None
    return listed


class _Attachments(_Store):
    def add(self, attachment: model.Attachment) -> None:
        self.uow.write(_put("attachments", attachment.id, attachment))

    def erase_for_case(self, case_id: str) -> int:
        doomed = [a for a, item in self.t.attachments.items() if item.case_id == case_id]

        def op(t: Tables) -> None:
            for attachment_id in doomed:
                t.attachments.pop(attachment_id, None)

        self.uow.write(op)
        return len(doomed)

    def for_case(self, case_id: str) -> list[model.Attachment]:
        found = [copy.deepcopy(a) for a in self.t.attachments.values() if a.case_id == case_id]
        for attachment in found:
            attachment.content = b""
        return sorted(found, key=lambda a: a.filename)

    def get(self, attachment_id: str) -> model.Attachment:
        if attachment_id not in self.t.attachments:
            raise NotFound(f"No attachment {attachment_id!r}.")
        return copy.deepcopy(self.t.attachments[attachment_id])
