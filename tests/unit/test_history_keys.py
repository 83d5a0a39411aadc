"""Keyed histories: without the key, a database writer can neither rewrite nor downgrade a chain."""

import copy
import hashlib
from datetime import timedelta

import pytest

import engine
from engine.kernel.errors import InvalidInput
from engine.records import chain_keys, history
from tests.conftest import TEST_HISTORY_KEYS

NEW_KEYS = "2027a:" + "7c" * 32


def answered(scenario):
    case = scenario.start()
    scenario.review(case.case_id)
    scenario.analyse(case.case_id)
    scenario.respond_in_writing(case.case_id)
    return case


def rewrite(scenario, case, *, actor_of: int, strip_keys: bool = False, start: int | None = None):
    """What someone with write access to the database alone can do: change an event's actor, then
    recompute the plain SHA-256 of every event from `start` (default: that one) on, maybe without key ids."""
    start = start or actor_of
    with scenario.uow as uow:
        stored, events = uow.cases.get(case.case_id), uow.events.for_case(case.case_id)
        previous = events[start - 2].hash if start > 1 else ""
        for event in events[start - 1 :]:
            event.actor = "someone-else" if event.seq == actor_of else event.actor
            event.key_id = None if strip_keys else event.key_id
            event.prev_hash = previous
            event.hash = previous = hashlib.sha256(history.canonical(event)).hexdigest()
        stored.event_hash = previous
        uow.cases.save(stored)
        uow.write(lambda tables: tables.events.__setitem__(case.case_id, events))  # the memory store's rows
        uow.commit()


def verify(scenario, case):
    return engine.verify_case(case.reference, uow=scenario.uow, policy=scenario.policy)


def test_every_event_is_signed_with_the_current_history_key(scenario):
    case = answered(scenario)
    check = verify(scenario, case)
    assert check.ok and check.key_id == "test-2026"
    assert {e.key_id for e in scenario.view(case.case_id).events} == {"test-2026"}


def test_an_actor_rewritten_with_every_plain_hash_recomputed_is_found_at_that_event(scenario):
    case = answered(scenario)
    rewrite(scenario, case, actor_of=2)
    assert verify(scenario, case).broken == history.BrokenLink(2, "event 2 was changed after it was recorded")


def test_a_rewrite_that_strips_the_signatures_after_a_signed_event_is_found(scenario):
    case = answered(scenario)
    rewrite(scenario, case, actor_of=3, strip_keys=True)
    broken = verify(scenario, case).broken
    assert broken.seq == 3 and "not signed with a history key although event 1 before it is" in broken.reason


def test_a_history_rewritten_wholly_without_keys_is_found_against_an_earlier_signed_export(scenario):
    case, other = answered(scenario), answered(scenario)
    export = engine.export_chain_heads(uow=scenario.uow, clock=scenario.clock)
    rewrite(scenario, case, actor_of=2, strip_keys=True, start=1)
    check = verify(scenario, case)
    assert check.ok and check.key_id is None  # alone, it looks like a history from before keys
    heads = engine.check_chain_heads(export, uow=scenario.uow)
    assert heads.problems == [(case.reference, "event 4 is not the one exported: the history up to it was rewritten")]
    assert (heads.exported, heads.newer) == (2, 0) and other.reference not in str(heads.problems)


def test_a_case_recorded_after_the_export_must_be_signed(scenario):
    export = engine.export_chain_heads(uow=scenario.uow, clock=scenario.clock)
    later = answered(scenario)
    assert engine.check_chain_heads(export, uow=scenario.uow).ok
    rewrite(scenario, later, actor_of=1, strip_keys=True)
    heads = engine.check_chain_heads(export, uow=scenario.uow)
    assert heads.newer == 1
    assert heads.problems == [(later.reference, "event 1 was recorded after the export without a history key")]


def test_a_changed_export_or_one_signed_with_an_unknown_key_is_refused(scenario):
    answered(scenario)
    export = engine.export_chain_heads(uow=scenario.uow, clock=scenario.clock)
    forged = dict(export, cases=[dict(c, events=1) for c in export["cases"]])
    with pytest.raises(InvalidInput, match="signature does not hold"):
        engine.check_chain_heads(forged, uow=scenario.uow)
    history.use_keys(chain_keys.parse(NEW_KEYS))
    with pytest.raises(InvalidInput, match="history key 'test-2026', which this instance does not hold"):
        engine.check_chain_heads(export, uow=scenario.uow)


