"""The outbox's promises staff rely on: each attempt's fate, the retry schedule, limits, and their own actions.

A scripted mail server stands in for SMTP here, so each letter's answer is chosen exactly;
tests/unit/test_outbox.py holds the same promises over a real SMTP server.
"""

import logging
import threading
from datetime import timedelta

import pytest

import engine
from engine.correspondence import outbox
from engine.kernel import model
from engine.kernel.errors import Conflict, DeliveryFailed, InvalidInput
from persistence.memory import message_stores
from tests.scenario import ACTORS, Scenario

OFFICER = ACTORS["officer"]


@pytest.fixture
def scenario(uow, clock, policy):
    return Scenario(uow, clock, policy)


class Server:
    """A mail server that answers each letter handed to it as scripted (then accepts), and keeps the accepted."""

    def __init__(self, *answers):
        self.answers, self.accepted, self.during = list(answers), [], None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None

    def send(self, message):
        if self.during:
            self.during(message)
        answer = self.answers.pop(0) if self.answers else None
        if answer is not None:
            raise answer
        self.accepted.append(message)


def send(scenario, server, **kwargs):
    return engine.send_due_messages(mailer=server, **scenario.deps, **kwargs)


def letters(scenario, *cases):
    return [m for case in cases for m in scenario.view(case.case_id).outbox]


def test_the_retry_schedule_doubles_from_one_minute_to_at_most_an_hour():
    waits = [outbox.retry_delay(attempt) / timedelta(minutes=1) for attempt in range(1, 10)]
    assert waits == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    assert outbox.retry_delay(10_000) == timedelta(hours=1)  # a letter retried for months still waits an hour


def test_a_temporary_failure_is_noted_and_retried_a_minute_later(scenario):
    case = scenario.start(email="aysel@example.com")
    delivery = send(scenario, Server(DeliveryFailed("451 try again later")))
    assert (delivery.deferred, delivery.sent, delivery.failed, delivery.handled) == (1, 0, 0, 1)
    [letter] = letters(scenario, case)
    assert (letter.status, letter.attempts, letter.last_error, letter.sent_at) == (
        "pending", 1, "451 try again later", None
    )  # fmt: skip
    assert letter.next_attempt_at == scenario.clock.now() + timedelta(minutes=1)


def test_a_permanent_failure_is_failed_for_staff_and_not_retried(scenario):
    case = scenario.start(email="aysel@example.com")
    delivery = send(scenario, Server(DeliveryFailed("550 no such user", permanent=True)))
    assert (delivery.failed, delivery.deferred, delivery.handled) == (1, 0, 1)
    [letter] = letters(scenario, case)
    assert (letter.status, letter.attempts, letter.last_error, letter.next_attempt_at) == (
        "failed", 1, "550 no such user", None
    )  # fmt: skip
    scenario.clock.advance(days=1)
    assert send(scenario, Server()).handled == 0


def test_a_letter_sent_after_failures_counts_every_attempt(scenario):
    case = scenario.start(email="aysel@example.com")
    send(scenario, Server(DeliveryFailed("451 busy")))
    scenario.clock.advance(minutes=1)
    server = Server()
    assert send(scenario, server).sent == 1 and len(server.accepted) == 1
    [letter] = letters(scenario, case)
    assert (letter.status, letter.attempts, letter.sent_at, letter.next_attempt_at) == (
        "sent", 2, scenario.clock.now(), None
    )  # fmt: skip
    assert letter.last_error == "451 busy"  # what went wrong before stays visible


def test_a_long_server_answer_is_kept_to_its_first_thousand_characters(scenario):
    case = scenario.start(email="aysel@example.com")
    answer = "451 " + "".join(str(n % 10) for n in range(1500))
    send(scenario, Server(DeliveryFailed(answer)))
    assert letters(scenario, case)[0].last_error == answer[:1000]


def test_each_failed_attempt_is_logged_with_the_letter_its_kind_and_the_answer(scenario, caplog):
    case = scenario.start(email="aysel@example.com")
    with caplog.at_level(logging.WARNING, logger="engine.outbox"):
        send(scenario, Server(DeliveryFailed("451 busy")))
    [letter] = letters(scenario, case)
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [
        (logging.WARNING, f"outbox: message {letter.id} (acknowledgement) attempt 1: 451 busy")
    ]


