"""The case history as an auditor checks it: each kind of tampering is found at its event, with its reason."""

import copy
import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest

from engine.kernel import model
from engine.records import chain_keys, history
from tests.conftest import TEST_HISTORY_KEYS

AT = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
KEY = bytes.fromhex("5e" * 32)  # the secret of TEST_HISTORY_KEYS
NAME = "Məmmədova"
STRIPPED = "is not signed with a history key although event {} before it is (its signature was stripped)"


def new_case() -> model.Case:
    return model.Case("c1", "MG-2026-000001", "complaints", "v1", "web", AT, "open", "review", {}, None, [], AT, AT)


def chain(*steps: tuple[str, dict], case: model.Case | None = None) -> list[model.Event]:
    """Events recorded one minute apart; a step's data may name extra sealed paths under "_sealed"."""
    case = case or new_case()
    events = []
    for minute, (type, data) in enumerate(steps):
        data = dict(data)
        sealed = data.pop("_sealed", ())
        events.append(history.record(case, type, "officer", AT + timedelta(minutes=minute), data, sealed))
    return events


def told_by_phone(note: str = f"Told {NAME} by phone") -> tuple[str, dict]:
    return "message_handled", {"message_id": "m1", "note": note}


def answered() -> tuple[str, dict]:
    return "task_completed", {"bpmn_id": "Task_Clarify", "data": {"customer_answer": f"{NAME}: Ganjlik"},
                              "_sealed": ("data.customer_answer",)}  # fmt: skip


def erasure(*redacted: tuple[int, str]) -> tuple[str, dict]:
    return history.ERASED, {"reason": "Customer's request", "redacted": [list(r) for r in redacted]}


# recording -------------------------------------------------------------------------------------


def test_an_undeclared_event_type_is_refused():
    with pytest.raises(ValueError) as error:
        history.record(new_case(), "case_closed", "officer", AT, {})
    assert str(error.value) == "Unknown event type 'case_closed': declare it in engine.records.history.TYPES."


def test_each_event_links_to_the_one_before_and_moves_the_head_on_the_case_row():
    case = new_case()
    first, second = chain(("case_started", {}), ("timer_fired", {}), case=case)
    assert (first.seq, first.prev_hash, second.seq, second.prev_hash) == (1, "", 2, first.hash)
    assert (case.event_seq, case.event_hash) == (2, second.hash)
    assert {first.key_id, second.key_id} == {"test-2026"} and first.hash != second.hash
    assert second.hash == hmac.new(KEY, history.canonical(second), hashlib.sha256).hexdigest()


def test_without_a_keyring_events_get_a_plain_sha256():
    history.use_keys(None)
    assert history.keys() is None
    (event,) = chain(("case_started", {}))
    assert event.key_id is None and event.hash == hashlib.sha256(history.canonical(event)).hexdigest()


def test_the_hashed_form_of_an_event_is_stable_across_releases():
    """Histories recorded by earlier releases must still verify: the canonical bytes are fixed, to the byte."""
    salt = "00" * 16
    commitment = hashlib.sha256(bytes(16) + f'"Told {NAME}"'.encode()).hexdigest()
    data = {"message_id": "m1", "note": f"Told {NAME}", "sealed": {"note": {"salt": salt, "sha256": commitment}}}
    event = model.Event("c1", 2, "message_handled", "officer", AT, data, prev_hash="ab12", key_id="k1")
    assert (
        history.canonical(event)
        == (
            '{"actor":"officer","at":"2026-03-02T06:00:00+00:00","case_id":"c1","data":{"message_id":"m1",'
            f'"note":{{"sealed":"{commitment}"}},"sealed":{{"note":"{commitment}"}}}},"key_id":"k1",'
            '"prev_hash":"ab12","seq":2,"type":"message_handled"}'
        ).encode()
    )
    unkeyed = model.Event("c1", 1, "timer_fired", "timer", AT, {"who": NAME}, key_id=None)
    assert (
        history.canonical(unkeyed)
        == (
            '{"actor":"timer","at":"2026-03-02T06:00:00+00:00","case_id":"c1","data":{"who":"' + NAME + '"},'
            '"prev_hash":"","seq":1,"type":"timer_fired"}'
        ).encode()
    )


