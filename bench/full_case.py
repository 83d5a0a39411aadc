"""Full-case throughput: the persisted engine (SQLite, PostgreSQL) against SpiffWorkflow in memory.

    .venv/bin/python -m bench.full_case [--cases N] [--rounds R] [--warmup W] [--pg URL] [--no-pg]
                                        [--cold] [--breakdown | --profile [FILE]]

A full case of bpmn/complaint_handling.bpmn follows one realistic path: start with missing
personal data, register (data completed), initial review asking a clarification, clarify,
review again, the clock moves past the at-risk timer and the timer sweep fires it, delay
notice, analyse (corrective measures needed), written response, corrective measures.

* persisted: the real use cases (engine.start_case / complete_task / fire_due_timers) on
  SqlUnitOfWork, one Actor per lane, a SettableClock (nothing sleeps);
* in memory: the same parsed model, the same sandboxed script engine and the same validated
  data driven through engine.spiff (create/advance/complete/fire_timers), no persistence.

Only the use-case calls (resp. the engine.spiff calls) are timed; looking up the id of the
next ready task is harness work and is timed separately ("wall" figures include it).
Each backend runs `--rounds` rounds of `--cases` cases after a warm-up, rounds interleaved
across backends; the best round counts (the machine is shared, noise only slows things).

--breakdown times the phases of each persisted use case (wrapped functions, SQL per
statement) instead; --profile runs the SQLite path under cProfile. Neither prints the last line.

The last line is machine-readable:
    full_case sqlite_ratio=X pg_ratio=Y state_bytes=Z
"""

from __future__ import annotations

import argparse
import cProfile
import math
import pstats
import statistics
import sys
import tempfile
import time
import uuid
import zlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from lxml import etree
from sqlalchemy import event, text

import engine
from engine import spiff
from engine.casework import workflows
from engine.kernel import model
from engine.kernel.clock import SettableClock
from engine.kernel.policy import Policy
from engine.notation import forms as engine_forms
from persistence import db
from persistence.store import SqlUnitOfWork

ROOT = Path(__file__).resolve().parent.parent
BPMN_FILE = ROOT / "bpmn" / "complaint_handling.bpmn"
FORMS_DIR = ROOT / "bpmn" / "forms"
PROCESS_KEY = "complaint_handling"
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

T0 = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)  # Monday 10:00 in Baku
AFTER_AT_RISK = T0 + timedelta(days=12)  # past "Resolution at risk", before the deadline

ACTORS = {
    "intake": model.Actor("operator", frozenset({"intake"})),
    "officer": model.Actor("officer", frozenset({"officer"})),
    "quality": model.Actor("quality", frozenset({"quality"})),
}

INTAKE = {
    "channel": "call_centre",
    "surname": "Aliyev",
    "given_name": "Rashad",
    "description": "Broken guitar",
}
TIMER = "timer"
# (lane, bpmn id, form data) in order; TIMER = move the clock past the at-risk timer and sweep.
PATH: list[tuple[str, str, dict[str, Any]] | str] = [
    ("intake", "Task_Register", {
        "surname": "Aliyev", "given_name": "Rashad", "description": "Broken guitar",
        "phone": "+994 50 123 45 67",
    }),
    ("officer", "Task_Review", {
        "review_notes": "Need the store", "clarify": True, "question": "Which store?",
    }),
    ("officer", "Task_Clarify", {"contacted_via": "phone", "customer_answer": "Ganjlik mall"}),
    ("officer", "Task_Review", {"review_notes": "Clear now"}),
    TIMER,
    ("officer", "Task_DelayNotice", {"delay_reason": "Waiting for the supplier", "new_date": "2026-03-31"}),
    ("officer", "Task_Analyse", {
        "findings": "Faulty unit", "decision": "upheld", "measures": "Replace it", "corrective_needed": True,
    }),
    ("officer", "Task_Respond", {"response_mode": "written", "response_text": "We replace your guitar."}),
    ("quality", "Task_Corrective", {"corrective_actions": "Check incoming QA"}),
]  # fmt: skip
MID_PROCESS = "Task_Analyse"  # the state size is read right after this step


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- results --------------------------------------------------------------------------------


