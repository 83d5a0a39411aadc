"""A case's letters over a real SMTP server: in the order they were written, and none that lost its reason.

The same tests run on the memory store here and on SQLite and PostgreSQL in
tests/integration/test_letters_persisted.py.
"""

from datetime import datetime, timedelta, timezone

import pytest

import engine
from engine.correspondence import dispatch
from engine.kernel.errors import Conflict
from tests.scenario import ACTORS

BAKU = timezone(timedelta(hours=4))
OFFICER = ACTORS["officer"]


def send(scenario, mailer):
    return engine.send_due_messages(mailer=mailer, **scenario.deps)


def letters(scenario, case):
    return [(m.message, m.status) for m in sorted(scenario.view(case.case_id).outbox, key=dispatch.position)]


def received(smtp, scenario, case):
    """The letters the server accepted for this case, by their outbox rows, in the order it got them."""
    names = {f"<{m.id}@musicgallery.az>": m.message for m in scenario.view(case.case_id).outbox}
    return [names[mid] for mid in smtp.recorder.message_ids() if mid in names]


def test_clarification_requests_written_before_the_case_closed_are_never_sent_after_it(scenario, smtp, mailer):
    case = scenario.start(email="aysel@example.com")  # no worker ran while the case was handled
    for question in ("Which store?", "Which model?"):
        scenario.review(case.case_id, clarify=question)
        scenario.complete(case.case_id, "Task_Clarify", {"contacted_via": "phone", "customer_answer": "Ganjlik"})
    scenario.review(case.case_id)
    scenario.analyse(case.case_id)
    scenario.respond_in_writing(case.case_id)
    assert scenario.view(case.case_id).case.status == "closed"
    delivery = send(scenario, mailer)
    assert (delivery.sent, delivery.withdrawn) == (1, 3)
    assert received(smtp, scenario, case) == ["written_response"]
    assert letters(scenario, case) == [
        ("acknowledgement", "obsolete"), ("clarification_request", "obsolete"),
        ("clarification_request", "obsolete"), ("written_response", "sent"),
    ]  # fmt: skip
    withdrawn = engine.list_undelivered_messages(actor=OFFICER, uow=scenario.uow).withdrawn
    assert len(withdrawn) == 3 and all("written response" in m.last_error for m in withdrawn)
    assert {m.reference for m in withdrawn} == {case.reference}
    scenario.clock.advance(days=1)
    assert send(scenario, mailer).handled == 0 and smtp.recorder.attempts == 1


def test_a_letter_written_while_an_earlier_one_is_retried_waits_for_it(scenario, smtp, mailer):
    case = scenario.start(email="aysel@example.com")
    smtp.recorder.mode = "tempfail"
    assert send(scenario, mailer).deferred == 1  # the acknowledgement: retried in a minute
    smtp.recorder.mode = "accept"
    scenario.clock.advance(seconds=20)
    scenario.review(case.case_id, clarify="Which model did you buy?")  # due at once
    assert send(scenario, mailer).held == 1
    assert received(smtp, scenario, case) == []
    [ack, question] = sorted(scenario.view(case.case_id).outbox, key=dispatch.position)
    assert question.next_attempt_at == ack.next_attempt_at and "acknowledgement" in question.last_error
    scenario.clock.set(ack.next_attempt_at)
    assert send(scenario, mailer).sent == 2
    assert received(smtp, scenario, case) == ["acknowledgement", "clarification_request"]
    assert scenario.view(case.case_id).outbox[1].last_error is None  # the note about waiting is gone


def test_letters_written_at_the_same_moment_go_in_the_order_they_were_written(scenario, smtp, mailer):
    cases = [scenario.start(email=f"c{n}@example.com") for n in range(3)]
    for case in cases:
        scenario.review(case.case_id, clarify="Which store?")  # the clock stands still
    assert send(scenario, mailer).sent == 6
    for case in cases:
        assert received(smtp, scenario, case) == ["acknowledgement", "clarification_request"]


def test_a_failed_letter_holds_back_the_next_until_staff_settle_it(scenario, smtp, mailer):
    case = scenario.start(email="aysel@example.com")
    smtp.recorder.mode = "refuse_rcpt"
    assert send(scenario, mailer).failed == 1
    smtp.recorder.mode = "accept"
    scenario.review(case.case_id, clarify="Which store?")
    assert send(scenario, mailer).held == 1
    scenario.clock.advance(minutes=10)
    assert send(scenario, mailer).handled == 0  # it waits for staff, not in a loop
    ack = scenario.view(case.case_id).outbox[0]
    engine.mark_message_handled(ack.id, "Phoned her", actor=OFFICER, uow=scenario.uow, clock=scenario.clock)
    assert send(scenario, mailer).sent == 1  # woken by the staff's action
    assert received(smtp, scenario, case) == ["clarification_request"]


def test_a_delay_notice_replaced_by_a_later_one_is_withdrawn(scenario, smtp, mailer):
    case = scenario.start(email="aysel@example.com")
    scenario.review(case.case_id)
    scenario.move_to(datetime(2026, 3, 14, 9, tzinfo=BAKU))  # resolution at risk
    scenario.complete(case.case_id, "Task_DelayNotice", {"delay_reason": "Supplier", "new_date": "2026-03-18"})
    scenario.move_to(datetime(2026, 3, 19, 9, tzinfo=BAKU))  # the new date passed: a second notice
    scenario.complete(case.case_id, "Task_DelayNotice", {"delay_reason": "Lab test", "new_date": "2026-03-31"})
    assert send(scenario, mailer).withdrawn == 1
    assert received(smtp, scenario, case) == ["acknowledgement", "delay_notice"]
    assert "2026" in smtp.recorder.accepted[-1].get_content() and "Lab test" in smtp.recorder.accepted[-1].get_content()
    first = next(m for m in scenario.view(case.case_id).outbox if m.status == "obsolete")
    assert first.payload["new_date"] == "2026-03-18" and "later delay notice" in first.last_error


def test_staff_cannot_retry_a_withdrawn_letter(scenario, mailer):
    case = scenario.start(email="aysel@example.com")
    scenario.review(case.case_id)
    scenario.analyse(case.case_id)
    scenario.respond_in_writing(case.case_id)
    send(scenario, mailer)
    ack = scenario.view(case.case_id).outbox[0]
    assert ack.status == "obsolete"
    with pytest.raises(Conflict):
        engine.retry_message(ack.id, actor=OFFICER, uow=scenario.uow, clock=scenario.clock)
