"""SLA checkpoints as an auditor reads them, on hand-made case histories (no process needed).

Met on the deadline's last second, missed from the next one and by how many working days, pending
with the days left, due where the case's own deadlines say (or the policy's days), moved by the
latest new date a delay notice gave, and the report rows that sum them up.
"""

from datetime import datetime, timedelta, timezone

from engine.audit import sla
from engine.kernel import model
from engine.kernel.calendar import WorkingCalendar

BAKU = timezone(timedelta(hours=4))
CALENDAR = WorkingCalendar()
RECEIVED = datetime(2026, 3, 2, 10, tzinfo=BAKU)  # Monday; 7-8 March a weekend, 9 March a day off
SECOND = timedelta(seconds=1)


def day(n: int, hour: int = 23, minute: int = 59, second: int = 59) -> datetime:
    return datetime(2026, 3, n, hour, minute, second, tzinfo=BAKU)


def case(*facts: model.Deadline) -> model.Case:
    return model.Case("c-1", "C-2026-000001", "complaints", "v-1", "email", RECEIVED, "open", "Initial review", {},
                      None, list(facts), RECEIVED, RECEIVED)  # fmt: skip


def started(missing: bool = False, at: datetime = RECEIVED) -> model.Event:
    return model.Event("c-1", 1, "case_started", "intake", at, {"data": {"missing": ["phone"] if missing else []}})


def done(bpmn_id: str, at: datetime, kind: str = "task_completed", **data) -> model.Event:
    return model.Event("c-1", 2, kind, "officer", at, {"bpmn_id": bpmn_id, "data": data})


def by_stage(points):
    return {p.stage: p for p in points}


def test_without_deadline_facts_a_case_is_measured_by_the_policy_days():
    """3 working days to register and review, 10 to resolve, counted from the day after receipt."""
    points = sla.checkpoints(case(), [started()], CALENDAR, RECEIVED)
    assert [(p.stage, p.working_days, p.due, p.state, p.left_days) for p in points] == [
        ("registration", 3, day(5), "met", 0),  # registered at intake: nothing was missing
        ("review", 3, day(5), "pending", 3),
        ("resolution", 10, day(17), "pending", 10),
    ]
    assert points[0].done_at == RECEIVED and [p.new_date for p in points] == [None, None, None]


def test_a_stage_is_due_at_the_deadline_of_its_work_and_shows_the_latest_new_date():
    review = model.Deadline("Timer_Review", "Review", day(6), key="r", scope_bpmn_id="Task_Review", set_at=RECEIVED)
    whole = model.Deadline("Timer_Case", "Resolution", day(19), key="c", set_at=RECEIVED)
    told = [
        model.Deadline(
            "Task_DelayNotice", "New date", day(31), kind="promise", key=f"promise:{n}", set_at=at, replaces=("c",)
        )  # fmt: skip
        for n, at in (("1", day(10, 9)), ("2", day(12, 9)), ("0", day(11, 9)))
    ]
    told[1] = model.Deadline(**{**vars(told[1]), "due": day(27)})  # the latest notice, an earlier date
    points = by_stage(sla.checkpoints(case(review, whole, *told), [started(True)], CALENDAR, day(4, 9)))
    assert (points["review"].due, points["review"].working_days, points["review"].new_date) == (day(6), 4, None)
    resolution = points["resolution"]
    assert (resolution.due, resolution.working_days, resolution.new_date) == (day(19), 12, day(27))
    assert (resolution.answer_by, points["review"].answer_by) == (day(27), day(6))
    assert (points["registration"].due, points["registration"].state) == (day(19), "pending")


def test_the_stages_of_a_process_are_placed_by_the_subprocesses_holding_their_tasks():
    resolve = model.Deadline("Timer_Resolve", "Resolution", day(17), key="s", scope_bpmn_id="Sub_Resolve")
    held = {"Task_Respond": frozenset({"Sub_Resolve"})}
    points = by_stage(sla.checkpoints(case(resolve), [started()], CALENDAR, RECEIVED, held))
    assert [points[s].due for s in ("registration", "review", "resolution")] == [day(5), day(5), day(17)]
    unplaced = by_stage(sla.checkpoints(case(resolve), [started()], CALENDAR, RECEIVED))  # no scopes known
    assert unplaced["resolution"].due == day(17) and unplaced["resolution"].working_days == 10