@dataclass
class Round:
    cases: int = 0
    seconds: float = 0.0  # use-case (resp. engine.spiff) calls only
    wall: float = 0.0  # the whole round, harness included

    @property
    def rate(self) -> float:
        return self.cases / self.seconds if self.seconds else math.nan

    @property
    def wall_rate(self) -> float:
        return self.cases / self.wall if self.wall else math.nan


@dataclass
class Backend:
    name: str
    rounds: list[Round] = field(default_factory=list)
    statements: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    commits: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    step_seconds: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    state_bytes: list[int] = field(default_factory=list)
    state_json_bytes: list[int] = field(default_factory=list)

    @property
    def best(self) -> Round | None:
        return max(self.rounds, key=lambda r: r.rate) if self.rounds else None

    @property
    def rate(self) -> float:
        return self.best.rate if self.best else math.nan


# --- the persisted path ---------------------------------------------------------------------


class Persisted:
    """One database: the real use cases on SqlUnitOfWork, statements and commits counted."""

    def __init__(self, name: str, url: str, bpmn_xml: bytes, form_files: dict[str, bytes], policy: Policy):
        self.name = name
        self.engine = db.make_engine(url)
        db.upgrade(self.engine)
        self.uow = SqlUnitOfWork(self.engine)
        self.clock = SettableClock(T0)
        self.policy = policy
        self.statements = 0
        self.commits = 0
        event.listen(self.engine, "before_cursor_execute", self._count_statement)
        event.listen(self.engine, "commit", self._count_commit)
        owner = model.Actor("owner", frozenset({"process_owner"}))
        engine.deploy_process_version(
            PROCESS_KEY, bpmn_xml, form_files, actor=owner, uow=self.uow, clock=self.clock, policy=policy
        )
        self.length = "octet_length" if self.engine.dialect.name == "postgresql" else "length"

    def _count_statement(self, *_: Any) -> None:
        self.statements += 1

    def _count_commit(self, *_: Any) -> None:
        self.commits += 1

    def deps(self) -> dict[str, Any]:
        return {"uow": self.uow, "clock": self.clock, "policy": self.policy}

    def ready_task(self, case_id: str, bpmn_id: str) -> str:
        with self.uow as uow:
            items = uow.work_items.for_case(case_id)
        return next(i.task_id for i in items if i.bpmn_id == bpmn_id)

    def stored_state(self, case_id: str) -> tuple[int, int]:
        """Bytes of `cases.state` as stored, and of the same state as uncompressed JSON."""
        with self.engine.connect() as connection:
            query = text(f"SELECT {self.length}(state), state FROM cases WHERE id = :id")
            size, blob = connection.execute(query, {"id": case_id}).one()
        return int(size), len(_plain_json(bytes(blob)))

    def run_case(self, result: Backend | None, cold: bool = False, measure_state: bool = False) -> float:
        """One full case; returns the seconds spent inside use-case calls."""
        spent = 0.0
        deps = self.deps()
        self.clock.set(T0)

        def call(kind: str, use_case: Callable[[], Any]) -> Any:
            nonlocal spent
            if cold:
                _forget_live_workflows()  # force a restore from the row (measures the cold path)
            statements, commits = self.statements, self.commits
            started = time.perf_counter()
            value = use_case()
            elapsed = time.perf_counter() - started
            spent += elapsed
            if result is not None:
                result.statements[kind].append(self.statements - statements)
                result.commits[kind].append(self.commits - commits)
                result.step_seconds[kind].append(elapsed)
            return value

        progress = call("start_case", lambda: engine.start_case(INTAKE, actor=ACTORS["intake"], **deps))
        case_id = progress.case_id
        for step in PATH:
            if step == TIMER:
                self.clock.set(AFTER_AT_RISK)
                fired = call("fire_due_timers", lambda: engine.fire_due_timers(**deps))
                assert fired == 1, f"{self.name}: the timer sweep fired {fired} cases, expected 1"
                continue
            lane, bpmn_id, data = step  # type: ignore[misc]
            task_id = self.ready_task(case_id, bpmn_id)
            progress = call(
                "complete_task",
                lambda: engine.complete_task(case_id, task_id, data, actor=ACTORS[lane], **deps),  # noqa: B023
            )
            assert progress.error is None, progress.error
            if measure_state and bpmn_id == MID_PROCESS and result is not None:
                stored, plain = self.stored_state(case_id)
                result.state_bytes.append(stored)
                result.state_json_bytes.append(plain)
        assert progress.status == "closed", f"{self.name}: case ended {progress.status} at {progress.stage}"
        return spent

    def close(self) -> None:
        self.engine.dispose()


