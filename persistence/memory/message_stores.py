"""The in-memory stores of messages: the outbox to customers, inbound messages, their attachments."""

from __future__ import annotations

import copy
import dataclasses
from datetime import datetime
from typing import Any

from engine.kernel import model
from engine.kernel.errors import Conflict, MessageNotFound, NotFound
from persistence.memory.base import Store, Tables, put


class Outbox(Store):
    def add(self, message: model.OutboxMessage) -> None:
        self.uow.write(put("outbox", message.id, message))

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
        self.uow.write(put("outbox", message.id, dataclasses.replace(message, reference="")))

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


class Inbound(Store):
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
        self.uow.write(put("inbound", message.id, message))

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


class Attachments(Store):
    def add(self, attachment: model.Attachment) -> None:
        self.uow.write(put("attachments", attachment.id, attachment))

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
