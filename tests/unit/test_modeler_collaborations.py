"""Collaborations and implicit splits as bpmn.io and Camunda Modeler export them.

Only the processes a case runs are checked: a documentation pool (not executable) may have
lanes without roles, tasks in no lane, empty timers or service tasks. What the engine cannot
run or what is unsafe in the executable process is still refused.
"""

import pytest

import engine
from engine.kernel.errors import InvalidBpmn
from engine.kernel.policy import Policy
from tests import modeler_files as files
from tests.scenario import Scenario


def deploy(uow, clock, xml: bytes, key: str = "shop") -> Scenario:
    return Scenario(uow, clock, Policy(process_key=key), bpmn=xml, forms={})


def test_a_collaboration_with_a_documentation_pool_deploys_and_runs_its_executable_pool(uow, clock):
    scenario = deploy(uow, clock, files.collaboration())
    assert scenario.version.process_id == "Process_Shop"
    assert set(scenario.version.user_tasks) == {"Task_Handle"}
    case = scenario.start()
    assert list(scenario.ready(case.case_id)) == ["Task_Handle"]
    assert scenario.complete(case.case_id, "Task_Handle").status == "closed"


def test_the_executable_pool_of_a_collaboration_is_still_checked(uow, clock):
    with pytest.raises(InvalidBpmn) as refused:
        deploy(uow, clock, files.collaboration(shop_lane="janitor"))
    assert [p for p in refused.value.problems if "janitor" in p]
    assert not [p for p in refused.value.problems if "Customer" in p or "Task_Tweet" in p]


def test_a_second_executable_pool_that_never_runs_is_named_in_a_warning(uow, clock):
    xml = files.collaboration(customer_executable=True)
    checked = engine.process_models.versions.check_upload(xml, {}, Policy())
    assert checked.definition.process_id == "Process_Shop"
    assert any("Process_Customer" in w and "never runs" in w for w in checked.definition.warnings)


@pytest.mark.parametrize(
    "customer",
    [
        '<bpmn:process id="Process_Customer" />',  # a black-box pool some tools still give a process
        files.customer(executable=True).replace(' isExecutable="true"', ""),  # executable by default only
    ],
)
def test_the_pool_that_runs_is_the_one_marked_executable_with_a_flow(uow, clock, customer):
    scenario = deploy(uow, clock, files.definitions(files.PARTICIPANTS, customer, files.shop()))
    assert scenario.version.process_id == "Process_Shop"


def test_a_collaboration_of_documentation_pools_only_is_refused_as_not_executable(uow, clock):
    with pytest.raises(InvalidBpmn) as refused:
        deploy(uow, clock, files.collaboration(shop_executable=False))
    assert "not executable" in refused.value.problems[0]


def split(conditions: tuple[str | None, str | None] = (None, None)) -> bytes:
    """Task_Review leads to Task_Refund and Task_Apology at once (no gateway), joined again."""
    body = (
        '<bpmn:startEvent id="StartEvent_1" />' + files.user_task("Task_Review")
        + files.user_task("Task_Refund") + files.user_task("Task_Apology")
        + '<bpmn:parallelGateway id="Gateway_Join" /><bpmn:endEvent id="EndEvent_1" />'
        + files.chain("StartEvent_1", "Task_Review")
        + files.flow("Flow_Refund", "Task_Review", "Task_Refund", conditions[0])
        + files.flow("Flow_Apology", "Task_Review", "Task_Apology", conditions[1])
        + files.chain("Task_Refund", "Gateway_Join", "EndEvent_1") + files.chain("Task_Apology", "Gateway_Join")
    )  # fmt: skip
    lanes = {"officer": ["Task_Review", "Task_Refund", "Task_Apology"]}
    return files.definitions(files.process("Process_Split", body, lanes=lanes))


def test_a_task_with_two_outgoing_flows_starts_both_branches(uow, clock):
    scenario = deploy(uow, clock, split())
    case = scenario.start()
    scenario.complete(case.case_id, "Task_Review")
    assert set(scenario.ready(case.case_id)) == {"Task_Refund", "Task_Apology"}
    scenario.complete(case.case_id, "Task_Refund")
    assert scenario.complete(case.case_id, "Task_Apology").status == "closed"


def test_conditions_on_flows_leaving_a_task_are_refused_because_they_would_be_ignored(uow, clock):
    with pytest.raises(InvalidBpmn) as refused:
        deploy(uow, clock, split(("refund == True", None)))
    assert "Task_Review" in str(refused.value) and "Flow_Refund" in str(refused.value)
    assert "exclusive or inclusive gateway" in str(refused.value)


@pytest.mark.parametrize("drawn, reserved", [("StartEvent_1", "Start"), ("EndEvent_1", "End")])
def test_an_element_id_spiffworkflow_reserves_is_refused_at_deploy(uow, clock, drawn, reserved):
    xml = files.timed("timeDuration", "PT1H", "boundary").replace(f'"{drawn}"'.encode(), f'"{reserved}"'.encode())
    with pytest.raises(InvalidBpmn) as refused:
        deploy(uow, clock, xml)
    assert f"'{reserved}'" in str(refused.value) and "reserves this id" in str(refused.value)
