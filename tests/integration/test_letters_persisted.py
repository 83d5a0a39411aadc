"""A case's letters on SQLite and PostgreSQL: the memory store's tests, then two workers on PostgreSQL."""

import threading

import pytest

import engine
from engine.casework import workflows
from persistence import db
from persistence.smtp import SmtpMailer, SmtpSettings
from persistence.store import SqlUnitOfWork
from tests.scenario import Scenario
from tests.unit.test_letters import (  # noqa: F401 - the same tests, on this directory's `scenario` (SQL)
    received,
    test_a_delay_notice_replaced_by_a_later_one_is_withdrawn,
    test_a_failed_letter_holds_back_the_next_until_staff_settle_it,
    test_a_letter_written_while_an_earlier_one_is_retried_waits_for_it,
    test_clarification_requests_written_before_the_case_closed_are_never_sent_after_it,
    test_letters_written_at_the_same_moment_go_in_the_order_they_were_written,
    test_staff_cannot_retry_a_withdrawn_letter,
)


@pytest.mark.postgres
def test_a_second_worker_holds_a_letter_back_while_the_first_is_still_handing_over_the_earlier_one(
    pg_url, clock, policy, smtp
):
    sql = db.make_engine(pg_url)
    db.upgrade(sql)
    workflows._live.clear()
    scenario = Scenario(SqlUnitOfWork(sql), clock, policy)
    case = scenario.start(email="aysel@example.com")
    scenario.review(case.case_id, clarify="Which store?")  # two letters due at once
    in_flight, go_on = threading.Event(), threading.Event()

    def slow_first_letter(message):  # the first letter the server sees stays with it until we go on
        if in_flight.is_set():
            return True
        in_flight.set()
        return go_on.wait(10)

    smtp.recorder.before_accept = slow_first_letter
    sending = threading.Thread(target=lambda: engine.send_due_messages(mailer=_mailer(smtp), **scenario.deps))
    sending.start()
    assert in_flight.wait(10)  # worker 1 holds the acknowledgement's row while the server has it
    second = engine.send_due_messages(mailer=_mailer(smtp), **scenario.deps)  # worker 2 skips the locked row
    assert (second.sent, second.held) == (0, 1) and received(smtp, scenario, case) == []
    go_on.set()
    sending.join(10)
    scenario.clock.advance(seconds=5)  # when the held letter is due again
    engine.send_due_messages(mailer=_mailer(smtp), **scenario.deps)
    assert received(smtp, scenario, case) == ["acknowledgement", "clarification_request"]
    sql.dispose()


def _mailer(server):
    return SmtpMailer(SmtpSettings("127.0.0.1", server.port, security="none", timeout=15))
