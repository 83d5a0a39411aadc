"""Replay against a draft: run recorded cases on another process version and say where they part.

The case is replayed twice in lockstep, on its own version(s) (what happened) and on the draft;
after each recorded input the two are compared by what a person would notice: the tasks that
wait (by BPMN id), the deadlines (pending timers by BPMN id and due time), the status.

A case that was migrated ran on other versions before its (last) migration: it is compared from
that event on, where its recorded state is moved onto the draft as a migration would move it.
A case whose own replay parts from its record is not compared at all: it is reported as such.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from engine import spiff
from engine.audit import replay
from engine.audit.replay import Observation, Replayer
from engine.kernel import model
from engine.kernel.policy import Policy
from engine.process_models import migration
from engine.records.history import INPUTS


@dataclass(frozen=True)
class Difference:
    """One way the draft behaves otherwise than the record, first seen at event `seq`."""

    seq: int
    kind: str  # deadline | timer | path | missing_task | status | error
    what: str


@dataclass
class DraftReport:
    """How one recorded case fares on the draft."""

    case_id: str
    reference: str
    events: int
    differences: list[Difference] = field(default_factory=list)
    stopped_at: int | None = None  # the draft could not follow the record from this event on
    own_failure: replay.Divergence | None = None  # the case does not replay on its own version(s)
    compared_from: int | None = None  # a migrated case: compared from its last migration (this event) on

    @property
    def outcome(self) -> str:
        """"own replay fails" (not comparable), "diverges" or "same"."""
        if self.own_failure is not None:
            return "own replay fails"
        return "diverges" if self.differences else "same"

    @property
    def same(self) -> bool:
        return self.outcome == "same"


@dataclass(frozen=True)
class Target:
    """The draft: its executable bundle and what its user tasks are called."""

    bundle: spiff.Bundle
    user_tasks: Mapping[str, Mapping[str, Any]]


def compare(
    case: model.Case, events: list[model.Event], own: Callable[[str], spiff.Bundle], draft: Target, policy: Policy
) -> DraftReport:
    """Replay a case on its own version(s) and on the draft side by side; the differences, each once."""
    report = DraftReport(case.id, case.reference, len(events))
    migrated = max((e.seq for e in events if e.type == "version_migrated"), default=0)
    both = _Lockstep(report, replay.starting(events, own, policy), Replayer(draft.bundle, policy, by_bpmn_id=True),
                     draft, policy)  # fmt: skip
    for event in events:
        report.own_failure = replay.replay_event(both.recorded, event)
        if report.own_failure:
            return report
        if event.type in INPUTS and event.seq >= migrated and not both.step(event, moved=event.seq == migrated):
            return report
    report.own_failure = replay.final_divergence(both.recorded, case.state)
    return report


@dataclass
class _Lockstep:
    """The record's replay and the draft's, taken one recorded input at a time."""

    report: DraftReport
    recorded: Replayer
    trial: Replayer
    draft: Target
    policy: Policy

    def step(self, event: model.Event, moved: bool) -> bool:
        """Take the input on the draft too (or move onto it after a migration); False when it cannot."""
        if moved:
            self.report.compared_from = event.seq
            problem = _move_onto(self.trial, self.recorded, self.draft, self.policy, event.at)
        else:
            problem = self.trial.apply(event) and _missing(event, self.draft)
        if problem:
            _add(self.report, Difference(event.seq, "missing_task", problem))
            self.report.stopped_at = event.seq
            return False
        for difference in _differences(event.seq, self.recorded.observe(), self.trial.observe(), self.policy):
            _add(self.report, difference)
        return True


def _move_onto(trial: Replayer, recorded: Replayer, draft: Target, policy: Policy, at: datetime) -> str | None:
    """Start the trial from the recorded state after a migration, moved onto the draft; why not, or None."""
    state = spiff.snapshot(recorded.workflow)
    missing = sorted(spiff.spec_names(state) - spiff.known_names(draft.bundle))
    if missing:
        return f"the case stood at {', '.join(missing)} after its migration: not in the draft"
    trial.workflow, _, trial.thrown = migration.move(state, recorded.bundle, draft.bundle, {}, policy, at)
    return None


def _add(report: DraftReport, difference: Difference) -> None:
    if all((d.kind, d.what) != (difference.kind, difference.what) for d in report.differences):
        report.differences.append(difference)


def _missing(event: model.Event, draft: Target) -> str:
    bpmn_id = event.data.get("bpmn_id", "")
    if event.type == "task_completed" and bpmn_id not in draft.user_tasks:
        return f"task {bpmn_id} no longer exists in the draft"
    return f"{event.type} {bpmn_id}: the draft is not waiting for it here (it takes another path)"


def _differences(seq: int, record: Observation, draft: Observation, policy: Policy) -> list[Difference]:
    found = []
    before, after = _ready(record), _ready(draft)
    if before != after:
        found.append(Difference(seq, "path", f"waiting: recorded {_names(before)}, draft {_names(after)}"))
    found += _timer_differences(seq, _timers(record), _timers(draft), policy)
    if record.status != draft.status:
        kind = "error" if draft.status == "errored" else "status"
        found.append(Difference(seq, kind, f"status: recorded {record.status}, draft {draft.status}"))
    return found


def _ready(observation: Observation) -> list[str]:
    return sorted(t.bpmn_id for t in observation.ready)


def _timers(observation: Observation) -> dict[str, tuple[list[datetime], str]]:
    timers: dict[str, tuple[list[datetime], str]] = {}
    for timer in observation.timers:
        timers.setdefault(timer.bpmn_id, ([], timer.name or timer.bpmn_id))[0].append(timer.due)
    return timers


def _timer_differences(
    seq: int, record: dict[str, tuple[list[datetime], str]], draft: dict[str, tuple[list[datetime], str]],
    policy: Policy,
) -> list[Difference]:  # fmt: skip
    found = []
    for bpmn_id in sorted(set(record) | set(draft)):
        was, name = record.get(bpmn_id, ([], ""))
        now, draft_name = draft.get(bpmn_id, ([], ""))
        label = f"{name or draft_name} ({bpmn_id})"
        if was and now and was != now:
            found.append(Difference(seq, "deadline", f"{label}: {_when(was, policy)} -> {_when(now, policy)}"))
        elif was != now:
            where = "only in the record" if was else "only in the draft"
            found.append(Difference(seq, "timer", f"{label} {where}: {_when(was or now, policy)}"))
    return found


def _when(moments: list[datetime], policy: Policy) -> str:
    return ", ".join(m.astimezone(policy.calendar.zone).strftime("%Y-%m-%d %H:%M") for m in moments)


def _names(ids: list[str]) -> str:
    return "[" + ", ".join(ids) + "]" if ids else "nothing"
