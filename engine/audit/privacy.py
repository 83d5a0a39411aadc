"""Personal data under data-protection law: an access log of who saw it, and erasure.

Erasure replaces the customer's record with a tombstone and removes the free text staff typed
about the case (sealed in the history, see engine/records/history.py) from the events, the workflow
state and the messages; the hash chain still verifies and a replay still gives the stored state.

The workflow state after erasure is the one a replay of the redacted history reaches: wherever a
typed value went (task data, deltas between loops, values copied by scripts) the replay carries
the tombstone, so erasure and replay agree on every path of the process. Only a case that did not
replay before is scrubbed by field name instead (its divergence stays visible to `verify`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from engine.audit import replay
from engine.audit.verification import find_case
from engine.casework import workflows
from engine.kernel import access, model, ports
from engine.kernel.clock import Clock
from engine.kernel.errors import Conflict, InvalidInput
from engine.kernel.ids import new_id
from engine.kernel.policy import Policy
from engine.records import history

ERASE_ROLES = access.ERASURE
PLACES = ("case_page", "task_page", "cli")


def log_personal_data_view(
    case_id: str, place: str, *, actor: model.Actor, uow: ports.UnitOfWork, clock: Clock
) -> None:
    """Record that the actor was shown a customer's personal data; the case itself does not change."""
    if place not in PLACES:
        raise InvalidInput(f"Unknown place {place!r}.")
    with uow:
        personal = uow.personal_data.for_case(case_id)
        if personal is None or personal.erased_at is not None:
            return
        uow.personal_data_views.add(
            model.PersonalDataView(new_id(), case_id, personal.id, actor.id, clock.now(), place)
        )
        uow.commit()


@dataclass(frozen=True)
class Erasure:
    """What an erasure removed."""

    reference: str
    fields: int  # free-text values redacted in the history
    messages: int  # customer messages whose text was removed


def erase_personal_data(
    reference_or_id: str,
    reason: str,
    *,
    actor: model.Actor,
    uow: ports.UnitOfWork,
    clock: Clock,
    policy: Policy,
) -> Erasure:
    """Replace a closed case's personal data with a tombstone and redact free text; recorded in the chain."""
    access.require_erasure(actor)
    reason = reason.strip()  # what is recorded, and measured
    if not reason or len(reason) > 500:
        raise InvalidInput("Give the reason for the erasure (at most 500 characters).", {"reason": ["Required."]})
    now = clock.now()
    with uow:
        case = find_case(uow, reference_or_id)
        personal = _erasable(uow, case)
        events = uow.events.for_case(case.id)
        load = _loader(uow, case, events)
        faithful = replay.replay(events, case.state, load, policy) is None  # before anything is redacted
        texts, redacted = history.sealed_values(events), _redact_events(uow, events)
        case.state = _erased_state(case, events, load, policy, texts) if faithful else scrub(dict(case.state), texts)
        messages = _scrub_messages(uow, case, texts)
        uow.personal_data.save(_tombstone(personal, now))
        mails, files = uow.inbound.erase_for_case(case.id), uow.attachments.erase_for_case(case.id)
        erased = {"personal_data_id": personal.id, "reason": reason.strip(), "redacted": redacted,
                  "inbound_messages": mails, "attachments": files}  # fmt: skip
        event = history.record(case, history.ERASED, actor.id, now, erased)
        uow.cases.save(case)
        uow.events.append(event)
        uow.commit()
    return Erasure(case.reference, len(redacted), messages)


def _erasable(uow: ports.UnitOfWork, case: model.Case) -> model.PersonalData:
    if case.status == "open":
        raise Conflict(f"Case {case.reference} is still open: its customer must still be answered.")
    personal = uow.personal_data.for_case(case.id)
    if personal is None or personal.erased_at is not None:
        raise Conflict(f"The personal data of {case.reference} was erased already.")
    return personal


def _loader(uow: ports.UnitOfWork, case: model.Case, events: list[model.Event]) -> Callable[[str], Any]:
    versions = {v: uow.versions.get(v) for v in replay.versions_used(case, events)}
    return lambda version_id: workflows.bundle(versions[version_id])


def _erased_state(
    case: model.Case, redacted: list[model.Event], load: Callable[[str], Any], policy: Policy,
    texts: dict[str, set[str]],
) -> dict[str, Any]:
    """What a replay of the redacted history reaches (scrubbed by name if even that parts from the record)."""
    replayer, divergence = replay.rerun(redacted, load, policy)
    if divergence is not None or "task_ids" not in case.state:
        return scrub(dict(case.state), texts)
    return replayer.state()


def _redact_events(uow: ports.UnitOfWork, events: list[model.Event]) -> list[list[Any]]:
    redacted: list[list[Any]] = []
    for event in events:
        paths = history.redact(event)
        if paths:
            uow.events.replace_data(event)
            redacted += [[event.seq, path] for path in paths]
    return redacted


def _scrub_messages(uow: ports.UnitOfWork, case: model.Case, texts: dict[str, set[str]]) -> int:
    changed = 0
    for message in uow.outbox.for_case(case.id):
        payload = scrub(message.payload, texts)
        if payload != message.payload:
            uow.outbox.replace_payload(message.id, payload)
            changed += 1
    return changed


def scrub(value: Any, texts: dict[str, set[str]]) -> Any:
    """A copy of JSON data where every field named like a sealed one, holding its value, is the tombstone."""
    if isinstance(value, dict):
        return {
            k: history.TOMBSTONE if isinstance(v, str) and v in texts.get(k, ()) else scrub(v, texts)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [scrub(v, texts) for v in value]
    return value


def _tombstone(personal: model.PersonalData, now: Any) -> model.PersonalData:
    for name in model.PERSONAL_FIELDS:
        setattr(personal, name, "")
    personal.erased_at = now
    return personal
