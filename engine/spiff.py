"""The only module that imports SpiffWorkflow: parse a version, run, snapshot and restore cases.

Two things SpiffWorkflow does not do for us are done here: its notion of "now" follows the
engine's injectable clock, and the spec is stored once per version, never inside a case.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid5

import SpiffWorkflow.bpmn.specs.event_definitions.timer as _timer_module
import SpiffWorkflow.task as _task_module
from lxml import etree
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.exceptions import SpiffWorkflowException, WorkflowException
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.deep_merge import DeepMerge
from SpiffWorkflow.util.task import TaskState

from engine import ids, sandbox
from engine.clock import Clock, SettableClock, SystemClock
from engine.errors import InvalidBpmn, ProcessError, TaskNotFound, TaskNotReady

MAX_STEPS = 2_000  # engine steps per use case before a loop is called runaway
MIN_CYCLE_SECONDS = 60
MAX_FAST_CYCLES = 10  # a few quick repetitions are harmless; a flood is not

# --- the clock SpiffWorkflow reads ---------------------------------------------------------

_clock: ContextVar[Clock] = ContextVar("clock", default=SystemClock())  # noqa: B039 - stateless


class _ClockedDatetime(datetime):
    """`datetime` as seen by SpiffWorkflow's timer module: `now()` asks the engine's clock."""

    @classmethod
    def now(cls, tz: Any = None) -> datetime:  # type: ignore[override]
        moment = _clock.get().now()
        return moment.astimezone(tz) if tz else moment.astimezone(UTC).replace(tzinfo=None)


_timer_module.datetime = _ClockedDatetime  # type: ignore[misc]


@contextmanager
def clock_in_use(clock: Clock) -> Iterator[None]:
    token = _clock.set(clock)
    try:
        yield
    finally:
        _clock.reset(token)


# --- deterministic task ids and timestamps (so that a case can be replayed) ----------------

_TASK_ID_SPACE = UUID("6f1d2c4e-8a3b-5c7d-9e0f-a1b2c3d4e5f6")


class TaskIds:
    """Task ids of one case: uuid5(case namespace, n), n counted in the workflow's own state."""

    def __init__(self, namespace: UUID, issued: int = 0):
        self.namespace, self.issued = namespace, issued

    def next(self) -> UUID:
        self.issued += 1
        return uuid5(self.namespace, str(self.issued))


_task_ids: ContextVar[TaskIds | None] = ContextVar("task_ids", default=None)


def _next_task_id() -> UUID:
    source = _task_ids.get()
    return source.next() if source is not None else UUID(ids.new_id())  # a workflow of no case


class _ClockedTime:
    """`time` as SpiffWorkflow's task module sees it: state changes are stamped by the engine clock."""

    @staticmethod
    def time() -> float:
        return _clock.get().now().timestamp()


_task_module.uuid4 = _next_task_id  # type: ignore[attr-defined]
_task_module.time = _ClockedTime  # type: ignore[attr-defined, assignment]


@contextmanager
def running(workflow: BpmnWorkflow | None, now: datetime) -> Iterator[None]:
    """Run steps of a case's workflow as of `now`: its clock stands still and its task ids are its own."""
    source = getattr(workflow, "task_ids", None) if workflow is not None else None
    clock_token, ids_token = _clock.set(SettableClock(now)), _task_ids.set(source)
    try:
        yield
    finally:
        _task_ids.reset(ids_token)
        _clock.reset(clock_token)


# --- serialization: the spec once per version, the instance without it ------------------


