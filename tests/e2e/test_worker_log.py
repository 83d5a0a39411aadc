"""What an operator reads from the worker: the product's own lines, not SpiffWorkflow's INFO chatter."""

import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

import bootstrap
from web.commands import make_cli

COMPLAINTS = Path(sys.executable).with_name("complaints")


def run_worker(database, **environment):
    env = {name: value for name, value in os.environ.items() if name != "COMPLAINTS_LOG_LEVEL"}
    env.update(DATABASE_URL=database, COMPLAINTS_DEMO="1", **environment)
    done = subprocess.run([str(COMPLAINTS), "--now", "2026-03-18T09:00+04:00", "worker", "--once"], env=env,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stderr


def cases_due(tmp_path, count):
    database = f"sqlite:///{tmp_path / 'w.sqlite3'}"
    settings = {"DATABASE_URL": database, "TESTING": True, "DEMO_MODE": True}

    def make_app():
        from web.config import Config

        return bootstrap.create_app(dict(Config().as_dict(), **settings))

    group, runner = make_cli(make_app), CliRunner()
    runner.invoke(group, ["setup"], catch_exceptions=False)
    for n in range(count):
        runner.invoke(group, ["--now", "2026-03-02T10:00+04:00", "start", "--channel", "call_centre", "--phone",
                              "+994501234567", "--description", f"case {n}", "--as", "intake"])  # fmt: skip
    return database


def test_the_worker_logs_its_own_lines_and_library_warnings_only(tmp_path):
    log = run_worker(cases_due(tmp_path, 3))
    assert "web.runner: worker: advanced 3 case(s)" in log
    assert "spiff" not in log.lower()
    assert all(" INFO web." in line or " INFO engine." in line or "WARNING" in line for line in log.splitlines())


def test_the_log_level_is_the_operators_choice(tmp_path):
    database = cases_due(tmp_path, 1)
    assert "advanced" not in run_worker(database, COMPLAINTS_LOG_LEVEL="WARNING")
    log = run_worker(database, COMPLAINTS_LOG_LEVEL="loud")
    assert "COMPLAINTS_LOG_LEVEL='loud' is not a level" in log
