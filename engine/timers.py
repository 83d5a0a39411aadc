"""The timer sweep: fire the BPMN timers that are due, one transaction per case."""

from __future__ import annotations

import logging

from engine import history, ports, spiff, workflows
from engine.clock import Clock
from engine.errors import Conflict, ProcessError
from engine.policy import Policy

log = logging.getLogger(__name__)


def fire_due_timers(*, uow: ports.UnitOfWork, clock: Clock, policy: Policy, limit: int = 100) -> int:
    """Advance up to `limit` cases whose next timer is due; returns how many were advanced.

    Each case is claimed and fired in its own transaction (on PostgreSQL the claim is
    FOR UPDATE SKIP LOCKED), so several workers never fire a timer twice and one bad case
    cannot roll back the others. A case is tried at most once per sweep.
    """
    fired, seen = 0, set[str]()
    while len(seen) < limit:
        tried = len(seen)
        try:
            if _fire_next(uow, clock, policy, seen) is None:
                break
            fired += 1
        except Conflict:
            pass  # another worker advanced that case first: nothing left to do
        except Exception:  # noqa: BLE001 - one broken case must not stop the sweep
            log.exception("timer sweep: a case failed and was rolled back; it stays due")
            if len(seen) == tried:
                break  # the failure was not about one case (e.g. the database): stop
    return fired


def _fire_next(uow: ports.UnitOfWork, clock: Clock, policy: Policy, seen: set[str]) -> str | None:
    now = clock.now()
    with uow:
        case = uow.cases.claim_due(now, exclude=seen)
        if case is None:
            return None
        seen.add(case.id)
        version = uow.versions.get(case.version_id)
        workflow = workflows.take(case, version, policy)
        before = workflows.ready_ids(workflow)
        due = [d.bpmn_id for d in case.deadlines if d.due <= now]
        error = None
        with spiff.running(workflow, now):
            try:
                thrown = spiff.fire_timers(workflow)
            except ProcessError as failure:
                thrown, error = [], str(failure)
        if error:
            case.status, case.error = "errored", error
        changes = workflows.project(case, version, workflow, thrown, now, before)
        events = [history.record(case, "timer_fired", "timer", now, {"timers": due, "after": changes.after})]
        if error:
            events.append(history.record(case, "process_failed", "timer", now, {"error": error}))
        workflows.store(uow, case, events, changes, new=False)
        uow.commit()
    workflows.keep(case, workflow, policy)
    return case.id
