"""Deadlines are case data: set when they arise, kept after their timers fire, the same on every page."""

from datetime import date, datetime, timedelta, timezone

import engine
from engine.audit import sla
from engine.casework import deadlines, workflows
from tests.conftest import BPMN_FILE, bundled_forms
from tests.scenario import OWNER

BAKU = timezone(timedelta(hours=4))


def baku(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=BAKU)


def items(scenario, case_id):
    return {i.bpmn_id: i for i in scenario.view(case_id).work_items}


def checkpoints(scenario, case_id):
    view = scenario.view(case_id)
    held = workflows.scopes(scenario.version)
    found = sla.checkpoints(view.case, view.events, scenario.policy.calendar, scenario.clock.now(), held)
    return {p.stage: p for p in found}


def tab(scenario, due):
    now = scenario.clock.now()
    return deadlines.sla_state(due, now, scenario.policy.calendar.deadline(now, scenario.policy.at_risk_margin))


def test_a_complaint_entered_after_its_review_deadline_shows_the_review_overdue(scenario):
    scenario.clock.set(baku("2026-11-29"))  # typed in from the store's complaints book ten days late
    case = scenario.start(channel="store_book", received_at="2026-11-19T12:00:00+04:00")
    review = items(scenario, case.case_id)["Task_Review"]
    assert review.due_at == baku("2026-11-24", 0) + timedelta(hours=23, minutes=59, seconds=59)
    assert tab(scenario, review.due_at) == "overdue"
    point = checkpoints(scenario, case.case_id)["review"]
    assert (point.due, point.state) == (review.due_at, "missed")
    answer = engine.status_answer(scenario.view(case.case_id).case, scenario.view(case.case_id).events)
    assert answer.next_deadline.astimezone(BAKU).date() == date(2026, 12, 3)  # the 10-day date still binds


def test_a_complaint_entered_after_every_deadline_keeps_them_all_and_stays_overdue(scenario):
    scenario.clock.set(baku("2026-11-29"))
    case = scenario.start(received_at="2026-11-10T09:00:00+04:00")
    view = scenario.view(case.case_id)
    assert {d.name for d in view.case.deadlines if d.kind == "deadline"} == {
        "Registration and review deadline",
        "Resolution deadline",
    }
    assert all(tab(scenario, i.due_at) == "overdue" for i in view.work_items)
    answer = engine.status_answer(view.case, view.events)
    assert answer.next_deadline.astimezone(BAKU).date() == date(2026, 11, 24)
    resolution = checkpoints(scenario, case.case_id)["resolution"]
    assert (resolution.state, resolution.due) == ("missed", answer.next_deadline)
    started = view.events[0]
    assert set(started.data["timers"]) == {"Timer_ReviewDue", "Start_AtRisk", "Start_Overdue"}
    assert scenario.advance(days=1) == 0  # nothing left to fire: the timers fired at intake


def test_an_overdue_review_stays_overdue_until_it_is_done_then_the_next_task_races_the_resolution(scenario):
    case = scenario.start()  # Monday 2 March; review due Thursday 5 March
    scenario.move_to(baku("2026-03-06"))  # the review deadline fired
    review = items(scenario, case.case_id)["Task_Review"]
    assert tab(scenario, review.due_at) == "overdue"
    scenario.advance(days=1)
    assert tab(scenario, items(scenario, case.case_id)["Task_Review"].due_at) == "overdue"
    scenario.review(case.case_id)
    analyse = items(scenario, case.case_id)["Task_Analyse"]
    assert analyse.due_at.astimezone(BAKU).date() == date(2026, 3, 17)  # 9 March is a day off
    assert tab(scenario, analyse.due_at) == "on_time"


def test_a_timer_fired_event_names_only_the_timers_that_fired_in_that_step(scenario):
    case = scenario.start()
    scenario.move_to(baku("2026-03-06"))
    scenario.review(case.case_id)
    scenario.move_to(baku("2026-03-14"))  # at risk (from the end of 13 March, two working days before)
    scenario.move_to(baku("2026-03-18"))  # the resolution deadline
    fired = [e.data["timers"] for e in scenario.view(case.case_id).events if e.type == "timer_fired"]
    assert fired == [["Timer_ReviewDue"], ["Start_AtRisk"], ["Start_Overdue"]]


