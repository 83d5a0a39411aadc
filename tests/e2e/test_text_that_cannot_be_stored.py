"""A NUL or a broken character (lone surrogate) in anything a browser or client sends: a 400 that names
the field, nothing stored, on SQLite and on PostgreSQL (which refuses NUL in text outright). Every GET
route is also tried with out-of-range integers, absurd dates and such text in its path and query."""

import re

import pytest
from werkzeug.security import generate_password_hash

import engine
from engine.kernel import model
from tests.web_app import PASSWORD, csrf_token, make_app

HUGE = "99999999999999999999"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def app(request, tmp_path, clock):
    url = tmp_path / "web.sqlite3" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    app = make_app(url, clock)
    app.config["WTF_CSRF_ENABLED"] = True
    yield app
    app.extensions["bpm"].extras["engine"].dispose()


def stored(services, case):
    """What a refused request must leave untouched: cases, the case's history, its data, its messages."""
    with services.uow as uow:
        cases = uow.cases.next_sequence(2026)
    view = engine.show_case(case.case.id, uow=services.uow)
    return cases, view.case.revision, len(view.events), vars(view.personal), [vars(m) for m in view.outbox]


def form_posts(case):
    """(page the form is on, where it posts, the form, the field given a NUL)."""
    review = case.work_items[0].task_id
    page, task = f"/cases/{case.case.reference}", f"/tasks/{case.case.id}/{review}"
    message = f"/messages/{case.outbox[0].id}/handled"
    return [
        ("intake", "/intake", "/intake", {"channel": "call_centre", "surname": "Ali\x00yev", "description": "x"},
         "surname"),
        ("intake", "/intake", "/intake", {"channel": "call_centre", "description": "Broken\x00 strings"},
         "description"),
        ("officer", task, task, {"review_notes": "ok\x00", "revision": case.case.revision}, "review_notes"),
        ("officer", page, f"{page}/status-request", {"channel": "call_centre", "requester": "Mr\x00"}, "requester"),
        ("officer", page, f"{page}/status-request", {"channel": "call_centre", "requester": "A", "told": "\x00"},
         "told"),
        ("officer", "/messages", message, {"note": "phoned\x00"}, "note"),
    ]  # fmt: skip


@pytest.mark.parametrize("number", range(6))
def test_a_nul_typed_into_a_form_field_is_400_naming_it_and_nothing_is_stored(as_user, services, case, number):
    username, page, action, form, field = form_posts(case)[number]
    before = stored(services, case)
    response = as_user(username).post(action, form, token_from=page)
    assert response.status_code == 400, response.text
    assert field in response.text and "cannot be stored" in response.text
    assert stored(services, case) == before


def test_a_nul_in_the_sign_in_or_status_form_is_400(app, case):
    client = app.test_client()
    token = csrf_token(client.get("/login").text)
    signed = client.post("/login", data={"username": "officer\x00", "password": PASSWORD, "csrf_token": token})
    assert signed.status_code == 400 and "username" in signed.text
    token = csrf_token(client.get("/status").text)
    asked = client.post("/status", data={"reference": "MG\x00", "contact": "x", "csrf_token": token})
    assert asked.status_code == 400 and "reference" in asked.text


def test_a_broken_character_in_json_from_the_modeler_is_400_and_the_draft_is_unchanged(as_user, services):
    owner = as_user("owner")
    response = owner.post("/processes/complaint_handling/drafts", token_from="/processes/")
    draft_id = response.headers["Location"].rsplit("/", 1)[1]
    before = engine.get_draft(draft_id, uow=services.uow)
    token = owner.token("/processes/")
    saved = owner.client.post(f"/processes/drafts/{draft_id}", json={"xml": "<x/>", "comment": "v2\ud800"},
                              headers={"X-CSRFToken": token})  # fmt: skip
    assert saved.status_code == 400 and saved.json["fields"] == {"comment": [saved.json["fields"]["comment"][0]]}
    assert engine.get_draft(draft_id, uow=services.uow) == before


def test_nul_in_a_path_or_query_is_400_naming_the_parameter(as_user, case):
    client = as_user("officer").client
    by_path = client.get("/cases/MG-2026%00")
    assert by_path.status_code == 400 and "reference" in by_path.text
    by_query = client.get("/cases?reference=MG%00")
    assert by_query.status_code == 400 and "reference" in by_query.text


@pytest.fixture
def everyone(services):
    """A user in every role, so that every route answers it."""
    roles = frozenset({"intake", "officer", "quality", "supervisor", "process_owner", "auditor", "dpo"})
    engine.add_user(model.User("everyone", "Everyone", roles, generate_password_hash(PASSWORD, "pbkdf2:sha256:1000")),
                    uow=services.uow)  # fmt: skip
    return "everyone"


def get_paths(app, integer, word):
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and rule.endpoint != "static":
            path = rule.rule
            for name, converter in rule._converters.items():
                value = integer if type(converter).__name__ == "IntegerConverter" else word
                path = re.sub(rf"<(?:\w+:)?{name}>", value, path)
            yield path


@pytest.mark.parametrize(
    ("integer", "word", "day"),
    [(HUGE, "MG-2026-000001", "0001-01-01"), ("-" + HUGE, "x" * 300, "9999-12-31"), ("9" * 5000, "%00", "2026-02-30")],
)
def test_every_get_route_survives_odd_parameters(app, as_user, everyone, case, integer, word, day):
    client = as_user(everyone).client
    query = f"page={integer}&a={integer}&b={integer}&from={day}&to={day}&reference={word}&sla=x&stage={word}"
    for path in get_paths(app, integer, word):
        response = client.get(f"{path}?{query}")
        assert response.status_code < 500, (path, response.status_code)
