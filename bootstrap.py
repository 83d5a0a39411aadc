"""Composition root: the only module that imports both the web side and persistence."""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from engine.correspondence import letters
from engine.kernel.calendar import WorkingCalendar
from engine.kernel.clock import Clock, SystemClock
from engine.kernel.policy import Policy
from engine.records import chain_keys, history
from persistence import db
from persistence.memory import MemoryDatabase, MemoryUnitOfWork
from persistence.smtp import SmtpMailer, SmtpSettings
from persistence.store import SqlUnitOfWork

log = logging.getLogger(__name__)
DEMO_KEY_FILE = "history.key"
NO_KEY = (
    "No history key: set COMPLAINTS_HISTORY_KEY (e.g. the output of `openssl rand -hex 32`) or "
    "COMPLAINTS_HISTORY_KEY_FILE (a file only the application can read), kept outside the database "
    "and its backups. It signs every case history; see docs/auditors-and-dpo.md."
)


class ConfigurationError(RuntimeError):
    """The application cannot start as configured; the message tells the operator what to set."""


@dataclass
class Services:
    """What the web app and the CLI hand to engine use cases."""

    uow: object
    clock: Clock
    policy: Policy
    init_db: Callable[[], None] = lambda: None
    database_url: str = "memory"
    extras: dict[str, object] = field(default_factory=dict)
    mailer: object | None = None  # None: no SMTP server configured, messages wait in the outbox
    database_problem: Callable[[], str | None] = lambda: None  # e.g. "not set up yet: run complaints setup"

    def deps(self) -> dict[str, object]:
        """Keyword arguments for a use case: engine.start_case(..., **services.deps())."""
        return {"uow": self.uow, "clock": self.clock, "policy": self.policy}


def policy_from(config: dict) -> Policy:
    calendar = WorkingCalendar(
        country=config.get("CALENDAR_COUNTRY", "AZ"),
        timezone=config.get("CALENDAR_TIMEZONE", "Asia/Baku"),
        extra_days_off=_dates(config.get("EXTRA_DAYS_OFF", "")),
        extra_working_days=_dates(config.get("EXTRA_WORKING_DAYS", "")),
    )
    return Policy(
        calendar=calendar,
        lane_roles=dict(config.get("LANE_ROLES") or Policy().lane_roles),
        reference_prefix=config.get("REFERENCE_PREFIX", "MG"),
        process_key=config.get("PROCESS_KEY", "complaint_handling"),
        mail_from=config.get("MAIL_FROM") or Policy.mail_from,
        mail_languages=_languages(config.get("MAIL_LANGUAGES") or "ru,en"),
    )


def _languages(text: str) -> tuple[str, ...]:
    languages = tuple(dict.fromkeys(t.strip() for t in text.split(",") if t.strip()))
    unknown = [code for code in languages if not (letters.TEMPLATES / code).is_dir()]
    if unknown or not languages:
        raise ValueError(f"COMPLAINTS_MAIL_LANGUAGES: no e-mail templates for {', '.join(unknown) or 'none given'}")
    return languages


def mailer_from(config: dict) -> SmtpMailer | None:
    """The SMTP adapter from COMPLAINTS_SMTP_*; None when no host is configured."""
    if not config.get("SMTP_HOST"):
        return None
    return SmtpMailer(
        SmtpSettings(
            host=config["SMTP_HOST"], port=int(config.get("SMTP_PORT") or 0),
            security=config.get("SMTP_SECURITY") or "starttls", username=config.get("SMTP_USER") or "",
            password=config.get("SMTP_PASSWORD") or "", timeout=float(config.get("SMTP_TIMEOUT") or 30),
            ca_file=config.get("SMTP_CA_FILE") or None, helo=config.get("SMTP_HELO") or None,
        )
    )  # fmt: skip


def sql_services(config: dict, clock: Clock | None = None) -> Services:
    engine = db.make_engine(config["DATABASE_URL"])
    return Services(
        uow=SqlUnitOfWork(engine),
        clock=clock or SystemClock(),
        policy=policy_from(config),
        init_db=lambda: db.upgrade(engine),
        database_url=engine.url.render_as_string(hide_password=True),
        extras={"engine": engine},
        mailer=mailer_from(config),
        database_problem=lambda: db.schema_problem(engine),
    )


def memory_services(config: dict, clock: Clock | None = None) -> Services:
    return Services(
        uow=MemoryUnitOfWork(MemoryDatabase()), clock=clock or SystemClock(), policy=policy_from(config),
        mailer=mailer_from(config),
    )  # fmt: skip


def history_keyring(config: dict) -> chain_keys.Keyring:
    """The keyring that signs case histories: COMPLAINTS_HISTORY_KEY or COMPLAINTS_HISTORY_KEY_FILE.

    Without either, demo and test mode use a key generated once in the instance folder; a
    production instance refuses to start (a history it cannot sign is one a database user can rewrite).
    """
    text, path = config.get("HISTORY_KEY") or "", config.get("HISTORY_KEY_FILE") or ""
    if text and path:
        raise ConfigurationError("Set COMPLAINTS_HISTORY_KEY or COMPLAINTS_HISTORY_KEY_FILE, not both.")
    if path:
        text = _key_file(Path(path))
    elif not text:
        if not (config.get("DEMO_MODE") or config.get("TESTING")):
            raise ConfigurationError(NO_KEY)
        text = _demo_key(Path(config.get("INSTANCE_PATH") or "instance") / DEMO_KEY_FILE)
    try:
        return chain_keys.parse(text)
    except chain_keys.KeyringError as error:
        raise ConfigurationError(f"COMPLAINTS_HISTORY_KEY{'_FILE' if path else ''}: {error}.") from None


def _key_file(path: Path) -> str:
    try:
        text = path.read_text()
    except OSError as error:
        raise ConfigurationError(f"COMPLAINTS_HISTORY_KEY_FILE: cannot read {path}: {error.strerror}.") from None
    if os.name == "posix" and path.stat().st_mode & 0o077:
        log.warning("history key file %s can be read by other users: chmod 600 it", path)
    return text


def _demo_key(path: Path) -> str:
    """A per-instance key for demo and test mode, created once (mode 600) beside the demo database."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as out:
            out.write(f"demo:{secrets.token_hex(32)}\n")
        log.warning("demo mode: generated a history key in %s; production needs COMPLAINTS_HISTORY_KEY", path)
    except FileExistsError:
        pass
    return path.read_text()


def _dates(text: str | list) -> list[date]:
    items = text if isinstance(text, list) else [t for t in text.replace(",", " ").split() if t]
    return [d if isinstance(d, date) else date.fromisoformat(d) for d in items]


def create_app(config: object | None = None, clock: Clock | None = None):  # type: ignore[no-untyped-def]
    """The product's app on SQL services (SQLite file by default, PostgreSQL by DATABASE_URL)."""
    from web import create_app as web_app
    from web.config import Config

    settings = config if config is not None else Config()
    values = settings.as_dict() if isinstance(settings, Config) else dict(settings)  # type: ignore[call-overload]
    history.use_keys(history_keyring(values))
    if values["DATABASE_URL"].startswith("sqlite:///"):
        Path(values["DATABASE_URL"][len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)
    return web_app(values, sql_services(values, clock))


def main() -> None:
    """The `complaints` console script."""
    from web.commands import make_cli

    try:
        make_cli(create_app)()
    except ConfigurationError as error:
        raise SystemExit(f"complaints: {error}") from None
