"""What an auditor reads from a replay: clean, or the exact event where it parts and what differs there."""

import copy
from dataclasses import replace

import pytest

import engine
from engine.audit import replay
from engine.casework import workflows
from engine.kernel import model
from engine.kernel.policy import Policy
from tests.conftest import corpus_file
from tests.scenario import ACTORS, OWNER, Scenario
from tests.unit.test_process_owners import deploy, with_second_opinion


@pytest.fixture
def scenario(uow, clock, policy):
    return Scenario(uow, clock, policy)


def recorded(scenario, case_id):
    """The case row, a copy of its events (to tamper with) and its version's bundle."""
    with scenario.uow as uow:
        case = uow.cases.get(case_id)
        events = copy.deepcopy(uow.events.for_case(case_id))
        versions = {v: uow.versions.get(v) for v in replay.versions_used(case, events)}
    return case, events, lambda version_id: workflows.bundle(versions[version_id])


def reviewed(scenario):
    """A case started and reviewed: events 1 (case_started) and 2 (task_completed Task_Review)."""
    progress = scenario.start()
    scenario.review(progress.case_id)
    return recorded(scenario, progress.case_id)


def failed(uow, clock):
    """A case of a process whose gateway has no way out: it errors as soon as it starts."""
    bpmn = corpus_file("authored/malformed/gateway_no_outgoing_match.bpmn").read_bytes()
    scenario = Scenario(uow, clock, Policy(process_key="gateway"), bpmn=bpmn, forms={})
    progress = scenario.start()
    assert progress.status == "errored"
    return scenario, recorded(scenario, progress.case_id)


def event(case_id, seq, type, data, at):
    return model.Event(case_id, seq, type, "officer", at, data)


def test_a_faithful_history_replays_clean_to_the_open_state_it_left(scenario):
    case, events, load = reviewed(scenario)
    assert replay.replay(events, case.state, load, scenario.policy) is None
    replayer, divergence = replay.rerun(events, load, scenario.policy)
    assert divergence is None and replayer.error is None
    assert replayer.observe().status == "open"
    assert replayer.observe().recorded_form() == events[-1].data["after"]
    assert replayer.state() == case.state


def test_a_closed_case_replays_to_closed(scenario):
    progress = scenario.start(email="aysel@example.com")
    scenario.review(progress.case_id)
    scenario.analyse(progress.case_id)
    scenario.respond_in_writing(progress.case_id)
    case, events, load = recorded(scenario, progress.case_id)
    assert case.status == "closed"
    replayer, divergence = replay.rerun(events, load, scenario.policy)
    assert divergence is None and replayer.observe().status == "closed"
    assert replay.final_divergence(replayer, case.state) is None


def test_a_process_failure_replays_to_the_same_error(uow, clock):
    scenario, (case, events, load) = failed(uow, clock)
    assert [e.type for e in events] == ["case_started", "process_failed"]
    replayer, divergence = replay.rerun(events, load, scenario.policy)
    assert divergence is None
    assert replayer.error == events[1].data["error"] and "Gateway_1" in replayer.error
    assert replayer.observe().status == "errored"
    assert replay.replay(events, case.state, load, scenario.policy) is None


def test_a_failure_recorded_with_other_words_is_named_with_both(uow, clock):
    scenario, (case, events, load) = failed(uow, clock)
    actual = events[1].data["error"]
    events[1].data["error"] = "The process failed: disk full"
    divergence = replay.replay(events, case.state, load, scenario.policy)
    assert divergence == replay.Divergence(
        2, f"the record says the process failed (The process failed: disk full); the replay says {actual}"
    )


def test_a_failure_the_replay_does_not_meet_is_named(scenario):
    case, events, load = reviewed(scenario)
    events.append(event(case.id, 3, "process_failed", {"error": "boom"}, events[-1].at))
    divergence = replay.replay(events, case.state, load, scenario.policy)
    assert divergence == replay.Divergence(3, "the record says the process failed (boom); the replay says it did not")


