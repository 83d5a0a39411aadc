"""Every type of event there is replays, is erased and verifies: a new type is not done until it is."""

import ast
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

import engine
from engine.kernel import model
from engine.kernel.policy import Policy
from engine.notation import sandbox
from engine.records import history
from tests.conftest import ROOT, bundled_forms
from tests.scenario import ACTORS, OWNER, Scenario
from tests.unit.test_process_owners import seven_day_sla

BAKU = timezone(timedelta(hours=4))
DPO = model.Actor("dpo", frozenset({"dpo"}))
ENGINE = ROOT / "engine"


def recorded_types() -> dict[str, str]:
    """Type -> where: the second argument of every `history.record(...)` call in engine/."""
    found: dict[str, str] = {}
    for path in sorted(ENGINE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call) and _is_record(node.func, path):
                where = f"{path.relative_to(ROOT)}:{node.lineno}"
                found[_type_name(node.args[1], where)] = where
    return found


def _is_record(func: ast.expr, path: Path) -> bool:
    if isinstance(func, ast.Attribute) and func.attr == "record":
        return isinstance(func.value, ast.Name) and func.value.id == "history"
    return isinstance(func, ast.Name) and func.id == "record" and path.name == "history.py"


def _type_name(node: ast.expr, where: str) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "history":
        return getattr(history, node.attr)
    raise AssertionError(f"{where}: record an event with a literal type (or a history constant) so it is declared")


@pytest.mark.source
def test_every_type_of_event_the_engine_records_is_declared_with_its_role():
    found = recorded_types()
    assert set(found) == set(history.TYPES), "declare new types in history.TYPES; drop types no longer recorded"
    assert {kind.role for kind in history.TYPES.values()} <= {"input", "outcome", "record"}


def test_an_undeclared_type_of_event_is_refused_when_recorded(scenario):
    case = scenario.view(scenario.start().case_id).case
    with pytest.raises(ValueError, match="declare it in engine.records.history.TYPES"):
        history.record(case, "customer_phoned", "officer", scenario.clock.now(), {})


def test_an_unknown_type_of_event_in_a_history_is_a_divergence(scenario):
    case = scenario.start()
    with scenario.uow as uow:
        stored = uow.cases.get(case.case_id)
        event = history.record(stored, "case_started", "intake", scenario.clock.now(), {})
        event.type = "customer_phoned"  # written by another program
        event.hash = history.event_hash(event)
        stored.event_hash = event.hash
        uow.cases.save(stored)
        uow.events.append(event)
        uow.commit()
    check = engine.verify_case(case.reference, uow=scenario.uow, policy=scenario.policy)
    assert check.broken is None
    assert check.divergence.seq == 2 and "cannot replay 'customer_phoned'" in check.divergence.what


def a_case_through_every_type_of_event(scenario) -> str:
    """A case that meets every type but a process failure: mail, phone, status, timers, migration."""
    case = scenario.start()
    raw = (ROOT / "tests/data/mail/reply_reference_in_subject.eml").read_bytes()
    reply = engine.receive_email(raw, uow=scenario.uow, clock=scenario.clock, policy=scenario.policy)
    assert (reply.outcome, reply.reference) == ("attached", case.reference)
    [acknowledgement] = scenario.view(case.case_id).outbox
    engine.mark_message_handled(acknowledgement.id, "Phoned Leyla Zeynalova on +994501234567",
                                actor=ACTORS["officer"], uow=scenario.uow, clock=scenario.clock)  # fmt: skip
    scenario.review(case.case_id, clarify="Which store, Leyla?")
    scenario.complete(case.case_id, "Task_Clarify", {"contacted_via": "phone", "customer_answer": "Ganjlik"})
    engine.record_status_request(case.reference, "call_centre", requester="Leyla Zeynalova", told="Under review",
                                 actor=ACTORS["intake"], **scenario.deps)  # fmt: skip
    scenario.review(case.case_id)
    engine.deploy_process_version(scenario.policy.process_key, seven_day_sla(), bundled_forms(), actor=OWNER,
                                  **scenario.deps)
    engine.migrate_cases(scenario.policy.process_key, 2, from_number=1, dry_run=False, actor=OWNER, **scenario.deps)
    scenario.move_to(datetime(2026, 3, 14, 9, tzinfo=BAKU))  # past "at risk": a delay notice is due
    scenario.complete(case.case_id, "Task_DelayNotice", {"delay_reason": "Leyla's supplier", "new_date": "2026-03-31"})
    scenario.analyse(case.case_id)
    scenario.respond_in_writing(case.case_id)
    return case.reference


def a_failed_case(scenario, monkeypatch) -> str:
    """A case of another process whose script runs away after a timer: a process failure."""
    monkeypatch.setattr(sandbox, "MAX_SECONDS", 0.2)
    runaway = Scenario(scenario.uow, scenario.clock, Policy(process_key="runaway"),
                       bpmn=(ROOT / "tests/data/runaway_after_timer.bpmn").read_bytes(), forms={})  # fmt: skip
    case = runaway.start(channel="social")
    runaway.move_to(datetime(2026, 3, 20, 9, tzinfo=BAKU))
    return case.reference


def test_cases_that_meet_every_type_of_event_verify_before_and_after_erasure(scenario, monkeypatch):
    references = [a_case_through_every_type_of_event(scenario), a_failed_case(scenario, monkeypatch)]
    for reference in references:
        assert scenario.view(reference).case.status in ("closed", "errored")
        engine.erase_personal_data(reference, "Customer's request of 2026-03-25", actor=DPO, **scenario.deps)
    met = {e.type for reference in references for e in scenario.view(reference).events}
    assert met == set(history.TYPES), "drive the new type of event here"
    checks = list(engine.verify_cases(uow=scenario.uow, policy=scenario.policy))
    assert [c for c in checks if not c.ok] == [] and len(checks) == 2
    assert "Leyla" not in str([e.data for reference in references for e in scenario.view(reference).events[:-1]])
