"""Every route with every role: allowed, refused, CSRF enforced, bad input 400, stale 409, unknown 404."""

import re

import pytest

import engine

STAFF = ["intake", "officer", "quality", "supervisor"]
OTHERS = ["owner", "auditor"]


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/", STAFF),
        ("/intake", ["intake"]),
        ("/cases/{ref}", STAFF),
        ("/cases/{ref}/diagram.bpmn", STAFF),
        ("/tasks/{case_id}/{review}", ["officer"]),
    ],
)
def test_get_routes_check_the_role(as_user, case, path, allowed):
    review = case.work_items[0].task_id
    url = path.format(ref=case.case.reference, case_id=case.case.id, review=review)
    for username in STAFF + OTHERS:
        status = as_user(username).client.get(url).status_code
        refused = (302, 403) if url == "/" else (403,)  # "/" sends other roles to their own start page
        assert status == 200 if username in allowed else status in refused, (username, url, status)


def test_anonymous_users_are_sent_to_sign_in(app, case):
    client = app.test_client()
    for url in ("/", "/intake", f"/cases/{case.case.reference}", f"/tasks/{case.case.id}/x"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.get("/health").status_code == 200


def test_wrong_password_is_refused(app):
    from tests.e2e.conftest import english_client
    from tests.web_app import csrf_token

    client = english_client(app)
    token = csrf_token(client.get("/login").text)
    response = client.post("/login", data={"username": "officer", "password": "nope", "csrf_token": token})
    assert response.status_code == 401 and "wrong password" in response.text
    assert client.get("/").status_code == 302


def test_every_form_needs_its_csrf_token(as_user, case):
    officer = as_user("officer")
    review = case.work_items[0].task_id
    for url, data in [
        (f"/tasks/{case.case.id}/{review}", {"review_notes": "x", "revision": case.case.revision}),
        (f"/tasks/{case.case.id}/{review}/claim", {}),
        (f"/cases/{case.case.reference}/status-request", {"channel": "call_centre"}),
        ("/logout", {}),
        ("/language", {"lang": "en"}),
    ]:
        assert officer.client.post(url, data=data).status_code == 400, url
    assert as_user("intake").client.post("/intake", data={"channel": "social"}).status_code == 400
    assert (
        engine.show_case(case.case.id, uow=officer.client.application.extensions["bpm"].uow).case.revision
        == case.case.revision
    )


def test_intake_records_a_case_even_with_missing_data(as_user, services):
    intake = as_user("intake")
    response = intake.post(
        "/intake",
        {"channel": "social", "description": "No name given", "received_at": "2026-03-02T09:30"},
        token_from="/intake",
    )
    assert response.status_code == 303
    reference = response.headers["Location"].rsplit("/", 1)[1]
    view = engine.show_case(reference, uow=services.uow)
    assert view.case.stage == "Register complaint"
    assert view.case.received_at.isoformat() == "2026-03-02T05:30:00+00:00"  # 09:30 in Baku


def test_bad_intake_data_shows_the_errors_and_stores_nothing(as_user, services):
    intake = as_user("intake")
    response = intake.post(
        "/intake", {"channel": "fax", "email": "not-mail", "surname": "Kərimov"}, token_from="/intake"
    )
    assert response.status_code == 400
    assert "Kərimov" in response.text  # the input is kept
    assert response.text.count("field-error") >= 2
    with services.uow as uow:
        assert uow.cases.next_sequence(2026) == 1


def test_completing_a_task_with_bad_data_is_400_and_changes_nothing(as_user, case, services):
    officer = as_user("officer")
    url = f"/tasks/{case.case.id}/{case.work_items[0].task_id}"
    response = officer.post(
        url, {"review_notes": "", "clarify": "true", "revision": case.case.revision}, token_from=url
    )
    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.text and "err-question" in response.text
    assert engine.show_case(case.case.id, uow=services.uow).case.revision == case.case.revision


def test_a_case_changed_meanwhile_gives_409_with_the_input_kept(as_user, case, services):
    officer = as_user("officer")
    url = f"/tasks/{case.case.id}/{case.work_items[0].task_id}"
    engine.record_status_request(
        case.case.reference,
        "call_centre",
        requester="x",
        actor=engine.model.Actor("intake", frozenset({"intake"})),
        **services.deps(),
    )
    response = officer.post(
        url, {"review_notes": "my careful notes", "revision": case.case.revision}, token_from=url
    )
    assert response.status_code == 409
    assert "my careful notes" in response.text


def test_double_submission_completes_once(as_user, case, services):
    officer = as_user("officer")
    url = f"/tasks/{case.case.id}/{case.work_items[0].task_id}"
    data = {"review_notes": "ok", "revision": case.case.revision}
    token = officer.token(url)
    first = officer.client.post(url, data=dict(data, csrf_token=token))
    second = officer.client.post(url, data=dict(data, csrf_token=token))
    assert (first.status_code, second.status_code) == (303, 303)
    events = engine.show_case(case.case.id, uow=services.uow).events
    assert [e.type for e in events].count("task_completed") == 1


def test_a_task_of_another_lane_is_403_and_unknown_ids_404(as_user, case):
    review = case.work_items[0].task_id
    assert (
        as_user("intake")
        .post(f"/tasks/{case.case.id}/{review}", {"review_notes": "x", "revision": 1})
        .status_code
        == 403
    )
    officer = as_user("officer")
    assert officer.client.get(f"/tasks/{case.case.id}/not-a-task").status_code == 404
    assert officer.client.get(f"/tasks/nope/{review}").status_code == 404
    assert officer.client.get("/cases/MG-2099-000001").status_code == 404
    assert officer.client.get("/cases/MG-2099-000001/diagram.bpmn").status_code == 404


def test_claims_are_visible_and_exclusive(as_user, case):
    review = case.work_items[0].task_id
    alice, bob = as_user("officer"), as_user("officer2")
    assert alice.post(f"/tasks/{case.case.id}/{review}/claim").status_code == 303
    assert "Release" in alice.client.get("/").text
    assert bob.post(f"/tasks/{case.case.id}/{review}/claim").status_code == 409
    assert (
        bob.post(
            f"/tasks/{case.case.id}/{review}", {"review_notes": "x", "revision": case.case.revision}
        ).status_code
        == 409
    )
    assert alice.post(f"/tasks/{case.case.id}/{review}/release").status_code == 303


def test_personal_data_only_for_roles_that_need_it(as_user, case):
    url = f"/cases/{case.case.reference}"
    for username, sees in [("officer", True), ("intake", True), ("supervisor", True), ("quality", False)]:
        page = as_user(username).client.get(url).text
        assert ("+994 51 222 33 44" in page) is sees, username


def test_text_from_customers_is_escaped_everywhere(as_user, services):
    intake = as_user("intake")
    evil = '<script>alert("x")</script>\u202eevil'
    response = intake.post(
        "/intake",
        {"channel": "email", "surname": evil, "description": evil, "email": "a@b.az"},
        token_from="/intake",
    )
    page = intake.client.get(response.headers["Location"]).text
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page


def test_status_request_from_the_case_page_is_recorded(as_user, case, services):
    intake = as_user("intake")
    url = f"/cases/{case.case.reference}"
    response = intake.post(
        f"{url}/status-request",
        {"channel": "store_book", "requester": "her husband", "told": "Under review"},
        token_from=url,
    )
    assert response.status_code == 303
    event = engine.show_case(case.case.id, uow=services.uow).events[-1]
    assert (event.type, event.data["requester"], event.data["channel"]) == (
        "status_requested",
        "her husband",
        "store_book",
    )
    assert (
        as_user("quality")
        .post(f"{url}/status-request", {"channel": "store_book"}, token_from="/")
        .status_code
        == 403
    )


def test_the_interface_speaks_russian_and_english(as_user):
    officer = as_user("officer")
    officer.post("/language", {"lang": "ru", "next": "/"})
    assert "Список задач" in officer.client.get("/").text
    officer.post("/language", {"lang": "en", "next": "/"})
    assert "Task list" in officer.client.get("/").text
    assert officer.post("/language", {"lang": "de"}).status_code == 400
    response = officer.post("/language", {"lang": "en", "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"


def test_task_list_filters_and_counts(as_user, case, services, clock):
    officer = as_user("officer")
    page = officer.client.get("/?sla=on_time").text
    assert case.case.reference in page
    assert re.search(r"On time <span class=\"count\">1</span>", page)
    assert case.case.reference not in officer.client.get("/?sla=overdue").text
    assert officer.client.get("/?sla=bogus").status_code == 400
    assert officer.client.get("/?channel=fax").status_code == 400
