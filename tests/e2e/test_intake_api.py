"""The JSON intake API as an integration calls it: channel tokens, replays, bad data, its OpenAPI document."""

import pytest

import engine
from tests.web_app import make_app

TOKENS = {"live_chat": "chat-secret-1", "social": "social-secret-2"}
CHAT = {
    "message_id": "lc-20260302-0001", "surname": "Həsənov", "given_name": "Murad",
    "phone": "+994 70 123 45 67", "description": "The chat agent closed the chat on me.",
}  # fmt: skip


@pytest.fixture
def api(tmp_path, clock):
    app = make_app(tmp_path / "api.sqlite3", clock, API_TOKENS=TOKENS)
    app.config["WTF_CSRF_ENABLED"] = True  # the API is exempt: it uses tokens, not cookies
    client = app.test_client()

    def post(body, token=TOKENS["live_chat"], **headers):
        auth = {"Authorization": f"Bearer {token}"} if token else {}
        return client.post("/api/v1/complaints", json=body, headers=auth | headers)

    post.app, post.client = app, client
    return post


def count_cases(app):
    with app.extensions["bpm"].uow as uow:
        return uow.cases.next_sequence(2026) - 1  # rolled back: only counts


def test_a_chat_complaint_opens_a_case_and_the_replay_returns_it(api):
    first = api(CHAT)
    assert first.status_code == 201, first.json
    assert first.json == {"reference": "MG-2026-000001", "status": "open", "stage": "Initial review", "replayed": False}
    again = api(dict(CHAT, description="sent twice by a retrying integration"))
    assert again.status_code == 200 and again.json == dict(first.json, replayed=True)
    view = engine.show_case("MG-2026-000001", uow=api.app.extensions["bpm"].uow)
    assert view.case.channel == "live_chat" and view.personal.description == CHAT["description"]
    social = api(CHAT, token=TOKENS["social"])
    assert social.status_code == 201 and social.json["reference"] == "MG-2026-000002"
    assert engine.show_case("MG-2026-000002", uow=api.app.extensions["bpm"].uow).case.channel == "social"


@pytest.mark.parametrize("token", [None, "wrong", TOKENS["live_chat"] + "x", ""])
def test_an_unknown_channel_token_is_401_and_stores_nothing(api, token):
    response = api(CHAT, token=token)
    assert response.status_code == 401 and response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json["message"] == "Unknown or missing channel token."
    assert api({"bad": "data"}, token=token).status_code == 401  # the token is checked first
    assert count_cases(api.app) == 0


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({k: v for k, v in CHAT.items() if k != "message_id"}, {"message_id"}),
        (dict(CHAT, email="not-mail", phone="12"), {"email", "phone"}),
        (dict(CHAT, description=""), {"description"}),
        (dict(CHAT, received_at="2026-03-02T10:00:00"), {"received_at"}),
        (dict(CHAT, channel="call_centre", extra=1), {"channel", "extra"}),
        (dict(CHAT, message_id="x" * 201), {"message_id"}),
    ],
)
def test_bad_data_is_400_with_field_errors_and_stores_nothing(api, body, fields):
    response = api(body)
    assert response.status_code == 400, response.json
    assert set(response.json["fields"]) == fields
    assert count_cases(api.app) == 0


def test_a_body_that_is_not_json_is_400(api):
    response = api.client.post(
        "/api/v1/complaints", data="{not json", content_type="application/json",
        headers={"Authorization": f"Bearer {TOKENS['live_chat']}"},
    )  # fmt: skip
    assert response.status_code == 400 and response.is_json


def test_the_openapi_document_describes_the_endpoint(api):
    spec = api.client.get("/api/openapi.json").json
    operation = spec["paths"]["/api/v1/complaints"]["post"]
    assert set(operation["responses"]) >= {"200", "201", "400", "401"}
    assert operation["security"] == [{"channelToken": []}]
    assert spec["components"]["securitySchemes"]["channelToken"]["scheme"] == "bearer"
    body = spec["components"]["schemas"]["IntakeMessage"]
    assert {"message_id", "description"} <= set(body["required"]) and "channel" not in body["properties"]


