"""Replay-verify: one 20-event case (target < 50 ms), then every case of a large database (cases/s).

    .venv/bin/python -m bench.replay [--cases N] [--db URL] [--rounds R]

1. One case of bpmn/complaint_handling.bpmn with 20 events (intake with missing data,
   registration, four clarification rounds, status requests, the at-risk timer, a delay
   notice, analysis, written response, corrective measures) is verified with
   `engine.verify_case` (hash chain + deterministic replay against the stored state, reading
   the case from the database) `--rounds` times; best and median ms are printed.
2. `--cases` cases (default 10,000: started, reviewed) are seeded through the real use cases,
   then `engine.verify_cases` checks them all with a progress line on stderr and the rate.

The last line is machine-readable:
    replay case_events=20 verify_ms=X cases=N cases_per_s=Y
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import engine
from engine.kernel import model
from engine.kernel.clock import SettableClock
from engine.kernel.policy import Policy
from engine.records import chain_keys, history
from persistence import db
from persistence.store import SqlUnitOfWork

ROOT = Path(__file__).resolve().parent.parent
BPMN_FILE = ROOT / "bpmn" / "complaint_handling.bpmn"
T0 = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
LANES = {lane: model.Actor(lane, frozenset({lane})) for lane in ("intake", "officer", "quality")}
CLARIFY = {"review_notes": "Need details", "clarify": True, "question": "Which store?"}
ANSWER = {"contacted_via": "phone", "customer_answer": "Ganjlik mall"}
REGISTER = {"surname": "Aliyev", "given_name": "Rashad", "description": "Broken guitar", "phone": "+994 50 123 45 67"}
# (hours after T0, what): a bpmn id with its data, "status" for a status request, "timer" for a sweep
STEPS: list[tuple[float, Any]] = [
    (1, ("Task_Register", REGISTER)),
    *[(2 + i, step) for i in range(4) for step in (("Task_Review", CLARIFY), ("Task_Clarify", ANSWER))],
    (20, ("Task_Review", {"review_notes": "Clear now"})),
    (21, "status"), (22, "status"), (23, "status"),
    (24 * 12, "timer"),
    (24 * 12 + 1, ("Task_DelayNotice", {"delay_reason": "Supplier", "new_date": "2026-03-31"})),
    (24 * 12 + 2, ("Task_Analyse", {"findings": "Faulty", "decision": "upheld", "measures": "Replace",
                                    "corrective_needed": True})),
    (24 * 12 + 3, "status"),
    (24 * 12 + 4, ("Task_Respond", {"response_mode": "written", "response_text": "We replace it."})),
    (24 * 12 + 5, ("Task_Corrective", {"corrective_actions": "QA"})),
]  # fmt: skip


SEED_INTAKE = {"channel": "email", "description": "x", "email": "a@example.az", "surname": "A", "given_name": "B"}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Bench:
    def __init__(self, url: str):
        self.engine = db.make_engine(url)
        db.upgrade(self.engine)
        self.uow, self.clock, self.policy = SqlUnitOfWork(self.engine), SettableClock(T0), Policy()
        history.use_keys(chain_keys.parse("bench:" + "b3" * 32))  # keyed chains (HMAC), as in production
        forms = {f"forms/{p.name}": p.read_bytes() for p in sorted((BPMN_FILE.parent / "forms").glob("*.form"))}
        owner = model.Actor("owner", frozenset({"process_owner"}))
        engine.deploy_process_version("complaint_handling", BPMN_FILE.read_bytes(), forms, actor=owner, **self.deps())

    def deps(self) -> dict[str, Any]:
        return {"uow": self.uow, "clock": self.clock, "policy": self.policy}

    def complete(self, case_id: str, bpmn_id: str, data: dict[str, Any]) -> None:
        view = engine.show_case(case_id, uow=self.uow)
        item = next(i for i in view.work_items if i.bpmn_id == bpmn_id)
        engine.complete_task(case_id, item.task_id, data, actor=LANES[item.lane], **self.deps())

    def long_case(self) -> str:
        self.clock.set(T0)
        intake = {"channel": "call_centre", "description": "Broken guitar"}
        case = engine.start_case(intake, actor=LANES["intake"], **self.deps())
        for hours, step in STEPS:
            self.clock.set(T0 + timedelta(hours=hours))
            if step == "timer":
                engine.fire_due_timers(**self.deps())
            elif step == "status":
                engine.record_status_request(case.reference, "call_centre", requester="the customer",
                                             actor=LANES["intake"], **self.deps())  # fmt: skip
            else:
                self.complete(case.case_id, *step)
        return case.reference

    def seed(self, count: int) -> None:
        started = time.perf_counter()
        for i in range(count):
            self.clock.set(T0 + timedelta(minutes=i % 600))
            case = engine.start_case(SEED_INTAKE, actor=LANES["intake"], **self.deps())
            self.complete(case.case_id, "Task_Review", {"review_notes": "ok"})
            if (i + 1) % max(count // 10, 1) == 0:
                log(f"  seeded {i + 1}/{count} cases ({(i + 1) / (time.perf_counter() - started):.0f}/s)")


def verify_one(bench: Bench, reference: str, rounds: int) -> list[float]:
    timings = []
    for _ in range(rounds):
        started = time.perf_counter()
        check = engine.verify_case(reference, uow=bench.uow, policy=bench.policy)
        timings.append((time.perf_counter() - started) * 1000)
        assert check.ok and check.events == 20, check
    return timings


def verify_all(bench: Bench) -> tuple[int, float]:
    total = engine.count_cases(uow=bench.uow)
    started, done, every = time.perf_counter(), 0, max(total // 20, 1)
    for check in engine.verify_cases(uow=bench.uow, policy=bench.policy):
        assert check.ok, check
        done += 1
        if done % every == 0 or done == total:
            elapsed = time.perf_counter() - started
            bar = "#" * (30 * done // total)
            log(f"  verifying [{bar:<30}] {done}/{total}  {done / elapsed:.0f} cases/s")
    return done, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--db", help="Database URL (default: a new SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        bench = Bench(args.db or f"sqlite:///{folder}/replay.sqlite3")
        reference = bench.long_case()
        timings = verify_one(bench, reference, args.rounds)
        best, median = min(timings), statistics.median(timings)
        print(f"verify one 20-event case: best {best:.1f} ms, median {median:.1f} ms (target < 50 ms)")
        log(f"seeding {args.cases} cases ...")
        bench.seed(max(args.cases - 1, 0))
        count, seconds = verify_all(bench)
        print(f"verified {count} cases in {seconds:.1f} s: {count / seconds:.0f} cases/s")
        print(f"replay case_events=20 verify_ms={median:.1f} cases={count} cases_per_s={count / seconds:.0f}")
        bench.engine.dispose()


if __name__ == "__main__":
    main()
