"""Live workflows of cases: restored from their row, kept warm between steps, written back.

The cache is keyed by (case, revision): a revision is written exactly once (optimistic lock),
so a cached workflow is trusted only while the row still has the revision it was cached at.
A workflow is taken out of the cache while a use case changes it and put back after commit.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from engine import model, ports, spiff
from engine.ids import new_id
from engine.policy import Policy

LIVE_MAX = 512
MAX_PASSED = 20  # passed deadlines kept on the case row
_bundles: dict[str, spiff.Bundle] = {}  # version id (content hash) -> parsed spec
_live: OrderedDict[tuple[str, int, int], Any] = OrderedDict()
_lock = threading.Lock()


def bundle(version: model.ProcessVersion) -> spiff.Bundle:
    if version.id not in _bundles:
        _bundles[version.id] = spiff.load_bundle(version.spec)
    return _bundles[version.id]


def take(case: model.Case, version: model.ProcessVersion, policy: Policy) -> Any:
    with _lock:
        workflow = _live.pop((case.id, case.revision, id(policy)), None)
    if workflow is None:
        workflow = spiff.restore(case.state, bundle(version), policy.script_engine)
    return workflow


def keep(case: model.Case, workflow: Any, policy: Policy) -> None:
    """Cache a workflow after its case row was committed at `case.revision`."""
    with _lock:
        _live[(case.id, case.revision, id(policy))] = workflow
        while len(_live) > LIVE_MAX:
            _live.popitem(last=False)


@dataclass
class Changes:
    """What one step of a case changes beside its row: work items and customer messages."""

    added: list[model.WorkItem] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    messages: list[model.OutboxMessage] = field(default_factory=list)
    after: dict[str, Any] = field(default_factory=dict)  # what the step led to, kept in its event


def project(
    case: model.Case,
    version: model.ProcessVersion,
    workflow: Any,
    thrown: list[spiff.Thrown],
    now: datetime,
    before: set[str],
) -> Changes:
    """Copy the workflow's new state onto the case and derive its work items and messages."""
    ready = spiff.ready_tasks(workflow)
    timers = spiff.pending_timers(workflow)
    case.state = spiff.snapshot(workflow)
    case.deadlines = _deadlines(case.deadlines, timers, now)
    case.next_timer_at = timers[0].due if timers and case.status != "errored" else None
    if case.status != "errored":
        case.status = "closed" if spiff.is_completed(workflow) else "open"
    case.stage = stage(ready, version, case.status)
    case.updated_at = now
    return Changes(
        added=[_work_item(case, version, t, now) for t in ready if t.id not in before],
        removed=sorted(before - {t.id for t in ready}),
        messages=[
            model.OutboxMessage(new_id(), case.id, m.message, _payload(case, m, n), now) for n, m in enumerate(thrown)
        ],
        after=outcome(ready, timers, case.status),
    )


def outcome(ready: list[spiff.ReadyTask], timers: list[spiff.PendingTimer], status: str) -> dict[str, Any]:
    """What a step led to, recorded in its event: a replay must reach the same (tasks, timers, status)."""
    return {
        "ready": sorted([t.bpmn_id, t.id] for t in ready),
        "timers": sorted([t.bpmn_id, t.due.isoformat()] for t in timers),
        "status": status,
    }


def store(uow: ports.UnitOfWork, case: model.Case, events: list[model.Event], changes: Changes, *, new: bool) -> None:
    """Write a step in foreign-key order: the case row, its events, work items, messages."""
    if new:
        uow.cases.add(case)
    else:
        uow.cases.save(case)
    for event in events:
        uow.events.append(event)
    if changes.added or changes.removed:
        uow.work_items.update(case.id, changes.removed, changes.added)
    for message in changes.messages:
        uow.outbox.add(message)


def _deadlines(previous: list[model.Deadline], timers: list[spiff.PendingTimer], now: datetime) -> list[model.Deadline]:
    """Pending timers, plus those that fired (not those cancelled before they were due)."""
    pending = {(t.bpmn_id, t.due) for t in timers}
    fired = [
        replace(d, passed=True) for d in previous
        if (d.bpmn_id, d.due) not in pending and (d.passed or d.due <= now)
    ]  # fmt: skip
    return fired[-MAX_PASSED:] + [model.Deadline(t.bpmn_id, t.name, t.due, warning=t.warning) for t in timers]


def ready_ids(workflow: Any) -> set[str]:
    return {t.id for t in spiff.ready_tasks(workflow)}


def stage(ready: list[spiff.ReadyTask], version: model.ProcessVersion, status: str) -> str:
    """The main-path tasks a case waits for; side tasks (escalations) only when nothing else."""
    if status == "closed":
        return "Closed"
    main = [t.name for t in ready if version.user_tasks.get(t.bpmn_id, {}).get("main", True)]
    names = main or [t.name for t in ready]
    return " / ".join(dict.fromkeys(names)) or "Waiting"


def _work_item(case: model.Case, version: model.ProcessVersion, task: spiff.ReadyTask, now: datetime) -> model.WorkItem:
    info = version.user_tasks.get(task.bpmn_id, {})
    return model.WorkItem(
        case_id=case.id, task_id=task.id, bpmn_id=task.bpmn_id, name=task.name,
        lane=info.get("lane") or "", form=info.get("form"), reference=case.reference,
        channel=case.channel, due_at=model.work_due(case.deadlines), created_at=now,
    )  # fmt: skip


CUSTOMER_FIELDS = (
    "question",
    "delay_reason",
    "new_date",
    "decision",
    "measures",
    "response_text",
    "response_mode",
)


def _payload(case: model.Case, message: spiff.Thrown, number: int) -> dict[str, Any]:
    """What a message template may use: the reference, deadlines and customer-facing fields.

    `thrown` (the event of the step that threw it, its place among the step's messages) orders
    the case's letters even when several are written at the same moment.
    """
    payload = {k: message.data[k] for k in CUSTOMER_FIELDS if k in message.data}
    payload["thrown"] = [case.event_seq + 1, number]
    payload["reference"] = case.reference
    payload["received_at"] = case.received_at.isoformat()
    payload["deadlines"] = [
        {"bpmn_id": d.bpmn_id, "name": d.name, "due": d.due.isoformat(), "passed": d.passed, "warning": d.warning}
        for d in case.deadlines
    ]
    return payload