def test_a_failure_the_record_does_not_mention_is_named(uow, clock):
    scenario, (case, events, load) = failed(uow, clock)
    actual = events[1].data["error"]
    del events[1].data["error"]
    divergence = replay.replay(events, case.state, load, scenario.policy)
    assert divergence == replay.Divergence(2, f"the record says the process failed (None); the replay says {actual}")


def test_a_changed_outcome_names_the_event_and_every_fact_that_differs(scenario):
    case, events, load = reviewed(scenario)
    after = events[1].data["after"]
    [[_, analyse]] = after["ready"]
    at_risk, overdue = after["timers"]
    after.update(ready=[["Task_Respond", analyse]], timers=[at_risk], status="closed")
    divergence = replay.replay(events, case.state, load, scenario.policy)
    assert divergence == replay.Divergence(
        2,
        f"waiting tasks: recorded [Task_Respond {analyse[:25]}], replayed [Task_Analyse {analyse[:25]}]; "
        f"pending timers: recorded [{' '.join(at_risk)}], replayed [{' '.join(at_risk)}, {' '.join(overdue)}]; "
        "status: recorded closed, replayed open",
    )


def test_only_the_facts_that_differ_are_named(scenario):
    case, events, load = reviewed(scenario)
    events[0].data["after"]["status"] = "closed"
    divergence = replay.replay(events, case.state, load, scenario.policy)
    assert divergence == replay.Divergence(1, "status: recorded closed, replayed open")


def test_an_event_recorded_without_its_outcome_is_replayed_without_comparing_it(scenario):
    case, events, load = reviewed(scenario)
    del events[0].data["after"]
    assert replay.replay(events, case.state, load, scenario.policy) is None


def test_a_task_the_replay_is_not_waiting_for_is_named_with_its_id(scenario):
    case, events, load = reviewed(scenario)
    events[1].data["task_id"] = "0123456789abcdef"
    divergence = replay.replay(events, case.state, load, scenario.policy)
    what = "task_completed: task Task_Review (01234567) is not waiting in the replay"
    assert divergence == replay.Divergence(2, what)


def test_a_task_recorded_without_its_data_is_replayed_with_none_and_parts_there(scenario):
    case, events, load = reviewed(scenario)
    del events[1].data["data"]  # the review's decision (clarify or not) is lost
    divergence = replay.replay(events, case.state, load, scenario.policy)
    assert divergence.seq == 2 and divergence.what.endswith("status: recorded open, replayed errored")


def test_a_history_that_does_not_start_with_the_case_parts_at_its_first_input(scenario):
    case, events, load = reviewed(scenario)
    divergence = replay.replay(events[1:], case.state, load, scenario.policy)
    assert divergence == replay.Divergence(2, "task_completed: the case was not started in the replay")


@pytest.mark.parametrize("kept", [0, 1], ids=["empty", "only-a-record"])
def test_a_history_without_its_start_says_so(scenario, kept):
    case, events, load = reviewed(scenario)
    handled = event(case.id, 3, "message_handled", {"message_id": "m1", "note": "Phoned"}, events[-1].at)
    history = [handled][:kept]
    expected = replay.Divergence(None, "the history has no case_started event")
    assert replay.rerun(history, load, scenario.policy)[1] == expected
    assert replay.replay(history, case.state, load, scenario.policy) == expected
    assert replay.final_divergence(replay.Replayer(load(case.version_id), scenario.policy), case.state) == expected


def test_records_that_do_not_change_the_workflow_are_passed_over(scenario):
    case, events, load = reviewed(scenario)
    events.insert(1, event(case.id, 2, "message_handled", {"message_id": "m1", "note": "Phoned"}, events[0].at))
    events.insert(2, event(case.id, 3, "customer_message", {"message_id": "m2"}, events[0].at))
    assert replay.replay(events, case.state, load, scenario.policy) is None


def test_a_type_of_event_no_version_knows_is_named(scenario):
    case, events, load = reviewed(scenario)
    events[1].type = "case_reopened"
    divergence = replay.replay(events, case.state, load, scenario.policy)
    assert divergence == replay.Divergence(2, "cannot replay 'case_reopened': not a known type of event")


