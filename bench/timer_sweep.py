"""One timer sweep on PostgreSQL with 10,000 and 100,000 open cases, 100 of them due.

    .venv/bin/python -m bench.timer_sweep [--cases 10000,100000] [--due 100] [--rounds 5] [--pg URL]

One real case is started through the engine; the open cases are its rows cloned in bulk
(tests/seeding.py: case row with its workflow state, customer, work item, hash-chained
history), with next timers spread over the 30 days after the sweep's moment, so none is
due. Each round adds `--due` fresh clones whose review deadline (a real BPMN timer in their
state) has just passed and runs `engine.fire_due_timers` once, as the worker does, on a
cold workflow cache. Printed per size (best and median of the rounds):

* the whole sweep: claim the due cases (one statement), restore, fire and project each,
  write them all and commit (one transaction);
* finding due: the time in the claim statement (`next_timer_at < now ORDER BY
  next_timer_at LIMIT 100 FOR UPDATE SKIP LOCKED`), the part that could grow with the
  number of open cases;
* database: every statement and the commit (claim included);
* SpiffWorkflow alone: the in-memory engine firing the same 100 timers on workflows
  already restored (no database, no restore, no snapshot), the floor of any sweep built
  on it;
* an idle sweep: nothing due, one index probe.

Last line: `timer_sweep cases=N sweep_ms=X claims_ms=Y db_ms=Z spiff_ms=W` for the largest size.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from sqlalchemy import Engine, event, text

import engine
from engine import spiff
from engine.casework import workflows
from engine.kernel.clock import SettableClock
from engine.kernel.policy import Policy
from persistence import db
from persistence.store import SqlUnitOfWork
from tests.scenario import Scenario
from tests.seeding import clone_cases

RECEIVED = datetime(2026, 3, 2, 6, tzinfo=UTC)  # Monday 2 March 2026, 10:00 in Baku


@dataclass
class Round:
    sweep_ms: float
    claims_ms: float
    db_ms: float
    spiff_ms: float
    fired: int


@dataclass
class Size:
    cases: int
    rounds: list[Round] = field(default_factory=list)
    idle_ms: list[float] = field(default_factory=list)


@contextmanager
def database_timer(sql: Engine) -> Iterator[dict[str, float]]:
    """Milliseconds spent in statements and commits ("all") and in the claim while the block runs."""
    spent = {"claims": 0.0, "all": 0.0}

    def before(conn: Any, *args: Any) -> None:
        conn.info["bench_started"] = time.perf_counter()

    def after(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        took = (time.perf_counter() - conn.info.pop("bench_started")) * 1000
        spent["all"] += took
        if "FOR UPDATE SKIP LOCKED" in statement:
            spent["claims"] += took

    commit = sql.dialect.do_commit

    def timed_commit(dbapi_connection: Any) -> None:
        started = time.perf_counter()
        commit(dbapi_connection)
        spent["all"] += (time.perf_counter() - started) * 1000

    event.listen(sql, "before_cursor_execute", before)
    event.listen(sql, "after_cursor_execute", after)
    sql.dialect.do_commit = timed_commit  # type: ignore[method-assign]
    try:
        yield spent
    finally:
        event.remove(sql, "before_cursor_execute", before)
        event.remove(sql, "after_cursor_execute", after)
        sql.dialect.do_commit = commit  # type: ignore[method-assign]


def spiff_alone(sql: Engine, scenario: Scenario, prefix: str) -> float:
    """Milliseconds SpiffWorkflow takes to fire the round's due timers on live workflows."""
    with sql.connect() as connection:
        ids = connection.execute(text("SELECT id FROM cases WHERE reference LIKE :p"), {"p": f"{prefix}%"}).scalars()
        ids = list(ids)
    uow, now = scenario.uow, scenario.clock.now()
    with uow:
        cases = uow.cases.many(ids)
        live = [(workflows.take(c, uow.versions.get(c.version_id), scenario.policy)) for c in cases]
    started = time.perf_counter()
    for workflow in live:
        with spiff.running(workflow, now):
            spiff.fire_timers(workflow)
    return (time.perf_counter() - started) * 1000


def grow(sql: Engine, source: str, have: int, want: int, due_at: datetime) -> None:
    """Open cases that are not due: next timers spread over the 30 days after `due_at`."""
    spread = timedelta(days=30)
    count = want - have
    if count > 0:
        clone_cases(sql, source, count, with_messages=False, prefix=f"MG-G{have}",
                    next_timer_at=lambda n: due_at + spread * ((n + 1) / count))  # fmt: skip
        print(f"  {want:,} open cases", file=sys.stderr)
    with sql.begin() as connection:
        connection.execute(text("ANALYZE"))


