"""Case history: append-only events, each carrying the hash of the one before (a per-case chain)."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from engine import model


def record(case: model.Case, type: str, actor: str, at: datetime, data: dict[str, Any]) -> model.Event:
    """The next event of the case's chain; moves the chain head kept on the case row."""
    event = model.Event(case.id, case.event_seq + 1, type, actor, at, data, prev_hash=case.event_hash)
    event.hash = event_hash(event)
    case.event_seq, case.event_hash = event.seq, event.hash
    return event


def canonical(event: model.Event) -> bytes:
    """The bytes that are hashed: sorted-key JSON of every field but the hash itself."""
    body = {
        "case_id": event.case_id, "seq": event.seq, "type": event.type, "actor": event.actor,
        "at": event.at.isoformat(), "data": event.data, "prev_hash": event.prev_hash,
    }  # fmt: skip
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def event_hash(event: model.Event) -> str:
    return hashlib.sha256(canonical(event)).hexdigest()


def first_broken_link(events: list[model.Event]) -> int | None:
    """The seq of the first event whose hash or link does not hold, or None if the chain is whole."""
    previous = ""
    for expected_seq, event in enumerate(events, start=1):
        if event.seq != expected_seq or event.prev_hash != previous or event.hash != event_hash(event):
            return expected_seq
        previous = event.hash
    return None
