"""The timer sweep: fire the BPMN timers that are due, a batch of cases per transaction."""

from __future__ import annotations

import gc
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from engine import spiff
from engine.casework import workflows
from engine.kernel import model, ports
from engine.kernel.clock import Clock
from engine.kernel.errors import Conflict, ProcessError
from engine.kernel.policy import Policy
from engine.records import history

log = logging.getLogger(__name__)

BATCH = 100  # cases claimed, fired and committed together


def fire_due_timers(*, uow: ports.UnitOfWork, clock: Clock, policy: Policy, limit: int = 100) -> int:
    """Advance up to `limit` cases whose next timer is due; returns how many were advanced.

    Due cases are claimed a batch at a time in one indexed query (FOR UPDATE SKIP LOCKED on
    PostgreSQL, so several workers never fire a timer twice), fired, and written together in
    one transaction. If that transaction fails, its cases are fired again one transaction
    each, so one bad case cannot hold back the others. A case is tried at most once per sweep.
    """
    now, fired, tried = clock.now(), 0, set[str]()
    while len(tried) < limit:
        size, batch = min(BATCH, limit - len(tried)), list[model.Case]()
        try:
            with uow:
                batch = uow.cases.claim_due(now, size, exclude=tried)
                tried.update(case.id for case in batch)
                fired += _fire_together(uow, policy, now, batch)
        except Exception:  # noqa: BLE001 - the sweep outlives one bad case and a database that is away
            if not batch:
                log.exception("timer sweep: could not claim the due cases")
                break
            log.warning("timer sweep: a batch of %d case(s) failed; firing them one at a time", len(batch))
            fired += sum(_fire_alone(uow, policy, now, case.id) for case in batch)
        if len(batch) < size:
            break
    return fired


def _fire_together(uow: ports.UnitOfWork, policy: Policy, now: datetime, batch: list[model.Case]) -> int:
    with _collector_paused(), uow.batched_writes():
        fired = [(case, _fire(uow, policy, now, case)) for case in batch]
    uow.commit()
    for case, workflow in fired:
        workflows.keep(case, workflow, policy)
    return len(fired)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """A batch builds a task tree per case and keeps them all until its commit: the cyclic
    garbage collector would walk them again and again for nothing (a quarter of a sweep)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _fire_alone(uow: ports.UnitOfWork, policy: Policy, now: datetime, case_id: str) -> int:
    try:
        with uow:
            case = uow.cases.claim(case_id, now)
            if case is None:
                return 0  # another worker fired it meanwhile
            workflow = _fire(uow, policy, now, case)
            uow.commit()
    except Conflict:
        return 0  # another worker advanced that case first: nothing left to do
    except Exception:  # noqa: BLE001 - one broken case must not stop the sweep
        log.exception("timer sweep: case %s failed and was rolled back; it stays due", case_id)
        return 0
    workflows.keep(case, workflow, policy)
    return 1


def _fire(uow: ports.UnitOfWork, policy: Policy, now: datetime, case: model.Case) -> Any:
    """Fire one claimed case's due timers and write the step; returns its live workflow."""
    version = uow.versions.get(case.version_id)
    workflow = workflows.take(case, version, policy)
    before = workflows.ready_ids(workflow)
    error = None
    with spiff.running(workflow, now):
        try:
            thrown = spiff.fire_timers(workflow)
        except ProcessError as failure:
            thrown, error = [], str(failure)
    if error:
        case.status, case.error = "errored", error
    changes = workflows.project(case, version, workflow, thrown, now, before)
    events = [history.record(case, "timer_fired", "timer", now, {"timers": changes.fired, "after": changes.after})]
    if error:
        events.append(history.record(case, "process_failed", "timer", now, {"error": error}))
    workflows.store(uow, case, events, changes, new=False)
    return workflow