def _forget_live_workflows() -> None:
    live = getattr(workflows, "_live", None)
    if live is None:
        raise SystemExit("--cold: engine.workflows has no `_live` cache any more; update bench/full_case.py")
    with workflows._lock:
        live.clear()


def _plain_json(blob: bytes) -> bytes:
    """The stored state as plain JSON (it is stored zlib-compressed, or as is)."""
    try:
        raw = zlib.decompress(blob)
    except zlib.error:
        raw = blob
    orjson.loads(raw)  # it must be JSON
    return raw


# --- the in-memory baseline -----------------------------------------------------------------


class InMemory:
    """SpiffWorkflow alone: the same model, script engine and data; nothing stored."""

    def __init__(self, bpmn_xml: bytes, form_files: dict[str, bytes], policy: Policy):
        root = etree.fromstring(bpmn_xml)
        ns = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL"}
        process = root.xpath("//bpmn:process[@isExecutable='true']", namespaces=ns) or root.xpath(
            "//bpmn:process", namespaces=ns
        )
        _, self.bundle = spiff.parse(root, process[0].get("id"))  # SpiffBpmnParser, once
        self.script_engine = spiff.script_engine(policy)
        self.clock = SettableClock(T0)
        self.start_data, self.steps = self._validated(form_files, policy)

    def _validated(self, form_files: dict[str, bytes], policy: Policy) -> tuple[dict[str, Any], list[Any]]:
        """The exact data the engine hands to SpiffWorkflow (validated, personal data moved out)."""
        personal = model.PersonalData(
            "p", "c", **{k: v for k, v in INTAKE.items() if k in model.PERSONAL_FIELDS}
        )
        start = {
            "reference": "MG-2026-000001", "channel": INTAKE["channel"],
            "received_at": T0.isoformat(), "missing": personal.missing(),
        }  # fmt: skip
        form_of = _form_keys()
        steps: list[Any] = []
        for step in PATH:
            if step == TIMER:
                steps.append(TIMER)
                continue
            _, bpmn_id, data = step  # type: ignore[misc]
            form = orjson.loads(form_files[form_of[bpmn_id]])
            today = policy.calendar.local_date(AFTER_AT_RISK)
            values = engine_forms.validate_data(form, data, today=today)
            if any(k in model.PERSONAL_FIELDS for k in values):
                values = {k: v for k, v in values.items() if k not in model.PERSONAL_FIELDS}
                values["missing"] = []
            steps.append((bpmn_id, values))
        return start, steps

    def run_case(self, result: Backend | None = None) -> float:
        spent = 0.0
        self.clock.set(T0)
        with spiff.clock_in_use(self.clock):
            started = time.perf_counter()
            workflow = spiff.create(self.bundle, self.script_engine, self.start_data)
            spiff.advance(workflow)
            spent += time.perf_counter() - started
            for step in self.steps:
                if step == TIMER:
                    self.clock.set(AFTER_AT_RISK)
                    started = time.perf_counter()
                    spiff.fire_timers(workflow)
                    spent += time.perf_counter() - started
                    continue
                bpmn_id, values = step
                task_id = next(t.id for t in spiff.ready_tasks(workflow) if t.bpmn_id == bpmn_id)
                started = time.perf_counter()
                spiff.complete(workflow, task_id, values)
                spent += time.perf_counter() - started
        assert spiff.is_completed(workflow), "in-memory case did not complete"
        return spent


