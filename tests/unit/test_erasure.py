"""Erasure as a data-protection officer relies on it: what goes, what stays, and how it is recorded."""

import pytest

import engine
from engine.audit import privacy
from engine.kernel import model
from engine.kernel.errors import Conflict, InvalidInput
from engine.records import history
from tests.unit.test_privacy_and_drafts import NAME, closed_case_mentioning_the_customer

DPO = model.Actor("dpo", frozenset({"dpo"}))
OFFICER = model.Actor("officer", frozenset({"officer"}))


def erase(scenario, case, reason="Customer's request"):
    return engine.erase_personal_data(case.reference, reason, actor=DPO, **scenario.deps)


def views(scenario, case):
    return [(v.viewer, v.place) for v in engine.case_history(case.reference, **scenario.deps).views]


def test_each_place_where_personal_data_is_shown_is_logged_and_an_unknown_one_is_refused(scenario):
    case = scenario.start()
    for place in ("case_page", "task_page", "cli"):
        engine.log_personal_data_view(case.case_id, place, actor=OFFICER, uow=scenario.uow, clock=scenario.clock)
    assert views(scenario, case) == [("officer", "case_page"), ("officer", "task_page"), ("officer", "cli")]
    with pytest.raises(InvalidInput) as error:
        engine.log_personal_data_view(case.case_id, "home", actor=OFFICER, uow=scenario.uow, clock=scenario.clock)
    assert str(error.value) == "Unknown place 'home'."


def test_once_erased_there_is_no_personal_data_left_to_log_a_view_of(scenario):
    case = closed_case_mentioning_the_customer(scenario)
    erase(scenario, case)
    engine.log_personal_data_view(case.case_id, "case_page", actor=OFFICER, uow=scenario.uow, clock=scenario.clock)
    assert views(scenario, case) == []


@pytest.mark.parametrize("reason", ["", "   \n", "x" * 501])
def test_an_erasure_needs_a_reason_of_at_most_500_characters(scenario, reason):
    case = closed_case_mentioning_the_customer(scenario)
    with pytest.raises(InvalidInput) as error:
        erase(scenario, case, reason)
    assert str(error.value) == "Give the reason for the erasure (at most 500 characters)."
    assert error.value.errors == {"reason": ["Required."]}
    assert scenario.view(case.case_id).personal.erased_at is None


def test_a_reason_of_exactly_500_characters_is_enough(scenario):
    case = closed_case_mentioning_the_customer(scenario)
    erase(scenario, case, "  " + "x" * 500 + "\n")  # the spaces around it are not part of the reason
    assert scenario.view(case.case_id).events[-1].data["reason"] == "x" * 500


def test_an_erasure_is_recorded_in_the_chain_with_its_reason_and_what_it_redacted(scenario):
    case = closed_case_mentioning_the_customer(scenario)
    before = scenario.view(case.case_id)
    sealed = [[e.seq, path] for e in before.events for path in e.data.get("sealed", {})]
    scenario.clock.advance(days=40)
    erasure = erase(scenario, case, "  Customer's request\n")
    view = scenario.view(case.case_id)
    event = view.events[-1]
    assert (event.seq, event.type, event.actor, event.at) == (len(before.events) + 1, "personal_data_erased", "dpo",
                                                             scenario.clock.now())  # fmt: skip
    assert list(event.data.pop("sealed")) == ["reason"]  # the reason may name the customer too
    assert event.data == {"personal_data_id": before.personal.id, "reason": "Customer's request", "redacted": sealed,
                          "inbound_messages": 0, "attachments": 0}  # fmt: skip
    assert erasure == privacy.Erasure(case.reference, len(sealed), 2) and len(sealed) == 7
    assert (view.case.event_seq, view.case.event_hash) == (event.seq, event.hash)


