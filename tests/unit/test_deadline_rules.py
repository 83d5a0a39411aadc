"""The rules behind every deadline a user sees, on case facts built by hand (no process needed).

Which deadline a task races against, the answer and review dates, the tab a task is in at the exact
second, what a delay notice's new date moves, and which facts a step keeps, settles or forgets.
"""

from datetime import datetime, timedelta, timezone

from engine import spiff
from engine.casework import deadlines
from engine.kernel import model
from engine.kernel.calendar import WorkingCalendar

BAKU = timezone(timedelta(hours=4))
STEP = datetime(2026, 3, 2, 10, tzinfo=BAKU)  # Monday 2 March 2026
SECOND = timedelta(seconds=1)
SCOPES = {"Task_Analyse": frozenset({"Sub_Resolve"}), "Task_Review": frozenset()}


def day(n: int, hour: int = 23, minute: int = 59, second: int = 59) -> datetime:
    return datetime(2026, 3, n, hour, minute, second, tzinfo=BAKU)


def fact(key: str, due: datetime, **fields) -> model.Deadline:
    return model.Deadline(fields.pop("bpmn_id", f"Timer_{key}"), fields.pop("name", key), due, key=key, **fields)


def timer(key: str, due: datetime, state: str = "waiting", kind: str = "deadline", **fields) -> spiff.ReachedTimer:
    return spiff.ReachedTimer(key, fields.get("bpmn_id", f"Timer_{key}"), key, due, state, kind,
                              fields.get("scope", ""), fields.get("scope_bpmn_id", ""))  # fmt: skip


def new_date(task_id: str, due: datetime, replaces: tuple[str, ...], set_at: datetime | None) -> model.Deadline:
    return model.Deadline("Task_DelayNotice", "New date", due, kind="promise", key=f"promise:{task_id}",
                          set_at=set_at, replaces=replaces)  # fmt: skip


# --- the tab of a task, to the second -----------------------------------------------------------


def test_a_task_is_on_time_until_the_at_risk_moment_at_risk_through_its_due_second_then_overdue():
    """at risk from the first second inside the margin, overdue from the second after the due moment."""
    calendar = WorkingCalendar()
    now = day(3, 10, 0, 0)  # Tuesday; two working days on is Thursday 5 March, 23:59:59
    risk = calendar.deadline(now, 2)
    assert risk == day(5)
    assert deadlines.sla_state(None, now, risk) == "on_time"  # no deadline binds it
    assert deadlines.sla_state(risk + SECOND, now, risk) == "on_time"
    assert deadlines.sla_state(risk, now, risk) == "at_risk"
    assert deadlines.sla_state(now, now, risk) == "at_risk"  # due this very second: not late yet
    assert deadlines.sla_state(now - SECOND, now, risk) == "overdue"


# --- which deadlines bound which work -----------------------------------------------------------


def test_a_deadline_guards_the_whole_case_its_own_task_or_the_work_holding_the_task():
    whole = fact("a", day(5))
    own = fact("b", day(5), scope_bpmn_id="Task_Review")
    holder = fact("c", day(5), scope_bpmn_id="Sub_Resolve")
    assert deadlines.guards(whole, "Task_Unknown", {})
    assert deadlines.guards(own, "Task_Review", SCOPES)
    assert not deadlines.guards(own, "Task_Analyse", SCOPES)
    assert deadlines.guards(holder, "Task_Analyse", SCOPES)
    assert not deadlines.guards(holder, "Task_Review", SCOPES)
    assert not deadlines.guards(holder, "Task_Unknown", SCOPES)  # a task the model does not place


def test_a_task_races_the_earliest_binding_deadline_of_its_work():
    facts = [
        fact("review", day(5), scope_bpmn_id="Task_Review"),
        fact("resolution", day(17), scope_bpmn_id="Sub_Resolve"),
        fact("case", day(20)),
        fact("early", day(4), kind="warning"),  # a warning is not a deadline
        fact("done", day(3), settled_at=day(3, 9)),  # its work ended: binds nothing
        fact("other", day(2), scope_bpmn_id="Task_Other"),
    ]
    assert deadlines.due_for_task("Task_Review", facts, SCOPES) == day(5)
    assert deadlines.due_for_task("Task_Analyse", facts, SCOPES) == day(17)
    assert deadlines.due_for_task("Task_Intake", facts, SCOPES) == day(20)
    assert deadlines.due_for_task("Task_Intake", facts[:1], SCOPES) is None


