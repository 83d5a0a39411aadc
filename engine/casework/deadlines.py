"""Deadlines are case data: recorded when they arise, kept after their timers fire, read everywhere.

The policy's deadlines (3 and 10 working days after receipt) are BPMN timers of the case's own
process version. Every timer a case reaches becomes a `model.Deadline` in the step that reaches
it, also when it fires in that same step (a complaint entered days after its receipt). A delay
notice's new date is a *promise*: it moves the deadlines that bound the delay task. A task races
against the deadlines whose work holds it (its *guards*); a deadline binds until that work ends,
not until its timer fires, so an overdue task stays overdue until it is done. The task list, the
case and status pages, letters, the SLA report and the audit checkpoints all read these facts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import datetime

from engine import spiff
from engine.kernel import model

MAX_SETTLED = 20  # settled facts kept on the case row (the history keeps every step anyway)
TIMED = ("deadline", "promise")

Scopes = Mapping[str, frozenset[str]]  # BPMN id -> the BPMN ids of the subprocesses that hold it


def merge(
    previous: list[model.Deadline], reached: Iterable[spiff.ReachedTimer], *, finished: Callable[[str], bool],
    now: datetime,
) -> list[model.Deadline]:  # fmt: skip
    """The case's deadlines after a step: known facts updated from the timers reached, new ones added."""
    reached = list(reached)
    known = {d.key: d for d in previous if d.key}
    timer_ids = {t.bpmn_id for t in reached}
    merged = [d for d in previous if not d.key and d.bpmn_id not in timer_ids]  # stored before facts had keys
    for timer in reached:
        merged.append(_fact(timer, known.pop(timer.key, None), now))
    merged += known.values()  # promises, and timers no longer in the tree: facts stay facts
    merged = [_settled(d, finished, now, {t.key: t.state for t in reached}) for d in merged]
    settled = [d for d in merged if d.settled_at is not None]
    drop = {id(d) for d in settled[:-MAX_SETTLED]}  # the oldest beyond the last MAX_SETTLED
    return sorted((d for d in merged if id(d) not in drop), key=lambda d: (d.due, d.key))


def _fact(timer: spiff.ReachedTimer, old: model.Deadline | None, now: datetime) -> model.Deadline:
    return model.Deadline(
        timer.bpmn_id, timer.name, timer.due, passed=timer.state == "fired" or bool(old and old.passed),
        kind=timer.kind, key=timer.key, scope=timer.scope, scope_bpmn_id=timer.scope_bpmn_id,
        set_at=old.set_at if old else now, settled_at=old.settled_at if old else None,
    )  # fmt: skip


def _settled(
    fact: model.Deadline, finished: Callable[[str], bool], now: datetime, states: Mapping[str, str]
) -> model.Deadline:
    if fact.settled_at is not None:
        return fact
    if fact.kind in TIMED:
        over = finished(fact.scope)
    else:  # a warning or a wait is over once it fired or was cancelled
        over = states.get(fact.key) != "waiting"  # not reached again: gone
    return replace(fact, settled_at=now) if over else fact


def promise(
    deadlines: list[model.Deadline], task_id: str, bpmn_id: str, due: datetime, scopes: Scopes, now: datetime
) -> model.Deadline:
    """The new date a delay notice (task `bpmn_id`) gave: it moves the binding deadlines of that task."""
    moved = [d for d in deadlines if d.kind == "deadline" and d.binding and guards(d, bpmn_id, scopes)]
    scope = min(moved, key=lambda d: d.due) if moved else None
    return model.Deadline(
        bpmn_id, "New date", due, kind="promise", key=f"promise:{task_id}",
        scope=scope.scope if scope else "", scope_bpmn_id=scope.scope_bpmn_id if scope else "",
        set_at=now, replaces=tuple(d.key for d in moved),
    )  # fmt: skip


def guards(deadline: model.Deadline, bpmn_id: str, scopes: Scopes) -> bool:
    """Whether the deadline bounds the work that holds element `bpmn_id` (by the process model)."""
    where = deadline.scope_bpmn_id
    return not where or where == bpmn_id or where in scopes.get(bpmn_id, ())


def moved_due(deadline: model.Deadline, deadlines: list[model.Deadline]) -> datetime:
    """A deadline's date, or the latest new date a delay notice promised in its place."""
    promises = [p for p in deadlines if p.kind == "promise" and deadline.key in p.replaces]
    return max(promises, key=lambda p: (p.set_at or p.due, p.key)).due if promises else deadline.due


def sla_state(due: datetime | None, now: datetime, at_risk_before: datetime) -> str:
    """overdue once the date passed, at_risk up to `at_risk_before`, else on_time (also without a date)."""
    if due is None or due > at_risk_before:
        return "on_time"
    return "overdue" if due < now else "at_risk"


def due_for_task(bpmn_id: str, deadlines: list[model.Deadline], scopes: Scopes) -> datetime | None:
    """What a waiting task races against: the earliest binding deadline of its work (moved by promises)."""
    binding = [d for d in deadlines if d.kind == "deadline" and d.binding and guards(d, bpmn_id, scopes)]
    return min((moved_due(d, deadlines) for d in binding), default=None)


def answer_by(deadlines: list[model.Deadline]) -> datetime | None:
    """The date the customer is to be answered by: the latest binding deadline (moved by promises)."""
    binding = [d for d in deadlines if d.kind == "deadline" and d.binding]
    return max((moved_due(d, deadlines) for d in binding), default=None)


def review_by(deadlines: list[model.Deadline]) -> datetime | None:
    """The earliest binding deadline when it comes before the answer date (e.g. the 3-day review)."""
    binding = sorted(moved_due(d, deadlines) for d in deadlines if d.kind == "deadline" and d.binding)
    return binding[0] if binding and binding[0] < binding[-1] else None


def stage_deadline(
    bpmn_id: str, deadlines: list[model.Deadline], scopes: Scopes
) -> tuple[model.Deadline | None, datetime | None]:
    """The policy deadline of the work that holds a stage's task (the first one reached), and any
    new date promised in its place: what an SLA checkpoint is measured against."""
    found = [d for d in deadlines if d.kind == "deadline" and guards(d, bpmn_id, scopes)]
    if not found:
        return None, None
    first = min(found, key=lambda d: (d.due, d.set_at or d.due))
    moved = moved_due(first, deadlines)
    return first, moved if moved != first.due else None
