"""Auditors' use cases: verify a case (hash chain + deterministic replay), all cases, a draft; history."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from engine import spiff
from engine.audit import draft_replay, replay, sla
from engine.casework import workflows
from engine.kernel import model, ports
from engine.kernel.clock import Clock
from engine.kernel.errors import CaseNotFound
from engine.kernel.policy import Policy
from engine.process_models.versions import check_upload
from engine.records import history

BATCH = 200


@dataclass(frozen=True)
class CaseCheck:
    """Is a case's record whole (chain) and does re-executing it give the stored state (replay)?"""

    case_id: str
    reference: str
    events: int
    broken: history.BrokenLink | None
    divergence: replay.Divergence | None
    key_id: str | None = None  # the history key that signed the last event (None: recorded before keys)

    @property
    def ok(self) -> bool:
        return self.broken is None and self.divergence is None


def verify_case(reference_or_id: str, *, uow: ports.UnitOfWork, policy: Policy) -> CaseCheck:
    """Check a case's hash chain and replay it on its own process version (read only)."""
    with uow:
        case = find_case(uow, reference_or_id)
        events = uow.events.for_case(case.id)
        versions = {v: uow.versions.get(v) for v in replay.versions_used(case, events)}
    return check(case, events, versions, policy)


def check(
    case: model.Case, events: list[model.Event], versions: Mapping[str, model.ProcessVersion], policy: Policy
) -> CaseCheck:
    """The chain check and the replay of one loaded case (on each version it ran on, in turn)."""
    broken = history.check_chain(events, case.event_seq, case.event_hash)
    divergence = replay.replay(events, case.state, _loader(versions), policy)
    return CaseCheck(case.id, case.reference, len(events), broken, divergence, history.head_key(events))


def count_cases(*, uow: ports.UnitOfWork) -> int:
    """How many cases there are (for a progress bar; read only)."""
    with uow:
        return uow.cases.count()


def verify_cases(*, uow: ports.UnitOfWork, policy: Policy, batch: int = BATCH) -> Iterator[CaseCheck]:
    """Verify every case, a batch of cases (and their events) per read transaction, in id order."""
    after = ""
    while True:
        with uow:
            ids = uow.cases.ids(after, batch)
            cases = uow.cases.many(ids)
            events = uow.events.for_cases(ids)
            used = {v for c in cases for v in replay.versions_used(c, events[c.id])}
            versions = {v: uow.versions.get(v) for v in used}
        if not ids:
            return
        for case in cases:
            yield check(case, events[case.id], versions, policy)
        after = ids[-1]


@dataclass
class DraftRun:
    """Recorded cases replayed against a draft: one report per case."""

    draft: str  # what was tried: a version id or "uploaded file"
    reports: list[draft_replay.DraftReport] = field(default_factory=list)

    @property
    def diverging(self) -> list[draft_replay.DraftReport]:
        """Cases that replay on their own version(s) and part from it on the draft."""
        return [r for r in self.reports if r.outcome == "diverges"]

    @property
    def not_comparable(self) -> list[draft_replay.DraftReport]:
        """Cases whose own replay fails: nothing to compare the draft with (`verify` says why)."""
        return [r for r in self.reports if r.outcome == "own replay fails"]

    @property
    def migrated(self) -> list[draft_replay.DraftReport]:
        """Cases compared from their last migration on (they ran on other versions before)."""
        return [r for r in self.reports if r.compared_from is not None]


def replay_against_draft(
    draft: str | bytes,
    forms: Mapping[str, bytes] | None = None,
    *,
    uow: ports.UnitOfWork,
    clock: Clock,
    policy: Policy,
    cases: Sequence[str] | None = None,
    sample: int | None = None,
) -> DraftRun:
    """Replay recorded cases (all, the given references, or an evenly spread sample) on a draft.

    `draft` is a deployed version id, or the BPMN bytes of an upload (checked like a deployment,
    with `forms`); nothing is stored.
    """
    with uow:
        target, label = _target(draft, forms or {}, uow, clock, policy)
        ids = [find_case(uow, c).id for c in cases] if cases else _all_ids(uow)
    run = DraftRun(label)
    for start in range(0, len(_spread(ids, sample)), BATCH):
        chosen = _spread(ids, sample)[start : start + BATCH]
        with uow:
            loaded = uow.cases.many(chosen)
            events = uow.events.for_cases(chosen)
            used = {v for c in loaded for v in replay.versions_used(c, events[c.id])}
            own = _loader({v: uow.versions.get(v) for v in used})
        for case in loaded:
            run.reports.append(draft_replay.compare(case, events[case.id], own, target, policy))
    return run