def test_free_text_is_sealed_with_a_salted_commitment_and_empty_fields_are_not():
    """A DPO holding a disclosed value can prove it is the one sealed: sha256(salt + JSON of the value)."""
    data = {"message_id": "m1", "note": f"Told {NAME}", "requester": "", "data": {"a": None, "b": NAME}}
    (event,) = chain(("message_handled", dict(data, _sealed=("requester", "data.a", "data.b", "note"))))
    sealed = event.data["sealed"]
    assert list(sealed) == ["data.b", "note"]  # the empty and missing ones are not sealed
    for path, value in (("note", f"Told {NAME}"), ("data.b", NAME)):
        salt = sealed[path]["salt"]
        assert len(salt) == 32 and set(sealed[path]) == {"salt", "sha256"}
        assert sealed[path]["sha256"] == hashlib.sha256(bytes.fromhex(salt) + f'"{value}"'.encode()).hexdigest()
    assert sealed["note"]["salt"] != sealed["data.b"]["salt"]
    assert {k: v for k, v in event.data.items() if k != "sealed"} == data  # the values stay beside their seals
    (plain,) = chain(("message_handled", {"message_id": "m1", "note": ""}))
    assert "sealed" not in plain.data


def test_readers_without_personal_data_see_only_the_commitments():
    (event,) = chain(answered())
    commitment = event.data["sealed"]["data.customer_answer"]["sha256"]
    stored = copy.deepcopy(event.data)
    assert history.hashed_data(event.data) == {
        "bpmn_id": "Task_Clarify", "data": {"customer_answer": {"sealed": commitment}},
        "sealed": {"data.customer_answer": commitment},
    }  # fmt: skip
    assert event.data == stored  # the event itself keeps its value
    assert history.hashed_data({"a": 1, "sealed": {}}) == {"a": 1, "sealed": {}}


def test_a_dotted_path_reads_nested_data_and_gives_none_where_there_is_none():
    data = {"data": {"answer": "x", "list": ["y"]}, "top": "z"}
    assert history.get(data, "data.answer") == "x" and history.get(data, "top") == "z"
    assert history.get(data, "data.missing") is None and history.get(data, "top.deeper") is None
    assert history.get(data, "data.list.0") is None


# checking --------------------------------------------------------------------------------------


def five() -> list[model.Event]:
    return chain(("case_started", {}), answered(), ("timer_fired", {}), told_by_phone(), ("timer_fired", {}))


def test_a_whole_chain_holds_also_against_the_head_on_the_case_row():
    events = five()
    assert history.check_chain(events) is None and history.first_broken_link(events) is None
    assert history.check_chain(events, 5, events[-1].hash) is None
    assert history.check_chain([], 0, "") is None and history.head_key([]) is None
    assert history.head_key(events) == "test-2026"


@pytest.mark.parametrize(
    ("order", "broken"),
    [
        ([2, 3, 4, 5], (1, "event 1 is missing")),
        ([1, 2, 4, 5], (3, "event 3 is missing")),
        ([1, 2, 2, 3, 4, 5], (3, "event 3 is out of order (repeated)")),
        ([1, 3, 2, 4, 5], (2, "event 2 is missing")),
        ([1, 2, 3, 4, 1], (5, "event 5 is out of order (repeated)")),
    ],
)
def test_a_missing_repeated_or_reordered_event_is_found_where_it_happened(order, broken):
    events = five()
    assert history.check_chain(copy.deepcopy([events[i - 1] for i in order])) == history.BrokenLink(*broken)
    assert history.first_broken_link(copy.deepcopy([events[i - 1] for i in order])) == broken[0]


def test_an_event_linked_to_another_than_the_one_before_is_found():
    events = five()
    events[4].prev_hash = events[2].hash
    assert history.check_chain(events) == history.BrokenLink(
        5, "event 5 does not follow event 4 (reordered or replaced)"
    )
    events = five()
    events[0].prev_hash = "00" * 32
    assert history.check_chain(events) == history.BrokenLink(
        1, "event 1 does not follow event 0 (reordered or replaced)"
    )


def test_a_chain_cut_or_extended_behind_the_case_rows_back_is_found():
    events = five()
    head = events[-1].hash
    assert history.check_chain(events[:3], 5, head) == history.BrokenLink(4, "events 4-5 are missing")
    assert history.check_chain(events[:4], 5, head) == history.BrokenLink(5, "events 5-5 are missing")
    assert history.check_chain(events, 4, events[3].hash) == history.BrokenLink(
        5, "the chain does not end where the case row says it does"
    )
    assert history.check_chain(events, 5, events[3].hash) == history.BrokenLink(
        6, "the chain does not end where the case row says it does"
    )
    assert history.check_chain(events[:4], 5, head) is not None and history.check_chain(events[:4]) is None


def test_a_changed_event_is_found_at_that_event():
    events = five()
    events[2].actor = "someone-else"
    assert history.check_chain(events) == history.BrokenLink(3, "event 3 was changed after it was recorded")
    assert history.first_broken_link(events) == 3