class _InstanceConverter(BpmnWorkflowConverter):
    """Serializes a workflow without its spec; restores it onto a spec restored once."""

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        # WorkflowConverter's fields without the spec, tasks converted by the fast path below.
        dct = _workflow_dict(workflow)
        dct["subprocesses"] = {
            str(key): dict(
                _workflow_dict(sub),
                typename=_registry.typenames[type(sub)],
                parent_task_id=str(sub.parent_task_id),
                spec=sub.spec.name,
            )  # fmt: skip
            for key, sub in workflow.subprocesses.items()
        }
        dct["bpmn_events"] = []
        task_ids = getattr(workflow, "task_ids", None)
        if task_ids is not None:
            dct["task_ids"] = {"namespace": str(task_ids.namespace), "issued": task_ids.issued}
        return dct

    def from_dict(self, dct: dict[str, Any], bundle: Bundle | None = None) -> BpmnWorkflow:
        assert bundle is not None, "restore needs the version's spec bundle"
        workflow = BpmnWorkflow(bundle.spec, bundle.subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dict(dct["subprocesses"]), workflow)
        workflow.bpmn_events = []
        if "task_ids" in dct:  # cases started before deterministic ids have none
            workflow.task_ids = TaskIds(UUID(dct["task_ids"]["namespace"]), dct["task_ids"]["issued"])
        return workflow


def _workflow_dict(workflow: Any) -> dict[str, Any]:
    return {
        "data": _registry.convert(_registry.clean(workflow.data)),
        "correlations": workflow.correlations,
        "last_task": str(workflow.last_task.id) if workflow.last_task is not None else None,
        "success": workflow.success,
        "completed": workflow.completed,
        "tasks": {str(task.id): _task_dict(task) for task in workflow.tasks.values()},
        "root": str(workflow.task_tree.id),
    }


def _task_dict(task: Any) -> dict[str, Any]:
    """SpiffWorkflow's TaskConverter.to_dict, without its per-value registry lookups."""
    parent = task.parent
    if parent is None:
        data, delta = _registry.convert(task.data), {}
    else:
        data = {}
        delta = {
            "updates": _registry.convert(DeepMerge.get_updated_keys(parent.data, task.data)),
            "deletions": DeepMerge.get_deleted_keys(parent.data, task.data),
        }
    return {
        "typename": _registry.typenames[type(task)],
        "id": str(task.id), "parent": str(task._parent) if parent is not None else None,
        "children": [str(child) for child in task._children], "last_state_change": task.last_state_change,
        "state": task.state, "task_spec": task.task_spec.name, "triggered": task.triggered,
        "internal_data": _registry.convert(task.internal_data) if task.internal_data else {},
        "data": data, "delta": delta,
    }  # fmt: skip


_registry = BpmnWorkflowSerializer.configure(SPIFF_CONFIG)
_InstanceConverter(BpmnWorkflow, _registry)
_serializer = BpmnWorkflowSerializer(_registry)


@dataclass(frozen=True)
class Bundle:
    """The executable form of one process version (restored once, shared by its cases)."""

    spec: Any
    subprocess_specs: dict[str, Any]


def parse(root: etree._Element, process_id: str) -> tuple[dict[str, Any], Bundle]:
    """SpiffWorkflow's parse of checked XML: the serialized spec and the live bundle."""
    parser = SpiffBpmnParser(validator=VALIDATOR)
    try:
        parser.add_bpmn_xml(etree.ElementTree(root), filename="process.bpmn")
        spec = parser.get_spec(process_id)
        subprocess_specs = parser.get_subprocess_specs(process_id)
    except ValidationException as error:
        if "RecursionError" in str(error):  # SpiffWorkflow wraps its own recursion limit
            raise InvalidBpmn("The process is too long to parse (too many elements in a row).") from None
        raise InvalidBpmn(_validation_message(error)) from None
    except RecursionError:
        raise InvalidBpmn("The process is too long to parse (too many elements in a row).") from None
    except (SpiffWorkflowException, ValueError, KeyError) as error:
        raise InvalidBpmn(f"SpiffWorkflow cannot run this process: {error}") from None
    serialized = {
        "spec": _registry.convert(spec),
        "subprocess_specs": {k: _registry.convert(v) for k, v in subprocess_specs.items()},
    }
    return serialized, Bundle(spec, subprocess_specs)


def _validation_message(error: ValidationException) -> str:
    message = str(error.args[0] if error.args else error).rstrip(".")
    message = message.replace("{http://www.omg.org/spec/BPMN/20100524/MODEL}", "bpmn:")
    where = [
        f"element '{error.id}'" if error.id else "",
        f"line {error.line_number}" if error.line_number else "",
    ]
    where = [w for w in where if w]
    return f"{message} ({', '.join(where)})." if where else f"{message}."