def _form_keys() -> dict[str, str]:
    root = etree.parse(str(BPMN_FILE)).getroot()
    keys = {}
    for task in root.iter("{http://www.omg.org/spec/BPMN/20100524/MODEL}userTask"):
        for name, value in task.attrib.items():
            if name.endswith("}formKey"):
                keys[task.get("id")] = value
    return keys


# --- driving ----------------------------------------------------------------------------------


def run_round(name: str, cases: int, one_case: Callable[[], float], round_no: int, rounds: int) -> Round:
    result = Round()
    started = time.perf_counter()
    every = max(cases // 4, 1)
    for i in range(cases):
        result.seconds += one_case()
        result.cases += 1
        if cases >= 50 and (i + 1) % every == 0:
            log(f"  [{name} round {round_no}/{rounds}] {i + 1}/{cases} cases")
    result.wall = time.perf_counter() - started
    log(f"  [{name} round {round_no}/{rounds}] {result.rate:8.1f} cases/s ({result.wall_rate:.1f} wall)")
    return result


def pg_schema(url: str) -> tuple[str, str, Callable[[], None]] | str:
    """A private schema for the run: (schema URL, schema, drop) or the reason PostgreSQL is unusable."""
    admin = db.make_engine(url, connect_args={"connect_timeout": 3})
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    try:
        with admin.begin() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
    except Exception as error:  # noqa: BLE001 - any failure means: no PostgreSQL figures
        admin.dispose()
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        return f"PostgreSQL at {url} is unreachable: {first}"

    def drop() -> None:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()

    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}options=-csearch_path%3D{schema}", schema, drop


def profile(target: Persisted, cases: int, out: str | None) -> None:
    """cProfile the persisted path; the top functions go to stderr."""
    for _ in range(5):
        target.run_case(None)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(cases):
        target.run_case(None)
    profiler.disable()
    if out:
        profiler.dump_stats(out)
        log(f"profile written to {out}")
    for order in ("tottime", "cumulative"):
        log(f"\n--- {target.name}: top functions by {order} over {cases} cases ---")
        stats = pstats.Stats(profiler, stream=sys.stderr)
        stats.strip_dirs().sort_stats(order).print_stats(35)


