"""Signed chain heads: an auditor's proof of what every case's history was at a moment.

The export lists, for every case, how many events its chain had and the hash of the last one,
and is signed (HMAC-SHA256) with the history key. Kept outside the database, it lets an auditor
show later that the histories still extend those heads: someone with write access to the
database alone can neither forge an export nor rewrite, cut or downgrade a history unnoticed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.kernel import model, ports
from engine.kernel.clock import Clock
from engine.kernel.errors import Conflict, InvalidInput
from engine.records import chain_keys, history

FORMAT = "complaints-chain-heads/1"
BATCH = 500


def export_chain_heads(*, uow: ports.UnitOfWork, clock: Clock) -> dict[str, Any]:
    """Every case's chain head at this moment, signed with the history key (read only)."""
    keyring = history.keys()
    if keyring is None:
        raise Conflict("No history key is configured: an unsigned export would prove nothing.")
    cases = [_head(case, events) for case, events in _cases(uow)]
    body = {"format": FORMAT, "generated_at": clock.now().isoformat(), "cases": cases}
    return dict(body, signature={"key_id": keyring.signing_id, "hmac_sha256": keyring.sign(_canonical(body))})


def _head(case: model.Case, events: list[model.Event]) -> dict[str, Any]:
    broken = history.check_chain(events, case.event_seq, case.event_hash)
    return {
        "reference": case.reference, "case_id": case.id, "events": len(events),
        "head": events[-1].hash if events else "", "key_id": history.head_key(events), "chain_whole": broken is None,
    }  # fmt: skip


def _cases(uow: ports.UnitOfWork) -> Iterator[tuple[model.Case, list[model.Event]]]:
    """Every case with its events, a batch per read transaction, in id order."""
    after = ""
    while True:
        with uow:
            ids = uow.cases.ids(after, BATCH)
            cases, events = uow.cases.many(ids), uow.events.for_cases(ids)
        if not ids:
            return
        yield from ((case, events[case.id]) for case in cases)
        after = ids[-1]


@dataclass
class HeadsCheck:
    """The histories of today against a signed export: what no longer extends its exported head."""

    generated_at: str
    key_id: str
    exported: int
    problems: list[tuple[str, str]] = field(default_factory=list)  # (reference, what)
    newer: int = 0  # cases recorded after the export

    @property
    def ok(self) -> bool:
        return not self.problems


def check_chain_heads(export: Mapping[str, Any], *, uow: ports.UnitOfWork) -> HeadsCheck:
    """Check that each exported case's history is whole and still extends its signed head (read only).

    Events after an exported head, and every event of a case the export does not list, must be
    signed with a history key: an unkeyed one there was written without the key.
    """
    signature = _verified(export)
    heads = {c["case_id"]: c for c in export["cases"]}
    result = HeadsCheck(export["generated_at"], signature["key_id"], len(heads))
    for case, events in _cases(uow):
        head = heads.pop(case.id, None)
        result.newer += head is None
        broken = history.check_chain(events, case.event_seq, case.event_hash)
        problem = f"chain broken at event {broken.seq}: {broken.reason}" if broken else None
        problem = problem or (_extends(head, events) if head else _all_keyed(events, "recorded after the export"))
        if problem:
            result.problems.append((case.reference, problem))
    result.problems += [(c["reference"], "is in the export but no longer in the database") for c in heads.values()]
    return result


def _verified(export: Mapping[str, Any]) -> Mapping[str, Any]:
    keyring = history.keys()
    try:
        body = {k: export[k] for k in ("format", "generated_at", "cases")}
        signature = export["signature"]
        if body["format"] != FORMAT:
            raise InvalidInput(f"Not a chain-heads export ({FORMAT}).")
        if keyring is None or keyring.sign(_canonical(body), signature["key_id"]) != signature["hmac_sha256"]:
            raise InvalidInput("The export's signature does not hold: it was changed, or signed with another key.")
    except (KeyError, TypeError):
        raise InvalidInput(f"Not a chain-heads export ({FORMAT}).") from None
    except chain_keys.KeyringError:
        raise InvalidInput(f"The export is signed with history key '{signature['key_id']}', "
                           "which this instance does not hold.") from None  # fmt: skip
    return signature


def _extends(head: Mapping[str, Any], events: list[model.Event]) -> str | None:
    count = head["events"]
    if len(events) < count:
        return f"had {count} events at the export, now {len(events)}: events were removed"
    if count and events[count - 1].hash != head["head"]:
        return f"event {count} is not the one exported: the history up to it was rewritten"
    return _all_keyed(events[count:], "recorded after the export")


def _all_keyed(events: list[model.Event], when: str) -> str | None:
    unkeyed = next((e for e in events if e.key_id is None), None)
    return f"event {unkeyed.seq} was {when} without a history key" if unkeyed else None


def _canonical(body: Mapping[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
