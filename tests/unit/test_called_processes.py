"""Call activities: a process that calls itself is refused at deploy, and stopped at run time.

Before, such a process deployed and its first case kept the engine busy at 100% CPU: each
nested call made every later step slower, so the step limit was never reached in time.
"""

import time

import pytest

import engine
from engine import spiff
from engine.kernel import model
from engine.kernel.errors import InvalidBpmn
from engine.kernel.policy import Policy
from engine.notation import bpmn
from engine.notation.bpmn import MAX_NESTING
from tests import modeler_files as files
from tests.scenario import ACTORS, COMPLETE_INTAKE, OWNER, Scenario


def deploy(uow, clock, xml: bytes, key: str = "calls") -> Scenario:
    return Scenario(uow, clock, Policy(process_key=key), bpmn=xml, forms={})


@pytest.mark.parametrize(
    "calls, chain",
    [
        ({"A": ["A"]}, "A → A"),
        ({"A": ["B"], "B": ["A"]}, "A → B → A"),
        ({"Main": ["B"], "B": ["C"], "C": ["D"], "D": ["B"]}, "B → C → D → B"),
    ],
)
def test_a_process_that_calls_itself_is_refused_naming_the_chain(uow, clock, calls, chain):
    with pytest.raises(InvalidBpmn) as refused:
        deploy(uow, clock, files.calling(calls))
    assert chain in str(refused.value) and "may not call itself" in str(refused.value)


def test_a_process_may_call_another_one_several_times(uow, clock):
    scenario = deploy(uow, clock, files.calling({"A": ["B", "B"], "B": ["C"], "C": []}))
    assert scenario.start().status == "closed"


def test_calls_nested_deeper_than_the_limit_are_refused(uow, clock):
    names = [f"P{i}" for i in range(MAX_NESTING + 2)]
    calls = {name: [after] for name, after in zip(names, names[1:], strict=False)} | {names[-1]: []}
    with pytest.raises(InvalidBpmn) as refused:
        deploy(uow, clock, files.calling(calls))
    assert f"nest {MAX_NESTING + 1} deep" in str(refused.value)
    shallow = {name: [after] for name, after in zip(names[:MAX_NESTING], names[1:], strict=False)}
    assert deploy(uow, clock, files.calling(shallow | {names[MAX_NESTING]: []})).start().status == "closed"


def stored_before_the_check(uow, clock, xml: bytes, process_id: str, key: str) -> model.ProcessVersion:
    """A version as an older release deployed it: parsed by SpiffWorkflow, never checked for cycles."""
    spec, _ = spiff.parse(bpmn.load(xml), process_id)
    version = model.ProcessVersion(
        id=key * 8, process_key=key, number=1, process_id=process_id, name=process_id, bpmn_xml=xml, forms={},
        spec=spec, user_tasks={}, deployed_by=OWNER.id, deployed_at=clock.now(),
    )  # fmt: skip
    with uow:
        uow.versions.add(version)
        uow.commit()
    return version


def start(uow, clock, key: str) -> engine.casework.cases.Progress:
    policy = Policy(process_key=key)
    return engine.start_case(COMPLETE_INTAKE, actor=ACTORS["intake"], uow=uow, clock=clock, policy=policy)


def test_a_recursive_version_from_before_the_check_errors_its_case_quickly(uow, clock):
    stored_before_the_check(uow, clock, files.calling({"A": ["B"], "B": ["A"]}), "A", "loop")
    began = time.monotonic()
    progress = start(uow, clock, "loop")
    assert time.monotonic() - began < 5
    assert progress.status == "errored" and f"nested more than {MAX_NESTING} deep" in progress.error
    assert "A → B" in progress.error


def test_a_recursion_reached_by_a_timer_errors_its_case_and_the_sweep_goes_on(uow, clock):
    body = (
        '<bpmn:startEvent id="StartEvent_1" /><bpmn:intermediateCatchEvent id="Timer_1">'
        + files.timer("timeDuration", "PT1H") + "</bpmn:intermediateCatchEvent>"
        + '<bpmn:callActivity id="Call_Again" calledElement="Again" /><bpmn:endEvent id="EndEvent_1" />'
        + files.chain("StartEvent_1", "Timer_1", "Call_Again", "EndEvent_1")
    )  # fmt: skip
    xml = files.definitions(files.process("Main", body), files.caller("Again", ["Again"]))
    stored_before_the_check(uow, clock, xml, "Main", "late")
    good = deploy(uow, clock, files.timed("timeDuration", "PT1H", "boundary"), key="good")
    bad_case, good_case = start(uow, clock, "late"), good.start()
    assert bad_case.status == "open"
    assert good.advance(hours=1, seconds=1) == 2
    errored = good.view(bad_case.case_id).case
    assert errored.status == "errored" and "does a process call itself?" in errored.error
    assert "Task_Late" in good.ready(good_case.case_id)
    assert engine.fire_due_timers(**good.deps) == 0
