"""Use cases of a complaint: start it, complete its tasks, open a task, show it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date
from typing import Any

from engine import spiff
from engine.casework import deadlines, workflows
from engine.casework.intake import validate_intake
from engine.kernel import access, model, ports
from engine.kernel.clock import Clock
from engine.kernel.errors import (
    CaseNotFound,
    Conflict,
    InvalidInput,
    ProcessError,
    StaleCase,
    TaskNotFound,
    TaskNotReady,
    VersionNotFound,
)
from engine.kernel.ids import case_reference, new_id
from engine.kernel.policy import Policy
from engine.notation import forms
from engine.records import history


@dataclass(frozen=True)
class Progress:
    """Where a case stands after a use case: shown by the CLI and the web after each step."""

    case_id: str
    reference: str
    status: str
    stage: str
    error: str | None


def start_case(
    intake: Mapping[str, Any],
    *,
    actor: model.Actor,
    uow: ports.UnitOfWork,
    clock: Clock,
    policy: Policy,
    process_key: str | None = None,
) -> Progress:
    """Record a complaint from any channel; incomplete data is kept and asked for later."""
    now = clock.now()
    values = validate_intake(intake, now)
    with uow:
        case, workflow = open_case(values, actor=actor, uow=uow, clock=clock, policy=policy, process_key=process_key)
        uow.commit()
    workflows.keep(case, workflow, policy)
    return _progress(case)


def open_case(
    values: dict[str, Any],
    *,
    actor: model.Actor,
    uow: ports.UnitOfWork,
    clock: Clock,
    policy: Policy,
    process_key: str | None = None,
) -> tuple[model.Case, Any]:
    """Inside the caller's transaction: a new case from validated intake values, and its workflow.

    The caller commits, then caches the workflow with `workflows.keep(case, workflow, policy)`.
    """
    now = clock.now()
    received_at = values.pop("received_at")
    key = process_key or policy.process_key
    version = uow.versions.latest(key)
    if version is None:
        raise VersionNotFound(f"No version of process '{key}' is deployed yet.")
    case_id = new_id()
    year = policy.calendar.local_date(received_at).year
    reference = case_reference(policy.reference_prefix, year, uow.cases.next_sequence(year))
    personal = model.PersonalData(new_id(), case_id, **{k: values[k] for k in model.PERSONAL_FIELDS})
    data = {
        "reference": reference, "channel": values["channel"],
        "received_at": received_at.isoformat(), "missing": personal.missing(),
    }  # fmt: skip
    case = model.Case(
        case_id, reference, key, version.id, data["channel"], received_at, "open", "",
        {}, None, [], now, now,
    )  # fmt: skip
    workflow = spiff.create(workflows.bundle(version), spiff.script_engine(policy), data, seed=case_id, now=now)
    with spiff.running(workflow, now):
        thrown, error = _run(lambda: spiff.advance(workflow))
    _fail_if(case, error)
    changes = workflows.project(case, version, workflow, thrown, now, set())
    started = {"version_id": version.id, "data": data, "personal_data_id": personal.id, "after": changes.after}
    if changes.fired:  # received long enough ago that deadlines passed before it was entered
        started["timers"] = changes.fired
    events = [history.record(case, "case_started", actor.id, now, started)]
    events += _failure_event(case, error, actor, now)
    workflows.store(uow, case, events, changes, new=True)
    uow.personal_data.add(personal)
    return case, workflow


def complete_task(
    case_id: str,
    task_id: str,
    data: Mapping[str, Any],
    *,
    actor: model.Actor,
    uow: ports.UnitOfWork,
    clock: Clock,
    policy: Policy,
    expected_revision: int | None = None,
) -> Progress:
    """Complete a ready task of the actor's lane with form data; the case moves on.

    With `expected_revision` (the revision the user saw), a case changed meanwhile is refused.
    """
    now = clock.now()
    with uow:
        case, item = _workable(uow, case_id, task_id, actor, policy, expected_revision)
        version = uow.versions.get(case.version_id)
        values = forms.validate_data(
            version.forms.get(item.form or ""), data, today=policy.calendar.local_date(now), calendar=policy.calendar
        )
        personal_fields = {k: values.pop(k) for k in list(values) if k in model.PERSONAL_FIELDS}
        if personal_fields:
            values["missing"] = _update_personal(uow, case, personal_fields)
        workflow = workflows.take(case, version, policy)
        before = workflows.ready_ids(workflow)
        promised = _promise(case, version, item, values, now, policy)
        with spiff.running(workflow, now):
            thrown, error = _run(lambda: spiff.complete(workflow, task_id, values))
        _fail_if(case, error)
        changes = workflows.project(case, version, workflow, thrown, now, before, promised)
        done = {
            "task_id": task_id,
            "bpmn_id": item.bpmn_id,
            "data": values,
            "personal_fields": sorted(personal_fields),
            "after": changes.after,
        }
        texts = [f"data.{key}" for key in forms.free_text_keys(version.forms.get(item.form or "")) if key in values]
        events = [history.record(case, "task_completed", actor.id, now, done, sealed=texts)]
        events += _failure_event(case, error, actor, now)
        workflows.store(uow, case, events, changes, new=False)
        uow.commit()
    workflows.keep(case, workflow, policy)
    return _progress(case)


def _workable(
    uow: ports.UnitOfWork, case_id: str, task_id: str, actor: model.Actor, policy: Policy, expected: int | None
) -> tuple[model.Case, model.WorkItem]:
    """The case and its ready task, checked in the order a user expects: stale, ready, lane, claim."""
    case = uow.cases.get(case_id)
    if expected is not None and expected != case.revision:
        raise StaleCase(
            f"Case {case.reference} changed while you were working on it "
            "(a deadline passed or someone else acted). Check it and submit again."
        )
    item = _ready_item(uow, case, task_id)
    access.require_lane(actor, item, policy)
    if item.assignee not in (None, actor.id):
        raise Conflict(f"Task '{item.name}' is claimed by {item.assignee}.")
    return case, item


@dataclass(frozen=True)
class TaskPage:
    """What a person needs to work on one task: the case, the task, its form, prefilled values."""

    case: model.Case
    item: model.WorkItem
    form: dict[str, Any] | None
    values: dict[str, Any]
    personal: model.PersonalData | None


def open_task(case_id: str, task_id: str, *, actor: model.Actor, uow: ports.UnitOfWork, policy: Policy) -> TaskPage:
    """A ready task of the actor's lanes with its form; the customer's data only for those who may see it."""
    with uow:
        case = uow.cases.get(case_id)
        item = _ready_item(uow, case, task_id)
        access.require_lane(actor, item, policy)
        form = uow.versions.get(case.version_id).forms.get(item.form or "")
        personal = uow.personal_data.for_case(case.id) if access.sees_personal_data(actor) else None
    keys = {c["key"] for c in forms.components(form)} if form else set()
    values = {k: getattr(personal, k) for k in keys & set(model.PERSONAL_FIELDS)} if personal else {}
    return TaskPage(case, item, form, values, personal)


def process_diagram(reference_or_id: str, *, uow: ports.UnitOfWork) -> bytes:
    """The BPMN XML of the version a case runs on (read only)."""
    with uow:
        return uow.versions.get(_find(uow, reference_or_id).version_id).bpmn_xml


def show_case(reference_or_id: str, *, uow: ports.UnitOfWork) -> model.CaseView:
    """Everything known about a case (read only)."""
    with uow:
        case = _find(uow, reference_or_id)
        return model.CaseView(
            case,
            uow.personal_data.for_case(case.id),
            uow.work_items.for_case(case.id),
            uow.events.for_case(case.id),
            uow.outbox.for_case(case.id),
            uow.inbound.for_case(case.id),
            uow.attachments.for_case(case.id),
        )


def list_work_items(
    lanes: list[str], *, uow: ports.UnitOfWork, assignee: str | None = None, limit: int = 50, offset: int = 0
) -> list[model.WorkItem]:
    """The ready tasks of some lanes (a role's task list), soonest due first (read only)."""
    with uow:
        return uow.work_items.listing(lanes, assignee=assignee, limit=limit, offset=offset)


def _find(uow: ports.UnitOfWork, reference_or_id: str) -> model.Case:
    try:
        return uow.cases.by_reference(reference_or_id)
    except CaseNotFound:
        return uow.cases.get(reference_or_id)


def _ready_item(uow: ports.UnitOfWork, case: model.Case, task_id: str) -> model.WorkItem:
    for item in uow.work_items.for_case(case.id):
        if item.task_id == task_id:
            return item
    for event in uow.events.for_case(case.id):
        if event.type == "task_completed" and event.data.get("task_id") == task_id:
            raise TaskNotReady(
                f"Task {task_id} of {case.reference} was already completed by {event.actor} "
                f"at {event.at.isoformat(timespec='seconds')}.",
                completed_by=event.actor,
            )
    raise TaskNotFound(f"Case {case.reference} has no ready task {task_id!r}.")


def _promise(
    case: model.Case, version: model.ProcessVersion, item: model.WorkItem, values: Mapping[str, Any], now: Any,
    policy: Policy,
) -> model.Deadline | None:  # fmt: skip
    """A delay notice's new date (a `new_date` field), as a deadline fact that moves the task's deadlines."""
    new_date = values.get("new_date")
    if not isinstance(new_date, str) or not new_date:
        return None
    due = policy.calendar.end_of_day(date.fromisoformat(new_date)).astimezone(UTC)
    return deadlines.promise(case.deadlines, item.task_id, item.bpmn_id, due, workflows.scopes(version), now)


def _update_personal(uow: ports.UnitOfWork, case: model.Case, values: Mapping[str, Any]) -> list[str]:
    personal = uow.personal_data.for_case(case.id) or model.PersonalData(new_id(), case.id)
    for name, value in values.items():
        setattr(personal, name, value)
    missing = personal.missing()
    if missing:
        raise InvalidInput(
            "Registration needs surname, given name, description and a phone or an e-mail.",
            {name: ["Required."] for name in missing},
        )
    uow.personal_data.save(personal)
    return missing


def _run(step: Callable[[], list[spiff.Thrown]]) -> tuple[list[spiff.Thrown], str | None]:
    """Run a workflow step; a process failure becomes the case's error instead of an exception."""
    try:
        return step(), None
    except ProcessError as error:
        return [], str(error)


def _fail_if(case: model.Case, error: str | None) -> None:
    if error:
        case.status, case.error = "errored", error


def _failure_event(case: model.Case, error: str | None, actor: model.Actor, now: Any) -> list[model.Event]:
    return [history.record(case, "process_failed", actor.id, now, {"error": error})] if error else []


def _progress(case: model.Case) -> Progress:
    return Progress(case.id, case.reference, case.status, case.stage, case.error)
