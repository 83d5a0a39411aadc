"""Many cases fast: one real case's rows (case, customer, work items, history, outbox) cloned in bulk.

Running thousands of engine starts would only measure the engine again; a clone is a real
case in every row (its workflow state, its work items with the state's task ids, a history
chain hashed for its own id, an acknowledgement waiting in the outbox), with its own id,
reference and customer e-mail address.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, insert, select

from engine.kernel import model
from engine.records import history
from persistence import tables as t


def clone_cases(
    sql: Engine,
    case_id: str,
    count: int,
    *,
    next_timer_at: Callable[[int], datetime | None] | None = None,
    with_messages: bool = True,
    prefix: str = "MG-2025",
    batch: int = 5000,
) -> list[str]:
    """Insert `count` copies of a case; `next_timer_at(n)` overrides the n-th copy's due time."""
    source = _rows(sql, case_id)
    ids: list[str] = []
    for start in range(0, count, batch):
        rows: dict[Any, list[dict[str, Any]]] = {table: [] for table in (t.cases, t.personal_data, t.work_items,
                                                                          t.events, t.outbox)}  # fmt: skip
        for n in range(start, min(start + batch, count)):
            ids.append(_clone(source, n, rows, next_timer_at, with_messages, prefix))
        with sql.begin() as connection:
            for table, values in rows.items():
                if values:
                    connection.execute(insert(table), values)
    return ids


def _rows(sql: Engine, case_id: str) -> dict[str, Any]:
    def all_of(table: Any) -> list[dict[str, Any]]:
        return [dict(r._mapping) for r in connection.execute(select(table).where(table.c.case_id == case_id))]

    with sql.connect() as connection:
        case = dict(connection.execute(select(t.cases).where(t.cases.c.id == case_id)).one()._mapping)
        return {"case": case, "personal": all_of(t.personal_data)[0], "items": all_of(t.work_items),
                "events": sorted(all_of(t.events), key=lambda e: e["seq"]), "outbox": all_of(t.outbox)}  # fmt: skip


def _clone(
    source: dict[str, Any],
    n: int,
    rows: dict[Any, list[dict[str, Any]]],
    next_timer_at: Callable[[int], datetime | None] | None,
    with_messages: bool,
    prefix: str,
) -> str:
    new_id, reference = uuid.uuid4().hex, f"{prefix}-{n + 1:06d}"
    case = dict(source["case"], id=new_id, reference=reference, event_seq=0, event_hash="")
    if next_timer_at is not None:
        case["next_timer_at"] = next_timer_at(n)
    events = []
    for row in source["events"]:
        fields = {k: v for k, v in row.items() if k not in ("id", "seq", "prev_hash", "hash", "case_id")}
        holder = model.Case(**{**case, "deadlines": [], "state": {}})  # history.record moves the chain head
        event = history.record(holder, fields.pop("type"), fields.pop("actor"), fields.pop("at"), fields.pop("data"))
        case["event_seq"], case["event_hash"] = holder.event_seq, holder.event_hash
        events.append(vars(event))
    rows[t.cases].append(case)
    rows[t.events] += events
    rows[t.personal_data].append(dict(source["personal"], id=uuid.uuid4().hex, case_id=new_id,
                                      email=f"customer{n + 1}@example.com"))  # fmt: skip
    rows[t.work_items] += [dict(item, case_id=new_id, reference=reference) for item in source["items"]]
    if with_messages:
        rows[t.outbox] += [dict(m, id=uuid.uuid4().hex, case_id=new_id, payload=dict(m["payload"], reference=reference))
                           for m in source["outbox"]]  # fmt: skip
    return new_id
