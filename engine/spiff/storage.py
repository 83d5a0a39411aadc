"""Specs stored once per version; instances stored without them, converted without detours."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from lxml import etree
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.deep_merge import DeepMerge
from SpiffWorkflow.util.task import TaskState

from engine.kernel.errors import InvalidBpmn
from engine.spiff.clocks import TaskIds
from engine.spiff.scripts import ScriptEngine

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
        _tasks_from_dict(workflow, dct)
        self.set_default_attributes(workflow, dct)
        _subprocesses_from_dict(self, dict(dct["subprocesses"]), workflow, workflow)
        workflow.bpmn_events = []
        if "task_ids" in dct:  # cases started before deterministic ids have none
            workflow.task_ids = TaskIds(UUID(dct["task_ids"]["namespace"]), dct["task_ids"]["issued"])
        return workflow


def _tasks_from_dict(workflow: Any, dct: dict[str, Any]) -> None:
    """SpiffWorkflow's TaskConverter.from_dict for a whole tree, parsing each task id once.

    Parsing ids is a quarter of a restore when each parent and child reference is parsed
    again; the steps and their order are otherwise SpiffWorkflow's (parents come first).
    """
    tasks: dict[str, Any] = dct["tasks"]
    ids = {key: UUID(key) for key in tasks}
    specs, events, restore = workflow.spec.task_specs, workflow.top_workflow.event_manager, _registry.restore
    for key, item in tasks.items():
        if item.get("typename") != "Task":
            raise ValueError(f"unexpected task type {item.get('typename')!r}")
        task_spec = specs.get(item["task_spec"])
        task = Task(workflow, task_spec, state=item["state"], id=ids[key])
        parent_key = item["parent"]
        task._parent = (ids.get(parent_key) or UUID(parent_key)) if parent_key is not None else None
        task._children = [ids.get(child) or UUID(child) for child in item["children"]]
        task.last_state_change = item["last_state_change"]
        task.triggered = item["triggered"]
        task.internal_data = restore(item["internal_data"])
        if isinstance(task_spec, CatchingEvent) and task.has_state(TaskState.WAITING):
            events.add_task(task)
        delta, parent = item.get("delta"), task.parent
        if delta and parent is not None:
            data = DeepMerge.merge({}, parent.data)
            data.update(restore(delta.get("updates", {})))
            for name in delta.get("deletions", ()):
                data.pop(name, None)
        else:
            data = restore(item["data"])
        task.data = data
    workflow.task_tree = workflow.tasks.get(ids[dct["root"]])


def _subprocesses_from_dict(converter: Any, dct: dict[str, Any], workflow: Any, top: BpmnWorkflow) -> None:
    """BpmnWorkflowConverter.subprocesses_from_dict: parents before the subprocesses they start."""
    for task in list(workflow.tasks.values()):
        if not (isinstance(task.task_spec, SubWorkflowTask) and str(task.id) in dct):
            continue
        item = dict(dct.pop(str(task.id)))
        if item.get("typename") != "BpmnSubWorkflow":
            raise ValueError(f"unexpected subprocess type {item.get('typename')!r}")
        sub = BpmnSubWorkflow(top.subprocess_specs.get(task.task_spec.spec), task.id, top, deserializing=True)
        _tasks_from_dict(sub, item)
        converter.set_default_attributes(sub, item)
        top.subprocesses[task.id] = sub
        sub.completed_event.connect(task.task_spec._on_subworkflow_completed, task)
        _subprocesses_from_dict(converter, dct, sub, top)


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


def _splitting(parser: type) -> type:
    return type(parser.__name__, (parser,), {"handles_multiple_outgoing": lambda self: True})


class _Parser(SpiffBpmnParser):
    """SpiffWorkflow's parser, letting activities and intermediate events split implicitly.

    BPMN takes every outgoing flow of an activity or event (an implicit parallel split, as
    modelers draw it). SpiffWorkflow 3.2.0 runs such a spec (a task spec with several outputs
    starts them all) but its parser refuses it; only the parser classes change, so stored specs
    are restored as usual. Conditions on those flows would be ignored: the checks refuse them.
    """

    OVERRIDE_PARSER_CLASSES = {
        tag: (_splitting(parser) if etree.QName(tag).localname != "endEvent" else parser, spec)
        for tag, (parser, spec) in SpiffBpmnParser.OVERRIDE_PARSER_CLASSES.items()
    }


def parse(root: etree._Element, process_id: str) -> tuple[dict[str, Any], Bundle]:
    """SpiffWorkflow's parse of checked XML: the serialized spec and the live bundle."""
    parser = _Parser(validator=VALIDATOR)
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
