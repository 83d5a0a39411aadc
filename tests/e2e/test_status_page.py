"""The public status page: right and wrong pairs, the same answer for unknown references, limits, CSRF."""

import statistics
import time
from datetime import datetime, timedelta, timezone

import pytest

import engine
from tests.e2e.conftest import english_client
from tests.web_app import csrf_token, make_app

BAKU = timezone(timedelta(hours=4))


@pytest.fixture
def customer(app):
    """A customer's browser: fetches the form, then posts it with its CSRF token."""
    client = english_client(app)

    def ask(reference, contact):
        token = csrf_token(client.get("/status").text)
        return client.post("/status", data={"reference": reference, "contact": contact, "csrf_token": token})

    ask.client = client
    return ask


def test_the_customer_sees_stage_and_deadline_and_it_is_recorded(customer, case, services):
    response = customer(case.case.reference.lower(), "0512223344")
    assert response.status_code == 200
    page = response.text
    assert case.case.reference in page and "Initial review" in page and "We will answer by" in page
    assert "17.03.2026" in page  # 10 working days after Monday 2 March (9 March is a day off)
    for private in ("Rzayev", "Elvin", "Broken microphone", "intake", "Intake"):
        assert private not in page, private
    event = engine.show_case(case.case.id, uow=services.uow).events[-1]
    assert (event.type, event.actor, event.data["channel"]) == ("status_requested", "customer", "status_page")


def test_a_delay_shows_its_reason_and_new_date(customer, case, services, clock):
    officer = engine.model.Actor("officer", frozenset({"officer"}))
    review = case.work_items[0].task_id
    engine.complete_task(case.case.id, review, {"review_notes": "ok"}, actor=officer, **services.deps())
    clock.set(datetime(2026, 3, 14, 9, tzinfo=BAKU))
    engine.fire_due_timers(**services.deps())
    items = engine.show_case(case.case.id, uow=services.uow).work_items
    notice = next(i for i in items if i.bpmn_id == "Task_DelayNotice")
    engine.complete_task(
        case.case.id, notice.task_id, {"delay_reason": "Waiting for the supplier", "new_date": "2026-03-31"},
        actor=officer, **services.deps(),
    )  # fmt: skip
    page = customer(case.case.reference, "+994 51 222 33 44").text
    assert "Waiting for the supplier" in page and "31.03.2026" in page


def test_a_wrong_pair_answers_the_same_whether_or_not_the_reference_exists(customer, case, services):
    revision = engine.show_case(case.case.id, uow=services.uow).case.revision
    known = customer(case.case.reference, "+994 51 000 00 00")
    unknown = customer("MG-2026-000999", "+994 51 000 00 00")
    assert known.status_code == unknown.status_code == 404
    strip = lambda r, ref: r.text.replace(ref, "REF").split('name="csrf_token"')[0]  # noqa: E731
    assert strip(known, case.case.reference) == strip(unknown, "MG-2026-000999")
    assert "We found no complaint with this reference" in known.text
    assert engine.show_case(case.case.id, uow=services.uow).case.revision == revision  # nothing recorded


def test_wrong_pairs_take_about_as_long_for_known_and_unknown_references(tmp_path, clock):
    app = make_app(tmp_path / "timing.sqlite3", clock, RATELIMIT_ENABLED=False)
    engine.start_case(
        {"channel": "email", "email": "a@example.az", "description": "x"},
        actor=engine.model.Actor("intake", frozenset({"intake"})), **app.extensions["bpm"].deps(),
    )  # fmt: skip
    client = english_client(app)
    token = csrf_token(client.get("/status").text)

    def seconds(reference):
        start = time.perf_counter()
        client.post("/status", data={"reference": reference, "contact": "b@example.az", "csrf_token": token})
        return time.perf_counter() - start

    known = statistics.median(seconds("MG-2026-000001") for _ in range(25))
    unknown = statistics.median(seconds("MG-2026-000777") for _ in range(25))
    assert abs(known - unknown) < 0.01, (known, unknown)


def test_too_many_tries_per_reference_are_refused_the_same_way_for_any_reference(app, customer, case):
    app.config.update(STATUS_LIMIT_REFERENCE="3 per hour", STATUS_LIMIT_CLIENT="100 per hour")
    for reference in (case.case.reference, "MG-2026-000999"):
        codes = [customer(reference, "+994 00 000 00 00").status_code for _ in range(4)]
        assert codes == [404, 404, 404, 429], reference
    assert customer(case.case.reference, "+994 51 222 33 44").status_code == 429  # even the right pair, for now
    assert customer("MG-2026-000123", "x@example.az").status_code == 404  # other references still answer


def test_too_many_tries_from_one_client_are_refused(app, customer, case):
    app.config.update(STATUS_LIMIT_CLIENT="5 per minute")
    codes = [customer(f"MG-2026-00010{n}", "x@example.az").status_code for n in range(6)]
    assert codes == [404] * 5 + [429]
    assert "Too many requests" in customer(case.case.reference, "0512223344").text
    assert customer.client.get("/status").status_code == 200  # reading the form is not limited


def test_the_status_form_needs_its_csrf_token_and_both_fields(app, customer, case):
    client = english_client(app)
    bare = client.post("/status", data={"reference": case.case.reference, "contact": "0512223344"})
    assert bare.status_code == 400
    assert customer("", "").status_code == 400
    assert customer(case.case.reference, "").status_code == 400


def test_the_status_page_speaks_russian(app, case):
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "ru"
    page = client.get("/status").text
    assert "Где моя жалоба?" in page
    token = csrf_token(page)
    form = {"reference": case.case.reference, "contact": "0512223344", "csrf_token": token}
    answer = client.post("/status", data=form)
    assert "Первичное рассмотрение" in answer.text


def tries_from(app, addresses):
    """One wrong try per forwarded client address, in order; the status codes."""
    client = english_client(app)
    codes = []
    for address in addresses:
        token = csrf_token(client.get("/status").text)
        data = {"reference": "MG-2026-000999", "contact": "x@example.az", "csrf_token": token}
        codes.append(client.post("/status", data=data, headers={"X-Forwarded-For": address}).status_code)
    return codes


def test_behind_a_trusted_proxy_clients_are_limited_apart_and_without_one_a_forged_header_changes_nothing(
    tmp_path, clock
):
    limits = {"STATUS_LIMIT_CLIENT": "2 per minute", "STATUS_LIMIT_REFERENCE": "100 per minute"}
    proxied = make_app(tmp_path / "proxied.sqlite3", clock, TRUSTED_PROXIES=1, **limits)
    assert tries_from(proxied, ["203.0.113.1"] * 3 + ["203.0.113.2"]) == [404, 404, 429, 404]
    direct = make_app(tmp_path / "direct.sqlite3", clock, **limits)  # the default: no proxy is trusted
    assert tries_from(direct, ["203.0.113.1", "203.0.113.2", "203.0.113.3"]) == [404, 404, 429]