def test_the_answer_date_is_the_latest_binding_deadline_and_the_review_date_the_earlier_one():
    review, resolution = fact("review", day(5)), fact("resolution", day(17))
    warning, settled = fact("warn", day(30), kind="warning"), fact("old", day(31), settled_at=day(3))
    assert deadlines.answer_by([review, resolution, warning, settled]) == day(17)
    assert deadlines.review_by([resolution, review, warning, settled]) == day(5)
    assert deadlines.answer_by([warning, settled]) is None
    assert deadlines.review_by([resolution]) is None  # one deadline: the answer date only
    assert deadlines.review_by([resolution, fact("same", day(17))]) is None  # no earlier date
    assert deadlines.review_by([]) is None


# --- new dates from delay notices -----------------------------------------------------------------


def test_a_delay_notice_moves_the_binding_deadlines_of_its_task_only():
    """The promise names the deadlines it moves and takes the scope of the earliest of them."""
    facts = [
        fact("case", day(20)),
        fact("resolution", day(17), scope="t-sub", scope_bpmn_id="Sub_Resolve"),
        fact("review", day(5), scope_bpmn_id="Task_Review"),
        fact("settled", day(4), settled_at=day(3)),
        fact("warn", day(13), kind="warning"),
    ]
    made = deadlines.promise(facts, "t-9", "Task_Analyse", day(31), SCOPES, STEP)
    assert made == model.Deadline(
        "Task_Analyse", "New date", day(31), kind="promise", key="promise:t-9", scope="t-sub",
        scope_bpmn_id="Sub_Resolve", set_at=STEP, replaces=("case", "resolution"),
    )  # fmt: skip
    alone = deadlines.promise(facts[3:], "t-9", "Task_Analyse", day(31), SCOPES, STEP)
    assert (alone.scope, alone.scope_bpmn_id, alone.replaces) == ("", "", ())


def test_the_latest_promise_wins_even_when_it_is_an_earlier_date():
    resolution = fact("resolution", day(17))
    first = new_date("t-1", day(31), ("resolution",), day(13))
    second = new_date("t-2", day(27), ("resolution",), day(16))
    other = new_date("t-3", day(30), ("review",), day(20))  # moves another deadline
    assert deadlines.moved_due(resolution, [resolution, first]) == day(31)
    assert deadlines.moved_due(resolution, [resolution, second, first, other]) == day(27)
    assert deadlines.answer_by([resolution, first, second]) == day(27)
    assert deadlines.review_by([resolution, first, second]) is None  # a new date is no review date
    assert deadlines.due_for_task("Task_Analyse", [resolution, first, second], SCOPES) == day(27)


def test_promises_made_at_the_same_moment_are_ordered_by_their_task():
    resolution = fact("resolution", day(17))
    a, b = new_date("t-a", day(31), ("resolution",), day(13)), new_date("t-b", day(24), ("resolution",), day(13))
    assert deadlines.moved_due(resolution, [resolution, a, b]) == day(24)
    assert deadlines.moved_due(resolution, [resolution, b, a]) == day(24)


def test_a_promise_without_a_moment_counts_from_its_date():
    resolution = fact("resolution", day(17))
    old = new_date("t-1", day(25), ("resolution",), None)  # stored before promises had set_at
    newer = new_date("t-2", day(24), ("resolution",), day(20))
    assert deadlines.moved_due(resolution, [resolution, old, newer]) == day(25)  # 25 March > 20 March
    assert deadlines.moved_due(resolution, [resolution, newer, old]) == day(25)


def test_only_promises_move_deadlines():
    resolution = fact("resolution", day(17))
    lookalike = fact("x", day(31), replaces=("resolution",))  # a deadline, not a promise
    assert deadlines.moved_due(resolution, [resolution, lookalike]) == day(17)


# --- the deadline an SLA checkpoint is measured against ------------------------------------------