def test_an_unreachable_server_stops_the_round_after_one_letter(scenario):
    first, second = scenario.start(email="a@example.com"), scenario.start(email="b@example.com")
    server = Server(DeliveryFailed("connection refused", unreachable=True))
    delivery = send(scenario, server)
    assert (delivery.deferred, delivery.handled) == (1, 1) and server.accepted == []
    assert sorted(m.attempts for m in letters(scenario, first, second)) == [0, 1]


def test_a_letter_the_server_asks_to_retry_later_does_not_stop_the_round(scenario):
    first, second = scenario.start(email="a@example.com"), scenario.start(email="b@example.com")
    server = Server(DeliveryFailed("452 mailbox full, try later"))
    delivery = send(scenario, server)
    assert (delivery.deferred, delivery.sent, delivery.handled) == (1, 1, 2) and len(server.accepted) == 1
    assert sorted(m.status for m in letters(scenario, first, second)) == ["pending", "sent"]


def test_a_round_sends_at_most_its_limit(scenario):
    cases = [scenario.start(email=f"c{n}@example.com") for n in range(3)]
    assert send(scenario, Server(), limit=2).sent == 2
    assert sorted(m.status for m in letters(scenario, *cases)) == ["pending", "sent", "sent"]
    assert send(scenario, Server(), limit=2).sent == 1


def test_a_letter_that_breaks_unexpectedly_stays_pending_and_the_others_go(scenario, caplog):
    first, second = scenario.start(email="a@example.com"), scenario.start(email="b@example.com")
    server = Server(RuntimeError("template engine crashed"))
    with caplog.at_level(logging.ERROR, logger="engine.outbox"):
        delivery = send(scenario, server)
    assert (delivery.sent, delivery.handled) == (1, 1) and len(server.accepted) == 1
    broken = next(m for m in letters(scenario, first, second) if m.status == "pending")
    assert (broken.attempts, broken.next_attempt_at) == (0, broken.created_at)  # untouched, due at once
    assert [r.getMessage() for r in caplog.records] == ["outbox: a message could not be processed; it stays pending"]
    assert send(scenario, Server()).sent == 1  # it goes at the next sweep


def test_a_round_stops_when_no_letter_can_be_claimed(scenario, monkeypatch, caplog):
    scenario.start(email="aysel@example.com")
    claim_due, outages = message_stores.Outbox.claim_due, [OSError("database connection lost")] * 2

    def database_gone_for_a_while(self, now, exclude):
        if outages:
            raise outages.pop()
        return claim_due(self, now, exclude)

    monkeypatch.setattr(message_stores.Outbox, "claim_due", database_gone_for_a_while)
    with caplog.at_level(logging.ERROR, logger="engine.outbox"):
        assert send(scenario, Server()).handled == 0  # it stopped at once, not trying again and again
    assert len(caplog.records) == 1 and len(outages) == 1
    assert send(scenario, Server()).handled == 0 and send(scenario, Server()).sent == 1  # the next sweeps


def test_a_letter_staff_settle_while_it_is_handed_over_keeps_their_decision_and_the_round_goes_on(scenario):
    first, second = scenario.start(email="a@example.com"), scenario.start(email="b@example.com")
    server, settled = Server(), []

    def staff_phone_the_customer(message):  # another request, in its own transaction
        if settled:
            return
        [letter] = [m for m in letters(scenario, first, second) if f"<{m.id}@" in message["Message-ID"]]
        staff = threading.Thread(target=lambda: engine.mark_message_handled(
            letter.id, "Phoned", actor=OFFICER, uow=scenario.uow, clock=scenario.clock))  # fmt: skip
        staff.start()
        staff.join()
        settled.append(letter.id)

    server.during = staff_phone_the_customer
    delivery = send(scenario, server)
    assert (delivery.sent, delivery.handled) == (1, 1) and len(server.accepted) == 2
    statuses = {m.id: m.status for m in letters(scenario, first, second)}
    assert statuses.pop(settled[0]) == "handled" and list(statuses.values()) == ["sent"]


