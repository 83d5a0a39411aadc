"""Case history: append-only events, each carrying the hash of the one before (a per-case chain).

The hash is keyed: HMAC-SHA256 under the history key (engine/records/chain_keys.py), whose id is part of
the event. The composition root hands the keyring over with `use_keys`; without one (tools and
benchmarks that do not configure it) events get a plain SHA-256, as before keys existed. Events
recorded before keying still verify by their plain hash, but only before a case's first keyed
event: an unkeyed event after a keyed one is a stripped signature.

Free text typed by staff (answers, responses, notes) may repeat a customer's name, so it is
*sealed*: the hashed canonical form holds sha256(salt + value) instead of the value, and the
value and its salt sit beside it in the event. Erasure replaces the value with a tombstone and
drops the salt; the chain still verifies, and the commitment alone reveals nothing.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from engine.kernel import ids, model
from engine.records import chain_keys

TOMBSTONE = "[erased]"
ERASED = "personal_data_erased"


@dataclass(frozen=True)
class EventType:
    """What replay, erasure and the exports must know about one type of event.

    `role`: "input" is re-executed by a replay; "outcome" (a process failure) is compared with
    what the replay of the input before it did; "record" notes something that does not change
    the workflow (a customer's e-mail, staff telling the customer by phone, an erasure).
    `free_text`: paths in `data` where a person types free text: always sealed.
    """

    role: str
    free_text: tuple[str, ...] = ()


# Every event type there is. A new one is not done until replay, erasure, the audit page and
# the exports know it (tests/unit/test_event_types.py fails until then).
TYPES: dict[str, EventType] = {
    "case_started": EventType("input"),
    "task_completed": EventType("input"),  # the free-text fields of its form are sealed by complete_task
    "timer_fired": EventType("input"),
    "status_requested": EventType("input", ("requester", "told")),
    "version_migrated": EventType("input"),
    "process_failed": EventType("outcome"),
    "customer_message": EventType("record"),  # the mail's text stays with the inbound message
    "message_handled": EventType("record", ("note",)),  # "Told another way": how the customer was told
    ERASED: EventType("record", ("reason",)),
}
INPUTS = frozenset(name for name, kind in TYPES.items() if kind.role == "input")
_keyring: chain_keys.Keyring | None = None


def use_keys(keyring: chain_keys.Keyring | None) -> None:
    """Sign new events with this keyring's first key and verify with all of them (set at startup)."""
    global _keyring
    _keyring = keyring


def keys() -> chain_keys.Keyring | None:
    """The keyring in use, if any."""
    return _keyring


def record(
    case: model.Case, type: str, actor: str, at: datetime, data: dict[str, Any], sealed: Sequence[str] = ()
) -> model.Event:
    """The next event of the case's chain; moves the chain head kept on the case row.

    `sealed` names free-text fields of `data` (dotted paths, e.g. "data.customer_answer"), beside
    those its type always seals (`TYPES`). An undeclared type is refused.
    """
    if type not in TYPES:
        raise ValueError(f"Unknown event type {type!r}: declare it in engine.records.history.TYPES.")
    paths = dict.fromkeys((*sealed, *TYPES[type].free_text))
    seals = {path: _seal(get(data, path)) for path in paths if get(data, path) not in (None, "")}
    if seals:
        data = dict(data, sealed=seals)
    key_id = _keyring.signing_id if _keyring else None
    event = model.Event(case.id, case.event_seq + 1, type, actor, at, data, prev_hash=case.event_hash, key_id=key_id)
    event.hash = event_hash(event)
    case.event_seq, case.event_hash = event.seq, event.hash
    return event


def canonical(event: model.Event) -> bytes:
    """The bytes that are hashed: sorted-key JSON of every field but the hash, sealed values as commitments."""
    body = {
        "case_id": event.case_id, "seq": event.seq, "type": event.type, "actor": event.actor,
        "at": event.at.isoformat(), "data": _hashed_data(event.data), "prev_hash": event.prev_hash,
    }  # fmt: skip
    if event.key_id is not None:
        body["key_id"] = event.key_id
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def event_hash(event: model.Event) -> str:
    """HMAC-SHA256 of the canonical form under the event's key; plain SHA-256 for an unkeyed event.

    Raises chain_keys.KeyringError when the event names a key this instance does not hold.
    """
    if event.key_id is None:
        return hashlib.sha256(canonical(event)).hexdigest()
    if _keyring is None:
        raise chain_keys.KeyringError(f"no history key '{event.key_id}': no keyring is configured")
    return _keyring.sign(canonical(event), event.key_id)


def hashed_data(data: dict[str, Any]) -> dict[str, Any]:
    """Event data as it is hashed: each sealed value replaced by {"sealed": its commitment}."""
    return _hashed_data(data)


def _hashed_data(data: dict[str, Any]) -> dict[str, Any]:
    seals = data.get("sealed")
    if not seals:
        return data
    hashed = copy.deepcopy(data)
    for path, seal in seals.items():
        put(hashed, path, {"sealed": seal["sha256"]})
    hashed["sealed"] = {path: seal["sha256"] for path, seal in seals.items()}
    return hashed


def _seal(value: Any) -> dict[str, str]:
    salt = ids.new_salt()
    return {"salt": salt, "sha256": _commitment(salt, value)}


def _commitment(salt: str, value: Any) -> str:
    return hashlib.sha256(bytes.fromhex(salt) + json.dumps(value, ensure_ascii=False).encode()).hexdigest()


def get(data: dict[str, Any], path: str) -> Any:
    """The value at a dotted path, or None."""
    for key in path.split("."):
        if not isinstance(data, dict):
            return None
        data = data.get(key)  # type: ignore[assignment]
    return data


def put(data: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for key in parents:
        data = data[key]
    data[last] = value


@dataclass(frozen=True)
class BrokenLink:
    """Where a case's chain stops holding, and why."""

    seq: int
    reason: str


def check_chain(events: list[model.Event], head_seq: int | None = None, head_hash: str = "") -> BrokenLink | None:
    """The first event whose position, link, hash or sealed values do not hold, or None.

    With the chain head kept on the case row, events cut off at the end are found too.
    """
    previous, redacted, keyed = "", _redacted(events), 0
    for expected, event in enumerate(events, start=1):
        if event.seq != expected:
            reason = "is missing" if event.seq > expected else "is out of order (repeated)"
            return BrokenLink(expected, f"event {expected} {reason}")
        if event.prev_hash != previous:
            return BrokenLink(
                expected, f"event {expected} does not follow event {expected - 1} (reordered or replaced)"
            )
        keyed = keyed or (event.seq if event.key_id else 0)
        problem = _signature_problem(event, keyed) or _seal_problem(event, redacted)
        if problem:
            return BrokenLink(expected, problem)
        previous = event.hash
    if head_seq is not None and (len(events), previous) != (head_seq, head_hash):
        if len(events) < head_seq:
            return BrokenLink(len(events) + 1, f"events {len(events) + 1}-{head_seq} are missing")
        return BrokenLink(head_seq + 1, "the chain does not end where the case row says it does")
    return None


def _signature_problem(event: model.Event, keyed_since: int) -> str | None:
    if event.key_id is None and keyed_since:
        return (f"event {event.seq} is not signed with a history key although event {keyed_since} before it is "
                "(its signature was stripped)")  # fmt: skip
    try:
        if event.hash == event_hash(event):
            return None
    except chain_keys.KeyringError:
        return f"event {event.seq} is signed with history key '{event.key_id}', which this instance does not hold"
    return f"event {event.seq} was changed after it was recorded"


def head_key(events: list[model.Event]) -> str | None:
    """The id of the key that signed a chain's last event (None: unkeyed, recorded before keys)."""
    return events[-1].key_id if events else None


def first_broken_link(events: list[model.Event]) -> int | None:
    """The seq of the first event whose hash or link does not hold, or None if the chain is whole."""
    broken = check_chain(events)
    return broken.seq if broken else None


def _redacted(events: list[model.Event]) -> set[tuple[int, str]]:
    return {(seq, path) for e in events if e.type == ERASED for seq, path in e.data.get("redacted", [])}


def _seal_problem(event: model.Event, redacted: set[tuple[int, str]]) -> str | None:
    for path, seal in event.data.get("sealed", {}).items():
        value = get(event.data, path)
        if "salt" in seal:
            if _commitment(seal["salt"], value) != seal["sha256"]:
                return f"event {event.seq}: '{path}' was changed after it was recorded"
        elif value != TOMBSTONE or (event.seq, path) not in redacted:
            return f"event {event.seq}: '{path}' was removed without a recorded erasure"
    return None


def redact(event: model.Event) -> list[str]:
    """Replace the sealed values of an event with the tombstone and drop their salts; the paths redacted."""
    paths = [path for path, seal in event.data.get("sealed", {}).items() if "salt" in seal]
    for path in paths:
        put(event.data, path, TOMBSTONE)
        del event.data["sealed"][path]["salt"]
    return paths


def sealed_values(events: list[model.Event]) -> dict[str, set[str]]:
    """Field name -> the clear values sealed under it (what an erasure must scrub elsewhere)."""
    values: dict[str, set[str]] = {}
    for event in events:
        for path, seal in event.data.get("sealed", {}).items():
            value = get(event.data, path)
            if "salt" in seal and isinstance(value, str):
                values.setdefault(path.rpartition(".")[2], set()).add(value)
    return values


def masked_events(events: Iterable[model.Event]) -> list[model.Event]:
    """Events as readers without personal data see them: each sealed value is its commitment."""
    return [replace(e, data=hashed_data(e.data)) if e.data.get("sealed") else e for e in events]


def sealed_keys(events: Iterable[model.Event]) -> set[str]:
    """The field names that hold sealed free text somewhere in these events."""
    return {path.rsplit(".", 1)[-1] for e in events for path in e.data.get("sealed", {})}


def is_masked(value: Any) -> bool:
    """Whether a value is a sealed value's commitment (what `masked_events` puts in its place)."""
    return isinstance(value, dict) and set(value) == {"sealed"}