def test_a_stage_is_measured_against_the_first_deadline_of_its_work_and_any_new_date():
    review = fact("review", day(5), scope_bpmn_id="Task_Review", set_at=day(2, 9), settled_at=day(4))  # still counts
    again = fact("again", day(5), scope_bpmn_id="Task_Review", set_at=day(3, 9))
    case = fact("case", day(20), set_at=day(2, 9))
    warning = fact("warn", day(1), kind="warning")
    assert deadlines.stage_deadline("Task_Review", [case, again, review, warning], SCOPES) == (review, None)
    later = fact("later", day(5), scope_bpmn_id="Task_Review", set_at=day(4, 9))
    assert deadlines.stage_deadline("Task_Review", [later, again], SCOPES) == (again, None)
    unset = fact("unset", day(5), scope_bpmn_id="Task_Review")  # no moment: counts from its date
    assert deadlines.stage_deadline("Task_Review", [unset, later], SCOPES) == (later, None)
    moved = new_date("t-1", day(31), ("case",), day(13))
    assert deadlines.stage_deadline("Task_Respond", [case, moved, warning], SCOPES) == (case, day(31))
    kept = new_date("t-2", day(20), ("case",), day(13))  # told the same date: nothing moved
    assert deadlines.stage_deadline("Task_Respond", [case, kept], SCOPES) == (case, None)
    assert deadlines.stage_deadline("Task_Respond", [review, warning], SCOPES) == (None, None)


# --- the facts a step keeps --------------------------------------------------------------------------


def test_a_reached_timer_becomes_a_fact_set_in_that_step_and_passed_once_fired():
    reached = [timer("b", day(17), scope="t-sub", scope_bpmn_id="Sub_Resolve"), timer("a", day(5), "fired")]
    merged = deadlines.merge([], reached, finished=lambda scope: False, now=STEP)
    assert merged == [
        model.Deadline("Timer_a", "a", day(5), passed=True, key="a", set_at=STEP),
        model.Deadline("Timer_b", "b", day(17), key="b", scope="t-sub", scope_bpmn_id="Sub_Resolve", set_at=STEP),
    ]


def test_a_known_fact_keeps_when_it_was_set_and_settled_and_stays_passed():
    later = STEP + timedelta(days=3)
    old = [fact("a", day(5), passed=True, set_at=STEP), fact("b", day(17), set_at=STEP, settled_at=day(4))]
    merged = deadlines.merge(old, [timer("a", day(5)), timer("b", day(17))], finished=lambda s: False, now=later)
    assert [(d.key, d.passed, d.set_at, d.settled_at) for d in merged] == [
        ("a", True, STEP, None),
        ("b", False, STEP, day(4)),
    ]


def test_deadlines_settle_when_their_work_ends_and_warnings_when_they_no_longer_wait():
    finished = {"t-review"}
    reached = [
        timer("review", day(5), scope="t-review"),
        timer("resolution", day(17), scope="t-sub"),
        timer("fired", day(13), "fired", kind="warning"),
        timer("waits", day(14), kind="warning"),
        timer("cancelled", day(15), "cancelled", kind="wait"),
    ]
    gone = fact("gone", day(16), kind="warning")  # its timer left the tree
    promised = new_date("t-1", day(31), ("resolution",), STEP)
    promised = model.Deadline(**{**vars(promised), "scope": "t-sub"})
    merged = deadlines.merge([gone, promised], reached, finished=finished.__contains__, now=STEP)
    settled = {d.key: d.settled_at for d in merged}
    assert settled == {
        "review": STEP, "resolution": None, "fired": STEP, "waits": None, "cancelled": STEP, "gone": STEP,
        "promise:t-1": None,
    }  # fmt: skip
    finished.add("t-sub")
    merged = deadlines.merge(merged, reached, finished=finished.__contains__, now=STEP + SECOND)
    assert {d.key: d.settled_at for d in merged}["promise:t-1"] == STEP + SECOND


def test_facts_are_kept_in_date_order_and_those_from_before_keys_give_way_to_their_timer():
    legacy = [
        model.Deadline("Timer_a", "a", day(5)),  # its timer is reached again: the keyed fact replaces it
        model.Deadline("Timer_old", "old", day(3)),
    ]
    reached = [timer("b", day(5)), timer("a", day(5))]
    merged = deadlines.merge(legacy, reached, finished=lambda s: False, now=STEP)
    assert [(d.bpmn_id, d.key) for d in merged] == [("Timer_old", ""), ("Timer_a", "a"), ("Timer_b", "b")]


def test_a_case_keeps_its_last_twenty_settled_facts():
    settled = [fact(f"w{n:02}", day(1) + timedelta(hours=n), kind="warning", settled_at=STEP) for n in range(21)]
    open_ = fact("resolution", day(17))
    merged = deadlines.merge([*settled, open_], [], finished=lambda s: False, now=STEP)
    assert [d.key for d in merged] == [f"w{n:02}" for n in range(1, 21)] + ["resolution"]
    twenty = deadlines.merge([*settled[1:], open_], [], finished=lambda s: False, now=STEP)
    assert len(twenty) == 21
