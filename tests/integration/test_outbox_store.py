"""The outbox on SQLite and PostgreSQL: due messages, listings for staff, guarded status changes."""

import pytest

import engine
from engine.kernel.errors import Conflict
from persistence.smtp import SmtpMailer, SmtpSettings
from persistence.store import SqlUnitOfWork
from tests.scenario import ACTORS


def test_messages_are_sent_listed_and_retried_on_the_database(scenario, smtp):
    mailer = SmtpMailer(SmtpSettings("127.0.0.1", smtp.port, security="none", timeout=5))
    written = scenario.start(email="aysel@example.com")
    phoned = scenario.start()
    assert engine.next_work_at(uow=scenario.uow) == scenario.clock.now()  # both messages are due at once
    delivery = engine.send_due_messages(mailer=mailer, **scenario.deps)
    assert (delivery.sent, delivery.failed) == (1, 1)
    assert engine.next_work_at(uow=scenario.uow, messages=True) > scenario.clock.now()  # only timers are left
    listed = engine.list_undelivered_messages(actor=ACTORS["officer"], uow=scenario.uow)
    [failed] = listed.failed
    assert (failed.reference, failed.case_id, listed.pending) == (phoned.reference, phoned.case_id, [])
    engine.retry_message(failed.id, actor=ACTORS["supervisor"], uow=scenario.uow, clock=scenario.clock)
    assert [m.id for m in engine.list_undelivered_messages(actor=ACTORS["officer"], uow=scenario.uow).pending] == [
        failed.id
    ]
    engine.mark_message_handled(failed.id, "Phoned her", actor=ACTORS["officer"], uow=scenario.uow,
                                clock=scenario.clock)  # fmt: skip
    assert scenario.view(phoned.case_id).events[-1].type == "message_handled"
    assert smtp.recorder.envelopes[0][1] == ["aysel@example.com"]
    assert scenario.view(written.case_id).outbox[0].sent_at == scenario.clock.now()


def test_a_status_change_is_refused_when_the_message_changed_meanwhile(scenario, sql_engine):
    case = scenario.start()
    stale = scenario.view(case.case_id).outbox[0]
    engine.retry_message(stale.id, actor=ACTORS["officer"], uow=scenario.uow, clock=scenario.clock)  # stays pending
    engine.mark_message_handled(stale.id, "Phoned", actor=ACTORS["officer"], uow=scenario.uow, clock=scenario.clock)
    uow = SqlUnitOfWork(sql_engine)
    with uow, pytest.raises(Conflict):
        stale.status = "sent"
        uow.outbox.save(stale, expected="pending")
    assert scenario.view(case.case_id).outbox[0].status == "handled"