def load_bundle(serialized: Mapping[str, Any]) -> Bundle:
    return Bundle(
        _registry.restore(serialized["spec"]),
        {k: _registry.restore(v) for k, v in serialized["subprocess_specs"].items()},
    )


def snapshot(workflow: BpmnWorkflow) -> dict[str, Any]:
    """The instance state to store: tasks, data, subprocesses; no spec."""
    workflow.bpmn_events = []
    return _registry.convert(workflow)


def restore(state: Mapping[str, Any], bundle: Bundle, engine: ScriptEngine) -> BpmnWorkflow:
    workflow = _registry.restore(dict(state), bundle=bundle)
    workflow.script_engine = engine.spiff
    return workflow


# --- timer literals (checked at deploy) ---------------------------------------------------


def timer_literal_problem(kind: str, value: str) -> str | None:
    """Why an ISO 8601 timer literal would fail or flood at run time ("warning: ..." if only odd)."""
    parse = TimerEventDefinition
    try:
        if kind == "timeDate":
            moment = datetime.fromisoformat(value)
            if moment.tzinfo is None:
                return f"date {value!r} has no UTC offset (write e.g. {value}+04:00)"
            if moment < _clock.get().now():
                return f"warning: date {value} is in the past; the timer fires at once"
        elif kind == "timeDuration":
            parse.parse_iso_duration(value)
        elif kind == "timeCycle":
            cycles, _, duration = parse.parse_iso_recurring_interval(value)
            if cycles < 0:
                return f"cycle {value!r} repeats forever; give a count, e.g. R3/PT1H"
            if duration.total_seconds() < MIN_CYCLE_SECONDS and cycles > MAX_FAST_CYCLES:
                return f"cycle {value!r} repeats more often than once a minute, more than {MAX_FAST_CYCLES} times"
    except Exception:  # SpiffWorkflow raises bare Exception / ValueError / AttributeError here
        return f"{kind} {value!r} is not a valid ISO 8601 value"
    return None


# --- scripts and expressions --------------------------------------------------------------


class _SandboxEnvironment(BasePythonScriptEngineEnvironment):
    """Every script and expression in a process runs in engine.sandbox, with whitelisted functions."""

    def evaluate(self, expression: str, context: dict, external_context: dict | None = None) -> Any:
        return sandbox.evaluate(expression, {**context, **(external_context or {}), **self.globals})

    def execute(self, script: str, context: dict, external_context: dict | None = None) -> bool:
        names = {**context, **(external_context or {}), **self.globals}
        result = sandbox.execute(script, names)
        hidden = set(self.globals) | set(external_context or {})
        context.clear()
        context.update({k: v for k, v in result.items() if k not in hidden and not callable(v)})
        return True

    def call_service(self, context: dict, **kwargs: Any) -> Any:
        raise sandbox.SandboxError("service tasks cannot call anything from the sandbox")


class ScriptEngine:
    """SpiffWorkflow's script engine over the sandbox, with the functions processes may call."""

    def __init__(self, functions: Mapping[str, Callable[..., Any]]):
        self.spiff = PythonScriptEngine(environment=_SandboxEnvironment(dict(functions)))


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
    task_ids = TaskIds(uuid5(_TASK_ID_SPACE, seed)) if seed is not None else None
    clock_token, ids_token = _clock.set(SettableClock(now) if now else _clock.get()), _task_ids.set(task_ids)
    try:
        workflow = BpmnWorkflow(bundle.spec, bundle.subprocess_specs, script_engine=engine.spiff)
    finally:
        _task_ids.reset(ids_token)
        _clock.reset(clock_token)
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

    def collect(task: Any) -> None:
        definition = getattr(task.task_spec, "event_definition", None)
        if isinstance(definition, MessageEventDefinition) and not task.task_spec.manual:
            if type(task.task_spec).__name__ in ("IntermediateThrowEvent", "EndEvent", "SendTask"):
                thrown.append(Thrown(definition.name, task.task_spec.bpmn_id, dict(task.data)))

    with _run_errors():
        while True:
            workflow.do_engine_steps(will_complete_task=count, did_complete_task=collect)
            if not workflow.get_tasks(state=TaskState.READY, manual=False):
                break
    workflow.bpmn_events = []
    return thrown


