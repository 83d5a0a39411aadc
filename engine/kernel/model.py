"""The domain's records: plain dataclasses, no I/O."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# The records of messages live beside this module; they are part of the model (model.OutboxMessage).
from engine.kernel.messages import OUTBOX_STATES as OUTBOX_STATES
from engine.kernel.messages import Attachment as Attachment
from engine.kernel.messages import InboundMessage as InboundMessage
from engine.kernel.messages import InboundResult as InboundResult
from engine.kernel.messages import OutboxMessage as OutboxMessage

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

    id: str  # sha256 of the process key, the BPMN bytes and forms (engine.process_models.versions.version_id_for)
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
    """A moment a case must meet or waits for: case data from the step it arose in, kept after it.

    Kinds: `deadline` (a timer that bounds work: an SLA), `warning` (an early warning before
    one), `wait` (an intermediate timer), `promise` (a new date a delay notice gave the customer:
    it moves the deadlines named in `replaces`). `passed`: the timer fired (or the promised day
    ended); `settled_at`: when the work it bounds ended, so it no longer binds any task.
    """

    bpmn_id: str
    name: str
    due: datetime
    passed: bool = False
    kind: str = "deadline"
    key: str = ""  # the timer instance (task id), or "promise:<task id>"; unique within the case
    scope: str = ""  # task id of the work it bounds ("" = the whole case)
    scope_bpmn_id: str = ""  # the BPMN id of that work ("" = the process)
    set_at: datetime | None = None
    settled_at: datetime | None = None
    replaces: tuple[str, ...] = ()

    @property
    def warning(self) -> bool:
        return self.kind == "warning"

    @property
    def binding(self) -> bool:
        """A deadline or promise whose work is not over yet."""
        return self.kind in ("deadline", "promise") and self.settled_at is None

    def state(self, now: datetime) -> str:
        """pending | passed | met | missed (deadlines and promises); pending | passed | cancelled (others)."""
        if self.kind in ("deadline", "promise") and self.settled_at is not None:
            return "met" if self.settled_at <= self.due else "missed"
        if self.kind not in ("deadline", "promise") and self.settled_at is not None and not self.passed:
            return "cancelled"
        return "passed" if self.passed or self.due < now else "pending"


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


@dataclass(frozen=True)
class PersonalDataView:
    """Someone was shown a customer's personal data (the access log; holds no data itself)."""

    id: str
    case_id: str
    personal_data_id: str
    viewer: str
    viewed_at: datetime
    place: str  # case_page | task_page | cli


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
    key_id: str | None = None  # the history key that signed it (None: recorded before keys, plain SHA-256)


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
    inbound: list[InboundMessage] = field(default_factory=list)  # mail and integration messages
    attachments: list[Attachment] = field(default_factory=list)  # listed without their content


@dataclass
class User:
    """A staff account: roles decide which lanes' tasks the user sees and may complete."""

    username: str
    display_name: str
    roles: frozenset[str]
    password_hash: str = ""

    def actor(self) -> Actor:
        return Actor(self.username, self.roles)


@dataclass
class Draft:
    """A process owner's work in progress: any BPMN and forms, kept even when not yet valid."""

    id: str
    process_key: str
    bpmn_xml: bytes
    forms: dict[str, str]  # path -> form-js JSON text (kept as typed, even if broken)
    created_by: str
    created_at: datetime
    updated_at: datetime
    based_on: str | None = None  # the version it was opened from
    comment: str = ""
    problems: list[str] = field(default_factory=list)  # from the last validation; empty = deployable
