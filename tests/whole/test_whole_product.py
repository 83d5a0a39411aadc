"""The whole-product test: a bounded, seeded run of tests/whole/machine.py on SQLite with a real SMTP server.

A failure shrinks to a short sequence of steps and prints it; rerun with the same seed to see it
again. The long run on PostgreSQL is `python -m bench.soak --steps N` (figures in bench/README.md).
"""

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

from engine.kernel.clock import SettableClock
from tests.web_app import make_app
from tests.whole.machine import ACTIONS, Environment, ProductMachine

BOUNDED = settings(
    max_examples=8, stateful_step_count=25, deadline=None, derandomize=True, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)  # fmt: skip


@pytest.mark.slow
def test_the_whole_product_keeps_its_promises_between_capabilities(tmp_path_factory, smtp):
    def environment() -> Environment:
        clock = SettableClock(datetime(2026, 3, 2, 6, tzinfo=UTC))
        app = make_app(tmp_path_factory.mktemp("whole") / "product.sqlite3", clock, **smtp.settings())
        return Environment(app, clock, smtp)

    ProductMachine.make_environment = staticmethod(environment)
    ProductMachine.stats.clear()
    run_state_machine_as_test(ProductMachine, settings=BOUNDED)
    done = ProductMachine.stats  # the run really went through the product, not around it
    print("whole-product run:", dict(done))  # shown with -s or on failure
    assert done["tasks completed"] >= 20 and done["tasks refused (bad data)"] >= 1, done
    assert done["letters sent"] >= 10 and done["cases erased"] >= 1, done
    assert all(done[action] for action in ACTIONS), f"never happened: {[a for a in ACTIONS if not done[a]]}"
