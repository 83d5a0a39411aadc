"""Moving running cases to another version of their process, one transaction per case.

A case can move when every element its state refers to exists in the target version (by
element id, or through an explicit mapping for renamed elements). Waiting timers whose
expression changed are computed again from the new expression. The move is recorded in the
case's history; a dry run reports the same per case without changing anything.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from engine import spiff
from engine.casework import workflows
from engine.kernel import model, ports
from engine.kernel.clock import Clock
from engine.kernel.errors import Forbidden, InvalidInput, VersionNotFound
from engine.kernel.policy import Policy
from engine.records import history


@dataclass
class CaseMigration:
    """The outcome for one case: moved (or movable, in a dry run) or refused, and why."""

    case_id: str
    reference: str
    ok: bool
    reason: str = ""
    changes: list[str] = field(default_factory=list)


def migrate_cases(
    process_key: str,
    to_number: int,
    *,
    from_number: int | None = None,
    case_ids: Iterable[str] | None = None,
    mapping: Mapping[str, str] | None = None,
    dry_run: bool = True,
    actor: model.Actor,
    uow: ports.UnitOfWork,
    clock: Clock,
    policy: Policy,
) -> list[CaseMigration]:
    """Move the open cases of one version (or the given cases) to version `to_number`."""
    if not actor.roles & {"process_owner", "system"}:
        raise Forbidden("Only process owners may migrate cases.")
    with uow:
        by_number = {v.number: v for v in uow.versions.list(process_key)}
        if to_number not in by_number or (from_number is not None and from_number not in by_number):
            raise VersionNotFound(f"Process '{process_key}' has no such version.")
        ids = list(case_ids) if case_ids is not None else []
        if case_ids is None:
            if from_number is None:
                raise InvalidInput("Choose the cases or the version to migrate from.")
            ids = uow.cases.open_on(by_number[from_number].id)
    target = by_number[to_number]
    return [
        _migrate_one(case_id, target, dict(mapping or {}), dry_run, actor=actor, uow=uow, clock=clock, policy=policy)
        for case_id in ids
    ]


def parse_mapping(text: str) -> dict[str, str]:
    """`Old_Id=New_Id` pairs, one per line or comma-separated."""
    mapping = {}
    for pair in filter(None, (p.strip() for p in text.replace(",", "\n").splitlines())):
        old, sep, new = pair.partition("=")
        if not sep or not old.strip() or not new.strip():
            raise InvalidInput(f"Mapping {pair!r}: write Old_Id=New_Id.", {"mapping": [f"{pair!r} is not Old=New"]})
        mapping[old.strip()] = new.strip()
    return mapping


def _migrate_one(
    case_id: str, target: model.ProcessVersion, mapping: dict[str, str], dry_run: bool, *,
    actor: model.Actor, uow: ports.UnitOfWork, clock: Clock, policy: Policy,
) -> CaseMigration:  # fmt: skip
    now = clock.now()
    with uow:
        case = uow.cases.get(case_id)
        refused = _refusal(case, target)
        if refused:
            return CaseMigration(case.id, case.reference, False, refused)
        source = uow.versions.get(case.version_id)
        state = _renamed(case.state, mapping)
        missing = sorted(spiff.spec_names(state) - spiff.known_names(workflows.bundle(target)))
        if missing:
            reason = f"{', '.join(missing)} not in version {target.number}; map renamed elements (Old_Id=New_Id)."
            return CaseMigration(case.id, case.reference, False, reason)
        before = {t.id for t in spiff.ready_tasks(workflows.take(case, source, policy))}
        workflow, timers, thrown = move(case.state, workflows.bundle(source), workflows.bundle(target), mapping,
                                        policy, now)  # fmt: skip
        changes = [f"{name}: {_day(old)} → {_day(new)}" for name, old, new in timers]
        if dry_run:
            return CaseMigration(case.id, case.reference, True, changes=changes or ["no change to deadlines"])
        case.version_id = target.id
        projected = workflows.project(case, target, workflow, thrown, now, set())  # every item anew
        claimed = {i.task_id: i.assignee for i in uow.work_items.for_case(case.id)}
        for item in projected.added:
            item.assignee = claimed.get(item.task_id)
        projected.removed = sorted(before)
        moved = {"from": source.id, "to": target.id, "to_number": target.number, "mapping": mapping,
                 "after": projected.after}  # fmt: skip
        workflows.store(
            uow, case, [history.record(case, "version_migrated", actor.id, now, moved)], projected, new=False
        )
        uow.commit()
    workflows.keep(case, workflow, policy)
    return CaseMigration(case.id, case.reference, True, changes=changes)


def move(
    state: Mapping[str, Any], source: spiff.Bundle, target: spiff.Bundle, mapping: Mapping[str, str],
    policy: Policy, now: Any,
) -> tuple[Any, list[tuple[str, Any, Any]], list[spiff.Thrown]]:  # fmt: skip
    """The case's workflow on the target bundle, as of `now` (also used by replay, so deterministic)."""
    workflow = spiff.restore(_renamed(state, mapping), target, spiff.script_engine(policy))
    with spiff.running(workflow, now):
        spiff.repredict(workflow)
        timers = spiff.recompute_changed_timers(workflow, source)
        thrown = spiff.advance(workflow)
    return workflow, timers, thrown


def _refusal(case: model.Case, target: model.ProcessVersion) -> str:
    if case.status != "open":
        return f"The case is {case.status}; only open cases move."
    if case.process_key != target.process_key:
        return f"The case runs process '{case.process_key}', not '{target.process_key}'."
    if case.version_id == target.id:
        return f"Already on version {target.number}."
    return ""


def _renamed(state: Mapping[str, Any], mapping: Mapping[str, str]) -> dict[str, Any]:
    """The state with element ids renamed (tasks, SpiffWorkflow's derived names, subprocess specs)."""
    state = copy.deepcopy(dict(state))
    if not mapping:
        return state

    def rename(name: str) -> str:
        head, dot, tail = name.partition(".")
        return mapping.get(name) or (mapping.get(head, head) + dot + tail if dot else name)

    for workflow in [state, *state.get("subprocesses", {}).values()]:
        for task in workflow["tasks"].values():
            task["task_spec"] = rename(task["task_spec"])
        if "spec" in workflow:
            workflow["spec"] = rename(workflow["spec"])
    return state


def _day(moment: Any) -> str:
    return moment.isoformat(timespec="minutes") if moment else "—"
