"""Stored workflow state: our restore rebuilds exactly what SpiffWorkflow's own converter does."""

from datetime import datetime, timedelta, timezone
from uuid import UUID

from engine import spiff
from engine.casework import workflows
from engine.spiff import storage

BAKU = timezone(timedelta(hours=4))


def stock_restore(state, bundle):
    """SpiffWorkflow's converter path (mapping_from_dict, subprocesses_from_dict) for the same state."""
    converter = object.__new__(storage.BpmnWorkflowConverter)  # unregistered: ours stays in use
    converter.registry = storage._registry
    dct = dict(state)
    workflow = storage.BpmnWorkflow(bundle.spec, bundle.subprocess_specs, deserializing=True)
    workflow.tasks = converter.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
    workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
    converter.set_default_attributes(workflow, dct)
    converter.subprocesses_from_dict(dict(dct["subprocesses"]), workflow)
    return workflow


def shape(workflow):
    """What a restored workflow is made of: every task with its place, state, data and waiting events."""
    tasks = [
        (str(t.id), str(t._parent), [str(c) for c in t._children], t.state, t.task_spec.name, t.data, t.internal_data)
        for t in spiff.steps.all_tasks(workflow)
    ]
    waiting = sorted(str(t.id) for t in workflow.event_manager.tasks.values())
    return tasks, waiting, sorted(str(k) for k in workflow.subprocesses), spiff.pending_timers(workflow)


def test_restore_matches_spiffworkflows_own_converter_through_a_case(scenario, policy):
    case = scenario.start(phone=None)
    states = []

    def keep_state():
        with scenario.uow as uow:
            row = uow.cases.get(case.case_id)
            states.append((dict(row.state), uow.versions.get(row.version_id)))

    keep_state()  # registration waiting, every timer armed
    registration = {"surname": "Aliyev", "given_name": "Rauf", "description": "Broken kettle",
                    "phone": "+994 50 1234567"}
    scenario.complete(case.case_id, "Task_Register", registration)
    scenario.review(case.case_id, clarify="Which store?")
    keep_state()  # a clarification loop
    scenario.move_to(datetime(2026, 3, 14, 9, tzinfo=BAKU))
    keep_state()  # at risk: the delay notice waits
    for state, version in states:
        bundle = workflows.bundle(version)
        ours = spiff.restore(state, bundle, spiff.script_engine(policy))
        assert shape(ours) == shape(stock_restore(state, bundle))
        assert spiff.snapshot(ours) == state  # and it stores back byte for byte
