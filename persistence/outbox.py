"""Messages to customers on SQL: claimed one at a time, saved only from the state read."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select, update

from engine.kernel import model
from engine.kernel.errors import Conflict, MessageNotFound
from persistence import tables as t
from persistence.rows import SqlStore

OUTBOX_INSERT = t.outbox.insert()


class SqlOutbox(SqlStore):
    def add(self, message: model.OutboxMessage) -> None:
        self._write(OUTBOX_INSERT, _message_row(message))

    def for_case(self, case_id: str) -> list[model.OutboxMessage]:
        rows = self.c.execute(select(t.outbox).where(t.outbox.c.case_id == case_id).order_by(t.outbox.c.created_at))
        return [model.OutboxMessage(**row._mapping) for row in rows]

    def replace_payload(self, message_id: str, payload: dict[str, Any]) -> None:
        self._run(update(t.outbox).where(t.outbox.c.id == message_id).values(payload=payload))

    def get(self, message_id: str) -> model.OutboxMessage:
        row = self.c.execute(_SELECT_MESSAGE, {"b_id": message_id}).first()
        if row is None:
            raise MessageNotFound(f"No message {message_id!r}.")
        return model.OutboxMessage(**row._mapping)

    def claim_due(self, now: datetime, exclude: set[str]) -> model.OutboxMessage | None:
        """The pending message due first, locked until commit (skipping those other workers hold)."""
        o = t.outbox.c
        query = select(t.outbox).where(o.status == "pending", o.next_attempt_at <= now)
        if exclude:
            query = query.where(o.id.not_in(sorted(exclude)))
        # the older of two letters due at the same moment first (the index gives next_attempt_at order)
        query = query.order_by(o.next_attempt_at, o.created_at).limit(1).with_for_update(skip_locked=True)
        row = self.c.execute(query).first()
        return model.OutboxMessage(**row._mapping) if row else None

    def save(self, message: model.OutboxMessage, *, expected: str) -> None:
        values = {k: v for k, v in _message_row(message).items() if k in _MESSAGE_STATE}
        values.update(b_id=message.id, b_status=expected)
        if self._run(_SAVE_MESSAGE, values).rowcount != 1:
            raise Conflict("The message was changed meanwhile (sent, retried or handled); reload the page.")

    def listing(self, status: str, *, limit: int, newest: bool = False) -> list[model.OutboxMessage]:
        o = t.outbox.c
        query = (
            select(t.outbox, t.cases.c.reference)
            .join(t.cases, t.cases.c.id == o.case_id)
            .where(o.status == status)
            .order_by(o.created_at.desc() if newest else o.created_at)
            .limit(limit)
        )
        return [model.OutboxMessage(**row._mapping) for row in self.c.execute(query)]

    def next_due(self) -> datetime | None:
        o = t.outbox.c
        return self.c.execute(select(func.min(o.next_attempt_at)).where(o.status == "pending")).scalar()


_MESSAGE_STATE = ("status", "attempts", "sent_at", "last_error", "next_attempt_at")


_SELECT_MESSAGE = select(t.outbox).where(t.outbox.c.id == bindparam("b_id"))


_SAVE_MESSAGE = update(t.outbox).where(t.outbox.c.id == bindparam("b_id"), t.outbox.c.status == bindparam("b_status"))


def _message_row(message: model.OutboxMessage) -> dict[str, Any]:
    row = dict(vars(message))
    del row["reference"]  # the case's, shown in listings, not stored twice
    return row
