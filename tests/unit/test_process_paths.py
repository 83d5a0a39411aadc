"""Every path through the complaint process, driven through the engine's use cases."""

from datetime import date, datetime, timedelta, timezone

import pytest

from engine.kernel.errors import InvalidInput

BAKU = timezone(timedelta(hours=4))


def messages(scenario, case_id):
    return [m.message for m in scenario.view(case_id).outbox]


def test_complete_intake_skips_registration_and_acknowledges(scenario):
    case = scenario.start()
    assert case.reference.startswith("MG-2026-")
    assert list(scenario.ready(case.case_id)) == ["Task_Review"]
    assert messages(scenario, case.case_id) == ["acknowledgement"]


def test_incomplete_intake_is_kept_and_registration_asks_for_the_rest(scenario):
    case = scenario.start(phone=None, surname=None)
    assert list(scenario.ready(case.case_id)) == ["Task_Register"]
    assert scenario.view(case.case_id).personal.description.startswith("The headphones")
    with pytest.raises(InvalidInput) as refused:
        scenario.complete(
            case.case_id, "Task_Register", {"surname": "Əliyev", "given_name": "Aysel", "description": "x"}
        )
    assert "phone_or_email" in refused.value.errors
    scenario.complete(
        case.case_id,
        "Task_Register",
        {"surname": "Əliyev", "given_name": "Aysel", "description": "Broken", "email": "aysel@example.az"},
    )
    view = scenario.view(case.case_id)
    assert (view.personal.surname, view.personal.email) == ("Əliyev", "aysel@example.az")
    assert list(scenario.ready(case.case_id)) == ["Task_Review"]
    # personal data is referenced from the history, never copied into it
    assert "Əliyev" not in str([e.data for e in view.events])


def test_clarification_loops_as_often_as_needed_then_upheld_with_corrective_measures(scenario):
    case = scenario.start()
    for question in ("Which store?", "Do you still have the receipt?"):
        scenario.review(case.case_id, clarify=question)
        assert list(scenario.ready(case.case_id)) == ["Task_Clarify"]
        scenario.complete(case.case_id, "Task_Clarify", {"contacted_via": "phone", "customer_answer": "Yes"})
    scenario.review(case.case_id)
    scenario.analyse(case.case_id, corrective=True)
    scenario.respond_in_writing(case.case_id)
    assert list(scenario.ready(case.case_id)) == ["Task_Corrective"]
    progress = scenario.complete(
        case.case_id, "Task_Corrective", {"corrective_actions": "Retrain store staff"}
    )
    assert (progress.status, progress.stage) == ("closed", "Closed")
    assert messages(scenario, case.case_id) == [
        "acknowledgement",
        "clarification_request",
        "clarification_request",
        "written_response",
    ]
    sent = {m.message: m.payload for m in scenario.view(case.case_id).outbox}
    assert sent["clarification_request"]["question"] == "Do you still have the receipt?"
    assert sent["written_response"]["decision"] == "upheld"


def test_rejection_without_corrective_measures_closes_the_case(scenario):
    case = scenario.start()
    scenario.review(case.case_id)
    scenario.analyse(case.case_id, decision="rejected")
    progress = scenario.complete(
        case.case_id,
        "Task_Respond",
        {"response_mode": "written", "response_text": "The damage was caused by misuse."},
    )
    assert progress.status == "closed"
    assert scenario.view(case.case_id).work_items == []


def test_oral_response_needs_the_customers_agreement(scenario):
    case = scenario.start()
    scenario.review(case.case_id)
    scenario.analyse(case.case_id, decision="partly_upheld")
    with pytest.raises(InvalidInput) as refused:
        scenario.complete(
            case.case_id, "Task_Respond", {"response_mode": "oral", "response_text": "Told by phone"}
        )
    assert set(refused.value.errors) == {"agreed_by", "agreed_on", "agreed_how"}
    progress = scenario.complete(
        case.case_id,
        "Task_Respond",
        {
            "response_mode": "oral",
            "response_text": "Told by phone",
            "agreed_by": "the customer",
            "agreed_on": "2026-03-02",
            "agreed_how": "phone",
        },
    )
    assert progress.status == "closed"
    assert "written_response" not in messages(scenario, case.case_id)


def test_written_response_ignores_oral_agreement_fields_that_are_hidden(scenario):
    case = scenario.start()
    scenario.review(case.case_id)
    scenario.analyse(case.case_id)
    scenario.complete(case.case_id, "Task_Respond", {"response_mode": "written", "response_text": "Letter"})
    assert "written_response" in messages(scenario, case.case_id)


