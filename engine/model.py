"""The domain's records: plain dataclasses, no I/O."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

CHANNELS = ("live_chat", "call_centre", "social", "email", "store_book")
PERSONAL_FIELDS = ("surname", "given_name", "patronymic", "phone", "email", "employee", "description")
REQUIRED_PERSONAL = ("surname", "given_name", "description")  # and phone or e-mail


@dataclass(frozen=True)
class Actor:
    """Who does something: a user with roles, or the system (timer worker, CLI)."""

    id: str
    roles: frozenset[str] = frozenset()

    @classmethod
    def system(cls, name: str = "system") -> Actor:
        return cls(name, frozenset({"system"}))


@dataclass
class ProcessVersion:
    """One immutable deployment of a BPMN file and its forms."""

    id: str  # sha256 of the BPMN bytes and forms
    process_key: str
    number: int
    process_id: str
    name: str
    bpmn_xml: bytes
    forms: dict[str, dict[str, Any]]
    spec: dict[str, Any]
    user_tasks: dict[str, dict[str, Any]]  # bpmn id -> {name, lane, form}
    deployed_by: str
    deployed_at: datetime
    comment: str = ""


@dataclass(frozen=True)
class Deadline:
    """A pending BPMN timer of a case: an SLA checkpoint."""

    bpmn_id: str
    name: str
    due: datetime
    passed: bool = False  # the timer fired: kept so that SLA state and history can show it
    warning: bool = False  # an early warning (at_risk), not a deadline


def work_due(deadlines: list[Deadline]) -> datetime | None:
    """What a task races against: the next pending deadline, else the last one missed."""
    real = [d for d in deadlines if not d.warning]
    pending = [d.due for d in real if not d.passed]
    if pending:
        return min(pending)
    return max((d.due for d in real), default=None)


@dataclass
class Case:
    """A complaint: its process instance and the facts the task list and status need."""

    id: str
    reference: str
    process_key: str
    version_id: str
    channel: str
    received_at: datetime
    status: str  # open | closed | errored
    stage: str
    state: Mapping[str, Any]  # the workflow instance without its spec
    next_timer_at: datetime | None
    deadlines: list[Deadline]
    created_at: datetime
    updated_at: datetime
    revision: int = 1
    error: str | None = None
    event_seq: int = 0  # head of the history chain, so appending needs no read
    event_hash: str = ""


@dataclass
class PersonalData:
    """The customer's personal data, kept apart from the history so that it can be erased."""

    id: str
    case_id: str
    surname: str = ""
    given_name: str = ""
    patronymic: str = ""
    phone: str = ""
    email: str = ""
    employee: str = ""
    description: str = ""
    erased_at: datetime | None = None

    def missing(self) -> list[str]:
        """The required data still missing (POLICY.md §2)."""
        gaps = [name for name in REQUIRED_PERSONAL if not getattr(self, name).strip()]
        if not (self.phone.strip() or self.email.strip()):
            gaps.append("phone_or_email")
        return gaps


@dataclass
class WorkItem:
    """A ready user task, projected for fast task lists."""

    case_id: str
    task_id: str
    bpmn_id: str
    name: str
    lane: str
    form: str | None
    reference: str
    channel: str
    due_at: datetime | None
    created_at: datetime
    assignee: str | None = None
    stage: str = ""  # the case's stage, filled in by task-list queries (not stored)


@dataclass
class Event:
    """An input that changed a case: enough to re-execute it (append-only, hash-chained)."""

    case_id: str
    seq: int
    type: str
    actor: str
    at: datetime
    data: dict[str, Any]
    prev_hash: str = ""
    hash: str = ""


OUTBOX_STATES = ("pending", "sent", "failed", "handled")


@dataclass
class OutboxMessage:
    """A message for the customer, written with the case change, sent later by the worker.

    pending: due at `next_attempt_at` (at once when new, later after a temporary failure);
    sent; failed: will not go out by itself (no address, refused) until staff retry it;
    handled: staff told the customer another way (recorded in the case history).
    """

    id: str
    case_id: str
    message: str
    payload: dict[str, Any]
    created_at: datetime
    status: str = "pending"
    attempts: int = 0
    sent_at: datetime | None = None
    last_error: str | None = None
    next_attempt_at: datetime | None = None
    reference: str = ""  # the case's reference, filled in by listings (not stored)

    def __post_init__(self) -> None:
        if self.status == "pending" and self.next_attempt_at is None:
            self.next_attempt_at = self.created_at  # a new message is due at once


@dataclass(frozen=True)
class StatusAnswer:
    """What a customer is told when asking for the status (POLICY.md §4)."""

    reference: str
    stage: str
    status: str
    next_deadline: datetime | None
    delay_reason: str | None = None
    new_date: str | None = None


@dataclass
class CaseView:
    """Everything the `show` command and the case page display."""

    case: Case
    personal: PersonalData | None
    work_items: list[WorkItem]
    events: list[Event]
    outbox: list[OutboxMessage] = field(default_factory=list)


@dataclass
class User:
    """A staff account: roles decide which lanes' tasks the user sees and may complete."""

    username: str
    display_name: str
    roles: frozenset[str]
    password_hash: str = ""

    def actor(self) -> Actor:
        return Actor(self.username, self.roles)
