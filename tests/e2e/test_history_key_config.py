"""Where the history key comes from: the environment or a file; a demo key; production refuses without."""

import os
import stat
import subprocess
import sys

import pytest

import bootstrap
from engine.records import history
from tests.conftest import ROOT
from web.config import Config

KEYRING = "2026b:" + "1f" * 32 + ",2026a:" + "2e" * 32


def settings(tmp_path, **values):
    base = dict(Config().as_dict(), DATABASE_URL=f"sqlite:///{tmp_path / 'k.sqlite3'}", INSTANCE_PATH=str(tmp_path),
                HISTORY_KEY="", HISTORY_KEY_FILE="", DEMO_MODE=False, TESTING=False)  # fmt: skip
    return dict(base, **values)


def test_production_without_a_history_key_refuses_to_start_and_says_what_to_set(tmp_path):
    with pytest.raises(bootstrap.ConfigurationError, match="No history key: set COMPLAINTS_HISTORY_KEY"):
        bootstrap.create_app(settings(tmp_path))
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPLAINTS_")}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'k.sqlite3'}", COMPLAINTS_INSTANCE=str(tmp_path))
    run = subprocess.run([sys.executable, "-c", "import bootstrap; bootstrap.main()", "versions"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    assert run.returncode == 1 and "complaints: No history key" in run.stderr and "Traceback" not in run.stderr


def test_the_keyring_comes_from_the_environment_with_the_signing_key_first(tmp_path):
    bootstrap.create_app(settings(tmp_path, HISTORY_KEY=KEYRING))
    assert history.keys().ids == ("2026b", "2026a") and history.keys().signing_id == "2026b"


def test_the_keyring_comes_from_a_file_that_only_the_application_reads(tmp_path, caplog):
    key_file = tmp_path / "history.keys"
    key_file.write_text("# rotated on 2026-11-30\n" + KEYRING.replace(",", "\n") + "\n")
    key_file.chmod(0o644)
    bootstrap.create_app(settings(tmp_path, HISTORY_KEY_FILE=str(key_file)))
    assert history.keys().ids == ("2026b", "2026a")
    assert "can be read by other users" in caplog.text
    with pytest.raises(bootstrap.ConfigurationError, match="not both"):
        bootstrap.create_app(settings(tmp_path, HISTORY_KEY=KEYRING, HISTORY_KEY_FILE=str(key_file)))
    with pytest.raises(bootstrap.ConfigurationError, match="cannot read"):
        bootstrap.create_app(settings(tmp_path, HISTORY_KEY_FILE=str(tmp_path / "missing.keys")))
    with pytest.raises(bootstrap.ConfigurationError, match="at least 16"):
        bootstrap.create_app(settings(tmp_path, HISTORY_KEY="2026:abcd"))


def test_demo_mode_generates_a_key_once_in_the_instance_folder(tmp_path):
    bootstrap.create_app(settings(tmp_path, DEMO_MODE=True))
    first = history.keys()
    key_file = tmp_path / bootstrap.DEMO_KEY_FILE
    assert first.ids == ("demo",) and stat.S_IMODE(key_file.stat().st_mode) == 0o600
    bootstrap.create_app(settings(tmp_path, DEMO_MODE=True))
    assert history.keys() == first
