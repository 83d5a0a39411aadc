"""SpiffWorkflow's "now", task ids and timestamps, taken from the engine (so cases can be replayed)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid5

import SpiffWorkflow.bpmn.specs.event_definitions.timer as _timer_module
import SpiffWorkflow.task as _task_module
from SpiffWorkflow.bpmn import BpmnWorkflow

from engine.kernel import ids
from engine.kernel.clock import Clock, SettableClock, SystemClock

# --- the clock SpiffWorkflow reads ---------------------------------------------------------

engine_clock: ContextVar[Clock] = ContextVar("clock", default=SystemClock())  # noqa: B039 - stateless


class _ClockedDatetime(datetime):
    """`datetime` as seen by SpiffWorkflow's timer module: `now()` asks the engine's clock."""

    @classmethod
    def now(cls, tz: Any = None) -> datetime:  # type: ignore[override]
        moment = engine_clock.get().now()
        return moment.astimezone(tz) if tz else moment.astimezone(UTC).replace(tzinfo=None)


_timer_module.datetime = _ClockedDatetime  # type: ignore[misc]


@contextmanager
def clock_in_use(clock: Clock) -> Iterator[None]:
    token = engine_clock.set(clock)
    try:
        yield
    finally:
        engine_clock.reset(token)


# --- deterministic task ids and timestamps (so that a case can be replayed) ----------------

TASK_ID_SPACE = UUID("6f1d2c4e-8a3b-5c7d-9e0f-a1b2c3d4e5f6")


class TaskIds:
    """Task ids of one case: uuid5(case namespace, n), n counted in the workflow's own state."""

    def __init__(self, namespace: UUID, issued: int = 0):
        self.namespace, self.issued = namespace, issued

    def next(self) -> UUID:
        self.issued += 1
        return uuid5(self.namespace, str(self.issued))


task_id_source: ContextVar[TaskIds | None] = ContextVar("task_ids", default=None)


def _next_task_id() -> UUID:
    source = task_id_source.get()
    return source.next() if source is not None else UUID(ids.new_id())  # a workflow of no case


class _ClockedTime:
    """`time` as SpiffWorkflow's task module sees it: state changes are stamped by the engine clock."""

    @staticmethod
    def time() -> float:
        return engine_clock.get().now().timestamp()


_task_module.uuid4 = _next_task_id  # type: ignore[attr-defined]
_task_module.time = _ClockedTime  # type: ignore[attr-defined, assignment]


@contextmanager
def running(workflow: BpmnWorkflow | None, now: datetime) -> Iterator[None]:
    """Run steps of a case's workflow as of `now`: its clock stands still and its task ids are its own."""
    source = getattr(workflow, "task_ids", None) if workflow is not None else None
    clock_token, ids_token = engine_clock.set(SettableClock(now)), task_id_source.set(source)
    try:
        yield
    finally:
        task_id_source.reset(ids_token)
        engine_clock.reset(clock_token)
