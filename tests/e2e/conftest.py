from datetime import UTC, datetime

import pytest

import engine
from engine.kernel.clock import SettableClock
from tests.web_app import PASSWORD, csrf_token, make_app


@pytest.fixture
def clock():
    return SettableClock(datetime(2026, 3, 2, 6, 0, tzinfo=UTC))


@pytest.fixture
def app(tmp_path, clock):
    app = make_app(tmp_path / "web.sqlite3", clock)
    app.config["WTF_CSRF_ENABLED"] = True
    return app


@pytest.fixture
def services(app):
    return app.extensions["bpm"]


class Browser:
    """A test client that signs in and posts forms with their CSRF token, as a browser does."""

    def __init__(self, client):
        self.client = client

    def login(self, username):
        token = csrf_token(self.client.get("/login").text)
        response = self.client.post(
            "/login", data={"username": username, "password": PASSWORD, "csrf_token": token}
        )
        assert response.status_code == 302, response.text
        return self

    def token(self, path="/"):
        return csrf_token(self.client.get(path).text)

    def post(self, path, data=None, token_from="/", **kwargs):
        return self.client.post(path, data=dict(data or {}, csrf_token=self.token(token_from)), **kwargs)


def english_client(app):
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def as_user(app):
    return lambda username: Browser(english_client(app)).login(username)


@pytest.fixture
def case(services):
    """A complaint with complete data: waiting for the officer's initial review."""
    progress = engine.start_case(
        {"channel": "call_centre", "surname": "Rzayev", "given_name": "Elvin", "phone": "+994 51 222 33 44",
         "description": "Broken microphone"},
        actor=engine.model.Actor("intake", frozenset({"intake"})), **services.deps(),
    )  # fmt: skip
    return engine.show_case(progress.reference, uow=services.uow)
