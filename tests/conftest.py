"""Shared fixtures: a fake clock, the bundled process, and units of work (memory, SQLite, PostgreSQL)."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from engine.kernel.clock import SettableClock
from engine.kernel.policy import Policy
from engine.records import chain_keys, history

ROOT = Path(__file__).resolve().parent.parent
BPMN_FILE = ROOT / "bpmn" / "complaint_handling.bpmn"
# The shared test data (the BPMN corpus) beside the clone, or where COMPLAINTS_SHARED says.
SHARED = Path(os.environ.get("COMPLAINTS_SHARED") or ROOT.parent / "shared")
CORPUS = SHARED / "bpmn-corpus"
PG_URL = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
# Histories are signed with this key, in this process and in the processes tests start (workers).
TEST_HISTORY_KEYS = "test-2026:" + "5e" * 32
os.environ["COMPLAINTS_HISTORY_KEY"] = TEST_HISTORY_KEYS
os.environ.pop("COMPLAINTS_HISTORY_KEY_FILE", None)


def bundled_forms() -> dict[str, bytes]:
    return {f"forms/{p.name}": p.read_bytes() for p in sorted((BPMN_FILE.parent / "forms").glob("*.form"))}


@pytest.fixture(autouse=True, scope="session")
def fresh_compiled_scripts():
    """Under make mutate each test compiles scripts anew: a cache filled before the mutant was
    switched on would hide it (mutmut runs the tests in forks of one warmed-up process)."""
    if os.environ.get("MUTANT_UNDER_TEST"):
        from engine.notation import sandbox

        sandbox._compile.cache_clear()


@pytest.fixture(autouse=True)
def history_keys() -> chain_keys.Keyring:
    """The test keyring, as the composition root hands it to the engine (a test may change it)."""
    keyring = chain_keys.parse(TEST_HISTORY_KEYS)
    history.use_keys(keyring)
    return keyring


@pytest.fixture
def clock() -> SettableClock:
    """Monday 2 March 2026, 10:00 in Baku; tests move it, nothing sleeps."""
    return SettableClock(datetime(2026, 3, 2, 6, 0, tzinfo=UTC))


@pytest.fixture
def policy() -> Policy:
    return Policy()


def unavailable(reason: str, *, module: bool = False) -> None:
    """Skip for want of `reason` on a developer's machine; in CI a missing prerequisite fails the run."""
    if os.environ.get("CI"):
        pytest.fail(f"CI must not skip: {reason}", pytrace=False)
    pytest.skip(reason, allow_module_level=module)


def corpus_file(relative: str) -> Path:
    """A file of the shared BPMN corpus (skipped when absent, failing in CI)."""
    path = CORPUS / relative
    if not path.exists():
        unavailable(f"BPMN corpus file not found: {path} (set COMPLAINTS_SHARED to the shared folder)")
    return path


def postgres_reachable() -> str | None:
    """None when the test PostgreSQL answers, else the reason it does not."""
    try:
        import psycopg

        with psycopg.connect(PG_URL.replace("+psycopg", ""), connect_timeout=3):
            return None
    except Exception as error:  # noqa: BLE001 - any failure is a reason to skip
        return f"PostgreSQL at {PG_URL} is unreachable: {error}"


@pytest.fixture
def pg_url():
    """A private, empty schema in the test database for one test, dropped afterwards."""
    reason = postgres_reachable()
    if reason:
        unavailable(reason)
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    plain = PG_URL.replace("+psycopg", "")
    with psycopg.connect(plain, autocommit=True) as connection:
        connection.execute(f"CREATE SCHEMA {schema}")
    yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    with psycopg.connect(plain, autocommit=True) as connection:
        connection.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture
def smtp():
    """A real SMTP server (aiosmtpd) on a free port that records what it accepts (tests/smtp.py)."""
    from tests.smtp import SmtpServer

    server = SmtpServer()
    yield server
    server.stop()


@pytest.fixture
def mailer(smtp):
    """The product's SMTP adapter, sending to the `smtp` server in plain SMTP."""
    from persistence.smtp import SmtpMailer, SmtpSettings

    return SmtpMailer(SmtpSettings("127.0.0.1", smtp.port, security="none", timeout=5))
