"""Worker processes on PostgreSQL under load and faults: every timer fires once, every message goes out once.

Real components only: `complaints worker` processes, the test PostgreSQL, an aiosmtpd server
in this process. Cases are cloned in bulk from one real case (tests/seeding.py).
"""

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from engine.casework import workflows
from persistence import db
from persistence import tables as t
from persistence.store import SqlUnitOfWork
from tests.scenario import Scenario
from tests.seeding import clone_cases

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
COMPLAINTS = Path(sys.executable).parent / "complaints"
AFTER_REVIEW_DEADLINE = "2026-03-06T09:00+04:00"  # cases received on Monday 2 March


@pytest.fixture
def pg(pg_url):
    sql = db.make_engine(pg_url)
    db.upgrade(sql)
    yield sql
    sql.dispose()


def seed(pg, clock, policy, count):
    """`count` open cases whose review deadline has passed at AFTER_REVIEW_DEADLINE, each with an acknowledgement."""
    workflows._live.clear()
    scenario = Scenario(SqlUnitOfWork(pg), clock, policy)
    first = scenario.start(email="customer0@example.com")
    return [first.case_id, *clone_cases(pg, first.case_id, count - 1)]


def claimable(pg):
    """Due cases no transaction holds."""
    due = text("SELECT count(*) FROM (SELECT id FROM cases WHERE next_timer_at IS NOT NULL FOR UPDATE SKIP LOCKED) s")
    with pg.connect() as connection:
        return connection.execute(due).scalar()


def blocked_by(pg, pid):
    """What the sessions waiting for `pid` run (read outside its transaction: activity is a snapshot)."""
    waiting = text("SELECT query FROM pg_stat_activity WHERE :me = ANY(pg_blocking_pids(pid))")
    with pg.connect() as connection:
        return connection.execute(waiting, {"me": pid}).scalars().all()


@pytest.fixture
def start_worker(pg_url):
    """Starts `complaints worker` processes; any still alive when the test ends (it failed or timed
    out) is killed before the schema is dropped, so a failure never hangs the teardown."""
    started = []

    def start(pg_url, smtp, *args):
        started.append(worker_process(pg_url, smtp, *args))
        return started[-1]

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.communicate()


def worker_process(pg_url, smtp, *args):
    env = dict(os.environ, DATABASE_URL=pg_url, COMPLAINTS_DEMO="1", COMPLAINTS_WORKER_POLL="0.2")
    env.update(COMPLAINTS_SMTP_HOST="127.0.0.1", COMPLAINTS_SMTP_PORT=str(smtp.port), COMPLAINTS_SMTP_SECURITY="none")
    return subprocess.Popen([str(COMPLAINTS), "--now", AFTER_REVIEW_DEADLINE, "worker", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip


def finish(process, timeout=240):
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, err[-3000:]
    fired, sent = map(int, re.search(r"Fired due timers of (\d+) case\(s\); sent (\d+) message", out).groups())
    return fired, sent


def timers_fired(pg):
    with pg.connect() as connection:
        query = select(t.events.c.case_id, func.count()).where(t.events.c.type == "timer_fired")
        return dict(connection.execute(query.group_by(t.events.c.case_id)).all())


def assert_each_timer_fired_and_each_message_sent_once(pg, smtp, case_ids):
    assert timers_fired(pg) == dict.fromkeys(case_ids, 1)
    with pg.connect() as connection:
        escalations = connection.execute(
            select(t.work_items.c.case_id).where(t.work_items.c.bpmn_id == "Task_ReviewOverdue")
        ).scalars()
        assert Counter(escalations) == dict.fromkeys(case_ids, 1)
        messages = connection.execute(select(t.outbox.c.id, t.outbox.c.status, t.outbox.c.attempts)).all()
    assert len(messages) == len(case_ids) and {(s, a) for _, s, a in messages} == {("sent", 1)}
    ids = smtp.recorder.message_ids()
    assert len(ids) == len(set(ids)) == len(case_ids)
    assert set(ids) == {f"<{m}@musicgallery.az>" for m, _, _ in messages}
    recipients = [to for _, tos in smtp.recorder.envelopes for to in tos]
    assert sorted(recipients) == sorted(f"customer{n}@example.com" for n in range(len(case_ids)))


def test_four_worker_processes_fire_thousands_of_timers_and_send_each_message_once(
    pg, pg_url, smtp, clock, policy, start_worker
):
    case_ids = seed(pg, clock, policy, 2000)
    workers = [start_worker(pg_url, smtp, "--once") for _ in range(4)]
    results = [finish(w) for w in workers]
    assert sum(f for f, _ in results) == len(case_ids)
    assert sum(s for _, s in results) == len(case_ids)
    assert sum(1 for f, s in results if f or s) >= 2, results  # the work was shared
    assert_each_timer_fired_and_each_message_sent_once(pg, smtp, case_ids)


def test_a_worker_killed_mid_sweep_loses_nothing_and_does_nothing_twice(pg, pg_url, smtp, clock, policy, start_worker):
    case_ids = seed(pg, clock, policy, 600)
    # 1. killed between claiming a batch of due cases and committing it: the history table is
    #    locked under the worker's feet, so it waits holding its claimed batch until SIGKILL
    with pg.connect() as blocker:
        blocker.execute(text("LOCK TABLE events IN SHARE MODE"))  # reads go on, inserts wait
        first = start_worker(pg_url, smtp)
        me = blocker.execute(text("SELECT pg_backend_pid()")).scalar()
        while not (blocked := blocked_by(pg, me)):
            assert first.poll() is None
            time.sleep(0.01)
        assert any("INSERT INTO events" in query for query in blocked), blocked
        assert claimable(pg) == len(case_ids) - 100  # its batch is held
        first.send_signal(signal.SIGKILL)
        first.communicate(timeout=30)
        blocker.rollback()
    deadline = time.monotonic() + 30  # PostgreSQL ends the killed worker's session when it notices
    while claimable(pg) < len(case_ids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert claimable(pg) == len(case_ids)  # its cases are free and due again
    assert timers_fired(pg) == {} and smtp.recorder.attempts == 0  # the batch was rolled back, not half-fired
    # 2. killed by the mail server while handing over a message: the server never answered it
    second, killed = start_worker(pg_url, smtp), threading.Event()

    def kill_at_the_50th(message):
        if len(smtp.recorder.accepted) < 50 or killed.is_set():
            return True
        killed.set()
        second.send_signal(signal.SIGKILL)
        return False

    smtp.recorder.before_accept = kill_at_the_50th
    second.communicate(timeout=240)
    assert killed.is_set() and second.returncode == -signal.SIGKILL
    assert len(smtp.recorder.accepted) == 50
    # 3. a restarted worker works off the rest
    fired, sent = finish(start_worker(pg_url, smtp, "--once"))
    assert fired > 0 and sent == len(case_ids) - 50
    assert smtp.recorder.attempts == len(case_ids) + 1  # the one cut off was handed over again
    assert_each_timer_fired_and_each_message_sent_once(pg, smtp, case_ids)
