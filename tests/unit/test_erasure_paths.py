"""Erasure and replay agree on every path of the process; tampering after an erasure is still found."""

import json
from datetime import datetime, timedelta, timezone

import pytest

import engine
from engine import history, model
from tests.scenario import ACTORS
from tests.unit import test_process_paths

BAKU = timezone(timedelta(hours=4))
DPO = model.Actor("dpo", frozenset({"dpo"}))
NAME = "Zeynalova"
PATHS = [getattr(test_process_paths, name) for name in dir(test_process_paths) if name.startswith("test_")]


def clarified_twice_with_corrective_measures(scenario, case_id):
    for question, answer in ((f"Which store, {NAME}?", "Ganjlik"), ("Receipt?", f"{NAME} has it")):
        scenario.review(case_id, clarify=question)
        scenario.complete(case_id, "Task_Clarify", {"contacted_via": "phone", "customer_answer": answer})
    scenario.review(case_id)
    scenario.analyse(case_id, corrective=True)
    scenario.respond_in_writing(case_id)
    scenario.complete(case_id, "Task_Corrective", {"corrective_actions": f"Call {NAME} back after training"})


def same_answer_in_both_loops(scenario, case_id):
    for _ in range(2):
        scenario.review(case_id, clarify=f"Still there, {NAME}?")
        scenario.complete(case_id, "Task_Clarify", {"contacted_via": "phone", "customer_answer": "Yes"})
    scenario.review(case_id)
    scenario.analyse(case_id, decision="rejected")
    scenario.respond_in_writing(case_id)


def oral_response_after_status_requests(scenario, case_id):
    reference = scenario.view(case_id).case.reference
    for told in ("Under review", f"Told {NAME}: under review"):
        engine.record_status_request(reference, "call_centre", requester=NAME, told=told,
                                     actor=ACTORS["intake"], **scenario.deps)  # fmt: skip
    scenario.review(case_id)
    scenario.analyse(case_id, decision="partly_upheld")
    oral = {"response_mode": "oral", "response_text": f"Told {NAME} by phone", "agreed_by": NAME,
            "agreed_on": "2026-03-02", "agreed_how": "phone"}  # fmt: skip
    scenario.complete(case_id, "Task_Respond", oral)


def delay_notices_then_a_late_answer(scenario, case_id):
    scenario.review(case_id)
    scenario.move_to(datetime(2026, 3, 14, 9, tzinfo=BAKU))
    notice = {"delay_reason": f"{NAME}'s order is with the supplier", "new_date": "2026-03-18"}
    scenario.complete(case_id, "Task_DelayNotice", notice)
    scenario.move_to(datetime(2026, 3, 19, 9, tzinfo=BAKU))
    notice = {"delay_reason": f"{NAME}'s supplier is silent", "new_date": "2026-04-03"}
    scenario.complete(case_id, "Task_DelayNotice", notice)
    scenario.analyse(case_id)
    scenario.respond_in_writing(case_id)


def registered_late(scenario, case_id):
    registration = {"surname": NAME, "given_name": "Leyla", "description": "Broken", "email": "leyla@example.az"}
    scenario.complete(case_id, "Task_Register", registration)
    scenario.review(case_id)
    scenario.analyse(case_id)
    scenario.respond_in_writing(case_id)


JOURNEYS = [clarified_twice_with_corrective_measures, same_answer_in_both_loops, oral_response_after_status_requests,
            delay_notices_then_a_late_answer, registered_late]  # fmt: skip


def closed_case(scenario, journey):
    case = scenario.start(phone=None, surname=None) if journey is registered_late else scenario.start()
    journey(scenario, case.case_id)
    assert scenario.view(case.case_id).case.status == "closed"
    return case


def verify(scenario, case):
    return engine.verify_case(case.reference, uow=scenario.uow, policy=scenario.policy)


@pytest.mark.parametrize("journey", JOURNEYS, ids=lambda f: f.__name__)
def test_an_erased_case_verifies_on_every_path_and_its_free_text_is_gone(scenario, journey):
    case = closed_case(scenario, journey)
    engine.erase_personal_data(case.reference, "Customer's request", actor=DPO, **scenario.deps)
    check = verify(scenario, case)
    assert check.ok, check
    view = scenario.view(case.case_id)
    assert NAME not in str([[e.data for e in view.events], view.case.state, [m.payload for m in view.outbox]])


@pytest.mark.parametrize(
    "journey", [same_answer_in_both_loops, delay_notices_then_a_late_answer], ids=lambda f: f.__name__
)
def test_erased_text_put_back_into_the_workflow_state_is_found(scenario, journey):
    case = closed_case(scenario, journey)
    engine.erase_personal_data(case.reference, "Customer's request", actor=DPO, **scenario.deps)
    with scenario.uow as uow:
        stored = uow.cases.get(case.case_id)
        text = json.dumps(stored.state, ensure_ascii=False).replace(history.TOMBSTONE, f"{NAME} (restored)", 1)
        stored.state = json.loads(text)
        uow.cases.save(stored)
        uow.commit()
    check = verify(scenario, case)
    assert check.broken is None and "final workflow state differs" in check.divergence.what


def test_a_changed_decision_after_an_erasure_is_found_at_its_event(scenario):
    case = closed_case(scenario, clarified_twice_with_corrective_measures)
    engine.erase_personal_data(case.reference, "Customer's request", actor=DPO, **scenario.deps)
    with scenario.uow as uow:
        analyse = next(e for e in uow.events.for_case(case.case_id) if e.data.get("bpmn_id") == "Task_Analyse")
        analyse.data["data"]["corrective_needed"] = False
        uow.events.replace_data(analyse)
        uow.commit()
    check = verify(scenario, case)
    assert check.broken.seq == analyse.seq and "changed after it was recorded" in check.broken.reason


@pytest.mark.parametrize("path", PATHS, ids=lambda f: f.__name__.removeprefix("test_"))
def test_every_recorded_path_replays_after_its_closed_cases_are_erased(scenario, path):
    path(scenario)
    closed = [c for c in engine.verify_cases(uow=scenario.uow, policy=scenario.policy)
              if scenario.view(c.case_id).case.status != "open"]  # fmt: skip
    for check in closed:
        engine.erase_personal_data(check.reference, "Customer's request", actor=DPO, **scenario.deps)
    assert [c for c in engine.verify_cases(uow=scenario.uow, policy=scenario.policy) if not c.ok] == []
