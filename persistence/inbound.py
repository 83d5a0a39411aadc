"""Inbound messages and their attachments on SQL: replays meet the unique (channel, external id)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from engine.kernel import model
from engine.kernel.errors import Conflict, NotFound
from persistence import tables as t


class _Rows:
    def __init__(self, connection: Connection):
        self.c = connection

    def _insert(self, table: Any, values: dict[str, Any]) -> None:
        try:
            self.c.execute(insert(table).values(**values))
        except IntegrityError as error:
            raise Conflict(f"Received already: {error.orig}") from None


ERASED = "[erased]"
_INBOUND_LISTED = [c for c in t.inbound_messages.c if c.name != "raw"]


class SqlInbound(_Rows):
    def add(self, message: model.InboundMessage) -> None:
        self._insert(t.inbound_messages, vars(message))

    def by_external_id(self, channel: str, external_id: str) -> model.InboundMessage | None:
        i = t.inbound_messages.c
        row = self.c.execute(select(*_INBOUND_LISTED).where(i.channel == channel, i.external_id == external_id)).first()
        return model.InboundMessage(**row._mapping) if row else None

    def get(self, inbound_id: str) -> model.InboundMessage:
        row = self.c.execute(select(t.inbound_messages).where(t.inbound_messages.c.id == inbound_id)).first()
        if row is None:
            raise NotFound(f"No inbound message {inbound_id!r}.")
        return model.InboundMessage(**row._mapping)

    def for_case(self, case_id: str) -> list[model.InboundMessage]:
        i = t.inbound_messages.c
        rows = self.c.execute(select(*_INBOUND_LISTED).where(i.case_id == case_id).order_by(i.received_at))
        return [model.InboundMessage(**row._mapping) for row in rows]

    def erase_for_case(self, case_id: str) -> int:
        statement = (
            update(t.inbound_messages)
            .where(t.inbound_messages.c.case_id == case_id)
            .values(sender="", subject=ERASED, body=ERASED, raw=None, attachments=[])
        )
        return int(self.c.execute(statement).rowcount)

    def quarantined(self, limit: int = 100) -> list[model.InboundMessage]:
        i = t.inbound_messages.c
        query = select(*_INBOUND_LISTED).where(i.outcome == "quarantined").order_by(i.received_at.desc()).limit(limit)
        return [model.InboundMessage(**row._mapping) for row in self.c.execute(query)]


class SqlAttachments(_Rows):
    def add(self, attachment: model.Attachment) -> None:
        self._insert(t.attachments, vars(attachment))

    def for_case(self, case_id: str) -> list[model.Attachment]:
        a = t.attachments.c
        listed = [c for c in a if c.name != "content"]
        rows = self.c.execute(select(*listed).where(a.case_id == case_id).order_by(a.filename))
        return [model.Attachment(**row._mapping) for row in rows]

    def erase_for_case(self, case_id: str) -> int:
        return int(self.c.execute(delete(t.attachments).where(t.attachments.c.case_id == case_id)).rowcount)

    def get(self, attachment_id: str) -> model.Attachment:
        row = self.c.execute(select(t.attachments).where(t.attachments.c.id == attachment_id)).first()
        if row is None:
            raise NotFound(f"No attachment {attachment_id!r}.")
        return model.Attachment(**row._mapping)
