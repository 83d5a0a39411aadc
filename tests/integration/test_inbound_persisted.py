"""Inbound messages on SQLite and PostgreSQL: attachments stored, replays idempotent, races decided once."""

import threading
from pathlib import Path

import engine
from engine.kernel.errors import Conflict
from persistence.store import SqlUnitOfWork

MAIL = Path(__file__).resolve().parents[1] / "data" / "mail"
CHAT = {"given_name": "Leyla", "surname": "Abbasova", "email": "leyla@example.az", "description": "Wrong invoice"}


def test_mail_with_attachments_and_its_replay_persist(scenario):
    raw = (MAIL / "with_attachments.eml").read_bytes()
    first = engine.receive_email(raw, **scenario.deps)
    again = engine.receive_email(raw, **scenario.deps)
    assert again.replayed and again.reference == first.reference
    view = scenario.view(first.reference)
    assert [a.filename for a in view.attachments] == ["receipt-2026-02-27.pdf", "фото колонки.jpg"]
    photo = engine.attachment(view.attachments[1].id, uow=scenario.uow)
    assert photo.content.startswith(b"\xff\xd8") and len(photo.sha256) == 64


def test_quarantined_mail_keeps_its_raw_bytes(scenario):
    raw = (MAIL / "missing_sender.eml").read_bytes()
    held = engine.receive_email(raw, **scenario.deps)
    assert engine.inbound_message(held.inbound_id, uow=scenario.uow).raw == raw
    assert [m.id for m in engine.list_quarantine(uow=scenario.uow)] == [held.inbound_id]


def test_the_same_chat_message_racing_in_twice_opens_one_case(scenario, sql_engine):
    barrier, results = threading.Barrier(2), []

    def deliver():
        uow = SqlUnitOfWork(sql_engine)
        barrier.wait(timeout=5)
        deps = dict(scenario.deps, uow=uow)
        try:
            results.append(engine.receive_intake_message("live_chat", "race-1", CHAT, **deps))
        except Conflict:  # what the API does: ask again, and get the winner's case
            results.append(engine.receive_intake_message("live_chat", "race-1", CHAT, **deps))

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(r.replayed for r in results) == [False, True]
    assert results[0].reference == results[1].reference == "MG-2026-000001"