def test_deadlines_are_3_and_10_working_days_in_baku(scenario):
    # received Wednesday 18 March 2026: Novruz and Ramadan holidays follow
    scenario.clock.set(datetime(2026, 3, 18, 12, tzinfo=BAKU))
    case = scenario.start()
    due = {d.name: d.due.astimezone(BAKU) for d in scenario.view(case.case_id).case.deadlines}
    assert due["Registration and review deadline"] == datetime(2026, 4, 1, 23, 59, 59, tzinfo=BAKU)
    assert due["Resolution deadline"] == datetime(2026, 4, 10, 23, 59, 59, tzinfo=BAKU)
    assert due["Resolution at risk"] == datetime(2026, 4, 8, 23, 59, 59, tzinfo=BAKU)


def test_late_review_is_escalated_to_a_supervisor_but_the_case_goes_on(scenario):
    case = scenario.start()
    assert scenario.move_to(datetime(2026, 3, 5, 23, 59, 0, tzinfo=BAKU)) == 0
    assert scenario.move_to(datetime(2026, 3, 6, 0, 0, 1, tzinfo=BAKU)) == 1
    assert set(scenario.ready(case.case_id)) == {"Task_Review", "Task_ReviewOverdue"}
    scenario.complete(case.case_id, "Task_ReviewOverdue", {"action_taken": "Asked the officer to hurry"})
    scenario.review(case.case_id)
    assert set(scenario.ready(case.case_id)) == {"Task_Analyse"}


def test_delay_notices_repeat_until_the_customer_is_answered(scenario):
    case = scenario.start()
    scenario.review(case.case_id)
    scenario.move_to(datetime(2026, 3, 14, 9, tzinfo=BAKU))  # past "at risk" (13 March)
    assert set(scenario.ready(case.case_id)) == {"Task_Analyse", "Task_DelayNotice"}
    scenario.complete(
        case.case_id, "Task_DelayNotice", {"delay_reason": "Awaiting the supplier", "new_date": "2026-03-19"}
    )
    scenario.move_to(datetime(2026, 3, 18, 9, tzinfo=BAKU))  # past the 10-day deadline (17 March)
    assert "Task_ResolutionOverdue" in scenario.ready(case.case_id)
    scenario.move_to(datetime(2026, 3, 25, 9, tzinfo=BAKU))  # the new date passed too
    assert {"Task_DelayNotice", "Task_LateEscalation"} <= set(scenario.ready(case.case_id))
    scenario.complete(
        case.case_id, "Task_DelayNotice", {"delay_reason": "Supplier still silent", "new_date": "2026-04-03"}
    )
    view = scenario.view(case.case_id)
    assert [m.payload.get("new_date") for m in view.outbox if m.message == "delay_notice"] == [
        "2026-03-19",
        "2026-04-03",
    ]
    pending = [d for d in view.case.deadlines if not d.passed]
    assert pending[-1].due.astimezone(BAKU).date() == date(2026, 4, 3)
    scenario.analyse(case.case_id)
    progress = scenario.complete(
        case.case_id, "Task_Respond", {"response_mode": "written", "response_text": "Done"}
    )
    assert progress.status == "closed"
    assert scenario.view(case.case_id).work_items == []  # escalations end with the answer


def test_a_delay_date_in_the_past_is_refused(scenario):
    case = scenario.start()
    scenario.move_to(datetime(2026, 3, 14, 9, tzinfo=BAKU))
    with pytest.raises(InvalidInput) as refused:
        scenario.complete(case.case_id, "Task_DelayNotice", {"delay_reason": "x", "new_date": "2026-03-01"})
    assert "new_date" in refused.value.errors


def test_timers_fire_once_and_only_when_due(scenario):
    case = scenario.start()
    assert scenario.advance(hours=1) == 0
    scenario.move_to(datetime(2026, 3, 6, 9, tzinfo=BAKU))
    assert scenario.advance(minutes=1) == 0
    history = [e.type for e in scenario.view(case.case_id).events]
    assert history.count("timer_fired") == 1


def test_spiffworkflow_timers_follow_the_engine_clock_not_the_wall_clock(scenario):
    # The wall clock is months past these deadlines; only the engine's clock may fire them.
    scenario.clock.set(datetime(2026, 1, 5, 10, tzinfo=BAKU))
    case = scenario.start()
    assert scenario.advance(days=1) == 0
    assert set(scenario.ready(case.case_id)) == {"Task_Review"}
    assert scenario.view(case.case_id).case.next_timer_at.date() == date(2026, 1, 8)
