"""Moving an instance onto another version's spec (used by migration and its replay)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    TimerEventDefinition,
)
from SpiffWorkflow.util.task import TaskState

from engine.spiff.steps import all_tasks, pending_timers, run_errors
from engine.spiff.storage import Bundle

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
    for task in all_tasks(workflow):
        definition = getattr(task.task_spec, "event_definition", None)
        previous = getattr(old_specs.get(task.task_spec.name), "event_definition", None)
        if task.state == TaskState.WAITING and isinstance(definition, TimerEventDefinition):
            if getattr(previous, "expression", None) != definition.expression:
                task.internal_data.pop("event_value", None)
                changed.append(task)
    with run_errors():
        workflow.refresh_timers()
    after = {t.bpmn_id: t.due for t in pending_timers(workflow)}
    return [
        (t.task_spec.bpmn_name or t.task_spec.bpmn_id, before.get(t.task_spec.bpmn_id), after.get(t.task_spec.bpmn_id))
        for t in changed
    ]


_NOT_STARTED = (TaskState.FUTURE, TaskState.LIKELY, TaskState.MAYBE)


def repredict(workflow: BpmnWorkflow) -> None:
    """After a restore onto another spec: branches not yet started follow the new flows."""
    with run_errors():
        for task in list(all_tasks(workflow)):
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