def test_an_event_that_is_not_an_input_cannot_be_run(scenario):
    case, events, load = reviewed(scenario)
    replayer = replay.starting(events, load, scenario.policy)
    assert replayer.apply(events[0]) is None
    note = event(case.id, 3, "message_handled", {"message_id": "m1", "note": "Phoned"}, events[0].at)
    assert replayer.apply(note) == "'message_handled' is not an input the replay knows how to run"


def test_a_changed_final_state_names_the_path_that_differs(scenario):
    case, events, load = reviewed(scenario)
    stored = copy.deepcopy(case.state)
    stored["data"]["reference"] = "MG-2026-999999"
    divergence = replay.replay(events, stored, load, scenario.policy)
    assert divergence == replay.Divergence(
        None, "the final workflow state differs: data.reference: stored 'MG-2026-999999', replayed 'None'"
    )


def test_a_state_stored_before_task_ids_came_from_the_case_is_not_compared(scenario):
    case, events, load = reviewed(scenario)
    stored = {k: v for k, v in case.state.items() if k != "task_ids"}
    stored["data"] = {"reference": "anything"}
    assert replay.replay(events, stored, load, scenario.policy) is None


def test_differences_names_the_first_paths_that_differ():
    assert replay.differences({"a": 1}, {"a": 1}) == ""
    assert replay.differences(1, 2) == "(root): stored '1', replayed '2'"
    assert replay.differences({"a": {"b": 1}}, {"a": {"b": 2}}) == "a.b: stored '1', replayed '2'"
    assert replay.differences({"b": 1}, {"a": 1}) == "a: stored 'None', replayed '1', b: stored '1', replayed 'None'"
    assert replay.differences({"a": 1}, {"a": 2}, path="state") == "state.a: stored '1', replayed '2'"
    assert replay.differences({"a": {"b": 1}}, {"a": "gone"}) == "a: stored \"{'b': 1}\", replayed 'gone'"
    assert replay.differences([1, 2], {"a": 1}) == "(root): stored '[1, 2]', replayed \"{'a': 1}\""
    assert replay.differences({2: "x", 10: "y"}, {2: "z", 10: "w"}) == (
        "10: stored 'y', replayed 'w', 2: stored 'x', replayed 'z'"
    )  # keys in the order of their text


def test_differences_stops_at_three_paths_unless_told_otherwise():
    expected = {k: 0 for k in "abcde"}
    actual = {k: 1 for k in "abcde"}
    assert replay.differences(expected, actual).count("stored") == 3
    assert replay.differences(expected, actual).endswith("c: stored '0', replayed '1'")
    assert replay.differences(expected, actual, limit=4).count("stored") == 4
    assert replay.differences({"a": {"x": 0, "y": 0}, "b": 0}, {"a": {"x": 1, "y": 1}, "b": 1}, limit=1) == (
        "a.x: stored '0', replayed '1'"
    )


def test_differences_shows_the_first_sixty_characters_of_each_value():
    long, other = "x" * 59 + "yz", "w" * 61
    assert replay.differences(long, other) == f"(root): stored {long[:60]!r}, replayed {other[:60]!r}"


def test_the_versions_a_case_ran_on_are_where_it_started_moved_and_is(scenario):
    case, events, _ = reviewed(scenario)
    events[0].data["version_id"] = "v-start"
    events.append(event(case.id, 3, "version_migrated", {"to": "v-moved"}, events[-1].at))
    events.append(event(case.id, 4, "task_completed", {"to": "v-not-a-move"}, events[-1].at))
    assert replay.versions_used(case, events) == {case.version_id, "v-start", "v-moved"}
    events[0].data["version_id"] = ""
    assert replay.versions_used(case, events) == {case.version_id, "v-moved"}
    del events[0].data["version_id"]
    assert replay.versions_used(case, events) == {case.version_id, "v-moved"}


def migrated(scenario):
    """A case reviewed on version 1, moved to version 2 (a second opinion), then analysed there."""
    progress = scenario.start()
    scenario.review(progress.case_id)
    deploy(scenario, with_second_opinion())
    engine.migrate_cases(scenario.policy.process_key, 2, from_number=1, dry_run=False, actor=OWNER, **scenario.deps)
    scenario.analyse(progress.case_id)
    return recorded(scenario, progress.case_id)


