"""Task-list page server time with many open cases on PostgreSQL.

    .venv/bin/python -m bench.task_list [--cases 100000] [--requests 200] [--pg URL]

Seeds N open cases from the engine's own projection: one real case is started through
`engine.start_case`, and its case row (state, deadlines) and work item are replicated with new
ids, references, lanes, channels and due times spread over 30 days (bulk inserts; running
100,000 full starts would only measure the engine again). Then an officer's task-list page is
requested through the Flask test client, with and without filters, and the server time per
request is printed (p50 / p95 / max). Last line: `task_list cases=N p95_ms=X`.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

import psycopg
from sqlalchemy import insert, select, text

import engine
from engine.kernel.clock import SettableClock
from persistence import tables as t
from tests.web_app import PASSWORD, csrf_token, make_app

CHANNELS = ("live_chat", "call_centre", "social", "email", "store_book")
PAGES = {"all": "/", "overdue": "/?sla=overdue", "at risk": "/?sla=at_risk", "channel": "/?channel=social",
         "page 40": "/?page=40", "latest first": "/?sort=-due"}  # fmt: skip


def seed(app, count: int, clock: SettableClock) -> None:
    services = app.extensions["bpm"]
    first = engine.start_case(
        {"channel": "call_centre", "surname": "Seed", "given_name": "Case", "phone": "+994501112233",
         "description": "x"},
        actor=engine.model.Actor("intake", frozenset({"intake"})), **services.deps(),
    )  # fmt: skip
    sql = services.extras["engine"]
    with sql.begin() as connection:
        case = dict(connection.execute(select(t.cases).where(t.cases.c.id == first.case_id)).one()._mapping)
        item = dict(
            connection.execute(select(t.work_items).where(t.work_items.c.case_id == first.case_id))
            .one()
            ._mapping
        )
    rng, now, batch = random.Random(7), clock.now(), 5000
    lanes = ["officer"] * 7 + ["intake", "supervisor", "quality"]
    for start in range(0, count, batch):
        cases, items = [], []
        for n in range(start, min(start + batch, count)):
            case_id = uuid.uuid4().hex
            due = now + timedelta(hours=rng.uniform(-5 * 24, 25 * 24))
            cases.append(dict(case, id=case_id, reference=f"MG-2025-{n + 1:06d}", channel=rng.choice(CHANNELS),
                              next_timer_at=due))  # fmt: skip
            items.append(dict(item, case_id=case_id, task_id=str(uuid.uuid4()), reference=cases[-1]["reference"],
                              channel=cases[-1]["channel"], lane=rng.choice(lanes), due_at=due,
                              created_at=now - timedelta(minutes=n)))  # fmt: skip
        with sql.begin() as connection:
            connection.execute(insert(t.cases), cases)
            connection.execute(insert(t.work_items), items)
        print(f"  seeded {min(start + batch, count):,} / {count:,}", file=sys.stderr)
    with sql.begin() as connection:
        connection.execute(text("ANALYZE"))


def measure(app, requests: int) -> dict[str, list[float]]:
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    token = csrf_token(client.get("/login").text)
    assert (
        client.post(
            "/login", data={"username": "officer", "password": PASSWORD, "csrf_token": token}
        ).status_code
        == 302
    )
    timings: dict[str, list[float]] = {}
    for name, path in PAGES.items():
        for _ in range(10):
            client.get(path)  # warm-up
        samples = []
        for _ in range(requests):
            started = time.perf_counter()
            response = client.get(path)
            samples.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
        timings[name] = samples
    return timings


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--keep", action="store_true", help="Keep the seeded schema (to EXPLAIN queries).")
    args = parser.parse_args()
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(args.pg, autocommit=True) as connection:
        connection.execute(f"CREATE SCHEMA {schema}")
    try:
        clock = SettableClock(datetime(2026, 3, 2, 6, tzinfo=UTC))
        url = args.pg.replace("postgresql://", "postgresql+psycopg://") + f"?options=-csearch_path%3D{schema}"
        app = make_app(url, clock)
        print(f"seeding {args.cases:,} open cases ...", file=sys.stderr)
        seed(app, args.cases, clock)
        timings = measure(app, args.requests)
        print(
            f"Task list of an officer, {args.cases:,} open cases on PostgreSQL, {args.requests} requests each (ms):"
        )
        for name, samples in timings.items():
            print(
                f"  {name:<14} p50 {statistics.median(samples):6.2f}   p95 {p95(samples):6.2f}"
                f"   max {max(samples):6.2f}"
            )
        worst = max(p95(s) for s in timings.values())
        print(f"task_list cases={args.cases} p95_ms={worst:.2f}")
    finally:
        if args.keep:
            print(f"kept schema {schema}", file=sys.stderr)
        else:
            with psycopg.connect(args.pg, autocommit=True) as connection:
                connection.execute(f"DROP SCHEMA {schema} CASCADE")


if __name__ == "__main__":
    main()
