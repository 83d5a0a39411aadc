"""Every timer a case has reached, and the work each one bounds (what deadlines are made of).

SpiffWorkflow keeps the moment a timer was set for in the timer task's internal data, also after
it fired or was cancelled; a timer reached after its moment (a back-dated complaint) fires in the
same step, so reading only the timers still waiting would lose it. The work a timer bounds is
its *scope*: the activity a boundary timer is attached to, or the (sub)process that holds the
event subprocess a timer starts. Intermediate timers bound nothing: they are waits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.timer import CycleTimerEventDefinition, TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.exceptions import TaskNotFoundException
from SpiffWorkflow.util.task import TaskState

from engine.spiff.steps import all_tasks
from engine.spiff.storage import Bundle

WARNING_FUNCTIONS = ("at_risk(",)  # a timer set by one of these warns before a deadline; it is not one


@dataclass(frozen=True)
class ReachedTimer:
    """One timer instance with its moment: waiting, fired or cancelled."""

    key: str  # the timer task's id: unique per instance, also in loops
    bpmn_id: str
    name: str
    due: datetime
    state: str  # waiting | fired | cancelled
    kind: str  # deadline | warning | wait
    scope: str  # task id of the work it bounds; "" for the whole case (and for waits)
    scope_bpmn_id: str  # the BPMN id of that work; "" for the whole process


def reached_timers(workflow: BpmnWorkflow) -> list[ReachedTimer]:
    """Every timer the case has reached, in the order of their moments."""
    found = []
    for task in all_tasks(workflow):
        definition = getattr(task.task_spec, "event_definition", None)
        if not isinstance(definition, TimerEventDefinition):
            continue
        due = _moment(task, definition)
        if due is None:
            continue
        kind, scope = _kind_and_scope(task, definition)
        found.append(ReachedTimer(
            str(task.id), task.task_spec.bpmn_id, task.task_spec.bpmn_name or task.task_spec.bpmn_id, due,
            _state(task), kind, str(scope.id) if scope is not None else "",
            scope.task_spec.bpmn_id if scope is not None else "",
        ))  # fmt: skip
    return sorted(found, key=lambda t: (t.due, t.key))


def _moment(task: Any, definition: TimerEventDefinition) -> datetime | None:
    value = task.internal_data.get("event_value")
    if isinstance(definition, CycleTimerEventDefinition) and isinstance(value, dict):
        value = value.get("next")
    if not isinstance(value, str):
        return None
    try:
        due = datetime.fromisoformat(value)
    except ValueError:
        return None
    return due.replace(tzinfo=UTC) if due.tzinfo is None else due.astimezone(UTC)


def _state(task: Any) -> str:
    if task.state == TaskState.WAITING:
        return "waiting"
    return "cancelled" if task.state == TaskState.CANCELLED else "fired"


def _kind_and_scope(task: Any, definition: TimerEventDefinition) -> tuple[str, Any]:
    scope = None
    if isinstance(task.task_spec, BoundaryEvent):
        scope = next((c for c in task.parent.children if not isinstance(c.task_spec, BoundaryEvent)), None)
    elif isinstance(task.task_spec, StartEvent) and task.workflow.parent_task_id is not None:
        holder = task.workflow.top_workflow.get_task_from_id(task.workflow.parent_task_id)  # the event subprocess
        outer = holder.workflow.parent_task_id if holder is not None else None
        scope = task.workflow.top_workflow.get_task_from_id(outer) if outer is not None else None
    else:
        return "wait", None
    warning = any(f in (definition.expression or "") for f in WARNING_FUNCTIONS)
    return ("warning" if warning else "deadline"), scope


def finished(workflow: BpmnWorkflow, task_id: str) -> bool:
    """Whether the work a deadline bounds is over: its task ended (or is gone), or the case ended ("")."""
    if not task_id:
        return bool(workflow.completed)
    try:
        task = workflow.get_task_from_id(UUID(task_id))
    except TaskNotFoundException:
        return True
    return task is None or task.state in (TaskState.COMPLETED, TaskState.CANCELLED, TaskState.ERROR)


def enclosing(bundle: Bundle) -> dict[str, frozenset[str]]:
    """Each element's BPMN id -> the BPMN ids of the subprocesses (and call activities) that hold it."""
    holders: dict[str, list[str]] = {}  # subprocess spec name -> bpmn ids of the tasks that run it
    for spec in (bundle.spec, *bundle.subprocess_specs.values()):
        for task_spec in spec.task_specs.values():
            if isinstance(task_spec, SubWorkflowTask):
                holders.setdefault(task_spec.spec, []).append(task_spec.bpmn_id)
    parent_of = {
        task_spec.bpmn_id: name
        for name, spec in bundle.subprocess_specs.items()
        for task_spec in spec.task_specs.values()
        if task_spec.bpmn_id
    }
    result: dict[str, frozenset[str]] = {}
    for bpmn_id in [*parent_of, *(t.bpmn_id for t in bundle.spec.task_specs.values() if t.bpmn_id)]:
        seen: set[str] = set()
        todo = list(holders.get(parent_of.get(bpmn_id, ""), []))
        while todo:
            holder = todo.pop()
            if holder not in seen:
                seen.add(holder)
                todo += holders.get(parent_of.get(holder, ""), [])
        result[bpmn_id] = frozenset(seen)
    return result