def _loader(versions: Mapping[str, model.ProcessVersion]) -> Callable[[str], spiff.Bundle]:
    return lambda version_id: workflows.bundle(versions[version_id])


def _target(
    draft: str | bytes, forms: Mapping[str, bytes], uow: ports.UnitOfWork, clock: Clock, policy: Policy
) -> tuple[draft_replay.Target, str]:
    if isinstance(draft, str):
        version = uow.versions.get(draft)
        return draft_replay.Target(workflows.bundle(version), version.user_tasks), f"version {version.number}"
    with spiff.clock_in_use(clock):
        checked = check_upload(draft, forms, policy)
    tasks = {t.id: {"name": t.name} for t in checked.definition.user_tasks.values()}
    return draft_replay.Target(spiff.load_bundle(checked.spec), tasks), "uploaded draft"


def _all_ids(uow: ports.UnitOfWork) -> list[str]:
    ids, after = [], ""
    while page := uow.cases.ids(after, 5000):
        ids += page
        after = page[-1]
    return ids


def _spread(ids: list[str], sample: int | None) -> list[str]:
    """`sample` ids spread evenly over the list (deterministic), or all of them."""
    if not sample or sample >= len(ids):
        return ids
    step = len(ids) / sample
    return [ids[int(i * step)] for i in range(sample)]


@dataclass
class CaseHistory:
    """What an auditor reads about one case: its record, checkpoints, and whether it holds."""

    case: model.Case
    version: model.ProcessVersion
    events: list[model.Event]
    checkpoints: list[sla.Checkpoint]
    check: CaseCheck
    views: list[model.PersonalDataView]
    erased: bool

    def task_name(self, bpmn_id: str) -> str:
        return self.version.user_tasks.get(bpmn_id, {}).get("name") or bpmn_id


def case_history(reference_or_id: str, *, uow: ports.UnitOfWork, clock: Clock, policy: Policy) -> CaseHistory:
    """A case's full record for auditors: events, SLA checkpoints, chain and replay check (read only).

    Auditors and data-protection officers do not see personal data: each sealed free-text value
    is given as its commitment, the form hashed into the chain (engine/kernel/access.py).
    """
    with uow:
        case = find_case(uow, reference_or_id)
        events = uow.events.for_case(case.id)
        versions = {v: uow.versions.get(v) for v in replay.versions_used(case, events)}
        views = uow.personal_data_views.for_case(case.id)
        personal = uow.personal_data.for_case(case.id)
    version = versions[case.version_id]
    points = sla.checkpoints(case, events, policy.calendar, clock.now(), workflows.scopes(version))
    erased = bool(personal and personal.erased_at)
    checked = check(case, events, versions, policy)  # on the clear values: a commitment is checked against them
    return CaseHistory(case, version, history.masked_events(events), points, checked, views, erased)


def history_rows(record: CaseHistory) -> list[dict[str, Any]]:
    """One flat row per event (CSV export): what happened, when, by whom, with what data."""
    return [
        {
            "reference": record.case.reference,
            "seq": e.seq,
            "at": e.at.isoformat(),
            "type": e.type,
            "actor": e.actor,
            "element": " ".join(elements(e)),
            "data": _data_text(e),
            "prev_hash": e.prev_hash,
            "hash": e.hash,
            "key_id": e.key_id or "",
        }  # fmt: skip
        for e in record.events
    ]


def elements(event: model.Event) -> list[str]:
    """The BPMN elements an event is about (what the step-through highlights)."""
    if event.type == "task_completed":
        return [event.data.get("bpmn_id", "")]
    if event.type in ("timer_fired", "case_started"):
        return list(event.data.get("timers", []))
    return []


def _data_text(event: model.Event) -> str:
    data = event.data.get("data") if event.type in ("case_started", "task_completed") else event.data
    shown = {k: v for k, v in (data or {}).items() if k not in ("after", "sealed")}
    return "; ".join(f"{k}={_value_text(v)}" for k, v in shown.items())


def _value_text(value: Any) -> str:
    return f"[sealed {value['sealed']}]" if history.is_masked(value) else str(value)


def find_case(uow: ports.UnitOfWork, reference_or_id: str) -> model.Case:
    try:
        return uow.cases.by_reference(reference_or_id)
    except CaseNotFound:
        return uow.cases.get(reference_or_id)