def test_the_counts_of_a_round_add_up():
    delivery = outbox.Delivery()
    for outcome in ("sent", "sent", "failed", "held", "deferred", "unreachable"):
        delivery.count(outcome)
    delivery.count("withdrawn", withdrawn=2)
    delivery.count("sent", withdrawn=1)
    assert (delivery.sent, delivery.failed, delivery.held, delivery.deferred, delivery.withdrawn) == (3, 1, 1, 2, 3)
    assert delivery.handled == 10


def test_staff_retrying_a_waiting_letter_send_it_at_the_next_sweep_with_the_backoff_started_over(scenario):
    case = scenario.start(email="aysel@example.com")
    for _ in range(3):
        send(scenario, Server(DeliveryFailed("451 busy")))
        scenario.clock.set(letters(scenario, case)[0].next_attempt_at)
    send(scenario, Server(DeliveryFailed("451 busy")))
    [letter] = letters(scenario, case)
    assert letter.attempts == 4 and letter.next_attempt_at == scenario.clock.now() + timedelta(minutes=8)
    retried = engine.retry_message(letter.id, actor=OFFICER, uow=scenario.uow, clock=scenario.clock)
    assert (retried.status, retried.attempts, retried.next_attempt_at) == ("pending", 0, scenario.clock.now())
    assert letters(scenario, case)[0].next_attempt_at == scenario.clock.now()
    send(scenario, Server(DeliveryFailed("451 busy")))
    assert letters(scenario, case)[0].next_attempt_at == scenario.clock.now() + timedelta(minutes=1)


def test_retrying_a_failed_letter_wakes_the_letters_held_behind_it(scenario):
    case = scenario.start(email="aysel@example.com")
    send(scenario, Server(DeliveryFailed("550 refused", permanent=True)))
    scenario.review(case.case_id, clarify="Which store?")
    assert send(scenario, Server()).held == 1
    scenario.clock.advance(minutes=10)
    [ack] = [m for m in letters(scenario, case) if m.status == "failed"]
    engine.retry_message(ack.id, actor=OFFICER, uow=scenario.uow, clock=scenario.clock)
    assert {m.next_attempt_at for m in letters(scenario, case)} == {scenario.clock.now()}
    server = Server()
    assert send(scenario, server).sent == 2
    assert [m["X-Complaint-Reference"] for m in server.accepted] == [case.reference] * 2


def test_how_the_customer_was_told_is_required_and_kept_to_two_thousand_characters(scenario):
    case = scenario.start()
    [letter] = letters(scenario, case)
    for note in ("", "   ", "x" * 2001):
        with pytest.raises(InvalidInput) as refused:
            engine.mark_message_handled(letter.id, note, actor=OFFICER, uow=scenario.uow, clock=scenario.clock)
        assert str(refused.value) == "Say how the customer was told (at most 2000 characters)."
        assert refused.value.errors == {"note": ["Required."]}
    assert letters(scenario, case)[0].status == "pending"
    note = "  " + "y" * 2000 + "\n"
    handled = engine.mark_message_handled(letter.id, note, actor=OFFICER, uow=scenario.uow, clock=scenario.clock)
    assert (handled.status, handled.next_attempt_at) == ("handled", None)
    event = scenario.view(case.case_id).events[-1]
    assert (event.type, event.actor, event.at) == ("message_handled", OFFICER.id, scenario.clock.now())
    assert {k: event.data[k] for k in ("message_id", "message", "note")} == {
        "message_id": letter.id, "message": "acknowledgement", "note": "y" * 2000
    }  # fmt: skip
    assert set(event.data["sealed"]) == {"note"}


def test_a_letter_already_settled_cannot_be_settled_again(scenario):
    case = scenario.start(email="aysel@example.com")
    send(scenario, Server())
    [letter] = letters(scenario, case)
    with pytest.raises(Conflict, match="^This message is sent already; there is nothing to do.$"):
        engine.mark_message_handled(letter.id, "Phoned", actor=OFFICER, uow=scenario.uow, clock=scenario.clock)
    with pytest.raises(Conflict, match="^This message is sent already"):
        engine.retry_message(letter.id, actor=OFFICER, uow=scenario.uow, clock=scenario.clock)