def test_a_stripped_signature_is_named_with_the_first_signed_event_before_it():
    history.use_keys(None)
    events = chain(("case_started", {}), ("timer_fired", {}))
    history.use_keys(chain_keys.parse(TEST_HISTORY_KEYS))
    case = new_case()
    case.event_seq, case.event_hash = 2, events[-1].hash
    events += chain(("timer_fired", {}), ("timer_fired", {}), ("timer_fired", {}), case=case)
    assert [e.key_id for e in events] == [None, None, "test-2026", "test-2026", "test-2026"]
    assert history.check_chain(events) is None and history.head_key(events) == "test-2026"
    for seq in (4, 5):
        stripped = copy.deepcopy(events)
        for event in stripped[seq - 1 :]:  # re-hashed without a key, as a database writer could
            event.key_id = None
            event.prev_hash = stripped[event.seq - 2].hash
            event.hash = hashlib.sha256(history.canonical(event)).hexdigest()
        assert history.check_chain(stripped) == history.BrokenLink(seq, f"event {seq} " + STRIPPED.format(3))


def test_an_event_signed_with_a_key_this_instance_lacks_is_named():
    events = five()
    history.use_keys(chain_keys.parse("2027:" + "7c" * 32))
    expected = "event 1 is signed with history key 'test-2026', which this instance does not hold"
    assert history.check_chain(events) == history.BrokenLink(1, expected)
    history.use_keys(None)
    assert history.check_chain(events) == history.BrokenLink(1, expected)
    with pytest.raises(chain_keys.KeyringError) as error:
        history.event_hash(events[0])
    assert str(error.value) == "no history key 'test-2026': no keyring is configured"


def test_a_rotated_keyring_verifies_old_events_with_old_keys_and_signs_with_the_first():
    old = five()
    history.use_keys(chain_keys.parse("2027:" + "7c" * 32 + "," + TEST_HISTORY_KEYS))
    case = new_case()
    case.event_seq, case.event_hash = 5, old[-1].hash
    events = old + chain(("timer_fired", {}), case=case)
    assert [e.key_id for e in events[4:]] == ["test-2026", "2027"]
    assert events[5].hash == hmac.new(bytes.fromhex("7c" * 32), history.canonical(events[5]), "sha256").hexdigest()
    assert history.check_chain(events, 6, events[5].hash) is None and history.head_key(events) == "2027"


# sealed values and erasure ---------------------------------------------------------------------


def test_a_sealed_value_changed_is_found_at_its_event_and_path():
    events = five()
    events[1].data["data"]["customer_answer"] = "Ganjlik"
    assert history.check_chain(events) == history.BrokenLink(
        2, "event 2: 'data.customer_answer' was changed after it was recorded"
    )
    events = five()
    events[3].data["note"] = history.TOMBSTONE  # the value replaced, the salt kept
    assert history.check_chain(events) == history.BrokenLink(4, "event 4: 'note' was changed after it was recorded")


def test_a_sealed_value_removed_without_an_erasure_is_found():
    events = five()
    assert history.redact(events[3]) == ["note"]
    removed = history.BrokenLink(4, "event 4: 'note' was removed without a recorded erasure")
    assert history.check_chain(events) == removed
    case = new_case()
    case.event_seq, case.event_hash = 5, events[-1].hash
    # only an erasure excuses it, and only for the event and path it names
    for excuse in [("customer_message", {"redacted": [[4, "note"]]}), erasure((2, "note")), erasure((3, "note"))]:
        assert history.check_chain(events + chain(excuse, case=copy.deepcopy(case))) == removed, excuse


def test_an_erased_value_verifies_but_not_once_something_else_is_put_in_its_place():
    events = five()
    case = new_case()
    case.event_seq, case.event_hash = 5, events[-1].hash
    redacted = [(e.seq, path) for e in events for path in history.redact(e)]
    assert redacted == [(2, "data.customer_answer"), (4, "note")]
    events += chain(erasure(*redacted), case=case)
    assert history.check_chain(events, 6, events[-1].hash) is None
    assert events[3].data["note"] == history.TOMBSTONE and "salt" not in events[3].data["sealed"]["note"]
    assert history.redact(events[3]) == []  # twice: nothing more to redact
    events[3].data["note"] = f"Told {NAME} (restored)"
    assert history.check_chain(events) == history.BrokenLink(
        4, "event 4: 'note' was removed without a recorded erasure"
    )


def test_the_values_an_erasure_must_scrub_elsewhere_are_named_by_field():
    events = chain(answered(), told_by_phone(), told_by_phone("Told again"), ("message_handled", {"note": ""}))
    events += chain(("task_completed", {"data": {"n": 7}, "_sealed": ("data.n",)}))
    deep = chain(("task_completed", {"data": {"contact": {"note": NAME}}, "_sealed": ("data.contact.note",)}))
    assert history.sealed_values(events + deep) == {
        "customer_answer": {f"{NAME}: Ganjlik"}, "note": {f"Told {NAME} by phone", "Told again", NAME},
    }  # fmt: skip
    history.redact(events[1])
    assert history.sealed_values(events) == {"customer_answer": {f"{NAME}: Ganjlik"}, "note": {"Told again"}}
