"""Running a case: create, advance, complete tasks, fire timers, deliver messages."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid5

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.exceptions import SpiffWorkflowException, WorkflowException
from SpiffWorkflow.util.task import TaskState

from engine.kernel.clock import SettableClock
from engine.kernel.errors import ProcessError, TaskNotFound, TaskNotReady
from engine.notation import sandbox
from engine.notation.bpmn import MAX_NESTING
from engine.spiff.clocks import TASK_ID_SPACE, TaskIds, engine_clock, task_id_source
from engine.spiff.scripts import ScriptEngine
from engine.spiff.storage import Bundle

MAX_STEPS = 2_000  # engine steps per use case before a loop is called runaway


# --- running a case -----------------------------------------------------------------------


@dataclass(frozen=True)
class ReadyTask:
    id: str
    bpmn_id: str
    name: str


@dataclass(frozen=True)
class PendingTimer:
    bpmn_id: str
    name: str
    due: datetime
    warning: bool = False  # an early warning (at_risk), not a deadline itself


@dataclass(frozen=True)
class Thrown:
    """A message the process sent out (to the customer, via the outbox)."""

    message: str
    bpmn_id: str
    data: dict[str, Any]


def create(
    bundle: Bundle, engine: ScriptEngine, data: Mapping[str, Any], *, seed: str | None = None,
    now: datetime | None = None,
) -> BpmnWorkflow:  # fmt: skip
    """A new instance with its start data, not yet run (call `advance` inside `running`).

    With a `seed` (the case id) its task ids are derived from it, so a replay gets the same ones.
    """
    task_ids = TaskIds(uuid5(TASK_ID_SPACE, seed)) if seed is not None else None
    clock_token, ids_token = (
        engine_clock.set(SettableClock(now) if now else engine_clock.get()),
        task_id_source.set(task_ids),
    )
    try:
        workflow = BpmnWorkflow(bundle.spec, bundle.subprocess_specs, script_engine=engine.spiff)
    finally:
        task_id_source.reset(ids_token)
        engine_clock.reset(clock_token)
    workflow.task_ids = task_ids
    first = workflow.get_next_task(state=TaskState.READY)
    first.data.update(data)
    return workflow


def advance(workflow: BpmnWorkflow) -> list[Thrown]:
    """Run engine tasks and due timers until only people or future timers are awaited."""
    thrown: list[Thrown] = []
    steps = 0

    def count(task: Any) -> None:
        nonlocal steps
        steps += 1
        if steps > MAX_STEPS:
            raise ProcessError(
                f"The process ran {MAX_STEPS} steps without waiting for a person or a timer "
                f"(a loop near '{task.task_spec.bpmn_id}'?)."
            )
        _check_nesting(task)

    def collect(task: Any) -> None:
        definition = getattr(task.task_spec, "event_definition", None)
        if isinstance(definition, MessageEventDefinition) and not task.task_spec.manual:
            if type(task.task_spec).__name__ in ("IntermediateThrowEvent", "EndEvent", "SendTask"):
                thrown.append(Thrown(definition.name, task.task_spec.bpmn_id, dict(task.data)))

    with run_errors():
        while True:
            workflow.do_engine_steps(will_complete_task=count, did_complete_task=collect)
            if not workflow.get_tasks(state=TaskState.READY, manual=False):
                break
    workflow.bpmn_events = []
    return thrown


def _check_nesting(task: Any) -> None:
    """Stop a case whose subprocesses nest too deep (a process calling itself) before each step.

    Counting steps alone does not stop that: every new level makes each later step slower
    (SpiffWorkflow walks the chain of parents), so the step limit is reached only after hours.
    """
    if getattr(task.workflow, "depth", 0) > MAX_NESTING:
        chain, workflow = [], task.workflow
        while getattr(workflow, "parent_task_id", None) is not None and len(chain) < 4:
            chain.append(workflow.spec.name)
            workflow = workflow.parent_workflow
        raise ProcessError(
            f"Subprocesses and call activities nested more than {MAX_NESTING} deep "
            f"(... → {' → '.join(reversed(chain))}): does a process call itself?"
        )


@contextmanager
def run_errors() -> Iterator[None]:
    try:
        yield
    except ProcessError:
        raise
    except sandbox.SandboxError as error:
        raise ProcessError(f"Blocked by the sandbox: {error}") from None
    except SpiffWorkflowException as error:
        task = getattr(error, "task", None)
        where = f" at '{task.task_spec.bpmn_id}'" if task is not None else ""
        raise ProcessError(f"The process failed{where}: {error}") from None
    except (RecursionError, MemoryError) as error:
        raise ProcessError(f"The process failed: {type(error).__name__}") from None


def all_tasks(workflow: BpmnWorkflow) -> Iterator[Any]:
    """Every task of the workflow and its subprocesses, without walking the tree."""
    yield from workflow.tasks.values()
    for subprocess in workflow.subprocesses.values():
        yield from subprocess.tasks.values()


def ready_tasks(workflow: BpmnWorkflow) -> list[ReadyTask]:
    return [
        ReadyTask(str(t.id), t.task_spec.bpmn_id, t.task_spec.bpmn_name or t.task_spec.bpmn_id)
        for t in all_tasks(workflow)
        if t.state == TaskState.READY and t.task_spec.manual
    ]


def complete(workflow: BpmnWorkflow, task_id: str, data: Mapping[str, Any]) -> list[Thrown]:
    """Complete a ready user task with (already validated) data and run on."""
    task = find_task(workflow, task_id)
    if task.state != TaskState.READY or not task.task_spec.manual:
        raise TaskNotReady(f"Task {task_id} is not waiting for a person (it is {TaskState.get_name(task.state)}).")
    task.set_data(**data)
    with run_errors():
        task.run()
    return advance(workflow)


def find_task(workflow: BpmnWorkflow, task_id: str) -> Any:
    try:
        task = workflow.get_task_from_id(UUID(task_id))
    except (ValueError, TypeError):
        task = None
    except WorkflowException:
        task = None
    if task is None:
        raise TaskNotFound(f"No task {task_id!r} in this case.")
    return task


def fire_timers(workflow: BpmnWorkflow) -> list[Thrown]:
    """Let every timer that is due by the clock fire, then run on."""
    with run_errors():
        workflow.refresh_timers()
    return advance(workflow)


def pending_timers(workflow: BpmnWorkflow) -> list[PendingTimer]:
    timers = []
    for task in all_tasks(workflow):
        if task.state != TaskState.WAITING:
            continue
        definition = getattr(task.task_spec, "event_definition", None)
        if not isinstance(definition, TimerEventDefinition):
            continue
        value = definition.details(task).value
        if isinstance(definition, CycleTimerEventDefinition) and isinstance(value, dict):
            value = value.get("next")
        if isinstance(value, str):
            due = datetime.fromisoformat(value)
            due = due.replace(tzinfo=UTC) if due.tzinfo is None else due.astimezone(UTC)
            warning = "at_risk(" in (definition.expression or "")
            timers.append(PendingTimer(task.task_spec.bpmn_id, task.task_spec.bpmn_name or "", due, warning))
    return sorted(timers, key=lambda t: t.due)


def send_message(workflow: BpmnWorkflow, name: str, payload: Mapping[str, Any]) -> tuple[bool, list[Thrown]]:
    """Deliver a message to the case; False when the process does not wait for it."""
    event = BpmnEvent(MessageEventDefinition(name), dict(payload))
    try:
        with run_errors():
            workflow.send_event(event)
    except ProcessError:
        return False, []
    return True, advance(workflow)


def is_completed(workflow: BpmnWorkflow) -> bool:
    return bool(workflow.completed)


def data(workflow: BpmnWorkflow) -> dict[str, Any]:
    """The data of the most recently completed task: what the case knows now."""
    last = workflow.last_task or workflow.task_tree
    return dict(last.data)
