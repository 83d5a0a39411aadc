"""Timers as modelers write them: unquoted ISO 8601 dates, durations and cycles deploy and fire.

Camunda Modeler writes `<bpmn:timeDuration>PT10S</bpmn:timeDuration>`; SpiffWorkflow would
evaluate that as Python (an unknown name) when the timer is reached, so every case errored.
"""

from datetime import UTC, datetime, timedelta

import pytest

from engine.kernel.errors import InvalidBpmn
from engine.kernel.policy import Policy
from tests import modeler_files as files
from tests.scenario import Scenario

START = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)  # the clock fixture: 10:00 in Baku
FORMS = {
    ("timeDuration", "PT10S"): START + timedelta(seconds=10),
    ("timeDate", "2026-03-02T12:00:00+04:00"): datetime(2026, 3, 2, 8, 0, tzinfo=UTC),
    ("timeCycle", "R3/PT1H"): START + timedelta(hours=1),
}


def deploy(uow, clock, xml: bytes) -> Scenario:
    return Scenario(uow, clock, Policy(process_key="timed"), bpmn=xml, forms={})


def late_tasks(scenario: Scenario, case_id: str) -> int:
    return sum(item.bpmn_id == "Task_Late" for item in scenario.view(case_id).work_items)


@pytest.mark.parametrize("placement", files.PLACEMENTS)
@pytest.mark.parametrize("kind, text", list(FORMS))
def test_an_unquoted_iso_timer_deploys_and_its_cases_move_on_when_it_fires(uow, clock, placement, kind, text):
    scenario = deploy(uow, clock, files.timed(kind, text, placement))
    case = scenario.start()
    assert (case.status, case.error) == ("open", None)
    assert scenario.view(case.case_id).case.next_timer_at == FORMS[kind, text]
    scenario.move_to(FORMS[kind, text] + timedelta(seconds=1))
    assert late_tasks(scenario, case.case_id) == 1
    assert scenario.view(case.case_id).case.status == "open"


@pytest.mark.parametrize("placement", files.PLACEMENTS)
def test_an_unquoted_cycle_fires_its_count_of_times_then_stops(uow, clock, placement):
    scenario = deploy(uow, clock, files.timed("timeCycle", "R3/PT1H", placement))
    case = scenario.start()
    for hour in range(1, 6):
        scenario.move_to(START + timedelta(hours=hour, seconds=1))
        assert late_tasks(scenario, case.case_id) == min(hour, 3)
    assert scenario.view(case.case_id).case.next_timer_at is None


def test_a_duration_counts_from_the_moment_the_timer_is_reached(uow, clock):
    body = (
        '<bpmn:startEvent id="StartEvent_1" />' + files.user_task("Task_Work")
        + '<bpmn:intermediateCatchEvent id="Timer_1">' + files.timer("timeDuration", "PT10M")
        + "</bpmn:intermediateCatchEvent>" + files.user_task("Task_Late") + '<bpmn:endEvent id="EndEvent_1" />'
        + files.chain("StartEvent_1", "Task_Work", "Timer_1", "Task_Late", "EndEvent_1")
    )  # fmt: skip
    lanes = {"officer": ["Task_Work", "Task_Late"]}
    scenario = deploy(uow, clock, files.definitions(files.process("Process_Wait", body, lanes=lanes)))
    case = scenario.start()
    clock.advance(days=1)
    scenario.complete(case.case_id, "Task_Work")
    assert scenario.view(case.case_id).case.next_timer_at == START + timedelta(days=1, minutes=10)
    assert scenario.advance(minutes=9) == 0
    scenario.advance(minutes=2)
    assert late_tasks(scenario, case.case_id) == 1


def test_a_quoted_timer_still_works_as_before(uow, clock):
    scenario = deploy(uow, clock, files.timed("timeDuration", '"PT10S"', "boundary"))
    case = scenario.start()
    scenario.advance(seconds=11)
    assert late_tasks(scenario, case.case_id) == 1


@pytest.mark.parametrize(
    "kind, text",
    [
        ("timeDate", "2026-03-20T18:00:00"),
        ("timeDate", '"2026-03-20T18:00:00"'),
        ("timeDate", "2026-03-20"),
        ("timeCycle", "R3/2026-03-20T18:00:00/PT1H"),
    ],
)
def test_a_timer_date_without_a_utc_offset_is_refused_at_deploy(uow, clock, kind, text):
    with pytest.raises(InvalidBpmn) as refused:
        deploy(uow, clock, files.timed(kind, text, "boundary"))
    assert "Timer_1" in str(refused.value) and "no UTC offset" in str(refused.value)


@pytest.mark.parametrize(
    "kind, text, named",
    [
        ("timeDuration", "P3X", "timeDuration 'P3X' is not a valid ISO 8601 value"),
        ("timeDate", "PT1H", "timeDate 'PT1H' is not a valid ISO 8601 value"),
        ("timeCycle", "R/PT1H", "repeats forever"),
        ("timeCycle", "R100/PT1S", "more often than once a minute"),
    ],
)
def test_an_unquoted_value_that_cannot_run_is_refused_naming_it(uow, clock, kind, text, named):
    with pytest.raises(InvalidBpmn) as refused:
        deploy(uow, clock, files.timed(kind, text, "intermediate"))
    assert named in str(refused.value)


@pytest.mark.parametrize("text", ["PT1H + __import__('os').system('true')", "PT1H if open('/etc/passwd') else PT2H"])
def test_an_expression_around_an_iso_value_is_still_an_expression(uow, clock, text):
    with pytest.raises(InvalidBpmn) as refused:
        deploy(uow, clock, files.timed("timeDuration", text, "boundary"))
    assert "must be an ISO 8601 value" in str(refused.value)


def test_working_day_functions_on_case_data_still_set_timers(uow, clock):
    scenario = deploy(uow, clock, files.timed("timeDate", "deadline(received_at, 3)", "boundary"))
    case = scenario.start()
    assert scenario.view(case.case_id).case.next_timer_at == datetime(2026, 3, 5, 19, 59, 59, tzinfo=UTC)