@contextmanager
def _run_errors() -> Iterator[None]:
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


def _all_tasks(workflow: BpmnWorkflow) -> Iterator[Any]:
    """Every task of the workflow and its subprocesses, without walking the tree."""
    yield from workflow.tasks.values()
    for subprocess in workflow.subprocesses.values():
        yield from subprocess.tasks.values()


def ready_tasks(workflow: BpmnWorkflow) -> list[ReadyTask]:
    return [
        ReadyTask(str(t.id), t.task_spec.bpmn_id, t.task_spec.bpmn_name or t.task_spec.bpmn_id)
        for t in _all_tasks(workflow)
        if t.state == TaskState.READY and t.task_spec.manual
    ]


def complete(workflow: BpmnWorkflow, task_id: str, data: Mapping[str, Any]) -> list[Thrown]:
    """Complete a ready user task with (already validated) data and run on."""
    task = find_task(workflow, task_id)
    if task.state != TaskState.READY or not task.task_spec.manual:
        raise TaskNotReady(f"Task {task_id} is not waiting for a person (it is {TaskState.get_name(task.state)}).")
    task.set_data(**data)
    with _run_errors():
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
    with _run_errors():
        workflow.refresh_timers()
    return advance(workflow)


def pending_timers(workflow: BpmnWorkflow) -> list[PendingTimer]:
    timers = []
    for task in _all_tasks(workflow):
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
        with _run_errors():
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


# --- migration support -----------------------------------------------------------------


def spec_names(state: Mapping[str, Any]) -> set[str]:
    """Every task spec and subprocess spec name a stored state refers to."""
    names = set()
    for workflow in [state, *state.get("subprocesses", {}).values()]:
        names.update(task["task_spec"] for task in workflow["tasks"].values())
        if "spec" in workflow:
            names.add(workflow["spec"])
    return names


def known_names(bundle: Bundle) -> set[str]:
    names = set(bundle.spec.task_specs)
    for name, spec in bundle.subprocess_specs.items():
        names.add(name)
        names.update(spec.task_specs)
    return names


def recompute_changed_timers(workflow: BpmnWorkflow, old: Bundle) -> list[tuple[str, datetime | None, datetime | None]]:
    """Waiting timers whose expression differs in the old bundle are evaluated again; (name, old, new)."""
    before = {t.bpmn_id: t.due for t in pending_timers(workflow)}
    old_specs = {name: spec for s in [old.spec, *old.subprocess_specs.values()] for name, spec in s.task_specs.items()}
    changed = []
    for task in _all_tasks(workflow):
        definition = getattr(task.task_spec, "event_definition", None)
        previous = getattr(old_specs.get(task.task_spec.name), "event_definition", None)
        if task.state == TaskState.WAITING and isinstance(definition, TimerEventDefinition):
            if getattr(previous, "expression", None) != definition.expression:
                task.internal_data.pop("event_value", None)
                changed.append(task)
    with _run_errors():
        workflow.refresh_timers()
    after = {t.bpmn_id: t.due for t in pending_timers(workflow)}
    return [
        (t.task_spec.bpmn_name or t.task_spec.bpmn_id, before.get(t.task_spec.bpmn_id), after.get(t.task_spec.bpmn_id))
        for t in changed
    ]


_NOT_STARTED = (TaskState.FUTURE, TaskState.LIKELY, TaskState.MAYBE)


def repredict(workflow: BpmnWorkflow) -> None:
    """After a restore onto another spec: branches not yet started follow the new flows."""
    with _run_errors():
        for task in list(_all_tasks(workflow)):
            if task.state in (TaskState.READY, TaskState.WAITING, TaskState.STARTED):
                outputs = {spec.name for spec in task.task_spec.outputs}
                for child in list(task.children):
                    if child.state in _NOT_STARTED and not child.triggered and child.task_spec.name not in outputs:
                        _drop(child)
                task.task_spec._predict(task, mask=TaskState.NOT_FINISHED_MASK)


def _drop(task: Any) -> None:
    for child in list(task.children):
        _drop(child)
    task.parent._children.remove(task.id)
    del task.workflow.tasks[task.id]
