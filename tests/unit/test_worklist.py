"""Task lists: lanes, SLA tabs, filters, paging and claims."""

from datetime import datetime, timedelta, timezone

import pytest

import engine
from engine.kernel.errors import Conflict, Forbidden
from tests.scenario import ACTORS

BAKU = timezone(timedelta(hours=4))


def officer_list(scenario, **filters):
    return engine.task_list(engine.Filters(lanes=("officer",), **filters), **scenario.deps)


def test_lists_show_only_the_lanes_asked_for_with_sla_counts(scenario):
    cases = [scenario.start() for _ in range(3)]
    scenario.start(phone=None)  # waits in the intake lane
    listing = officer_list(scenario)
    assert listing.total == 3 and {i.case_id for i in listing.items} == {c.case_id for c in cases}
    assert listing.counts == {"overdue": 0, "at_risk": 0, "on_time": 3}
    assert all(i.stage == "Initial review" for i in listing.items)


def test_sla_tabs_follow_the_clock(scenario):
    case = scenario.start()
    scenario.clock.set(datetime(2026, 3, 4, 9, tzinfo=BAKU))  # review due 5 March: at risk
    assert officer_list(scenario).counts["at_risk"] == 1
    assert [i.case_id for i in officer_list(scenario, sla="at_risk").items] == [case.case_id]
    scenario.clock.set(datetime(2026, 3, 6, 0, 30, tzinfo=BAKU))
    assert officer_list(scenario, sla="overdue").total == 1


def test_paging_and_sorting_by_due_time(scenario):
    for day in range(2, 8):
        scenario.clock.set(datetime(2026, 4, day, 10, tzinfo=BAKU))
        scenario.start()
    first = officer_list(scenario, per_page=4)
    second = officer_list(scenario, per_page=4, page=2)
    assert (first.total, first.pages, len(first.items), len(second.items)) == (6, 2, 4, 2)
    dues = [i.due_at for i in first.items + second.items]
    assert dues == sorted(dues)
    assert [i.due_at for i in officer_list(scenario, sort="-due").items] == sorted(dues, reverse=True)


def test_filters_by_channel_and_stage(scenario):
    scenario.start(channel="social")
    scenario.start(channel="store_book")
    assert officer_list(scenario, channel="social").total == 1
    assert officer_list(scenario, stage="Initial review").total == 2
    assert officer_list(scenario, stage="Analyse and decide").total == 0


def test_claim_unclaim_and_who_may_complete(scenario):
    case = scenario.start()
    item = scenario.ready(case.case_id)["Task_Review"]
    alice, bob = ACTORS["officer"], engine.model.Actor("bob", frozenset({"officer"}))
    engine.claim_task(case.case_id, item.task_id, actor=alice, **scenario.deps)
    assert officer_list(scenario, assignee="officer").total == 1
    with pytest.raises(Conflict):
        engine.claim_task(case.case_id, item.task_id, actor=bob, **scenario.deps)
    with pytest.raises(Conflict):
        engine.complete_task(case.case_id, item.task_id, {"review_notes": "x"}, actor=bob, **scenario.deps)
    with pytest.raises(Forbidden):
        engine.claim_task(case.case_id, item.task_id, actor=ACTORS["intake"], **scenario.deps)
    engine.claim_task(case.case_id, item.task_id, actor=alice, release=True, **scenario.deps)
    engine.complete_task(case.case_id, item.task_id, {"review_notes": "x"}, actor=bob, **scenario.deps)


def test_a_task_enters_at_risk_two_working_days_before_its_due_day_and_is_overdue_after_it(scenario):
    """The margin is counted in working days: a review due Tuesday is at risk from the Friday before."""
    scenario.clock.set(datetime(2026, 4, 2, 10, tzinfo=BAKU))  # Thursday; the review is due Tuesday 7 April
    scenario.start()
    tabs = {}
    for day, hour in [(2, 23), (3, 0), (4, 12), (5, 12), (6, 12), (7, 23), (8, 0)]:
        scenario.clock.set(datetime(2026, 4, day, hour, 59 if hour == 23 else 0, tzinfo=BAKU))
        tabs[day, hour] = [state for state, count in officer_list(scenario).counts.items() if count]
    assert tabs == {
        (2, 23): ["on_time"],  # Thursday evening: Friday and Monday still to come
        (3, 0): ["at_risk"],  # Friday from midnight: two working days (Friday, Monday) before Tuesday
        (4, 12): ["at_risk"], (5, 12): ["at_risk"], (6, 12): ["at_risk"],
        (7, 23): ["at_risk"],  # the last minute of the due day
        (8, 0): ["overdue"],
    }  # fmt: skip
