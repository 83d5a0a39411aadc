"""Erasure and replay agree on every path of the process; tampering after an erasure is still found."""

import json
from datetime import datetime, timedelta, timezone

import pytest

import engine
from engine.kernel import model
from engine.records import history
from tests.conftest import BPMN_FILE
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


NOT_TYPED = {"radio", "select", "checkbox", "checklist", "datetime", "number", "text", "spacer", "separator",
             "group", "image", "button", "html", "iframe", "expression", "filepicker"}  # fmt: skip


def typed_fields() -> set[tuple[str, str]]:
    """(form, key) of every field of the bundled forms where staff type text, read from the forms
    themselves: a new text field, or a field of a new kind, joins the test below by itself."""
    found = set()
    for path in sorted((BPMN_FILE.parent / "forms").glob("*.form")):
        stack = list(json.loads(path.read_text())["components"])
        while stack:
            component = stack.pop()
            stack += component.get("components", [])
            if component.get("key") and component["type"] not in NOT_TYPED:
                found.add((path.stem, component["key"]))
    return found


def typed(form: str, values: dict, filled: set) -> dict:
    """A task's data, noting which typed fields it fills; free text names the customer."""
    filled |= {(form, key) for key in values}
    return values


def every_form_names_the_customer(scenario, case_id, filled):
    mark = NAME.lower()
    scenario.complete(case_id, "Task_Register", typed("register", {
        "surname": NAME, "given_name": f"{NAME}-given", "patronymic": f"{NAME}-patronymic",
        "phone": "+994 55 777 88 99", "email": f"{mark}@example.az", "employee": f"{NAME}'s cashier",
        "description": f"{NAME}'s headphones broke"}, filled))  # fmt: skip
    scenario.move_to(datetime(2026, 3, 6, 0, 0, 1, tzinfo=BAKU))  # the review is late: a supervisor chases it
    scenario.complete(
        case_id, "Task_ReviewOverdue", typed("review_overdue", {"action_taken": f"Phoned {NAME}"}, filled)
    )
    review = typed("review", {"review_notes": f"{NAME} sent photos", "question": f"Which store, {NAME}?"}, filled)
    scenario.complete(case_id, "Task_Review", dict(review, clarify=True))
    answer = typed("clarify", {"customer_answer": f"{NAME} says Ganjlik"}, filled)
    scenario.complete(case_id, "Task_Clarify", dict(answer, contacted_via="phone"))
    scenario.complete(case_id, "Task_Review", {"review_notes": "Store confirmed"})
    scenario.move_to(datetime(2026, 3, 14, 9, tzinfo=BAKU))
    notice = typed("delay_notice", {"delay_reason": f"{NAME}'s order is with the supplier"}, filled)
    scenario.complete(case_id, "Task_DelayNotice", dict(notice, new_date="2026-03-19"))
    scenario.move_to(datetime(2026, 3, 25, 9, tzinfo=BAKU))  # past the 10-day deadline and the new date
    action = {"action_taken": f"Told {NAME}'s manager"}
    scenario.complete(case_id, "Task_ResolutionOverdue", typed("resolution_overdue", action, filled))
    scenario.complete(case_id, "Task_LateEscalation", typed("late_escalation", action, filled))
    analysis = typed("analyse", {"findings": f"{NAME} is right", "measures": f"Refund {NAME}"}, filled)
    scenario.complete(case_id, "Task_Analyse", dict(analysis, decision="upheld", corrective_needed=True))
    oral = typed("respond", {"response_text": f"Told {NAME} by phone", "agreed_by": NAME}, filled)
    scenario.complete(case_id, "Task_Respond", dict(oral, response_mode="oral", agreed_on="2026-03-25",
                                                    agreed_how="phone"))  # fmt: skip
    measures = {"corrective_actions": f"Train staff, as {NAME} asked", "measures_owner": f"{NAME}'s store manager"}
    scenario.complete(case_id, "Task_Corrective", typed("corrective", measures, filled))


def test_the_customers_name_typed_in_any_text_field_of_any_form_is_gone_after_erasure(scenario):
    filled: set[tuple[str, str]] = set()
    case = scenario.start(phone=None, surname=None)
    every_form_names_the_customer(scenario, case.case_id, filled)
    assert filled == typed_fields()  # every field where staff type text was typed in
    before = scenario.view(case.case_id)
    assert before.case.status == "closed" and NAME in str([e.data for e in before.events])
    engine.erase_personal_data(case.reference, "Customer's request", actor=DPO, **scenario.deps)
    assert verify(scenario, case).ok
    view = scenario.view(case.case_id)
    kept = str([[e.data for e in view.events], view.case.state, [m.payload for m in view.outbox], view.personal])
    assert NAME.lower() not in kept.lower() and "777 88 99" not in kept
