"""The task list as staff page through it: refused filters, page bounds, tab counts, claims."""

import dataclasses
from datetime import datetime, timedelta, timezone

import pytest

import engine
from engine.casework import worklist
from engine.kernel import model
from engine.kernel.errors import Conflict, InvalidInput, TaskNotFound
from tests.scenario import ACTORS

BAKU = timezone(timedelta(hours=4))
BOB = model.Actor("bob", frozenset({"officer"}))


def officer_list(scenario, **filters):
    return engine.task_list(engine.Filters(lanes=("officer",), **filters), **scenario.deps)


def start_on_days(scenario, *days):
    """One review per case, due three working days after each April day (sorted by due date)."""
    for day in days:
        scenario.clock.set(datetime(2026, 4, day, 10, tzinfo=BAKU))
        scenario.start()
    return [i.reference for i in officer_list(scenario, per_page=100).items]


def page(listing):
    return listing.page, listing.pages, listing.has_next, [i.reference for i in listing.items]


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"sla": "late"}, "Unknown filter or sort order."),
        ({"sort": "due_desc"}, "Unknown filter or sort order."),
        ({"channel": "fax"}, "Unknown channel 'fax'."),
    ],
)
def test_an_unknown_filter_is_refused_with_a_clear_message(scenario, filters, message):
    with pytest.raises(InvalidInput) as refused:
        officer_list(scenario, **filters)
    assert str(refused.value) == message


def test_every_tab_sort_order_and_channel_is_accepted(scenario):
    scenario.start(channel="email")
    for sla in worklist.SLA_STATES:
        assert officer_list(scenario, sla=sla).total == (sla == "on_time")
    assert [officer_list(scenario, sort=s).total for s in worklist.SORTS] == [1, 1]
    assert {c: officer_list(scenario, channel=c).total for c in model.CHANNELS} == {
        c: int(c == "email") for c in model.CHANNELS
    }


def test_pages_count_up_and_a_page_beyond_the_list_shows_the_last_page(scenario):
    refs = start_on_days(scenario, 1, 2, 3, 6, 7)
    assert page(officer_list(scenario, per_page=2)) == (1, 3, True, refs[:2])
    assert page(officer_list(scenario, per_page=2, page=3)) == (3, 3, False, refs[4:])
    assert page(officer_list(scenario, per_page=2, page=9)) == (3, 3, False, refs[4:])
    assert page(officer_list(scenario, per_page=2, page=0)) == (1, 3, True, refs[:2])
    assert page(officer_list(scenario, per_page=2, page=-4)) == (1, 3, True, refs[:2])
    assert page(officer_list(scenario, per_page=5)) == (1, 1, False, refs)  # exactly one full page
    assert page(officer_list(scenario, per_page=4)) == (1, 2, True, refs[:4])
    assert page(officer_list(scenario, per_page=0, page=2)) == (2, 5, True, refs[1:2])  # at least one a page
    assert page(officer_list(scenario, sort="-due", per_page=2)) == (1, 3, True, refs[::-1][:2])


def test_an_empty_list_is_one_empty_page(scenario):
    listing = officer_list(scenario, page=3)
    assert (listing.total, page(listing)) == (0, (1, 1, False, []))


def test_a_tab_pages_through_its_own_count(scenario):
    """The overdue tab counts only overdue work: two of three cases are overdue, so one page of two."""
    start_on_days(scenario, 1, 2)
    scenario.clock.set(datetime(2026, 4, 10, 9, tzinfo=BAKU))  # both reviews were due by 7 April
    scenario.start()
    overdue = officer_list(scenario, sla="overdue", per_page=2, page=5)
    assert (overdue.total, page(overdue)[:3], len(overdue.items)) == (2, (1, 1, False), 2)
    assert officer_list(scenario, per_page=2).pages == 2