def test_the_customer_record_becomes_a_tombstone_and_the_rest_of_the_case_stays(scenario):
    case = closed_case_mentioning_the_customer(scenario)
    before = scenario.view(case.case_id)
    scenario.clock.advance(days=40)
    erase(scenario, case)
    view = scenario.view(case.case_id)
    assert view.personal == model.PersonalData(before.personal.id, case.case_id, erased_at=scenario.clock.now())
    assert (view.case.status, view.case.reference, view.case.stage) == ("closed", case.reference, before.case.stage)
    for old, new in zip(before.events, view.events, strict=False):  # what was not typed free text stays
        assert (new.hash, new.type, new.actor, new.at) == (old.hash, old.type, old.actor, old.at)
        assert history.hashed_data(new.data) == history.hashed_data(old.data)
    decision = next(e for e in view.events if e.data.get("bpmn_id") == "Task_Analyse")
    assert decision.data["data"]["decision"] == "upheld"


def test_only_typed_free_text_is_redacted_and_only_messages_that_held_it_are_rewritten(scenario):
    case = closed_case_mentioning_the_customer(scenario)
    before = scenario.view(case.case_id)
    erase(scenario, case)
    view = scenario.view(case.case_id)
    for old, new in zip(before.events, view.events, strict=False):
        for path in old.data.get("sealed", {}):
            assert history.get(new.data, path) == history.TOMBSTONE and "salt" not in new.data["sealed"][path]
    old, new = [m.payload for m in before.outbox], [m.payload for m in view.outbox]
    assert NAME not in str(old[0]) and new[0] == old[0]  # a message without typed text is left as it was
    assert new[1] == dict(old[1], question=history.TOMBSTONE)
    assert new[2] == dict(old[2], question=history.TOMBSTONE, measures=history.TOMBSTONE,
                          response_text=history.TOMBSTONE)  # fmt: skip


def test_a_second_erasure_is_refused_and_a_still_open_case_cannot_be_erased(scenario):
    case = closed_case_mentioning_the_customer(scenario)
    erase(scenario, case)
    with pytest.raises(Conflict) as error:
        erase(scenario, case)
    assert str(error.value) == f"The personal data of {case.reference} was erased already."
    assert [e.type for e in scenario.view(case.case_id).events].count("personal_data_erased") == 1
    open_case = scenario.start()
    with pytest.raises(Conflict) as error:
        erase(scenario, open_case)
    assert str(error.value) == f"Case {open_case.reference} is still open: its customer must still be answered."


def test_scrubbing_replaces_only_a_sealed_value_under_its_own_field_name():
    texts = {"note": {f"Told {NAME}"}, "answer": {"Ganjlik"}}
    told = f"Told {NAME}"
    data = {"note": told, "other": told, "answer": ["Ganjlik"], "n": 3,
            "items": [{"answer": "Ganjlik", "note": "kept"}, "Ganjlik", {"deep": {"note": told}}]}  # fmt: skip
    assert privacy.scrub(data, texts) == {
        "note": history.TOMBSTONE, "other": f"Told {NAME}", "answer": ["Ganjlik"], "n": 3,
        "items": [{"answer": history.TOMBSTONE, "note": "kept"}, "Ganjlik", {"deep": {"note": history.TOMBSTONE}}],
    }  # fmt: skip
    assert data["note"] == f"Told {NAME}"  # a copy: the original is left alone


def test_a_case_whose_record_parts_from_its_own_replay_is_erased_by_name_and_keeps_the_rest(scenario):
    """Erasure cannot rebuild the state of a case that no longer replays: it scrubs the customer's
    texts out of the stored state instead, and leaves everything else as it was."""
    case = closed_case_mentioning_the_customer(scenario)
    with scenario.uow as uow:
        stored = uow.cases.get(case.case_id)
        assert NAME in str(stored.state)
        stored.state = dict(stored.state, found_by_the_auditor="kept as stored")  # the record parts
        uow.cases.save(stored)
        uow.commit()
    erase(scenario, case)
    state = scenario.view(case.case_id).case.state
    assert NAME not in str(state)
    assert state["found_by_the_auditor"] == "kept as stored"  # scrubbed in place, not replayed over
