"""The long run of the whole-product test: tests/whole/machine.py on PostgreSQL, many steps deep.

    .venv/bin/python -m bench.soak --steps 3000 [--per-product 300] [--cases 15] [--db URL] [--sqlite]

`--steps` steps in all, in fresh products of `--per-product` steps each (its own PostgreSQL
schema, dropped afterwards; a real SMTP server), driven by the actions of `tests/whole/machine.py`
with every invariant checked after each step. One product is one Hypothesis example, and an
example has a budget of random choices that ends it after about 450 steps here: hence products
of a few hundred steps, the bounded test's 25 twelve times over. A broken promise stops the run
with the shortened sequence of steps that breaks it. Progress goes to stderr; the figures to
stdout, the last line machine-readable:

    soak products=P steps=S cases=C seconds=T steps_per_s=R failures=0
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

from engine.kernel.clock import SettableClock
from tests.smtp import SmtpServer
from tests.web_app import make_app
from tests.whole.machine import Environment, ProductMachine

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def main() -> None:
    args = _arguments()
    smtp = SmtpServer()
    folder = Path(tempfile.mkdtemp(prefix="soak-"))
    ProductMachine.max_cases = args.cases
    products = -(-args.steps // args.per_product)
    ProductMachine.make_environment = staticmethod(lambda: _environment(args, smtp, folder))
    ProductMachine.stats.clear()
    started, failure = time.perf_counter(), None
    threading.Thread(target=_progress, args=(started,), daemon=True).start()
    try:
        run_state_machine_as_test(ProductMachine, settings=settings(
            max_examples=products, stateful_step_count=args.per_product, deadline=None, database=None,
            suppress_health_check=list(HealthCheck), print_blob=True,
        ), _min_steps=args.per_product)  # fmt: skip
    except AssertionError as error:  # a broken promise: report it, with its steps, and fail
        failure = error
    finally:
        smtp.stop()
    _report(args, time.perf_counter() - started, failure)
    sys.exit(1 if failure else 0)


def _progress(started: float) -> None:
    """A line on stderr every minute: steps so far and the rate."""
    while True:
        time.sleep(60)
        steps = ProductMachine.stats["invariant checks"]
        minutes = (time.perf_counter() - started) / 60
        print(f"soak: {steps} steps in {minutes:.0f} min ({steps / minutes:.0f}/min); "
              f"{ProductMachine.stats['tasks completed']} tasks completed", file=sys.stderr)  # fmt: skip


def _environment(args: argparse.Namespace, smtp: SmtpServer, folder: Path) -> Environment:
    ProductMachine.stats["products"] += 1
    clock = SettableClock(datetime(2026, 3, 2, 6, tzinfo=UTC))
    if args.sqlite:
        app = make_app(folder / f"{uuid.uuid4().hex}.sqlite3", clock, **smtp.settings())
        return Environment(app, clock, smtp)
    schema, plain = f"soak_{uuid.uuid4().hex[:10]}", args.db.replace("+psycopg", "")
    with psycopg.connect(plain, autocommit=True) as connection:
        connection.execute(f"CREATE SCHEMA {schema}")
    app = make_app(f"{args.db}?options=-csearch_path%3D{schema}", clock, **smtp.settings())
    print(f"soak: new product in schema {schema}", file=sys.stderr)

    def close() -> None:
        app.extensions["bpm"].extras["engine"].dispose()
        with psycopg.connect(plain, autocommit=True) as connection:
            connection.execute(f"DROP SCHEMA {schema} CASCADE")

    return Environment(app, clock, smtp, close)


def _report(args: argparse.Namespace, seconds: float, failure: BaseException | None) -> None:
    stats = ProductMachine.stats
    steps = stats["invariant checks"]
    print(f"backend: {'SQLite' if args.sqlite else 'PostgreSQL'}; steps asked: {args.steps} in products of "
          f"{args.per_product}, cases at most: {args.cases} per product")  # fmt: skip
    for rule, count in sorted(stats.items(), key=lambda item: -item[1]):
        print(f"  {count:>7}  {rule}")
    if failure is not None:
        print(f"FAILED: {failure}")
    cases = stats["take_a_complaint"]
    print(f"soak products={stats['products']} steps={steps} cases={cases} seconds={seconds:.0f} "
          f"steps_per_s={steps / seconds:.1f} failures={int(failure is not None)}")  # fmt: skip


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=3000, help="steps in all (default 3000)")
    parser.add_argument("--per-product", type=int, default=300, help="steps per fresh product (default 300)")
    parser.add_argument("--cases", type=int, default=15, help="complaints per product at most (default 15)")
    parser.add_argument("--db", default=PG_URL, help=f"PostgreSQL URL (default {PG_URL})")
    parser.add_argument("--sqlite", action="store_true", help="run on SQLite files instead")
    return parser.parse_args()


if __name__ == "__main__":
    main()