def test_a_page_never_shows_more_than_a_hundred_tasks(scenario):
    scenario.start()
    (key, item), = scenario.uow.db.tables.work_items.items()  # fmt: skip
    for n in range(120):  # many ready tasks, as a busy lane has
        copy = dataclasses.replace(item, task_id=f"{item.task_id}-{n}")
        scenario.uow.db.tables.work_items[key[0], copy.task_id] = copy
    listing = officer_list(scenario, per_page=500)
    assert (listing.total, len(listing.items), listing.pages) == (121, 100, 2)


def test_tabs_say_limit_plus_beyond_the_count_limit_and_pages_go_on_while_pages_are_full(scenario):
    """Beyond the counted range the list does not know its end: a full page promises one more."""
    refs = start_on_days(scenario, 1, 2, 3, 6)
    scenario.clock.set(datetime(2026, 3, 25, 10, tzinfo=BAKU))  # all four on time
    listing = officer_list(scenario, per_page=1, count_limit=2)
    assert (listing.total, listing.counts["on_time"], listing.shown(3), listing.shown(2)) == (3, 3, "2+", "2")
    assert page(officer_list(scenario, per_page=1, count_limit=2, page=3)) == (3, 4, True, refs[2:3])
    assert page(officer_list(scenario, per_page=1, count_limit=2, page=4)) == (4, 5, True, refs[3:])
    far = officer_list(scenario, per_page=1, count_limit=2, page=10**9)
    assert (far.page, far.pages, far.items) == (worklist.MAX_PAGE, 3, [])


def test_a_count_at_the_limit_is_exact_and_a_page_beyond_shows_the_last(scenario):
    refs = start_on_days(scenario, 1, 2, 3)
    listing = officer_list(scenario, per_page=2, count_limit=3, page=9)
    assert (listing.shown(listing.total), page(listing)) == ("3", (2, 2, False, refs[2:]))
    last = officer_list(scenario, per_page=1, count_limit=3, page=3)  # a full last page, all counted
    assert page(last) == (3, 3, False, refs[2:])


def test_the_default_count_limit_is_a_thousand():
    shown = worklist.Worklist([], 0, 1, 1)
    assert (shown.shown(1000), shown.shown(1001)) == ("1000", "1000+")
    assert engine.Filters(lanes=("officer",)).count_limit == 1000


def test_a_claim_is_held_until_released_by_its_holder(scenario):
    case = scenario.start()
    task = scenario.ready(case.case_id)["Task_Review"]
    alice = ACTORS["officer"]
    claimed = engine.claim_task(case.case_id, task.task_id, actor=alice, **scenario.deps)
    assert claimed.assignee == "officer"
    again = engine.claim_task(case.case_id, task.task_id, actor=alice, **scenario.deps)  # a second click
    assert again.assignee == "officer"
    with pytest.raises(Conflict) as taken:
        engine.claim_task(case.case_id, task.task_id, actor=BOB, release=True, **scenario.deps)
    assert str(taken.value) == f"Task '{task.name}' is claimed by officer."
    assert scenario.ready(case.case_id)["Task_Review"].assignee == "officer"
    released = engine.claim_task(case.case_id, task.task_id, actor=alice, release=True, **scenario.deps)
    assert released.assignee is None and scenario.ready(case.case_id)["Task_Review"].assignee is None
    again = engine.claim_task(case.case_id, task.task_id, actor=BOB, release=True, **scenario.deps)
    assert again.assignee is None  # giving back what nobody holds changes nothing
    assert engine.claim_task(case.case_id, task.task_id, actor=BOB, **scenario.deps).assignee == "bob"
    assert officer_list(scenario, assignee="bob").total == 1


def test_claiming_a_task_that_is_not_ready_says_so(scenario):
    case = scenario.start()
    with pytest.raises(TaskNotFound) as missing:
        engine.claim_task(case.case_id, "no-such-task", actor=ACTORS["officer"], **scenario.deps)
    assert str(missing.value) == "No ready task 'no-such-task' in this case."
