"""The SQL store of work items: the ready tasks of every case, listed, filtered, counted per SLA
state by short index range scans, claimed with a compare-and-set on the assignee."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, or_, select, update

from engine.kernel import model
from engine.kernel.errors import Conflict
from persistence import tables as t
from persistence.rows import SqlStore

# Built once (they run on every step of a case); the unit of work batches them.
ITEM_INSERT = t.work_items.insert()
CASE_ITEMS = select(t.work_items).where(t.work_items.c.case_id == bindparam("b_case"))
DROP_ITEM = delete(t.work_items).where(
    t.work_items.c.case_id == bindparam("b_case"), t.work_items.c.task_id == bindparam("b_task")
)
ITEM_DUE = (
    update(t.work_items)
    .where(t.work_items.c.case_id == bindparam("b_case"), t.work_items.c.task_id == bindparam("b_task"))
    .values(due_at=bindparam("b_due"))
)


class SqlWorkItems(SqlStore):
    def update(self, case_id: str, remove: Sequence[str], add: Sequence[model.WorkItem]) -> None:
        if remove:
            self._write(DROP_ITEM, [{"b_case": case_id, "b_task": task_id} for task_id in remove])
        if add:
            self._write(ITEM_INSERT, [_item_row(item) for item in add])

    def set_due(self, case_id: str, dues: Mapping[str, datetime | None]) -> None:
        rows = [{"b_case": case_id, "b_task": task, "b_due": due} for task, due in dues.items()]
        self._write(ITEM_DUE, rows)

    def for_case(self, case_id: str) -> list[model.WorkItem]:
        rows = self.c.execute(CASE_ITEMS, {"b_case": case_id})
        return [model.WorkItem(**row._mapping) for row in rows]

    def listing(
        self, lanes: Sequence[str], *, assignee: str | None = None, limit: int = 50, offset: int = 0
    ) -> list[model.WorkItem]:
        w = t.work_items.c
        query = select(t.work_items).where(w.lane.in_(list(lanes)))
        if assignee is not None:
            query = query.where(w.assignee == assignee)
        query = query.order_by(w.due_at.is_(None), w.due_at, w.created_at).limit(limit).offset(offset)
        return [model.WorkItem(**row._mapping) for row in self.c.execute(query)]

    def _where(self, f: Any, *, sla: bool = True) -> list[Any]:
        w = t.work_items.c
        conditions = [w.lane.in_(list(f.lanes))]
        for column, value in ((w.name, f.stage), (w.channel, f.channel), (w.assignee, f.assignee)):
            if value is not None:
                conditions.append(column == value)
        if sla and f.sla == "overdue":
            conditions.append(w.due_at < f.now)
        elif sla and f.sla == "at_risk":
            conditions += [w.due_at >= f.now, w.due_at <= f.at_risk_before]
        elif sla and f.sla == "on_time":
            conditions.append(or_(w.due_at > f.at_risk_before, w.due_at.is_(None)))
        return conditions

    def search(self, f: Any) -> list[model.WorkItem]:
        w = t.work_items.c
        # Both orders follow ix_work_items_lane_due (forwards, or backwards with no due first).
        order = (
            [w.due_at.desc().nulls_first(), w.created_at.desc()]
            if f.sort == "-due"
            else [w.due_at.asc().nulls_last(), w.created_at]
        )
        query = (
            select(t.work_items, t.cases.c.stage)
            .join(t.cases, t.cases.c.id == w.case_id)
            .where(*self._where(f))
            .order_by(*order)
            .limit(f.per_page)
            .offset((f.page - 1) * f.per_page)
        )
        return [model.WorkItem(**row._mapping) for row in self.c.execute(query)]

    def sla_counts(self, f: Any) -> dict[str, int]:
        """Per SLA state, counted up to f.count_limit + 1: each count is a short index range scan."""
        w, base = t.work_items.c, self._where(f, sla=False)
        ranges = {
            "overdue": [w.due_at < f.now],
            "at_risk": [w.due_at >= f.now, w.due_at <= f.at_risk_before],
            "on_time": [or_(w.due_at > f.at_risk_before, w.due_at.is_(None))],
        }
        counts = [
            select(func.count()).select_from(select(w.task_id).where(*base, *cond).limit(f.count_limit + 1).subquery())
            for cond in ranges.values()
        ]
        row = self.c.execute(select(*(c.scalar_subquery() for c in counts))).one()  # one round trip
        return {state: int(n) for state, n in zip(ranges, row, strict=True)}

    def assign(self, case_id: str, task_id: str, assignee: str | None, *, expected: str | None) -> None:
        w = t.work_items.c
        statement = (
            update(t.work_items)
            .where(w.case_id == case_id, w.task_id == task_id, _is(w.assignee, expected))
            .values(assignee=assignee)
        )
        if self._run(statement).rowcount != 1:
            raise Conflict("Someone else claimed or released this task meanwhile; reload the list.")


def _item_row(item: model.WorkItem) -> dict[str, Any]:
    row = dict(vars(item))
    del row["stage"]  # shown from the case, not stored twice
    return row


def _is(column: Any, value: Any) -> Any:
    return column.is_(None) if value is None else column == value
