"""Building the web app for tests: SQLite file, a movable clock, demo users with known passwords."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from werkzeug.security import generate_password_hash

import bootstrap
import engine
from engine.kernel import model
from engine.kernel.clock import SettableClock
from web import runner
from web.config import Config

PASSWORD = "correct horse battery staple"
USERS = {
    "intake": {"intake"}, "officer": {"officer"}, "officer2": {"officer"}, "quality": {"quality"},
    "supervisor": {"supervisor"}, "owner": {"process_owner"}, "auditor": {"auditor"}, "dpo": {"dpo"},
}  # fmt: skip


def make_app(database: Path | str, clock: SettableClock, **settings: Any):  # type: ignore[no-untyped-def]
    """`database` is a SQLite file path or a database URL."""
    url = database if isinstance(database, str) else f"sqlite:///{database}"
    config = dict(Config().as_dict(), DATABASE_URL=url, TESTING=True, DEMO_MODE=False,
                  SECRET_KEY="test-secret", **settings)  # fmt: skip
    app = bootstrap.create_app(config, clock=clock)
    with app.app_context():
        runner.prepare(echo=lambda _: None)
        uow = app.extensions["bpm"].uow
        for username, roles in USERS.items():
            user = model.User(
                username,
                username.title(),
                frozenset(roles),
                generate_password_hash(PASSWORD, "pbkdf2:sha256:1000"),
            )
            engine.add_user(user, uow=uow)
    return app


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)