def one_round(sql: Engine, scenario: Scenario, source: str, due: int, number: int, due_at: datetime) -> Round:
    prefix = f"MG-R{number}"
    clone_cases(sql, source, due, with_messages=False, prefix=prefix, next_timer_at=lambda n: due_at)
    workflows._live.clear()
    spiff_ms = spiff_alone(sql, scenario, prefix)
    workflows._live.clear()  # a worker restores what it fires from the stored state
    with database_timer(sql) as spent:
        started = time.perf_counter()
        fired = engine.fire_due_timers(limit=due, **scenario.deps)
        sweep_ms = (time.perf_counter() - started) * 1000
    return Round(sweep_ms, spent["claims"], spent["all"], spiff_ms, fired)


def idle_sweep(scenario: Scenario) -> float:
    started = time.perf_counter()
    assert engine.fire_due_timers(**scenario.deps) == 0
    return (time.perf_counter() - started) * 1000


def claim_plan(sql: Engine, now: datetime) -> str:
    query = text("EXPLAIN SELECT id FROM cases WHERE next_timer_at < :now ORDER BY next_timer_at LIMIT 100 "
                 "FOR UPDATE SKIP LOCKED")  # fmt: skip
    with sql.connect() as connection:
        return " / ".join(line.strip() for line in connection.execute(query, {"now": now}).scalars())


def run(url: str, sizes: list[int], due: int, rounds: int) -> list[Size]:
    sql = db.make_engine(url)
    db.upgrade(sql)
    scenario = Scenario(SqlUnitOfWork(sql), SettableClock(RECEIVED), Policy())
    source = scenario.start(email="seed@example.com").case_id
    due_at = min(d.due for d in scenario.view(source).case.deadlines)  # its review deadline, in its state
    with sql.begin() as connection:  # the template itself is never due; its clones say when they are
        connection.execute(text("UPDATE cases SET next_timer_at = NULL WHERE id = :id"), {"id": source})
    scenario.clock.set(due_at + timedelta(seconds=1))
    results, have = [], 1
    for cases in sizes:
        grow(sql, source, have, cases - due, due_at)
        have, size = cases - due, Size(cases)
        for number in range(rounds):
            size.rounds.append(one_round(sql, scenario, source, due, len(results) * rounds + number, due_at))
            size.idle_ms.append(idle_sweep(scenario))
            assert size.rounds[-1].fired == due, size.rounds[-1]
        print(f"  plan at {cases:,}: {claim_plan(sql, scenario.clock.now())}", file=sys.stderr)
        results.append(size)
    sql.dispose()
    return results


def report(results: list[Size], due: int) -> None:
    print(f"Timer sweep on PostgreSQL, {due} due cases per sweep (ms; best / median of {len(results[0].rounds)}):")
    print(f"  {'open cases':>10}  {'whole sweep':>15}  {'per case':>8}  {'finding due':>11}  {'database':>13}"
          f"  {'SpiffWorkflow alone':>19}  {'idle sweep':>11}")  # fmt: skip
    for s in results:
        rounds = s.rounds

        def cell(values: list[float], width: int, digits: int = 1) -> str:
            text = f"{min(values):.{digits}f} / {statistics.median(values):.{digits}f}"
            return f"{text:>{width}}"

        print(
            f"  {s.cases:>10,}  {cell([r.sweep_ms for r in rounds], 15)}  {min(r.sweep_ms for r in rounds) / due:8.2f}"
            f"  {cell([r.claims_ms for r in rounds], 11)}  {cell([r.db_ms for r in rounds], 13)}"
            f"  {cell([r.spiff_ms for r in rounds], 19)}  {cell(s.idle_ms, 11, 2)}"
        )
    last = results[-1].rounds
    print(f"timer_sweep cases={results[-1].cases} sweep_ms={min(r.sweep_ms for r in last):.1f} "
          f"claims_ms={min(r.claims_ms for r in last):.1f} db_ms={min(r.db_ms for r in last):.1f} "
          f"spiff_ms={min(r.spiff_ms for r in last):.1f}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", default="10000,100000", help="Open cases per measurement, comma-separated.")
    parser.add_argument("--due", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(args.pg, autocommit=True) as connection:
        connection.execute(f"CREATE SCHEMA {schema}")
    try:
        url = args.pg.replace("postgresql://", "postgresql+psycopg://") + f"?options=-csearch_path%3D{schema}"
        sizes = sorted(int(n) for n in args.cases.split(","))
        report(run(url, sizes, args.due, args.rounds), args.due)
    finally:
        with psycopg.connect(args.pg, autocommit=True) as connection:
            connection.execute(f"DROP SCHEMA {schema} CASCADE")


if __name__ == "__main__":
    main()
