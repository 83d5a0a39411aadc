"""Bad input gets a precise error and leaves the stored data untouched."""

import threading

import pytest

import engine
from engine.kernel import model
from engine.kernel.errors import CaseNotFound, Forbidden, InvalidInput, StaleCase, TaskNotFound, TaskNotReady
from tests.scenario import ACTORS


def snapshot(scenario, case_id):
    view = scenario.view(case_id)
    return (view.case.revision, len(view.events), [i.task_id for i in view.work_items], len(view.outbox))


@pytest.mark.parametrize(
    ("intake", "field"),
    [
        ({"channel": "fax"}, "channel"),
        ({"email": "not-an-address"}, "email"),
        ({"phone": "call me"}, "phone"),
        ({"received_at": "2026-03-02T10:00:00"}, "received_at"),  # no offset
        ({"received_at": "2026-04-02T10:00:00+04:00"}, "received_at"),  # in the future
        ({"surname": "x" * 101}, "surname"),
        ({"favourite_colour": "blue"}, "favourite_colour"),
    ],
)
def test_invalid_intake_is_refused_and_nothing_is_stored(scenario, intake, field):
    with pytest.raises(InvalidInput) as refused:
        scenario.start(**intake)
    assert field in refused.value.errors
    with scenario.uow as uow:
        assert uow.cases.next_sequence(2026) == 1  # no case, no reference used


def test_html_and_control_characters_are_stored_as_given(scenario):
    text = "<script>alert(1)</script>\u202e\x07 “quoted”"
    case = scenario.start(description=text)
    assert scenario.view(case.case_id).personal.description == text


def test_unknown_case_and_unknown_task(scenario):
    case = scenario.start()
    with pytest.raises(CaseNotFound):
        engine.complete_task("nope", "x", {}, actor=ACTORS["officer"], **scenario.deps)
    before = snapshot(scenario, case.case_id)
    with pytest.raises(TaskNotFound):
        engine.complete_task(
            case.case_id, "00000000-0000-0000-0000-000000000000", {}, actor=ACTORS["officer"], **scenario.deps
        )
    assert snapshot(scenario, case.case_id) == before


def test_task_of_another_lane_is_forbidden(scenario):
    case = scenario.start()
    item = scenario.ready(case.case_id)["Task_Review"]
    before = snapshot(scenario, case.case_id)
    with pytest.raises(Forbidden):
        engine.complete_task(
            case.case_id, item.task_id, {"review_notes": "x"}, actor=ACTORS["intake"], **scenario.deps
        )
    assert snapshot(scenario, case.case_id) == before


def test_missing_or_invalid_form_data_lists_each_field(scenario):
    case = scenario.start()
    scenario.review(case.case_id)
    item = scenario.ready(case.case_id)["Task_Analyse"]
    before = snapshot(scenario, case.case_id)
    with pytest.raises(InvalidInput) as refused:
        engine.complete_task(
            case.case_id,
            item.task_id,
            {"decision": "maybe", "extra": 1},
            actor=ACTORS["officer"],
            **scenario.deps,
        )
    assert set(refused.value.errors) == {"decision", "findings", "extra"}
    assert snapshot(scenario, case.case_id) == before


def test_a_completed_task_cannot_be_completed_again(scenario):
    case = scenario.start()
    item = scenario.ready(case.case_id)["Task_Review"]
    scenario.review(case.case_id)
    with pytest.raises(TaskNotReady) as refused:
        engine.complete_task(
            case.case_id, item.task_id, {"review_notes": "again"}, actor=ACTORS["officer"], **scenario.deps
        )
    assert "already" in str(refused.value)


def test_two_racing_completions_of_one_task_exactly_one_wins(scenario):
    case = scenario.start()
    item = scenario.ready(case.case_id)["Task_Review"]
    barrier, outcomes = threading.Barrier(2), []
    original_save = type(scenario.uow.__enter__().cases).save
    scenario.uow.__exit__(None, None, None)

    def slow_save(self, case_):  # both read the same revision before either writes
        barrier.wait(timeout=5)
        return original_save(self, case_)

    def attempt(note):
        try:
            engine.complete_task(
                case.case_id, item.task_id, {"review_notes": note}, actor=ACTORS["officer"], **scenario.deps
            )
            outcomes.append("won")
        except StaleCase as error:
            outcomes.append(f"conflict: {error}")

    type(scenario.uow.__enter__().cases).save = slow_save
    scenario.uow.__exit__(None, None, None)
    try:
        threads = [threading.Thread(target=attempt, args=(n,)) for n in ("first", "second")]
        [t.start() for t in threads]
        [t.join() for t in threads]
    finally:
        type(scenario.uow.__enter__().cases).save = original_save
        scenario.uow.__exit__(None, None, None)
    assert sorted(o.split(":")[0] for o in outcomes) == ["conflict", "won"]
    events = [e for e in scenario.view(case.case_id).events if e.type == "task_completed"]
    assert len(events) == 1


def test_status_request_is_recorded_without_disturbing_the_flow(scenario):
    case = scenario.start()
    ready = set(scenario.ready(case.case_id))
    answer = engine.record_status_request(
        case.reference,
        "call_centre",
        requester="the customer",
        told="Under review",
        actor=ACTORS["intake"],
        **scenario.deps,
    )
    assert (answer.reference, answer.stage, answer.status) == (case.reference, "Initial review", "open")
    assert answer.next_deadline is not None and answer.new_date is None
    assert set(scenario.ready(case.case_id)) == ready
    event = scenario.view(case.case_id).events[-1]
    assert (event.type, event.data["told"]) == ("status_requested", "Under review")


def test_status_request_for_an_unknown_reference(scenario):
    with pytest.raises(CaseNotFound):
        engine.record_status_request(
            "MG-2026-999999", "call_centre", requester="x", actor=ACTORS["intake"], **scenario.deps
        )


def test_status_request_on_one_case_leaves_other_cases_of_the_version_alone(scenario):
    # A message-triggered event subprocess runs against the spec all cases of a version share.
    first, second = scenario.start(), scenario.start()
    for _ in range(2):
        engine.record_status_request(
            first.reference, "social", requester="x", actor=ACTORS["intake"], **scenario.deps
        )
    scenario.review(second.case_id)
    assert set(scenario.ready(second.case_id)) == {"Task_Analyse"}
    assert set(scenario.ready(first.case_id)) == {"Task_Review"}
    assert [e.type for e in scenario.view(second.case_id).events].count("status_requested") == 0


def test_deploying_needs_a_process_owner(scenario):
    from tests.conftest import BPMN_FILE, bundled_forms

    with pytest.raises(Forbidden):
        engine.deploy_process_version(
            "complaint_handling",
            BPMN_FILE.read_bytes(),
            bundled_forms(),
            actor=ACTORS["officer"],
            **scenario.deps,
        )


def test_deploying_identical_content_returns_the_existing_version(scenario):
    from tests.conftest import BPMN_FILE, bundled_forms

    version, new = engine.deploy_process_version(
        "complaint_handling",
        BPMN_FILE.read_bytes(),
        bundled_forms(),
        actor=model.Actor.system(),
        **scenario.deps,
    )
    assert (version.number, new) == (1, False)
