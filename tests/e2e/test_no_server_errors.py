"""Pages that used to answer 500: each now opens, or refuses the request with a 4xx naming the problem."""

import re
from datetime import datetime, timedelta, timezone

import engine
from engine.kernel import model
from tests.conftest import BPMN_FILE, bundled_forms
from tests.scenario import ACTORS

BAKU = timezone(timedelta(hours=4))
OWNER = model.Actor("owner", frozenset({"process_owner"}))
HUGE = "99999999999999999999"


def at_delay_notice(services, case, clock):
    review = case.work_items[0]
    engine.complete_task(case.case.id, review.task_id, {"review_notes": "ok"}, actor=ACTORS["officer"],
                         **services.deps())  # fmt: skip
    clock.set(datetime(2026, 3, 14, 9, tzinfo=BAKU))  # Saturday, past "at risk": the delay notice opens
    engine.fire_due_timers(**services.deps())
    view = engine.show_case(case.case.id, uow=services.uow)
    return view, next(i for i in view.work_items if i.bpmn_id == "Task_DelayNotice")


def test_the_delay_notice_page_opens_and_offers_dates_from_the_next_working_day(as_user, services, case, clock):
    view, notice = at_delay_notice(services, case, clock)
    page = as_user("officer").client.get(f"/tasks/{case.case.id}/{notice.task_id}")
    assert page.status_code == 200
    field = re.search(r'<input type="date" name="new_date"[^>]*>', page.text).group()
    assert 'min="2026-03-16"' in field and 'max="2027-03-15"' in field  # Monday; at most a year ahead


def test_the_process_list_opens_with_drafts_that_have_problems_or_warnings(as_user, services):
    deps = {"uow": services.uow, "clock": services.clock, "policy": services.policy}
    forms = {path: data.decode() for path, data in bundled_forms().items()}
    laneless = re.sub(r"<bpmn:laneSet.*?</bpmn:laneSet>", "", BPMN_FILE.read_text(), flags=re.S).encode()
    warned = engine.upload_draft("complaint_handling", laneless, forms, actor=OWNER, comment="no lanes", **deps)
    broken = engine.upload_draft("complaint_handling", b"<not-bpmn/>", actor=OWNER, comment="broken", **deps)
    assert warned.problems and all(p.startswith("Warning: ") for p in warned.problems)
    assert broken.problems and not broken.problems[0].startswith("Warning: ")
    page = as_user("owner").client.get("/processes/")
    assert page.status_code == 200
    assert "no lanes" in page.text and "broken" in page.text
    rows = {m.group(1): m.group(2) for m in re.finditer(r"· (no lanes|broken)</a>.*?</td>.*?<td>(.*?)</tr>",
                                                         page.text, re.S)}  # fmt: skip
    assert "valid" in rows["no lanes"] and "1 problem(s)" in rows["broken"]


def test_a_page_number_beyond_any_list_shows_the_task_list(as_user, case):
    client = as_user("officer").client
    for page in (HUGE, "-" + HUGE, "9" * 5000, "abc", "0"):
        response = client.get(f"/?page={page}")
        assert response.status_code == 200, page
        assert case.case.reference in response.text  # the last (only) page
