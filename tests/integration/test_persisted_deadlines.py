"""Deadline facts survive the round trip through SQLite and PostgreSQL, and so do the dues they move."""

from datetime import date, datetime, timedelta, timezone

import engine

BAKU = timezone(timedelta(hours=4))


def test_a_back_dated_case_keeps_its_fired_deadlines_in_the_database(scenario):
    scenario.clock.set(datetime(2026, 11, 29, 10, tzinfo=BAKU))
    case = scenario.start(received_at="2026-11-10T09:00:00+04:00")
    view = scenario.view(case.case_id)
    kinds = sorted((d.name, d.kind, d.passed) for d in view.case.deadlines)
    assert kinds == [
        ("Registration and review deadline", "deadline", True),
        ("Resolution at risk", "warning", True),
        ("Resolution deadline", "deadline", True),
    ]
    review = next(i for i in view.work_items if i.bpmn_id == "Task_Review")
    assert review.due_at.astimezone(BAKU).date() == date(2026, 11, 13)


def test_a_delay_notice_moves_the_due_date_of_the_waiting_analysis_in_the_database(scenario):
    case = scenario.start()
    scenario.review(case.case_id)
    scenario.move_to(datetime(2026, 3, 14, 9, tzinfo=BAKU))
    scenario.complete(case.case_id, "Task_DelayNotice", {"delay_reason": "Supplier", "new_date": "2026-04-03"})
    analyse = scenario.ready(case.case_id)["Task_Analyse"]
    assert analyse.due_at.astimezone(BAKU).date() == date(2026, 4, 3)
    listed = engine.task_list(engine.Filters(lanes=("officer",), sla="on_time"), **scenario.deps)
    assert [i.bpmn_id for i in listed.items] == ["Task_Analyse"]
    promise = [d for d in scenario.view(case.case_id).case.deadlines if d.kind == "promise"]
    assert [(p.due.astimezone(BAKU).date(), len(p.replaces)) for p in promise] == [(date(2026, 4, 3), 1)]
