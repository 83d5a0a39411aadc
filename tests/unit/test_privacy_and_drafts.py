"""Erasure keeps the chain and the replay whole; the access log; a draft with a shorter SLA."""

import json
from datetime import datetime, timedelta, timezone

import pytest

import engine
from engine.kernel import model
from engine.kernel.errors import Conflict, Forbidden
from engine.records import history
from tests.conftest import BPMN_FILE, bundled_forms

BAKU = timezone(timedelta(hours=4))
DPO = model.Actor("dpo", frozenset({"dpo"}))
NAME = "Məmmədova"


def closed_case_mentioning_the_customer(scenario):
    case = scenario.start()
    scenario.review(case.case_id, clarify=f"Ask {NAME} which store")
    scenario.complete(case.case_id, "Task_Clarify", {"contacted_via": "phone", "customer_answer": f"{NAME}: Ganjlik"})
    scenario.review(case.case_id)
    scenario.analyse(case.case_id)
    scenario.complete(case.case_id, "Task_Respond", {"response_mode": "written", "response_text": f"Dear {NAME}, ok"})
    return case


def everything_stored(scenario, case_id):
    view = scenario.view(case_id)
    return json.dumps([vars(view.personal), [e.data for e in view.events], dict(view.case.state),
                       [m.payload for m in view.outbox]], ensure_ascii=False, default=str)  # fmt: skip


def test_erasure_leaves_a_tombstone_a_whole_chain_and_an_identical_replay(scenario):
    case = closed_case_mentioning_the_customer(scenario)
    assert NAME in everything_stored(scenario, case.case_id)
    erasure = engine.erase_personal_data(case.reference, "Customer's request", actor=DPO, **scenario.deps)
    assert erasure.fields >= 3 and erasure.messages >= 1
    assert NAME not in everything_stored(scenario, case.case_id)
    view = scenario.view(case.case_id)
    assert view.personal.erased_at is not None and view.personal.surname == ""
    assert view.events[-1].type == "personal_data_erased"
    check = engine.verify_case(case.reference, uow=scenario.uow, policy=scenario.policy)
    assert check.ok, check
    with pytest.raises(Conflict):
        engine.erase_personal_data(case.reference, "again", actor=DPO, **scenario.deps)


def test_only_data_protection_officers_erase_and_only_closed_cases(scenario):
    case = scenario.start()
    with pytest.raises(Forbidden):
        engine.erase_personal_data(case.reference, "x", actor=model.Actor("a", frozenset({"auditor"})), **scenario.deps)
    with pytest.raises(Conflict):
        engine.erase_personal_data(case.reference, "x", actor=DPO, **scenario.deps)


def test_a_forged_erasure_is_detected(scenario):
    case = closed_case_mentioning_the_customer(scenario)
    with scenario.uow as uow:
        events = uow.events.for_case(case.case_id)
        clarify = next(e for e in events if e.data.get("bpmn_id") == "Task_Clarify")
        history.redact(clarify)  # redacted without an erasure recorded in the chain
        uow.events.replace_data(clarify)
        uow.commit()
    check = engine.verify_case(case.reference, uow=scenario.uow, policy=scenario.policy)
    assert check.broken.seq == clarify.seq and "without a recorded erasure" in check.broken.reason


def test_viewing_personal_data_is_logged_without_changing_the_case(scenario):
    case = scenario.start()
    revision = scenario.view(case.case_id).case.revision
    officer = model.Actor("officer", frozenset({"officer"}))
    engine.log_personal_data_view(case.case_id, "case_page", actor=officer, uow=scenario.uow, clock=scenario.clock)
    record = engine.case_history(case.reference, **scenario.deps)
    assert [(v.viewer, v.place) for v in record.views] == [("officer", "case_page")]
    assert scenario.view(case.case_id).case.revision == revision


def test_a_draft_with_a_7_day_resolution_sla_reports_the_changed_deadlines(scenario):
    case = closed_case_mentioning_the_customer(scenario)
    other = scenario.start()
    draft = BPMN_FILE.read_bytes().replace(b"deadline(received_at, 10)", b"deadline(received_at, 7)")
    run = engine.replay_against_draft(draft, bundled_forms(), **scenario.deps)
    assert {r.reference for r in run.reports} == {case.reference, other.reference}
    for report in run.reports:
        changed = [d for d in report.differences if d.kind == "deadline"]
        assert len(changed) == 1 and "Start_Overdue" in changed[0].what
        assert "2026-03-17 23:59 -> 2026-03-12 23:59" in changed[0].what
        assert changed[0].seq == 1


def test_a_draft_without_the_clarification_task_stops_where_the_case_needed_it(scenario):
    case = closed_case_mentioning_the_customer(scenario)
    draft = BPMN_FILE.read_bytes().replace(b"Task_Clarify", b"Task_AskCustomer")
    run = engine.replay_against_draft(draft, bundled_forms(), cases=[case.reference], **scenario.deps)
    (report,) = run.reports
    assert report.differences[-1].kind == "missing_task"
    assert "Task_Clarify no longer exists" in report.differences[-1].what


def test_replaying_against_the_same_version_finds_no_difference(scenario):
    closed_case_mentioning_the_customer(scenario)
    scenario.move_to(datetime(2026, 3, 20, 9, tzinfo=BAKU))
    run = engine.replay_against_draft(scenario.version.id, **scenario.deps)
    assert run.reports and run.diverging == []
