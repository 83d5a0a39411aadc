"""Deterministic replay: every recorded path re-executes to the stored state; changes are found."""

from datetime import datetime, timedelta, timezone

import pytest

import engine
from engine.records import history
from tests.unit import test_bad_input, test_process_paths

BAKU = timezone(timedelta(hours=4))
PATHS = [getattr(test_process_paths, name) for name in dir(test_process_paths) if name.startswith("test_")]
STATUS = [test_bad_input.test_status_request_is_recorded_without_disturbing_the_flow]


def verify_all(scenario):
    checks = list(engine.verify_cases(uow=scenario.uow, policy=scenario.policy, batch=3))
    assert checks, "no case was recorded"
    return checks


@pytest.mark.parametrize("path", PATHS + STATUS, ids=lambda f: f.__name__.removeprefix("test_"))
def test_every_recorded_path_replays_to_the_stored_state(scenario, path):
    path(scenario)
    checks = verify_all(scenario)
    assert [c for c in checks if not c.ok] == []


def test_task_ids_and_state_timestamps_come_from_the_case_and_the_engine_clock(scenario):
    first, second = scenario.start(), scenario.start()
    ready = lambda case: scenario.ready(case.case_id)["Task_Review"].task_id  # noqa: E731
    assert ready(first) != ready(second)
    state = scenario.view(first.case_id).case.state
    stamps = {t["last_state_change"] for t in state["tasks"].values()}
    assert stamps == {scenario.clock.now().timestamp()}
    assert state["task_ids"]["issued"] >= len(state["tasks"]) + sum(
        len(s["tasks"]) for s in state["subprocesses"].values()
    )


def test_a_changed_decision_makes_the_replay_part_from_the_record_at_that_event(scenario):
    case = scenario.start()
    scenario.review(case.case_id)
    scenario.analyse(case.case_id, corrective=True)
    scenario.respond_in_writing(case.case_id)
    with scenario.uow as uow:  # someone rewrites history and even recomputes the hashes
        events = uow.events.for_case(case.case_id)
        analyse = next(e for e in events if e.data.get("bpmn_id") == "Task_Analyse")
        analyse.data["data"]["corrective_needed"] = False
        uow.events.replace_data(analyse)
        uow.commit()
    check = engine.verify_case(case.reference, uow=scenario.uow, policy=scenario.policy)
    assert check.broken.seq == analyse.seq
    assert check.divergence.seq == analyse.seq + 1 or check.divergence.seq == analyse.seq
    assert "waiting tasks" in check.divergence.what or "status" in check.divergence.what


def test_a_case_replays_after_its_timers_moved_it_through_escalations(scenario):
    case = scenario.start()
    scenario.move_to(datetime(2026, 3, 6, 9, tzinfo=BAKU))
    engine.record_status_request(
        case.reference, "call_centre", requester="Aysel Məmmədova", told="Under review",
        actor=engine.model.Actor("intake", frozenset({"intake"})), **scenario.deps,
    )  # fmt: skip
    scenario.move_to(datetime(2026, 3, 18, 9, tzinfo=BAKU))
    check = engine.verify_case(case.reference, uow=scenario.uow, policy=scenario.policy)
    assert check.ok, check
    view = scenario.view(case.case_id)
    status = next(e for e in view.events if e.type == "status_requested")
    assert set(status.data["sealed"]) == {"requester", "told"}
    assert history.check_chain(view.events, view.case.event_seq, view.case.event_hash) is None