def test_staff_see_up_to_the_limit_of_each_list_and_whether_there_are_more(scenario):
    case = scenario.start(email="aysel@example.com")
    send(scenario, Server())  # its acknowledgement is sent: staff need not see it
    with scenario.uow as uow:  # four letters in each state staff see, a minute apart
        for n, status in enumerate(["failed", "pending", "obsolete"] * 4):
            at = scenario.clock.now() + timedelta(minutes=n)
            uow.outbox.add(model.OutboxMessage(f"m{n:02}", case.case_id, "acknowledgement", {}, at, status=status))
        uow.commit()
    for limit, shown, more in ((2, 3, True), (3, 4, True), (4, 4, False)):
        listed = engine.list_undelivered_messages(actor=OFFICER, uow=scenario.uow, limit=limit)
        for found in (listed.failed, listed.pending, listed.withdrawn):
            assert len(found) == shown and listed.more(found) is more and listed.more(found[:limit]) is False
    listed = engine.list_undelivered_messages(actor=OFFICER, uow=scenario.uow)
    assert listed.limit == 200
    assert [m.id for m in listed.failed] == ["m00", "m03", "m06", "m09"]  # the oldest first
    assert [m.id for m in listed.pending] == ["m01", "m04", "m07", "m10"]
    assert [m.id for m in listed.withdrawn] == ["m11", "m08", "m05", "m02"]  # the latest first
    assert {m.reference for m in listed.failed} == {case.reference}


def test_the_latest_withdrawn_letters_are_listed_first(scenario):
    cases = []
    for _ in range(2):
        case = scenario.start(email="aysel@example.com")
        scenario.clock.advance(minutes=1)  # the acknowledgement is due first, and goes first
        scenario.review(case.case_id)
        scenario.analyse(case.case_id)
        scenario.respond_in_writing(case.case_id)
        cases.append(case)
    delivery = send(scenario, Server())  # the acknowledgements lost their reason: withdrawn, nothing else
    assert (delivery.withdrawn, delivery.sent, delivery.deferred, delivery.handled) == (2, 2, 0, 4)
    listed = engine.list_undelivered_messages(actor=OFFICER, uow=scenario.uow, limit=1)
    assert [m.reference for m in listed.withdrawn] == [cases[1].reference, cases[0].reference]
    assert listed.more(listed.withdrawn) and not listed.more(listed.withdrawn[:1])


def test_a_worker_with_nothing_to_do_is_told_so(uow):
    assert engine.next_work_at(uow=uow) is None


def test_the_worker_wakes_for_the_next_timer_or_letter(scenario):
    case = scenario.start(email="aysel@example.com")
    timer = scenario.view(case.case_id).case.next_timer_at
    assert timer > scenario.clock.now()
    assert engine.next_work_at(uow=scenario.uow) == scenario.clock.now()  # the acknowledgement is due
    assert engine.next_work_at(uow=scenario.uow, messages=False) == timer
    send(scenario, Server())
    assert engine.next_work_at(uow=scenario.uow) == timer


def test_a_letter_whose_case_closed_before_it_went_is_withdrawn_once_and_for_all(scenario):
    case = scenario.start(email="aysel@example.com")
    scenario.review(case.case_id)
    scenario.analyse(case.case_id)
    oral = {"response_mode": "oral", "response_text": "Told by phone.", "agreed_by": "Aysel Məmmədova",
            "agreed_on": "2026-03-02", "agreed_how": "phone"}  # fmt: skip
    scenario.complete(case.case_id, "Task_Respond", oral)  # answered by phone: no written response goes out
    assert scenario.view(case.case_id).case.status == "closed"
    server = Server()
    delivery = send(scenario, server)
    assert (delivery.withdrawn, delivery.deferred, delivery.handled) == (1, 0, 1) and server.accepted == []
    [letter] = letters(scenario, case)
    assert (letter.status, letter.next_attempt_at) == ("obsolete", None) and "case was closed" in letter.last_error
    assert send(scenario, server).handled == 0