def test_without_the_signing_key_verify_names_the_missing_key(scenario):
    case = answered(scenario)
    history.use_keys(chain_keys.parse(NEW_KEYS))
    broken = verify(scenario, case).broken
    assert broken.seq == 1 and "signed with history key 'test-2026', which this instance does not hold" in broken.reason


def test_a_rotated_keyring_signs_with_the_new_key_and_still_verifies_the_old_events(scenario):
    case = scenario.start()
    scenario.review(case.case_id)
    history.use_keys(chain_keys.parse(f"{NEW_KEYS},{TEST_HISTORY_KEYS}"))  # the new key first
    scenario.analyse(case.case_id)
    scenario.respond_in_writing(case.case_id)
    assert [e.key_id for e in scenario.view(case.case_id).events] == ["test-2026"] * 2 + ["2027a"] * 2
    check = verify(scenario, case)
    assert check.ok and check.key_id == "2027a"


def test_events_recorded_before_keys_still_verify_and_keep_their_plain_hash(scenario):
    history.use_keys(None)  # an existing database, from before keys
    case = scenario.start()
    scenario.review(case.case_id)
    history.use_keys(chain_keys.parse(TEST_HISTORY_KEYS))
    scenario.analyse(case.case_id)
    events = scenario.view(case.case_id).events
    assert [e.key_id for e in events] == [None, None, "test-2026"]
    assert events[0].hash == hashlib.sha256(history.canonical(events[0])).hexdigest()
    assert verify(scenario, case).ok


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        ("ab" * 32, (chain_keys.fingerprint(bytes.fromhex("ab" * 32)),)),
        ("2026b:" + "cd" * 32 + ", 2026a:" + "ef" * 16, ("2026b", "2026a")),
        ("# rotated 2027-01-01\n2027:" + "q83v" * 8 + "\n2026:AAECAwQFBgcICQoLDA0ODw==\n", ("2027", "2026")),
    ],
)
def test_a_keyring_is_read_from_hex_or_base64_with_the_signing_key_first(text, ids):
    assert chain_keys.parse(text).ids == ids


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "empty"),
        ("abcd", "2 bytes; it needs at least 16"),
        ("a:" + "ab" * 32 + ",a:" + "cd" * 32, "names a key id twice"),
        ("bad id!:" + "ab" * 32 + ",b:" + "cd" * 32, "write each history key as id:secret"),
        ("k:not-base64-at-all%%", "neither hex nor base64"),
    ],
)
def test_a_keyring_that_cannot_sign_safely_is_refused_with_the_reason(text, problem):
    with pytest.raises(chain_keys.KeyringError, match=problem):
        chain_keys.parse(text)


TAMPERED = {  # every field of an event that its hash covers, changed as a database writer could
    "case_id": lambda e: setattr(e, "case_id", e.case_id + "x"),
    "type": lambda e: setattr(e, "type", "case_closed"),
    "actor": lambda e: setattr(e, "actor", "someone-else"),
    "at": lambda e: setattr(e, "at", e.at + timedelta(seconds=1)),
    "data": lambda e: e.data.update(note="added later"),
    "key_id": lambda e: setattr(e, "key_id", None),
}


@pytest.mark.parametrize("field", TAMPERED)
def test_changing_any_hashed_field_of_an_event_breaks_the_chain_at_that_event(scenario, field):
    case = answered(scenario)
    events = copy.deepcopy(scenario.view(case.case_id).events)
    assert history.check_chain(events) is None
    TAMPERED[field](events[2])
    broken = history.check_chain(events)
    assert broken is not None and broken.seq == 3, field
    assert "event 3" in broken.reason and ("changed" in broken.reason or "not signed" in broken.reason)


def test_a_repeated_or_relinked_event_is_named_for_what_happened(scenario):
    case = answered(scenario)
    events = scenario.view(case.case_id).events
    repeated = copy.deepcopy(events[:3] + events[2:])
    assert history.check_chain(repeated) == history.BrokenLink(4, "event 4 is out of order (repeated)")
    relinked = copy.deepcopy(events)
    relinked[3].prev_hash = relinked[1].hash
    assert history.check_chain(relinked) == history.BrokenLink(
        4, "event 4 does not follow event 3 (reordered or replaced)"
    )
    assert history.check_chain(copy.deepcopy(events[:1] + events[2:])).reason == "event 2 is missing"
    cut = history.check_chain(events[:-2], head_seq=len(events), head_hash=events[-1].hash)
    assert cut == history.BrokenLink(len(events) - 1, f"events {len(events) - 1}-{len(events)} are missing")
