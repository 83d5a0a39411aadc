"""The records of messages to and from customers: the outbox, inbound messages, their files.

Part of the domain model: engine.kernel.model re-exports them (model.OutboxMessage, ...)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

OUTBOX_STATES = ("pending", "sent", "failed", "handled", "obsolete")


@dataclass
class OutboxMessage:
    """A message for the customer, written with the case change, sent later by the worker.

    pending: due at `next_attempt_at` (at once when new, later after a temporary failure);
    sent; failed: will not go out by itself (no address, refused) until staff retry it;
    handled: staff told the customer another way (recorded in the case history);
    obsolete: it lost its reason before it could go (engine/correspondence/dispatch.py), never sent;
    why in `last_error`.
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


@dataclass
class InboundMessage:
    """A message from outside (e-mail, chat, social media): which case it opened or joined, or why
    it waits in quarantine. Personal data: erased with the customer's data, never copied to history."""

    id: str
    channel: str
    external_id: str  # Message-ID or the integration's message id: a replay finds this row
    received_at: datetime
    outcome: str  # opened | attached | quarantined
    case_id: str | None = None
    sender: str = ""
    subject: str = ""
    body: str = ""
    reason: str = ""  # why it was quarantined
    raw: bytes | None = None  # the whole message, kept only while quarantined
    attachments: list[str] = field(default_factory=list)  # file names, for listing


@dataclass
class Attachment:
    """A file that came with an inbound message, kept with the case it belongs to."""

    id: str
    inbound_id: str
    case_id: str | None
    filename: str
    content_type: str
    size: int
    sha256: str
    content: bytes = b""


@dataclass(frozen=True)
class InboundResult:
    """What became of one inbound message: a new case, a reply on a case, or quarantine."""

    inbound_id: str
    outcome: str  # opened | attached | quarantined
    reference: str | None = None
    reason: str = ""
    replayed: bool = False  # the same message was received before; nothing new was stored
    stage: str = ""
    status: str = ""
