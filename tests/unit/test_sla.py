"""SLA checkpoints and the report: met, missed by N working days, pending; delays and their reasons."""

from datetime import date, datetime, timedelta, timezone

import engine
from engine.audit import sla
from engine.kernel import access

BAKU = timezone(timedelta(hours=4))


def points(scenario, case):
    view = scenario.view(case.case_id)
    now = scenario.clock.now()
    return {p.stage: p for p in sla.checkpoints(view.case, view.events, scenario.policy.calendar, now)}


def test_a_late_answer_is_missed_by_working_days_and_its_delay_reason_is_reported(scenario):
    case = scenario.start(phone=None)  # received Monday 2 March; registration needed
    scenario.clock.set(datetime(2026, 3, 9, 10, tzinfo=BAKU))  # after the 3-day deadline (5 March)
    registered = {"surname": "Əliyev", "given_name": "Aysel", "description": "Broken", "phone": "+994 55 111 22 33"}
    scenario.complete(case.case_id, "Task_Register", registered)
    scenario.review(case.case_id)
    scenario.move_to(datetime(2026, 3, 14, 9, tzinfo=BAKU))
    scenario.complete(case.case_id, "Task_DelayNotice", {"delay_reason": "Supplier", "new_date": "2026-03-31"})
    scenario.clock.set(datetime(2026, 3, 19, 10, tzinfo=BAKU))  # deadline was Tuesday 17 March
    scenario.analyse(case.case_id)
    scenario.respond_in_writing(case.case_id)
    found = points(scenario, case)
    assert (found["registration"].state, found["registration"].late_days) == (
        "missed",
        1,
    )  # 9 March: holiday
    assert (found["review"].state, found["review"].late_days) == ("missed", found["registration"].late_days)
    assert (found["resolution"].state, found["resolution"].late_days) == ("missed", 2)
    other = scenario.start(channel="email", received_at="2026-03-02T10:00:00+04:00")
    report = engine.sla_report(date(2026, 3, 1), date(2026, 3, 31), **scenario.deps)
    rows = {(r.stage, r.channel): r for r in report.rows}
    assert (rows["resolution", "call_centre"].missed, rows["resolution", "call_centre"].share) == (1, 0.0)
    assert rows["resolution", "email"].missed == 1 and other.case_id  # received 2 March, unanswered on 19 March
    assert rows["registration", "email"].missed == 1  # recorded on 19 March only: registered late too
    assert report.reasons() == [(access.HIDDEN, 1)]  # free text: auditors read no personal data
    assert [d.kept for d in report.delays] == [True]
    late = [(x.reference, x.stage, x.reasons) for x in report.late if x.stage == "resolution"]
    assert (case.reference, "resolution", [access.HIDDEN]) in late


def test_a_case_in_time_is_pending_then_met(scenario):
    case = scenario.start()
    assert points(scenario, case)["review"].state == "pending"
    assert points(scenario, case)["review"].left_days == 3
    scenario.review(case.case_id)
    assert points(scenario, case)["review"].state == "met"
