"""Messages to customers over a real SMTP server (aiosmtpd): sent once, retried with backoff, never lost."""

from datetime import timedelta

import pytest

import engine
from engine.kernel import model
from engine.kernel.errors import Conflict, Forbidden, InvalidInput
from engine.records import history
from persistence.smtp import SmtpMailer, SmtpSettings
from tests.scenario import ACTORS
from tests.smtp import SmtpServer

OFFICER, INTAKE = ACTORS["officer"], ACTORS["intake"]


def send(scenario, mailer):
    return engine.send_due_messages(mailer=mailer, **scenario.deps)


def outbox(scenario, case_id):
    return scenario.view(case_id).outbox


def test_each_message_goes_out_once_with_a_message_id_made_from_its_outbox_id(scenario, smtp, mailer):
    case = scenario.start(email="aysel@example.com")
    scenario.review(case.case_id, clarify="Which model did you buy?")
    assert send(scenario, mailer).sent == 2
    assert send(scenario, mailer).handled == 0
    sent = outbox(scenario, case.case_id)
    assert [m.status for m in sent] == ["sent", "sent"] and all(m.attempts == 1 for m in sent)
    assert smtp.recorder.message_ids() == [f"<{m.id}@musicgallery.az>" for m in sent]
    ack, question = smtp.recorder.accepted
    assert ack["To"].addresses[0].addr_spec == "aysel@example.com"
    assert ack["X-Complaint-Reference"] == case.reference and case.reference in ack["Subject"]
    assert "Which model did you buy?" in question.get_content()


def test_the_address_is_read_when_the_message_is_sent(scenario, smtp, mailer):
    case = scenario.start(phone=None, email=None)  # registered later, with an e-mail address
    registered = {"surname": "Əliyev", "given_name": "Rəşad", "description": "Broken", "email": "rashad@example.az"}
    scenario.complete(case.case_id, "Task_Register", registered)
    send(scenario, mailer)
    assert smtp.recorder.envelopes[0][1] == ["rashad@example.az"]
    assert "Rəşad" in smtp.recorder.accepted[0].get_content()


def test_a_customer_with_only_a_phone_ends_failed_for_staff_not_in_endless_retries(scenario, smtp, mailer):
    case = scenario.start()  # phone only
    assert send(scenario, mailer).failed == 1
    scenario.clock.advance(days=3)
    assert send(scenario, mailer).handled == 0
    [message] = outbox(scenario, case.case_id)
    assert (message.status, message.attempts) == ("failed", 1)
    assert "no e-mail address" in message.last_error
    assert smtp.recorder.connections == 0  # nothing was tried on the server
    listed = engine.list_undelivered_messages(actor=OFFICER, uow=scenario.uow)
    assert [(m.id, m.reference) for m in listed.failed] == [(message.id, case.reference)]


def test_smtp_down_defers_with_growing_waits_and_loses_nothing(scenario, smtp):
    port = smtp.port
    smtp.stop()  # nothing listens: connection refused
    mailer = SmtpMailer(SmtpSettings("127.0.0.1", port, security="none", timeout=5))
    case = scenario.start(email="aysel@example.com")
    waits = []
    for _ in range(8):
        assert send(scenario, mailer).deferred == 1
        [message] = outbox(scenario, case.case_id)
        waits.append((message.next_attempt_at - scenario.clock.now()) / timedelta(minutes=1))
        assert send(scenario, mailer).handled == 0  # not due again before its time
        scenario.clock.set(message.next_attempt_at)
    assert waits == [1, 2, 4, 8, 16, 32, 60, 60]
    assert message.status == "pending" and message.attempts == 8 and "refused" in message.last_error.lower()
    server = SmtpServer(port=port)  # the server is back
    try:
        assert send(scenario, mailer).sent == 1
        assert server.recorder.message_ids() == [f"<{message.id}@musicgallery.az>"]
    finally:
        server.stop()
    assert outbox(scenario, case.case_id)[0].attempts == 9


