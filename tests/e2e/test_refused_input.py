"""Bad input typed into the staff pages is refused with a 4xx naming the field, and nothing is stored."""

from datetime import datetime, timedelta, timezone

import pytest

import engine
from tests.e2e.test_respond_form import at_respond
from tests.scenario import ACTORS

BAKU = timezone(timedelta(hours=4))


def history(services, case):
    view = engine.show_case(case.case.id, uow=services.uow)
    return view.case.revision, [e.type for e in view.events], [m.message for m in view.outbox]


@pytest.mark.parametrize(
    ("form", "fields"),
    [
        ({}, {"channel", "requester"}),
        ({"channel": "call_centre", "requester": "   ", "told": "   "}, {"requester"}),
        ({"channel": "", "requester": "the customer"}, {"channel"}),
        ({"channel": "carrier_pigeon", "requester": "the customer"}, {"channel"}),
    ],
)
def test_an_empty_status_request_form_records_nothing(as_user, services, case, form, fields):
    before = history(services, case)
    page = f"/cases/{case.case.reference}"
    response = as_user("officer").post(f"{page}/status-request", form, token_from=page)
    assert response.status_code == 400
    for field in fields:
        assert field in response.text
    assert "Status request recorded" not in response.text
    assert history(services, case) == before


def test_the_status_request_form_makes_the_channel_and_requester_required(as_user, case):
    page = as_user("officer").client.get(f"/cases/{case.case.reference}").text
    assert '<option value="">—</option>' in page and 'name="requester" maxlength="200" required' in page


@pytest.mark.parametrize(
    ("agreement", "field"),
    [
        ({"agreed_by": "   "}, "agreed_by"),
        ({"agreed_on": "2026-03-03"}, "agreed_on"),  # tomorrow
        ({"agreed_on": "2099-01-01"}, "agreed_on"),
        ({"agreed_on": "0001-01-01"}, "agreed_on"),
    ],
)
def test_an_oral_answer_agreed_by_nobody_or_in_the_future_is_refused(as_user, services, case, agreement, field):
    view, respond = at_respond(services, case)
    url = f"/tasks/{case.case.id}/{respond.task_id}"
    form = {"response_mode": "oral", "response_text": "Told by phone", "agreed_by": "the customer",
            "agreed_on": "2026-03-02", "agreed_how": "phone", "revision": view.case.revision}  # fmt: skip
    before = history(services, case)
    response = as_user("officer").post(url, dict(form, **agreement), token_from=url)
    assert response.status_code == 400
    assert f"err-{field}" in response.text
    assert history(services, case) == before


@pytest.fixture
def notice(services, case, clock):
    review = case.work_items[0]
    engine.complete_task(case.case.id, review.task_id, {"review_notes": "ok"}, actor=ACTORS["officer"],
                         **services.deps())  # fmt: skip
    clock.set(datetime(2026, 3, 16, 9, tzinfo=BAKU))
    engine.fire_due_timers(**services.deps())
    view = engine.show_case(case.case.id, uow=services.uow)
    return view, next(i for i in view.work_items if i.bpmn_id == "Task_DelayNotice")


@pytest.mark.parametrize(
    ("new_date", "says"),
    [
        ("2026-03-21", "the next working day is 2026-03-31"),  # a Saturday in the Novruz holidays
        ("2026-03-23", "the next working day is 2026-03-31"),  # Novruz
        ("2026-04-04", "the next working day is 2026-04-06"),  # a Saturday
        ("2026-03-13", "today (2026-03-16) or later"),
        ("2027-06-01", "or earlier"),
    ],
)
def test_a_delay_notice_date_on_a_day_off_or_in_the_past_is_refused(as_user, services, case, notice, new_date, says):
    view, item = notice
    url = f"/tasks/{case.case.id}/{item.task_id}"
    before = history(services, case)
    form = {"delay_reason": "Waiting for the supplier", "new_date": new_date, "revision": view.case.revision}
    response = as_user("officer").post(url, form, token_from=url)
    assert response.status_code == 400 and "err-new_date" in response.text
    assert says in response.text
    assert history(services, case) == before
    fine = as_user("officer").post(url, dict(form, new_date="2026-03-31"), token_from=url)
    assert fine.status_code == 303
    assert "delay_notice" in history(services, case)[2]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("email", "crlf@example.org\r\nBcc: victim@example.org"),
        ("email", "x@y.org<script>"),
        ("email", "x@y.org extra"),
        ("phone", "12345678 <b>"),
        ("phone", "+994 50 555 12 34; rm -rf"),
        ("received_at", "0001-01-01T00:00"),
        ("received_at", "1999-12-31T23:59"),
    ],
)
def test_intake_checks_contacts_whole_and_the_moment_of_receipt(as_user, services, field, value):
    form = {"channel": "call_centre", "surname": "Aliyev", "given_name": "Rashad", "description": "Broken",
            "phone": "+994 50 555 12 34", field: value}  # fmt: skip
    response = as_user("intake").post("/intake", form, token_from="/intake")
    assert response.status_code == 400 and f"err-{field}" in response.text
    with services.uow as uow:  # rolled back: only counts
        assert [uow.cases.next_sequence(year) for year in (1, 1999, 2026)] == [1, 1, 1]


def test_registration_checks_contacts_whole(as_user, services):
    started = engine.start_case({"channel": "call_centre", "description": "Broken"}, actor=ACTORS["intake"],
                                **services.deps())  # fmt: skip
    view = engine.show_case(started.case_id, uow=services.uow)
    url = f"/tasks/{started.case_id}/{view.work_items[0].task_id}"
    form = {"surname": "Aliyev", "given_name": "Rashad", "description": "Broken", "revision": view.case.revision}
    for field, value in (("email", "x@y.org<script>"), ("phone", "12345678 <b>")):
        response = as_user("intake").post(url, dict(form, **{field: value}), token_from=url)
        assert response.status_code == 400 and f"err-{field}" in response.text
    assert engine.show_case(started.case_id, uow=services.uow).case.revision == view.case.revision


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/", "/\\evil.example/", "/\t/evil.example/", "javascript:alert(1)",
     "http:/evil.example", "\\\\evil.example"],
)  # fmt: skip
def test_take_release_and_language_never_lead_to_another_site(as_user, case, target):
    officer = as_user("officer")
    item = case.work_items[0]
    for action in ("claim", "release"):
        response = officer.post(f"/tasks/{case.case.id}/{item.task_id}/{action}", {"next": target})
        assert response.status_code == 303 and response.headers["Location"] == "/", action
    switched = officer.post("/language", {"lang": "en", "next": target})
    assert switched.headers["Location"] == "/"
    kept = officer.post(f"/tasks/{case.case.id}/{item.task_id}/claim", {"next": "/?sla=overdue"})
    assert kept.headers["Location"] == "/?sla=overdue"  # a local path is followed