def test_the_moment_of_receipt_can_be_given_with_its_offset(api):
    response = api(dict(CHAT, message_id="lc-2", received_at="2026-03-02T09:15:00+04:00"))
    assert response.status_code == 201, response.json
    view = engine.show_case(response.json["reference"], uow=api.app.extensions["bpm"].uow)
    assert view.case.received_at.isoformat() == "2026-03-02T05:15:00+00:00"
    future = api(dict(CHAT, message_id="lc-3", received_at="2026-03-09T09:15:00+04:00"))
    assert future.status_code == 400 and set(future.json["fields"]) == {"received_at"}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def api_on(request, tmp_path, clock):
    """The API on SQLite and on PostgreSQL, posting raw JSON text as a client may."""
    url = tmp_path / "api.sqlite3" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    app = make_app(url, clock, API_TOKENS=TOKENS)
    client = app.test_client()

    def post(document):
        auth = {"Authorization": f"Bearer {TOKENS['live_chat']}", "Content-Type": "application/json"}
        return client.post("/api/v1/complaints", data=document, headers=auth)

    post.app = app
    yield post
    app.extensions["bpm"].extras["engine"].dispose()


def nested(depth):
    return "[" * depth + "]" * depth


@pytest.mark.parametrize(
    ("document", "field"),
    [
        ('{"message_id": "d1", "description": ' + nested(1000) + "}", "description"),
        ('{"message_id": "d2", "description": "x", "surname": ' + nested(100_000) + "}", "surname"),
        ('{"message_id": "d3", "description": ' + '{"a": ' * 5000 + "1" + "}" * 5000 + "}", "description"),
        (nested(50_000), "(body)"),
        ('{"message_id": "d4", "description": "x\\ud800y"}', "description"),
        ('{"message_id": "d5", "description": "ok", "surname": "\\udfffAli"}', "surname"),
        ('{"message_id": "d6\\ud800", "description": "ok"}', "message_id"),
        ('{"message_id": "d7", "description": "Broken\\u0000 strings"}', "description"),
        ('{"message_id": "d8", "description": "ok", "email": "a\\u0000@example.az"}', "email"),
        ('{"message_id": "d9", "description": "ok", "employee": "Leyla\\u0000"}', "employee"),
        ('{"message_id": "d\\u0000", "description": "ok"}', "message_id"),
        ('{"message_id": "d10", "description": "   "}', "description"),
        ('{"message_id": "d11", "description": "ok", "received_at": "0001-01-01T00:00:00+00:00"}', "received_at"),
        ('{"message_id": "d12", "description": "ok", "received_at": "9999-12-31T23:59:59-12:00"}', "received_at"),
    ],
)
def test_deep_json_nul_and_broken_text_are_400_naming_the_field_and_store_nothing(api_on, document, field):
    response = api_on(document)
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    assert list(response.json["fields"]) == [field] and field in response.json["message"]
    assert count_cases(api_on.app) == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("email", "crlf@example.org\r\nBcc: victim@example.org"),
        ("email", "x@y.org<script>"),
        ("email", "x@y.org, z@y.org"),
        ("phone", "12345678 <b>"),
        ("phone", "+994 70 123 45 67\nX-Injected: 1"),
        ("surname", "Həsənov\r\nBcc: victim@example.org"),
    ],
)
def test_contacts_and_names_are_checked_whole(api, field, value):
    response = api(dict(CHAT, **{field: value}))
    assert response.status_code == 400 and set(response.json["fields"]) == {field}
    assert count_cases(api.app) == 0


def test_a_moment_of_receipt_before_the_service_existed_is_refused(api):
    for moment in ("0001-01-01T00:00:00+00:00", "1999-12-31T23:59:59+04:00"):
        response = api(dict(CHAT, received_at=moment))
        assert response.status_code == 400 and set(response.json["fields"]) == {"received_at"}
    assert count_cases(api.app) == 0
