"""Tampering with stored events in the real database is found at the right event; erasure leaves nothing."""

import hashlib
import json
import zlib

import pytest
from sqlalchemy import text

import engine
from engine.kernel import model
from engine.records import chain_keys, history
from persistence import tables
from tests.conftest import TEST_HISTORY_KEYS

DPO = model.Actor("dpo", frozenset({"dpo"}))
NAME = "Hüseynova"


@pytest.fixture
def recorded(scenario):
    """A closed case with 8 events whose free text names the customer."""
    case = scenario.start()
    scenario.review(case.case_id, clarify=f"Ask {NAME} for the receipt")
    scenario.complete(case.case_id, "Task_Clarify", {"contacted_via": "phone", "customer_answer": f"{NAME} has it"})
    scenario.review(case.case_id)
    scenario.analyse(case.case_id)
    scenario.respond_in_writing(case.case_id)
    check = engine.verify_case(case.reference, uow=scenario.uow, policy=scenario.policy)
    assert check.ok and check.events == 6, check
    return case


def sql(scenario, statement, **params):
    with scenario.uow.engine.begin() as connection:
        return connection.execute(text(statement), params)


def verify(scenario, case):
    return engine.verify_case(case.reference, uow=scenario.uow, policy=scenario.policy)


def test_changed_event_data_is_found_at_that_event(scenario, recorded):
    data = sql(scenario, "SELECT data FROM events WHERE case_id = :c AND seq = 4", c=recorded.case_id).scalar()
    data = json.loads(data) if isinstance(data, str) else data
    data["data"]["clarify"] = True
    cast = "CAST(:d AS json)" if scenario.uow.engine.dialect.name == "postgresql" else ":d"
    sql(scenario, f"UPDATE events SET data = {cast} WHERE case_id = :c AND seq = 4", d=json.dumps(data),
        c=recorded.case_id)  # fmt: skip
    check = verify(scenario, recorded)
    assert (check.broken.seq, check.broken.reason) == (4, "event 4 was changed after it was recorded")
    assert check.divergence.seq == 4


def test_a_deleted_event_is_found_where_it_is_missing(scenario, recorded):
    sql(scenario, "DELETE FROM events WHERE case_id = :c AND seq = 3", c=recorded.case_id)
    assert verify(scenario, recorded).broken == engine.audit.verification.history.BrokenLink(3, "event 3 is missing")


def test_a_deleted_last_event_is_found_from_the_chain_head(scenario, recorded):
    sql(scenario, "DELETE FROM events WHERE case_id = :c AND seq = 6", c=recorded.case_id)
    assert verify(scenario, recorded).broken.seq == 6


def test_reordered_events_are_found_at_the_first_moved_one(scenario, recorded):
    for old, new in ((2, 100), (5, 2), (100, 5)):
        sql(scenario, "UPDATE events SET seq = :n WHERE case_id = :c AND seq = :o", n=new, o=old, c=recorded.case_id)
    broken = verify(scenario, recorded).broken
    assert broken.seq == 2 and "reordered" in broken.reason


def test_a_changed_sealed_answer_is_found(scenario, recorded):
    row = sql(scenario, "SELECT seq, data FROM events WHERE case_id = :c AND type = 'task_completed' AND seq = 3",
              c=recorded.case_id).one()  # fmt: skip
    data = json.loads(row.data) if isinstance(row.data, str) else row.data
    data["data"]["customer_answer"] = "someone else"
    cast = "CAST(:d AS json)" if scenario.uow.engine.dialect.name == "postgresql" else ":d"
    sql(scenario, f"UPDATE events SET data = {cast} WHERE case_id = :c AND seq = 3", d=json.dumps(data),
        c=recorded.case_id)  # fmt: skip
    broken = verify(scenario, recorded).broken
    assert broken.seq == 3 and "customer_answer" in broken.reason


def test_erasure_leaves_the_name_in_no_table_and_the_case_verifiable(scenario, recorded):
    assert NAME in dump(scenario)
    engine.erase_personal_data(recorded.reference, "Customer asked", actor=DPO, **scenario.deps)
    assert NAME not in dump(scenario) and "Məmmədova" not in dump(scenario)
    assert verify(scenario, recorded).ok


def dump(scenario):
    """Every value of every table, workflow state decompressed."""
    values = []
    with scenario.uow.engine.connect() as connection:
        for table in tables.metadata.sorted_tables:
            for row in connection.execute(table.select()):
                for value in row:
                    if isinstance(value, bytes | memoryview):
                        value = bytes(value)
                        try:
                            value = zlib.decompress(value).decode()
                        except zlib.error:
                            value = value.decode(errors="replace")
                    values.append(json.dumps(value, ensure_ascii=False, default=str))
    return "\n".join(values)


def test_erasure_also_removes_the_mail_the_customer_sent_and_its_files(scenario):
    from tests.conftest import ROOT

    raw = (ROOT / "tests/data/mail/with_attachments.eml").read_bytes()
    result = engine.receive_email(raw, uow=scenario.uow, clock=scenario.clock, policy=scenario.policy)
    case_id = engine.show_case(result.reference, uow=scenario.uow).case.id
    register = scenario.ready(case_id).get("Task_Register")
    if register:
        data = {"surname": "Əliyeva", "given_name": "Nərmin", "email": "nermin@example.az", "description": "Broken"}
        scenario.complete(case_id, "Task_Register", data)
    scenario.review(case_id)
    scenario.analyse(case_id, decision="rejected")
    scenario.respond_in_writing(case_id)
    assert "nermin@example.az" in dump(scenario)
    engine.erase_personal_data(case_id, "Customer asked", actor=DPO, **scenario.deps)
    remaining = dump(scenario)
    assert "nermin@example.az" not in remaining and "Broken speaker" not in remaining
    assert engine.verify_case(case_id, uow=scenario.uow, policy=scenario.policy).ok


def test_an_actor_rewritten_with_its_plain_hash_recomputed_is_found_and_the_key_id_is_stored(scenario, recorded):
    rows = sql(scenario, "SELECT seq, key_id FROM events WHERE case_id = :c ORDER BY seq", c=recorded.case_id).all()
    assert [r.key_id for r in rows] == ["test-2026"] * 6
    with scenario.uow as uow:
        event = uow.events.for_case(recorded.case_id)[2]
    event.actor = "someone-else"
    sql(scenario, "UPDATE events SET actor = :a, hash = :h WHERE case_id = :c AND seq = 3", a=event.actor,
        h=hashlib.sha256(history.canonical(event)).hexdigest(), c=recorded.case_id)  # fmt: skip
    assert verify(scenario, recorded).broken == history.BrokenLink(3, "event 3 was changed after it was recorded")


def test_events_from_before_keys_verify_and_a_signed_export_pins_them(scenario):
    history.use_keys(None)  # a database from before keys: its events have no key id
    old = scenario.start()
    scenario.review(old.case_id)
    history.use_keys(chain_keys.parse(TEST_HISTORY_KEYS))
    export = engine.export_chain_heads(uow=scenario.uow, clock=scenario.clock)
    scenario.analyse(old.case_id)
    keys = [r.key_id for r in sql(scenario, "SELECT key_id FROM events ORDER BY seq").all()]
    assert keys == [None, None, "test-2026"] and verify(scenario, old).ok
    assert engine.check_chain_heads(export, uow=scenario.uow).ok
    sql(scenario, "UPDATE events SET actor = 'someone-else' WHERE case_id = :c AND seq = 1", c=old.case_id)
    assert verify(scenario, old).broken.seq == 1