def test_met_on_the_due_second_missed_from_the_next_by_working_days():
    due = day(5)  # Thursday's last second
    for done_at, state, late in [
        (due, "met", 0),
        (due + SECOND, "missed", 1),  # Friday, just after midnight
        (day(7, 12), "missed", 1),  # Saturday: a day off right after counts as one
        (day(9, 12), "missed", 1),  # Monday 9 March, a holiday: Friday is the only working day
        (day(11, 9), "missed", 3),  # Friday, Tuesday, Wednesday
    ]:
        events = [started(), done("Task_Review", done_at, review_notes="ok")]
        point = by_stage(sla.checkpoints(case(), events, CALENDAR, day(20)))["review"]
        assert (point.done_at, point.state, point.late_days, point.left_days) == (done_at, state, late, 0)


def test_an_open_stage_is_pending_with_its_days_left_through_its_due_second_then_missed_so_far():
    def review_at(now):
        point = by_stage(sla.checkpoints(case(), [started()], CALENDAR, now))["review"]
        return point.state, point.left_days, point.late_days, point.done_at

    assert review_at(day(3, 8)) == ("pending", 2, 0, None)
    assert review_at(day(5)) == ("pending", 0, 0, None)
    assert review_at(day(5) + SECOND) == ("missed", 0, 1, None)
    assert review_at(day(10, 12)) == ("missed", 0, 2, None)


def test_each_stage_is_done_by_its_first_qualifying_step():
    """A registration after missing data, the review that asked no question, the first answer."""
    events = [
        started(missing=True),
        model.Event("c-1", 2, "timer_fired", "system", day(2, 12), {"timers": ["Start_AtRisk"]}),
        done("Task_Review", day(3, 8), "task_cancelled"),
        done("Task_Register", day(3, 9), surname="X"),
        done("Task_Register", day(3, 10), surname="Y"),
        done("Task_Review", day(3, 11), clarify=True, question="Which shop?"),
        done("Task_Review", day(4, 9), review_notes="ok"),
        done("Task_Review", day(4, 10), review_notes="again"),
        done("Task_Analyse", day(5, 9), decision="upheld"),
        done("Task_Respond", day(6, 9), response_mode="written"),
        done("Task_Respond", day(6, 10), response_mode="oral"),
    ]
    assert sla.milestones(events) == {"registration": day(3, 9), "review": day(4, 9), "resolution": day(6, 9)}
    assert sla.milestones([started(at=day(2, 11))]) == {"registration": day(2, 11)}
    assert sla.milestones([model.Event("c-1", 1, "case_started", "intake", RECEIVED, {})]) == {"registration": RECEIVED}


def test_a_delay_notice_is_kept_when_the_answer_comes_by_the_end_of_the_new_date():
    notice = done("Task_DelayNotice", day(10, 9), delay_reason="Supplier", new_date="2026-03-20")
    plain = done("Task_Analyse", day(11, 9), decision="upheld")
    (found,) = sla.delays(case(), [started(), notice, plain], CALENDAR, day(12))
    assert found == sla.Delay("C-2026-000001", "email", day(10, 9), "Supplier", "2026-03-20", None)

    def kept(answered, now):
        events = [started(), notice] + ([done("Task_Respond", answered)] if answered else [])
        return sla.delays(case(), events, CALENDAR, now)[0].kept

    assert kept(day(20), day(25)) is True
    assert kept(day(20) + SECOND, day(25)) is False
    assert kept(None, day(20)) is None  # the new date is not over yet
    assert kept(None, day(20) + SECOND) is False
    unexplained = done("Task_DelayNotice", day(10, 9), new_date="2026-03-20")
    assert sla.delays(case(), [unexplained], CALENDAR, day(12))[0].reason == ""


def test_a_report_row_counts_met_missed_pending_and_the_working_days_late():
    row = sla.Row("resolution", "email")
    assert row.share is None and row.as_dict()["share_met"] is None
    for state, late in [("met", 0), ("missed", 2), ("missed", 3), ("pending", 0), ("met", 0), ("met", 0)]:
        row.add(sla.Checkpoint("resolution", 10, day(17), None, state, late_days=late))
    assert row.as_dict() == {
        "stage": "resolution", "channel": "email", "met": 3, "missed": 2, "pending": 1, "share_met": 0.6,
        "late_working_days": 5,
    }  # fmt: skip
    row.add(sla.Checkpoint("resolution", 10, day(17), None, "met"))
    assert (row.share, row.as_dict()["share_met"]) == (4 / 6, 0.6667)