def test_a_delay_notice_moves_the_answer_date_for_the_work_and_the_customer(scenario):
    case = scenario.start()
    scenario.review(case.case_id)
    scenario.move_to(baku("2026-03-14"))
    notice = {"delay_reason": "Waiting for the supplier", "new_date": "2026-04-03"}
    scenario.complete(case.case_id, "Task_DelayNotice", notice)
    scenario.move_to(baku("2026-03-18"))  # the policy's deadline passes; the customer was told 3 April
    analyse = items(scenario, case.case_id)["Task_Analyse"]
    assert analyse.due_at.astimezone(BAKU).date() == date(2026, 4, 3)
    assert tab(scenario, analyse.due_at) == "on_time"
    view = scenario.view(case.case_id)
    assert engine.status_answer(view.case, view.events).next_deadline == analyse.due_at
    resolution = checkpoints(scenario, case.case_id)["resolution"]
    assert resolution.state == "missed" and resolution.answer_by == analyse.due_at
    scenario.move_to(baku("2026-04-04"))  # the new date passes too: overdue until answered
    assert tab(scenario, items(scenario, case.case_id)["Task_Analyse"].due_at) == "overdue"


def test_deadlines_of_finished_work_are_settled_met_or_missed(scenario):
    case = scenario.start()
    scenario.review(case.case_id)
    scenario.analyse(case.case_id)
    scenario.move_to(baku("2026-03-18"))  # the answer is late
    scenario.respond_in_writing(case.case_id)
    now = scenario.clock.now()
    states = {d.name: d.state(now) for d in scenario.view(case.case_id).case.deadlines if d.kind == "deadline"}
    assert states == {"Registration and review deadline": "met", "Resolution deadline": "missed"}
    view = scenario.view(case.case_id)
    assert engine.status_answer(view.case, view.events).next_deadline is None  # answered: nothing binds


def test_a_shorter_sla_in_a_new_version_is_what_its_cases_are_measured_against(scenario):
    seven = BPMN_FILE.read_bytes().replace(b"deadline(received_at, 10)", b"deadline(received_at, 7)")
    old = scenario.start()
    engine.deploy_process_version(
        scenario.policy.process_key, seven, bundled_forms(), actor=OWNER, **scenario.deps
    )  # fmt: skip
    new = scenario.start()
    assert checkpoints(scenario, old.case_id)["resolution"].due.astimezone(BAKU).date() == date(2026, 3, 17)
    assert _resolution_on_own_version(scenario, new.case_id) == (date(2026, 3, 12), 7)
    engine.migrate_cases(scenario.policy.process_key, 2, case_ids=[old.case_id], dry_run=False,
                         actor=OWNER, **scenario.deps)  # fmt: skip
    assert _resolution_on_own_version(scenario, old.case_id) == (date(2026, 3, 12), 7)
    scenario.move_to(baku("2026-03-13"))
    report = engine.sla_report(date(2026, 3, 1), date(2026, 3, 31), **scenario.deps)
    assert sum(r.missed for r in report.totals if r.stage == "resolution") == 2


def _resolution_on_own_version(scenario, case_id):
    view = scenario.view(case_id)
    with scenario.uow:
        version = scenario.uow.versions.get(view.case.version_id)
    point = {
        p.stage: p
        for p in sla.checkpoints(
            view.case, view.events, scenario.policy.calendar, scenario.clock.now(), workflows.scopes(version)
        )
    }["resolution"]
    return point.due.astimezone(BAKU).date(), point.working_days


def test_a_timer_is_fired_once_its_moment_has_passed_not_at_the_moment_itself(scenario):
    case = scenario.start()
    due = next(d.due for d in scenario.view(case.case_id).case.deadlines if d.bpmn_id == "Timer_ReviewDue")
    assert scenario.move_to(due) == 0  # SpiffWorkflow would not fire it yet: the sweep leaves the case alone
    assert scenario.move_to(due + timedelta(seconds=1)) == 1
    assert [e.data["timers"] for e in scenario.view(case.case_id).events if e.type == "timer_fired"] == [
        ["Timer_ReviewDue"]
    ]
