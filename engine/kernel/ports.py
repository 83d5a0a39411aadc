"""The interfaces the engine needs; persistence/ implements them (memory, SQLite, PostgreSQL)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from email.message import EmailMessage
from typing import Any, Protocol

from engine.kernel import model


class VersionStore(Protocol):
    def add(self, version: model.ProcessVersion) -> None: ...
    def get(self, version_id: str) -> model.ProcessVersion: ...  # raises VersionNotFound
    def latest(self, process_key: str) -> model.ProcessVersion | None: ...
    def list(self, process_key: str | None = None) -> list[model.ProcessVersion]: ...
    def open_cases(self, process_key: str) -> dict[str, int]: ...  # version id -> cases still open


class CaseStore(Protocol):
    def add(self, case: model.Case) -> None: ...
    def get(self, case_id: str) -> model.Case: ...  # raises CaseNotFound
    def by_reference(self, reference: str) -> model.Case: ...  # raises CaseNotFound
    def save(self, case: model.Case) -> None: ...  # bumps revision; raises StaleCase
    # the due cases (next_timer_at < now: SpiffWorkflow fires a timer once its moment has passed),
    # soonest first: O(due), and locked (skipping locked ones) on PostgreSQL
    def claim_due(self, now: datetime, limit: int, exclude: Collection[str] = ()) -> list[model.Case]: ...
    def claim(self, case_id: str, now: datetime) -> model.Case | None: ...  # if still due and not locked
    def next_due(self) -> datetime | None: ...  # the earliest next_timer_at (one index probe)
    def next_sequence(self, year: int) -> int: ...
    def open_on(self, version_id: str) -> list[str]: ...  # ids of the open cases of a version
    def count(self) -> int: ...
    def ids(self, after: str = "", limit: int = 1000) -> list[str]: ...  # in id order, after `after`
    def many(self, case_ids: Sequence[str]) -> list[model.Case]: ...  # those that exist, in id order
    def received_between(self, start: datetime, end: datetime) -> list[model.Case]: ...  # [start, end)


class PersonalDataStore(Protocol):
    def add(self, personal: model.PersonalData) -> None: ...
    def for_case(self, case_id: str) -> model.PersonalData | None: ...
    def save(self, personal: model.PersonalData) -> None: ...


class PersonalDataViews(Protocol):
    def add(self, view: model.PersonalDataView) -> None: ...
    def for_case(self, case_id: str) -> list[model.PersonalDataView]: ...  # oldest first


class WorkItemStore(Protocol):
    def update(self, case_id: str, remove: Sequence[str], add: Sequence[model.WorkItem]) -> None: ...
    def set_due(self, case_id: str, dues: Mapping[str, datetime | None]) -> None: ...  # task id -> new due
    def for_case(self, case_id: str) -> list[model.WorkItem]: ...
    def listing(
        self, lanes: Sequence[str], *, assignee: str | None = None, limit: int = 50, offset: int = 0
    ) -> list[model.WorkItem]: ...
    def search(self, filters: Any) -> list[model.WorkItem]: ...  # one page, soonest due first
    def sla_counts(self, filters: Any) -> dict[str, int]: ...  # overdue / at_risk / on_time
    def assign(self, case_id: str, task_id: str, assignee: str | None, *, expected: str | None) -> None: ...


class EventLog(Protocol):
    def append(self, event: model.Event) -> None: ...
    def for_case(self, case_id: str) -> list[model.Event]: ...
    def for_cases(self, case_ids: Sequence[str]) -> dict[str, list[model.Event]]: ...
    def replace_data(self, event: model.Event) -> None: ...  # erasure only: hash and links stay


class Outbox(Protocol):
    def add(self, message: model.OutboxMessage) -> None: ...
    def for_case(self, case_id: str) -> list[model.OutboxMessage]: ...
    def replace_payload(self, message_id: str, payload: dict[str, Any]) -> None: ...  # erasure only
    def get(self, message_id: str) -> model.OutboxMessage: ...  # raises MessageNotFound
    def claim_due(self, now: datetime, exclude: set[str]) -> model.OutboxMessage | None: ...  # locks on PG
    def save(self, message: model.OutboxMessage, *, expected: str) -> None: ...  # Conflict unless status was `expected`
    # oldest first (newest first with `newest`), with the cases' references; ordered by the (status, created_at) index
    def listing(self, status: str, *, limit: int, newest: bool = False) -> list[model.OutboxMessage]: ...
    def next_due(self) -> datetime | None: ...  # the earliest next attempt of a pending message


class InboundStore(Protocol):
    def add(self, message: model.InboundMessage) -> None: ...  # raises Conflict on a replayed external id
    def by_external_id(self, channel: str, external_id: str) -> model.InboundMessage | None: ...
    def get(self, inbound_id: str) -> model.InboundMessage: ...  # raises NotFound
    def for_case(self, case_id: str) -> list[model.InboundMessage]: ...
    def quarantined(self, limit: int = 100) -> list[model.InboundMessage]: ...  # newest first, without raw
    def erase_for_case(self, case_id: str) -> int: ...  # blank sender, subject, body, raw mail


class AttachmentStore(Protocol):
    def add(self, attachment: model.Attachment) -> None: ...
    def for_case(self, case_id: str) -> list[model.Attachment]: ...  # without content
    def get(self, attachment_id: str) -> model.Attachment: ...  # with content; raises NotFound
    def erase_for_case(self, case_id: str) -> int: ...  # the customer's files go entirely


class UserStore(Protocol):
    def add(self, user: model.User) -> None: ...  # raises Conflict if the username exists
    def get(self, username: str) -> model.User | None: ...
    def list(self) -> list[model.User]: ...
    def set_password(self, username: str, password_hash: str) -> None: ...


class DraftStore(Protocol):
    def add(self, draft: model.Draft) -> None: ...
    def get(self, draft_id: str) -> model.Draft: ...  # raises NotFound
    def save(self, draft: model.Draft) -> None: ...
    def delete(self, draft_id: str) -> None: ...
    def list(self, process_key: str | None = None) -> list[model.Draft]: ...


class UnitOfWork(Protocol):
    """One transaction: rolled back on exit unless `commit()` was called."""

    versions: VersionStore
    cases: CaseStore
    personal_data: PersonalDataStore
    personal_data_views: PersonalDataViews
    work_items: WorkItemStore
    events: EventLog
    outbox: Outbox
    users: UserStore
    drafts: DraftStore
    inbound: InboundStore
    attachments: AttachmentStore

    def __enter__(self) -> UnitOfWork: ...
    def __exit__(self, *exc: object) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...
    def batched_writes(self) -> AbstractContextManager[None]: ...  # case-step writes sent together at its end


class Mailer(Protocol):
    """Hands e-mails to a mail server; one connection per `with` block, reused for its messages."""

    def __enter__(self) -> Mailer: ...
    def __exit__(self, *exc: object) -> None: ...
    def send(self, message: EmailMessage) -> None: ...  # raises errors.DeliveryFailed
