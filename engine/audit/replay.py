"""Deterministic replay: re-execute a case from its recorded events and compare the outcome.

Every input that changed a case is an event, task ids come from the case id and a counter kept
in the workflow's state, and each step ran at the moment recorded in its event (the engine's
clock stands still during a step). So re-running the events on the same process version, each
at its recorded time, must reach the same tasks, timers and state, byte for byte.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from engine import spiff
from engine.casework import workflows
from engine.kernel import model
from engine.kernel.errors import ProcessError, TaskNotFound, TaskNotReady
from engine.kernel.policy import Policy
from engine.process_models import migration
from engine.records import history


@dataclass(frozen=True)
class Divergence:
    """Where a replay parts from the record: an event (seq), or the final state (seq None)."""

    seq: int | None
    what: str


@dataclass(frozen=True)
class Observation:
    """What a workflow waits for after a step: the facts a record and a replay must share."""

    ready: list[spiff.ReadyTask]
    timers: list[spiff.PendingTimer]
    status: str

    def recorded_form(self) -> dict[str, Any]:
        """The same facts as an event's `after` records them."""
        return workflows.outcome(self.ready, self.timers, self.status)


@dataclass
class Replayer:
    """One case re-executed event by event on one process bundle."""

    bundle: spiff.Bundle
    policy: Policy
    by_bpmn_id: bool = False  # a draft has other task ids: find tasks by their BPMN id
    load: Callable[[str], spiff.Bundle] | None = None  # other versions, for cases that were migrated
    workflow: Any = None
    error: str | None = None
    thrown: list[spiff.Thrown] = field(default_factory=list)

    def apply(self, event: model.Event) -> str | None:
        """Run one recorded input at its recorded time; why it could not be run, or None."""
        if event.type != "case_started" and self.workflow is None:
            return "the case was not started"
        self.error = None
        if event.type == "case_started":
            data = event.data["data"]
            scripts = spiff.script_engine(self.policy)
            self.workflow = spiff.create(self.bundle, scripts, data, seed=event.case_id, now=event.at)
            return self._run(event.at, lambda: spiff.advance(self.workflow))
        if event.type == "task_completed":
            return self._complete(event)
        if event.type == "timer_fired":
            return self._run(event.at, lambda: spiff.fire_timers(self.workflow))
        if event.type == "version_migrated":
            return self._migrate(event)
        if event.type == "status_requested":
            request = {k: event.data.get(k, "") for k in ("channel", "requester", "told")}
            return self._run(event.at, lambda: spiff.send_message(self.workflow, "status_request", request)[1])
        return f"'{event.type}' is not an input the replay knows how to run"

    def _complete(self, event: model.Event) -> str | None:
        task_id, bpmn_id = event.data["task_id"], event.data["bpmn_id"]
        if self.by_bpmn_id:
            ready = [t.id for t in spiff.ready_tasks(self.workflow) if t.bpmn_id == bpmn_id]
            if not ready:
                return f"task {bpmn_id} is not waiting"
            task_id = ready[0]
        data = event.data.get("data", {})
        try:
            return self._run(event.at, lambda: spiff.complete(self.workflow, task_id, data))
        except (TaskNotFound, TaskNotReady):
            return f"task {bpmn_id} ({task_id[:8]}) is not waiting"

    def _migrate(self, event: model.Event) -> str | None:
        if self.load is None or self.by_bpmn_id:
            return "the case moved to another version here"
        target = self.load(event.data["to"])
        state = spiff.snapshot(self.workflow)
        mapping = event.data.get("mapping", {})
        self.workflow, _, self.thrown = migration.move(state, self.bundle, target, mapping, self.policy, event.at)
        self.bundle = target
        return None

    def _run(self, at: datetime, step: Any) -> None:
        with spiff.running(self.workflow, at):
            try:
                self.thrown = step()
            except ProcessError as failure:
                self.error, self.thrown = str(failure), []
        return None

    def observe(self) -> Observation:
        status = "errored" if self.error else "closed" if spiff.is_completed(self.workflow) else "open"
        return Observation(spiff.ready_tasks(self.workflow), spiff.pending_timers(self.workflow), status)

    def state(self) -> dict[str, Any]:
        return _plain(spiff.snapshot(self.workflow))


def versions_used(case: model.Case, events: list[model.Event]) -> set[str]:
    """The process versions a case ran on: where it started, where it was moved, where it is."""
    used = {case.version_id}
    for event in events:
        if event.type == "case_started" and event.data.get("version_id"):
            used.add(event.data["version_id"])
        elif event.type == "version_migrated":
            used.add(event.data["to"])
    return used