class Breakdown:
    """Wall time of the phases of the persisted use cases, by wrapping functions (no profiler).

    Times are inclusive: `spiff.snapshot` is part of `workflows.project`, `encode_state` and the
    SQL of `cases.save` are part of `workflows.store`, and so on. Restored on exit.
    """

    def __init__(self, target: Persisted):
        import sqlalchemy.engine.base as sa_base

        from engine.casework import cases
        from engine.notation import forms
        from engine.records import history
        from persistence import store

        self.target = target
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self._patched: list[tuple[Any, str, Any]] = []
        self.active = 0
        self.missing: list[str] = []
        self.statements: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])
        wrap = self._wrap
        wrap(engine, "complete_task", "use case: complete_task")
        wrap(engine, "start_case", "use case: start_case")
        wrap(engine, "fire_due_timers", "use case: fire_due_timers")
        wrap(store.SqlUnitOfWork, "__enter__", "uow: connect + begin")
        wrap(store.SqlUnitOfWork, "__exit__", "uow: exit (release connection)")
        wrap(store.SqlUnitOfWork, "commit", "uow: commit")
        wrap(sa_base.Connection, "execute", "sql: Connection.execute (SQLAlchemy + driver)")
        wrap(store, "_case", "sql: row -> Case (decode_state, deadlines)")
        wrap(store, "_case_row", "sql: Case -> row (encode_state, deadlines)")
        wrap(store, "encode_state", "state: encode (orjson.dumps + zlib)")
        wrap(store, "decode_state", "state: decode (zlib + orjson.loads)")
        wrap(forms, "validate_data", "forms.validate_data")
        wrap(history, "record", "history.record (event hash)")
        wrap(workflows, "take", "workflows.take (cache or restore)")
        wrap(spiff, "restore", "spiff.restore (from_dict)")
        wrap(workflows, "project", "workflows.project")
        wrap(spiff, "snapshot", "spiff.snapshot (to_dict)")
        wrap(spiff, "ready_tasks", "spiff.ready_tasks (tree walk)")
        wrap(spiff, "pending_timers", "spiff.pending_timers (tree walk)")
        wrap(workflows, "store", "workflows.store (writes)")
        wrap(spiff, "create", "spiff.create")
        wrap(spiff, "advance", "spiff.advance (engine steps)")
        wrap(spiff, "complete", "spiff.complete (run task + advance)")
        wrap(spiff, "fire_timers", "spiff.fire_timers (refresh + advance)")
        self._driver = 0.0
        event.listen(target.engine, "before_cursor_execute", self._before)
        event.listen(target.engine, "after_cursor_execute", self._after)
        _ = cases  # engine.cases calls these through their modules, so patching them is seen

    def _before(self, *_: Any) -> None:
        self._driver = time.perf_counter()

    def _after(self, _connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if not self.active:
            return
        elapsed = time.perf_counter() - self._driver
        self.seconds["sql: cursor.execute (driver + database)"] += elapsed
        self.calls["sql: cursor.execute (driver + database)"] += 1
        key = " ".join(statement.split())
        key = key[:60] + ("…" if len(key) > 60 else "")
        self.statements[key][0] += 1
        self.statements[key][1] += elapsed

    def _wrap(self, owner: Any, name: str, label: str) -> None:
        original = getattr(owner, name, None)
        if original is None:  # the code moved on: time what still exists
            self.missing.append(f"{getattr(owner, '__name__', owner)}.{name}")
            return
        seconds, calls = self.seconds, self.calls
        use_case = label.startswith("use case:")

        def timed(*args: Any, **kwargs: Any) -> Any:
            if use_case:
                self.active += 1
            elif not self.active:
                return original(*args, **kwargs)  # the harness (task look-ups) is not counted
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                seconds[label] += time.perf_counter() - started
                calls[label] += 1
                if use_case:
                    self.active -= 1

        self._patched.append((owner, name, original))
        setattr(owner, name, timed)

    def close(self) -> None:
        for owner, name, original in reversed(self._patched):
            setattr(owner, name, original)
        event.remove(self.target.engine, "before_cursor_execute", self._before)
        event.remove(self.target.engine, "after_cursor_execute", self._after)


def breakdown(target: Persisted, memory: InMemory, cases: int, cold: bool) -> None:
    """Where a persisted case spends its time, next to the same case in memory."""
    for _ in range(10):
        target.run_case(None, cold)
        memory.run_case()
    in_memory = min(sum(memory.run_case() for _ in range(cases)) for _ in range(3)) / cases
    probe = Breakdown(target)
    try:
        started = time.perf_counter()
        engine_seconds = sum(target.run_case(None, cold) for _ in range(cases))
        wall = time.perf_counter() - started
    finally:
        probe.close()
    per_case = engine_seconds / cases
    print(f"{target.name}: {cases} cases{' (cold cache)' if cold else ''}; ms per case, inclusive")
    print(
        f"  {'use-case calls (timed by the bench)':<52}{1000 * per_case:>8.3f} ms"
        f"  (wall {1000 * wall / cases:.3f})"
    )
    print(f"  {'same case in memory (engine.spiff only)':<52}{1000 * in_memory:>8.3f} ms")
    for label, seconds in sorted(probe.seconds.items(), key=lambda kv: -kv[1]):
        share = seconds / engine_seconds
        calls = probe.calls[label] / cases
        print(f"  {label:<52}{1000 * seconds / cases:>8.3f} ms {share:>6.1%}  {calls:5.1f} calls/case")
    print("(wrapping adds ~1 µs per call; shares are of the use-case time)")
    print(f"{target.name}: SQL statements per case (cursor.execute time)")
    for key, (count, seconds) in sorted(probe.statements.items(), key=lambda kv: -kv[1][1]):
        print(f"  {count / cases:5.1f} x {1000 * seconds / count:6.3f} ms  {key}")
    if probe.missing:
        print(f"(not found, not timed: {', '.join(probe.missing)})")


def measure(
    memory: InMemory, targets: list[Persisted], cases: int, rounds: int, warmup: int, cold: bool
) -> dict[str, Backend]:
    """Warm up every backend, then run the rounds interleaved across backends."""
    results = {"memory": Backend("in memory")}
    runners: dict[str, Callable[[Backend | None, bool], float]] = {
        "memory": lambda result, _state: memory.run_case(result)
    }
    for target in targets:
        key = "pg" if target.name == "postgresql" else target.name
        results[key] = Backend("PostgreSQL" if key == "pg" else "SQLite")
        runners[key] = lambda result, state, target=target: target.run_case(result, cold, state)  # type: ignore[misc]
    log(f"warm-up: {warmup} cases per backend")
    for run in runners.values():
        for _ in range(warmup):
            run(None, False)
    for r in range(1, rounds + 1):
        for key, run in runners.items():
            result = results[key]
            counted = r == 1  # statement counts and state sizes from the first round
            result.rounds.append(
                run_round(key, cases, lambda: run(result if counted else None, counted), r, rounds)  # noqa: B023
            )
    return results


def mean(values: list[float] | list[int]) -> float:
    return statistics.fmean(values) if values else math.nan


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.full_case", description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=200, help="cases per round and backend (default 200)")
    parser.add_argument("--rounds", type=int, default=3, help="measured rounds; the best counts (default 3)")
    parser.add_argument(
        "--warmup", type=int, default=None, help="warm-up cases per backend (default cases/10, ≥5)"
    )
    parser.add_argument("--pg", default=DEFAULT_PG, help=f"PostgreSQL URL (default {DEFAULT_PG})")
    parser.add_argument("--no-pg", action="store_true", help="skip PostgreSQL (pg_ratio=nan)")
    parser.add_argument(
        "--cold", action="store_true", help="empty the live-workflow cache before every use case"
    )
    parser.add_argument(
        "--breakdown",
        action="store_true",
        help="instead of benchmarking, time the phases of each persisted path",
    )
    parser.add_argument(
        "--profile", nargs="?", const="", default=None, metavar="FILE",
        help="instead of benchmarking, cProfile the SQLite path (optionally dump stats to FILE)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    cases, rounds = max(args.cases, 1), max(args.rounds, 1)
    warmup = args.warmup if args.warmup is not None else max(cases // 10, 5)

    bpmn_xml = BPMN_FILE.read_bytes()
    form_files = {f"forms/{p.name}": p.read_bytes() for p in sorted(FORMS_DIR.glob("*.form"))}
    policy = Policy()

    with tempfile.TemporaryDirectory(prefix="bench_full_case_") as tmp:
        sqlite = Persisted("sqlite", f"sqlite:///{tmp}/bench.db", bpmn_xml, form_files, policy)
        targets: list[Persisted] = [sqlite]
        drop_pg: Callable[[], None] | None = None
        pg_note = ""
        if args.no_pg or args.profile is not None:
            pg_note = "PostgreSQL skipped (--no-pg)."
        else:
            made = pg_schema(args.pg)
            if isinstance(made, str):
                pg_note = made
            else:
                pg_url, schema, drop_pg = made
                try:
                    targets.append(Persisted("postgresql", pg_url, bpmn_xml, form_files, policy))
                except Exception:
                    drop_pg()
                    raise
                log(f"PostgreSQL: private schema {schema} (dropped at the end)")
        if pg_note and args.profile is None:
            log(f"NOTE: {pg_note.rstrip('.')}. pg_ratio will be nan.")
        try:
            if args.profile is not None:
                profile(sqlite, cases, args.profile or None)
                return 0
            memory = InMemory(bpmn_xml, form_files, policy)
            if args.breakdown:
                for target in targets:
                    breakdown(target, memory, cases, args.cold)
                    print()
                return 0
            results = measure(memory, targets, cases, rounds, warmup, args.cold)
        finally:
            for target in targets:
                target.close()
            if drop_pg is not None:
                drop_pg()

    report(results, cases, rounds, warmup, args.cold, pg_note)
    return 0


def report(
    results: dict[str, Backend], cases: int, rounds: int, warmup: int, cold: bool, pg_note: str
) -> None:
    memory = results["memory"]
    sqlite = results["sqlite"]
    pg = results.get("pg")
    tasks = sum(1 for step in PATH if step != TIMER)
    print(f"Full case of {BPMN_FILE.name}: start + {tasks} user tasks + 1 timer sweep")
    print(f"{cases} cases per round, {rounds} rounds (best counts), {warmup} warm-up cases per backend"
          + (", live-workflow cache emptied before every use case (--cold)" if cold else ""))  # fmt: skip
    print()
    print(f"{'backend':<12}{'cases/s':>10}{'ms/case':>10}{'wall c/s':>10}{'ratio':>8}   rounds (cases/s)")
    for backend in [memory, sqlite] + ([pg] if pg else []):
        best = backend.best
        ratio = backend.rate / memory.rate
        each = ", ".join(f"{r.rate:.1f}" for r in backend.rounds)
        print(
            f"{backend.name:<12}{best.rate:>10.1f}{1000 / best.rate:>10.2f}"
            f"{best.wall_rate:>10.1f}{ratio:>8.2f}   {each}"
        )
    if pg is None:
        print(f"{'PostgreSQL':<12}{'—':>10}   {pg_note}")
    print()
    for backend in [sqlite] + ([pg] if pg else []):
        print(f"{backend.name} per use case (first round, mean): SQL statements / commits / ms")
        for kind in ("start_case", "complete_task", "fire_due_timers"):
            print(
                f"  {kind:<16}{mean(backend.statements[kind]):>6.1f} stmts"
                f"{mean(backend.commits[kind]):>6.1f} commits"
                f"{1000 * mean(backend.step_seconds[kind]):>8.3f} ms"
            )
    print()
    stored, plain = mean(sqlite.state_bytes), mean(sqlite.state_json_bytes)
    print(
        f"Workflow state per case after {MID_PROCESS}"
        f" (SQLite cases.state, mean of {len(sqlite.state_bytes)}):"
    )
    print(f"  stored {stored:,.0f} bytes (zlib-compressed JSON); uncompressed JSON {plain:,.0f} bytes")
    if pg and pg.state_bytes:
        print(f"  PostgreSQL cases.state: {mean(pg.state_bytes):,.0f} bytes")
    print()
    pg_ratio = pg.rate / memory.rate if pg else math.nan
    state = int(round(stored)) if not math.isnan(stored) else 0
    print(
        f"full_case sqlite_ratio={sqlite.rate / memory.rate:.2f} pg_ratio={pg_ratio:.2f} state_bytes={state}"
    )


if __name__ == "__main__":
    sys.exit(main())