def test_a_migrated_case_replays_from_the_version_it_started_on(scenario):
    case, events, load = migrated(scenario)
    assert [e.type for e in events] == ["case_started", "task_completed", "version_migrated", "task_completed"]
    assert case.version_id != scenario.version.id
    replayer = replay.starting(events, load, scenario.policy)
    assert replayer.bundle is load(scenario.version.id) and replayer.load is load
    replayer, divergence = replay.rerun(events, load, scenario.policy)
    assert divergence is None and replayer.bundle is load(case.version_id)
    assert {t.bpmn_id for t in replayer.observe().ready} == {"Task_Check"}
    assert replay.replay(events, case.state, load, scenario.policy) is None


def test_a_migrated_case_replayed_on_one_version_parts_where_it_moved(scenario):
    case, events, load = migrated(scenario)
    divergence = replay.replay(events, case.state, load(scenario.version.id), scenario.policy)
    assert divergence == replay.Divergence(3, "version_migrated: the case moved to another version here in the replay")


def test_a_migration_recorded_with_a_mapping_is_replayed_with_it(scenario, monkeypatch):
    case, events, load = migrated(scenario)
    used = []
    move = replay.migration.move
    monkeypatch.setattr(replay.migration, "move", lambda state, *args: used.append(args[2]) or move(state, *args))
    events[2].data["mapping"] = {"Task_Gone": "Task_Analyse"}
    assert replay.replay(events, case.state, load, scenario.policy) is None
    del events[2].data["mapping"]
    assert replay.replay(events, case.state, load, scenario.policy) is None
    assert used == [{"Task_Gone": "Task_Analyse"}, {}]


def test_a_replay_on_a_draft_finds_tasks_by_their_bpmn_id(scenario):
    case, events, load = reviewed(scenario)
    draft = replay.Replayer(load(case.version_id), scenario.policy, by_bpmn_id=True)
    assert draft.apply(events[0]) is None
    events[1].data["task_id"] = "an id the draft never gave"
    assert draft.apply(events[1]) is None
    assert [t.bpmn_id for t in draft.observe().ready] == ["Task_Analyse"]
    assert draft.apply(events[1]) == "task Task_Review is not waiting"
    moved = replace(events[1], type="version_migrated", data={"to": case.version_id})
    assert draft.apply(moved) == "the case moved to another version here"


def test_a_status_request_is_delivered_again_as_recorded(scenario, monkeypatch):
    progress = scenario.start()
    delivered = []
    send_message = replay.spiff.send_message
    monkeypatch.setattr(replay.spiff, "send_message", lambda wf, name, payload: delivered.append((name, payload))
                        or send_message(wf, name, payload))  # fmt: skip
    engine.record_status_request(progress.reference, "call_centre", requester="Aysel", told="Under review",
                                 actor=ACTORS["intake"], **scenario.deps)  # fmt: skip
    case, events, load = recorded(scenario, progress.case_id)
    assert events[-1].type == "status_requested"
    assert replay.replay(events, case.state, load, scenario.policy) is None
    original, replayed = delivered
    assert (
        replayed
        == original
        == ("status_request", {"channel": "call_centre", "requester": "Aysel", "told": "Under review"})
    )


def test_a_status_request_recorded_without_an_empty_field_is_delivered_as_it_was(scenario, monkeypatch):
    progress = scenario.start()
    delivered = []
    send_message = replay.spiff.send_message
    monkeypatch.setattr(replay.spiff, "send_message", lambda wf, name, payload: delivered.append(payload)
                        or send_message(wf, name, payload))  # fmt: skip
    engine.record_status_request(progress.reference, "call_centre", requester="Aysel", actor=ACTORS["intake"],
                                 **scenario.deps)  # fmt: skip
    case, events, load = recorded(scenario, progress.case_id)
    del events[-1].data["told"]  # as a record kept before an empty field was written down
    assert replay.replay(events, case.state, load, scenario.policy) is None
    original, replayed = delivered
    assert replayed == original == {"channel": "call_centre", "requester": "Aysel", "told": ""}