def replay(
    events: list[model.Event],
    stored_state: Mapping[str, Any],
    bundle: spiff.Bundle | Callable[[str], spiff.Bundle],
    policy: Policy,
) -> Divergence | None:
    """Re-execute a case on its own version(s): None when it reaches the stored state exactly.

    `bundle` is the version's bundle, or a loader by version id for cases that were migrated.
    """
    replayer, divergence = rerun(events, bundle, policy)
    return divergence or final_divergence(replayer, stored_state)


def rerun(
    events: list[model.Event], bundle: spiff.Bundle | Callable[[str], spiff.Bundle], policy: Policy
) -> tuple[Replayer, Divergence | None]:
    """Re-execute the events on the version the case started on; the replayer, and where it parted."""
    replayer = starting(events, bundle, policy)
    for event in events:
        divergence = replay_event(replayer, event)
        if divergence:
            return replayer, divergence
    if replayer.workflow is None:
        return replayer, Divergence(None, "the history has no case_started event")
    return replayer, None


def starting(
    events: list[model.Event], bundle: spiff.Bundle | Callable[[str], spiff.Bundle], policy: Policy
) -> Replayer:
    """A replayer on the version the case started on; with a loader, it follows the case's migrations."""
    load = bundle if callable(bundle) else None
    first = next((e for e in events if e.type == "case_started"), None)
    start = load(first.data["version_id"]) if load and first and first.data.get("version_id") else bundle
    return Replayer(start, policy, load=load)  # type: ignore[arg-type]


def final_divergence(replayer: Replayer, stored_state: Mapping[str, Any]) -> Divergence | None:
    """Where a finished replay's workflow state differs from the stored one, or None."""
    if replayer.workflow is None:
        return Divergence(None, "the history has no case_started event")
    if "task_ids" not in stored_state:  # started before task ids were derived from the case
        return None
    difference = differences(_plain(dict(stored_state)), replayer.state())
    return Divergence(None, f"the final workflow state differs: {difference}") if difference else None


def replay_event(replayer: Replayer, event: model.Event) -> Divergence | None:
    """Run or check one recorded event (by its type's role, see history.TYPES); where it parts, or None."""
    kind = history.TYPES.get(event.type)
    if kind is None:
        return Divergence(event.seq, f"cannot replay '{event.type}': not a known type of event")
    if kind.role == "record":
        return None  # it does not change the workflow
    if kind.role == "outcome":
        if replayer.error != event.data.get("error"):
            return Divergence(event.seq, f"the record says the process failed ({event.data.get('error')}); "
                                         f"the replay says {replayer.error or 'it did not'}")  # fmt: skip
        return None
    problem = replayer.apply(event)
    if problem:
        return Divergence(event.seq, f"{event.type}: {problem} in the replay")
    recorded = event.data.get("after")
    replayed = replayer.observe().recorded_form()
    if recorded is not None and recorded != replayed:
        return Divergence(event.seq, describe(recorded, replayed))
    return None


def describe(recorded: dict[str, Any], replayed: dict[str, Any]) -> str:
    """The differences between a recorded and a replayed outcome, in words."""
    parts = []
    for key, label in (("ready", "waiting tasks"), ("timers", "pending timers"), ("status", "status")):
        if recorded.get(key) != replayed.get(key):
            parts.append(f"{label}: recorded {_short(recorded.get(key))}, replayed {_short(replayed.get(key))}")
    return "; ".join(parts)


def _short(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(" ".join(str(v)[:25] for v in item) for item in value) + "]"
    return str(value)


def differences(expected: Any, actual: Any, path: str = "", limit: int = 3) -> str:
    """The first few paths where two JSON values differ ("" when they are equal)."""
    found: list[str] = []
    _walk(expected, actual, path, found, limit)
    return ", ".join(found)


def _walk(expected: Any, actual: Any, path: str, found: list[str], limit: int) -> None:
    if len(found) >= limit or expected == actual:
        return
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in sorted(set(expected) | set(actual), key=str):
            _walk(expected.get(key), actual.get(key), f"{path}.{key}" if path else str(key), found, limit)
    else:
        found.append(f"{path or '(root)'}: stored {str(expected)[:60]!r}, replayed {str(actual)[:60]!r}")


def _plain(value: Any) -> Any:
    """JSON values as the store returns them (tuples become lists)."""
    return json.loads(json.dumps(value, default=str))
