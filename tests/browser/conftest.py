"""A live server on 127.0.0.1 and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from werkzeug.serving import make_server

import engine
from engine.kernel import model
from engine.kernel.clock import SettableClock
from tests.web_app import PASSWORD, make_app

BAKU = timezone(timedelta(hours=4))
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"CI must not skip browser tests: no Chromium at {CHROMIUM}")
        pytest.skip(f"no Chromium at {CHROMIUM} (make test installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )  # fmt: skip
        yield browser
        browser.close()


@pytest.fixture
def live(tmp_path):
    """The app on a free port, with a clock the test moves."""
    clock = SettableClock(datetime(2026, 3, 2, 6, 0, tzinfo=UTC))
    app = make_app(tmp_path / "browser.sqlite3", clock)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield type("Live", (), {"url": f"http://127.0.0.1:{server.server_port}", "clock": clock, "app": app})
    server.shutdown()


@pytest.fixture
def page_as(browser, live):
    """A signed-in page for a user: page_as("officer")."""
    contexts = []

    def open_as(username: str):
        context = browser.new_context(locale="en-GB", viewport={"width": 1400, "height": 1000})
        contexts.append(context)
        page = context.new_page()
        page.goto(live.url + "/login")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", PASSWORD)
        page.click("#login-form button[type=submit]")
        page.wait_for_url(lambda url: "/login" not in url)
        return page

    yield open_as
    for context in contexts:
        context.close()


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


__all__ = ["screenshot", "shutil"]


def delayed_case(live) -> model.CaseView:
    """A complaint by e-mail, reviewed on 3 March and waiting for its delay notice on 14 March."""
    services, officer = live.app.extensions["bpm"], model.Actor("officer", frozenset({"officer"}))
    progress = engine.start_case(
        {"channel": "email", "surname": "Quliyeva", "given_name": "Leyla", "email": "leyla@example.az",
         "description": "Wrong invoice"},
        actor=model.Actor("intake", frozenset({"intake"})), **services.deps(),
    )  # fmt: skip
    live.clock.set(datetime(2026, 3, 3, 10, tzinfo=BAKU))
    item = engine.show_case(progress.case_id, uow=services.uow).work_items[0]
    engine.complete_task(progress.case_id, item.task_id, {"review_notes": "ok"}, actor=officer, **services.deps())
    live.clock.set(datetime(2026, 3, 14, 9, tzinfo=BAKU))  # past "at risk": the delay notice opens
    engine.fire_due_timers(**services.deps())
    return engine.show_case(progress.case_id, uow=services.uow)