def test_while_the_server_is_down_a_sweep_tries_one_message_not_all(scenario, smtp):
    port = smtp.port
    smtp.stop()
    mailer = SmtpMailer(SmtpSettings("127.0.0.1", port, security="none", timeout=5))
    first, second = scenario.start(email="a@example.com"), scenario.start(email="b@example.com")
    assert send(scenario, mailer).deferred == 1
    attempts = [outbox(scenario, case.case_id)[0].attempts for case in (first, second)]
    assert sorted(attempts) == [0, 1]  # the other one waits, untouched, for the next sweep
    assert send(scenario, mailer).deferred == 1
    assert [outbox(scenario, case.case_id)[0].attempts for case in (first, second)] == [1, 1]


def test_a_server_that_answers_try_later_or_hangs_up_gets_the_message_once_in_the_end(scenario, smtp, mailer):
    case = scenario.start(email="aysel@example.com")
    for mode, error in (("tempfail", "451"), ("disconnect", "disconnect")):
        smtp.recorder.mode = mode
        assert send(scenario, mailer).deferred == 1
        [message] = outbox(scenario, case.case_id)
        assert message.status == "pending" and error in message.last_error.lower()
        scenario.clock.set(message.next_attempt_at)
    smtp.recorder.mode = "accept"
    assert send(scenario, mailer).sent == 1
    assert send(scenario, mailer).handled == 0
    assert smtp.recorder.attempts == 3
    assert smtp.recorder.message_ids() == [f"<{message.id}@musicgallery.az>"]


def test_a_refused_recipient_waits_for_staff_who_can_retry_it(scenario, smtp, mailer):
    case = scenario.start(email="gone@example.com")
    smtp.recorder.mode = "refuse_rcpt"
    assert send(scenario, mailer).failed == 1
    scenario.clock.advance(hours=5)
    assert send(scenario, mailer).handled == 0
    [message] = outbox(scenario, case.case_id)
    assert message.status == "failed" and "550" in message.last_error and "gone@" not in message.last_error
    smtp.recorder.mode = "accept"
    engine.retry_message(message.id, actor=OFFICER, uow=scenario.uow, clock=scenario.clock)
    assert send(scenario, mailer).sent == 1
    with pytest.raises(Conflict):
        engine.retry_message(message.id, actor=OFFICER, uow=scenario.uow, clock=scenario.clock)


def test_staff_who_told_the_customer_by_phone_mark_the_message_handled_in_the_history(scenario, mailer):
    case = scenario.start()
    send(scenario, mailer)
    [message] = outbox(scenario, case.case_id)
    with pytest.raises(InvalidInput):
        engine.mark_message_handled(message.id, "  ", actor=OFFICER, uow=scenario.uow, clock=scenario.clock)
    with pytest.raises(Forbidden):
        engine.mark_message_handled(message.id, "Phoned", actor=INTAKE, uow=scenario.uow, clock=scenario.clock)
    engine.mark_message_handled(message.id, "Read out by phone", actor=OFFICER, uow=scenario.uow, clock=scenario.clock)
    view = scenario.view(case.case_id)
    assert view.outbox[0].status == "handled"
    assert view.events[-1].type == "message_handled" and view.events[-1].data["note"] == "Read out by phone"
    assert history.first_broken_link(view.events) is None
    assert engine.list_undelivered_messages(actor=OFFICER, uow=scenario.uow).failed == []
    scenario.review(case.case_id)  # the case goes on


def test_a_message_without_a_template_fails_visibly(scenario, smtp, mailer):
    case = scenario.start(email="aysel@example.com")
    send(scenario, mailer)
    odd = model.OutboxMessage("survey1", case.case_id, "satisfaction_survey", {"reference": case.reference},
                              scenario.clock.now())  # fmt: skip
    with scenario.uow as uow:
        uow.outbox.add(odd)
        uow.commit()
    assert send(scenario, mailer).failed == 1
    assert (
        "no ru e-mail template for the message 'satisfaction_survey'" in outbox(scenario, case.case_id)[-1].last_error
    )


def test_only_officers_and_supervisors_see_undelivered_messages(scenario):
    with pytest.raises(Forbidden):
        engine.list_undelivered_messages(actor=INTAKE, uow=scenario.uow)
    assert engine.list_undelivered_messages(actor=ACTORS["supervisor"], uow=scenario.uow).pending == []
