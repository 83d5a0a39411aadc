"""Live workflows of cases: restored from their row, kept warm between steps, written back.

The cache is keyed by (case, revision): a revision is written exactly once (optimistic lock),
so a cached workflow is trusted only while the row still has the revision it was cached at.
A workflow is taken out of the cache while a use case changes it and put back after commit.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from engine import spiff
from engine.casework import deadlines
from engine.kernel import model, ports
from engine.kernel.ids import new_id
from engine.kernel.policy import Policy

LIVE_MAX = 512
_bundles: dict[str, spiff.Bundle] = {}  # version id (content hash) -> parsed spec
_scopes: dict[str, deadlines.Scopes] = {}  # version id -> what holds each element
_live: OrderedDict[tuple[str, int, int], Any] = OrderedDict()
_lock = threading.Lock()


def bundle(version: model.ProcessVersion) -> spiff.Bundle:
    if version.id not in _bundles:
        _bundles[version.id] = spiff.load_bundle(version.spec)
    return _bundles[version.id]


def scopes(version: model.ProcessVersion) -> deadlines.Scopes:
    """Each element's BPMN id -> the subprocesses that hold it, in this version (cached)."""
    if version.id not in _scopes:
        _scopes[version.id] = spiff.enclosing(bundle(version))
    return _scopes[version.id]


def take(case: model.Case, version: model.ProcessVersion, policy: Policy) -> Any:
    with _lock:
        workflow = _live.pop((case.id, case.revision, id(policy)), None)
    if workflow is None:
        workflow = spiff.restore(case.state, bundle(version), spiff.script_engine(policy))
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
    dues: dict[str, datetime | None] = field(default_factory=dict)  # waiting tasks whose deadline moved
    fired: list[str] = field(default_factory=list)  # BPMN ids of the timers this step fired


def project(
    case: model.Case,
    version: model.ProcessVersion,
    workflow: Any,
    thrown: list[spiff.Thrown],
    now: datetime,
    before: set[str],
    promised: model.Deadline | None = None,
) -> Changes:
    """Copy the workflow's new state onto the case and derive its deadlines, work items and messages.

    `promised`: the new date a delay notice completed in this step gave the customer.
    """
    ready = spiff.ready_tasks(workflow)
    timers = spiff.pending_timers(workflow)
    reached = spiff.reached_timers(workflow)
    previous = case.deadlines
    case.state = spiff.snapshot(workflow)
    known = previous + ([promised] if promised else [])
    case.deadlines = deadlines.merge(known, reached, finished=lambda s: spiff.finished(workflow, s), now=now)
    case.next_timer_at = timers[0].due if timers and case.status != "errored" else None
    if case.status != "errored":
        case.status = "closed" if spiff.is_completed(workflow) else "open"
    case.stage = stage(ready, version, case.status)
    case.updated_at = now
    held = scopes(version)
    due = {t.id: deadlines.due_for_task(t.bpmn_id, case.deadlines, held) for t in ready}
    was = {t.id: deadlines.due_for_task(t.bpmn_id, previous, held) for t in ready if t.id in before}
    fired_before = {d.key for d in previous if d.passed}
    return Changes(
        added=[_work_item(case, version, t, now, due[t.id]) for t in ready if t.id not in before],
        removed=sorted(before - {t.id for t in ready}),
        messages=[
            model.OutboxMessage(new_id(), case.id, m.message, _payload(case, m, n), now) for n, m in enumerate(thrown)
        ],
        after=outcome(ready, timers, case.status),
        dues={task: due[task] for task in was if was[task] != due[task]},
        fired=[t.bpmn_id for t in reached if t.state == "fired" and t.key not in fired_before],
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
    if changes.dues:
        uow.work_items.set_due(case.id, changes.dues)
    for message in changes.messages:
        uow.outbox.add(message)


def ready_ids(workflow: Any) -> set[str]:
    return {t.id for t in spiff.ready_tasks(workflow)}


def stage(ready: list[spiff.ReadyTask], version: model.ProcessVersion, status: str) -> str:
    """The main-path tasks a case waits for; side tasks (escalations) only when nothing else."""
    if status == "closed":
        return "Closed"
    main = [t.name for t in ready if version.user_tasks.get(t.bpmn_id, {}).get("main", True)]
    names = main or [t.name for t in ready]
    return " / ".join(dict.fromkeys(names)) or "Waiting"


def _work_item(
    case: model.Case, version: model.ProcessVersion, task: spiff.ReadyTask, now: datetime, due: datetime | None
) -> model.WorkItem:
    info = version.user_tasks.get(task.bpmn_id, {})
    return model.WorkItem(
        case_id=case.id, task_id=task.id, bpmn_id=task.bpmn_id, name=task.name,
        lane=info.get("lane") or "", form=info.get("form"), reference=case.reference,
        channel=case.channel, due_at=due, created_at=now,
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
    payload["answer_by"] = _iso(deadlines.answer_by(case.deadlines))
    payload["review_by"] = _iso(deadlines.review_by(case.deadlines))
    return payload


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
