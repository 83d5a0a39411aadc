"""Process owners: drafts, validation, deploy, diff and migration of running cases."""

import re
from dataclasses import replace
from datetime import timedelta, timezone

import pytest

import engine
from engine.kernel.errors import Forbidden, InvalidBpmn, InvalidInput
from engine.process_models import drafts
from tests.conftest import BPMN_FILE, bundled_forms, corpus_file
from tests.scenario import ACTORS, COMPLETE_INTAKE, OWNER, Scenario

BAKU = timezone(timedelta(hours=4))


def seven_day_sla() -> bytes:
    return BPMN_FILE.read_bytes().replace(b"deadline(received_at, 10)", b"deadline(received_at, 7)")


def with_second_opinion() -> bytes:
    """The process with a new user task between analysis and response."""
    xml = BPMN_FILE.read_text()
    xml = xml.replace(
        '<bpmn:sequenceFlow id="Flow_ToRespond" sourceRef="Task_Analyse" targetRef="Task_Respond" />',
        '<bpmn:sequenceFlow id="Flow_ToRespond" sourceRef="Task_Analyse" targetRef="Task_Check" />'
        '<bpmn:userTask id="Task_Check" name="Second opinion" camunda:formKey="forms/review_overdue.form">'
        "<bpmn:incoming>Flow_ToRespond</bpmn:incoming><bpmn:outgoing>Flow_Checked</bpmn:outgoing></bpmn:userTask>"
        '<bpmn:sequenceFlow id="Flow_Checked" sourceRef="Task_Check" targetRef="Task_Respond" />',
    )
    xml = xml.replace(
        "<bpmn:incoming>Flow_ToRespond</bpmn:incoming>\n        <bpmn:outgoing>Flow_Responded",
        "<bpmn:incoming>Flow_Checked</bpmn:incoming>\n        <bpmn:outgoing>Flow_Responded",
    )
    return xml.replace(
        "<bpmn:flowNodeRef>Task_Analyse</bpmn:flowNodeRef>",
        "<bpmn:flowNodeRef>Task_Analyse</bpmn:flowNodeRef><bpmn:flowNodeRef>Task_Check</bpmn:flowNodeRef>",
    ).encode()


def deploy(scenario, xml):
    return engine.deploy_process_version(
        scenario.policy.process_key, xml, bundled_forms(), actor=OWNER, **scenario.deps
    )[0]


def test_a_draft_keeps_invalid_work_and_lists_its_problems(scenario):
    draft = engine.open_draft(scenario.policy.process_key, actor=OWNER, uow=scenario.uow, clock=scenario.clock)
    broken = BPMN_FILE.read_bytes().replace(b"deadline(received_at, 10)", b"__import__('os')")
    saved = engine.save_draft(draft.id, broken, actor=OWNER, **scenario.deps)
    assert saved.bpmn_xml == broken and any("Start_Overdue" in p for p in drafts.blocking(saved))
    with pytest.raises(InvalidBpmn):
        engine.deploy_draft(draft.id, actor=OWNER, **scenario.deps)
    assert engine.get_draft(draft.id, uow=scenario.uow).bpmn_xml == broken  # nothing lost
    assert [v.number for v in engine.list_versions(uow=scenario.uow)] == [1]


def test_deploying_a_draft_makes_the_next_version_and_new_cases_start_on_it(scenario):
    old_case = scenario.start()
    draft = engine.open_draft(scenario.policy.process_key, actor=OWNER, uow=scenario.uow, clock=scenario.clock)
    engine.save_draft(draft.id, seven_day_sla(), comment="SLA 7 days", actor=OWNER, **scenario.deps)
    version = engine.deploy_draft(draft.id, actor=OWNER, **scenario.deps)
    assert (version.number, version.comment) == (2, "SLA 7 days")
    assert engine.list_drafts(uow=scenario.uow) == []
    new_case = scenario.start()
    due = {
        c: {d.name: d.due.astimezone(BAKU).date() for d in scenario.view(c).case.deadlines}
        for c in (old_case.case_id, new_case.case_id)
    }
    assert str(due[old_case.case_id]["Resolution deadline"]) == "2026-03-17"  # 10 working days
    assert str(due[new_case.case_id]["Resolution deadline"]) == "2026-03-12"  # 7 working days


def test_only_process_owners_edit_and_deploy(scenario):
    with pytest.raises(Forbidden):
        engine.open_draft(scenario.policy.process_key, actor=ACTORS["officer"], uow=scenario.uow, clock=scenario.clock)
    with pytest.raises(Forbidden):
        engine.upload_draft(scenario.policy.process_key, b"<x/>", actor=ACTORS["supervisor"], **scenario.deps)
    with pytest.raises(Forbidden):
        engine.migrate_cases(scenario.policy.process_key, 1, from_number=1, actor=ACTORS["officer"], **scenario.deps)


@pytest.mark.parametrize(
    "name", ["hostile/xxe_parameter_entity.bpmn", "hostile/billion_laughs.bpmn", "malformed/not_xml.bpmn"]
)
def test_a_hostile_upload_is_kept_as_a_draft_with_its_problem_never_deployed(scenario, name):
    path = corpus_file(f"authored/{name}")
    draft = engine.upload_draft(scenario.policy.process_key, path.read_bytes(), actor=OWNER, **scenario.deps)
    assert drafts.blocking(draft)
    with pytest.raises(InvalidBpmn):
        engine.deploy_draft(draft.id, actor=OWNER, **scenario.deps)


def test_an_upload_over_the_size_limit_is_refused_outright(scenario):
    with pytest.raises(InvalidBpmn, match="size limit"):
        engine.upload_draft(
            scenario.policy.process_key, b"<x>" + b" " * (6 * 1024 * 1024), actor=OWNER, **scenario.deps
        )


def test_diff_names_changed_timers_and_added_tasks(scenario):
    deploy(scenario, seven_day_sla())
    deploy(scenario, with_second_opinion())
    timers = engine.compare_versions(scenario.policy.process_key, 1, 2, uow=scenario.uow)
    assert [c.id for c in timers.changed] == ["Start_Overdue"]
    assert "deadline(received_at, 7)" in timers.changed[0].details[0]
    structure = engine.compare_versions(scenario.policy.process_key, 1, 3, uow=scenario.uow)
    assert {c.id for c in structure.added} == {"Task_Check", "Flow_Checked"}


def test_migration_dry_run_then_real_run_recomputes_changed_deadlines(scenario):
    case = scenario.start()
    deploy(scenario, seven_day_sla())
    plan = engine.migrate_cases(scenario.policy.process_key, 2, from_number=1, actor=OWNER, **scenario.deps)
    assert [(p.ok, p.reference) for p in plan] == [(True, case.reference)]
    assert "Resolution deadline" in plan[0].changes[0]
    assert scenario.view(case.case_id).events[-1].type == "case_started"  # a dry run changes nothing
    done = engine.migrate_cases(
        scenario.policy.process_key, 2, from_number=1, dry_run=False, actor=OWNER, **scenario.deps
    )
    assert done[0].ok
    after = scenario.view(case.case_id)
    assert after.events[-1].type == "version_migrated" and after.events[-1].data["to_number"] == 2
    assert {d.name: str(d.due.astimezone(BAKU).date()) for d in after.case.deadlines}[
        "Resolution deadline"
    ] == "2026-03-12"


def test_migrated_cases_follow_the_new_flow(scenario):
    case = scenario.start()
    scenario.review(case.case_id)  # waiting at the analysis
    deploy(scenario, with_second_opinion())
    engine.migrate_cases(scenario.policy.process_key, 2, from_number=1, dry_run=False, actor=OWNER, **scenario.deps)
    scenario.analyse(case.case_id)
    assert list(scenario.ready(case.case_id)) == ["Task_Check"]


def test_migration_is_refused_per_case_where_unsafe_and_a_mapping_fixes_renames(scenario):
    case = scenario.start()  # waiting at Task_Review
    renamed = re.sub(rb"Task_Review\b", b"Task_InitialReview", BPMN_FILE.read_bytes())
    deploy(scenario, renamed)
    refused = engine.migrate_cases(
        scenario.policy.process_key, 2, from_number=1, dry_run=False, actor=OWNER, **scenario.deps
    )
    assert not refused[0].ok and "Task_Review" in refused[0].reason
    assert scenario.view(case.case_id).events[-1].type == "case_started"  # untouched
    mapped = engine.migrate_cases(scenario.policy.process_key, 2, from_number=1, dry_run=False, actor=OWNER,
                                  mapping={"Task_Review": "Task_InitialReview"}, **scenario.deps)  # fmt: skip
    assert mapped[0].ok
    assert list(scenario.ready(case.case_id)) == ["Task_InitialReview"]
    scenario.complete(case.case_id, "Task_InitialReview", {"review_notes": "fine"})
    assert list(scenario.ready(case.case_id)) == ["Task_Analyse"]


def test_closed_cases_stay_where_they_are(scenario):
    case = scenario.start()
    scenario.review(case.case_id)
    scenario.analyse(case.case_id, decision="rejected")
    scenario.respond_in_writing(case.case_id)
    deploy(scenario, seven_day_sla())
    result = engine.migrate_cases(
        scenario.policy.process_key, 2, case_ids=[case.case_id], dry_run=False, actor=OWNER, **scenario.deps
    )
    assert not result[0].ok and "closed" in result[0].reason


def test_mapping_text_is_parsed_or_refused():
    assert engine.parse_mapping("A=B, C = D\nE=F") == {"A": "B", "C": "D", "E": "F"}
    with pytest.raises(InvalidInput):
        engine.parse_mapping("A-B")


def test_running_cases_are_counted_per_version(scenario):
    scenario.start()
    scenario.start()
    with scenario.uow as uow:
        counts = uow.versions.open_cases(scenario.policy.process_key)
    assert list(counts.values()) == [2]


def test_an_element_no_path_reaches_is_named(scenario):
    orphan = (
        BPMN_FILE.read_text()
        .replace(
            '<bpmn:endEvent id="End_Closed"',
            '<bpmn:userTask id="Task_Orphan" name="Forgotten step" camunda:formKey="forms/review.form" />'
            '<bpmn:endEvent id="End_Closed"',
        )
        .replace(
            "<bpmn:flowNodeRef>End_Closed</bpmn:flowNodeRef>",
            "<bpmn:flowNodeRef>End_Closed</bpmn:flowNodeRef><bpmn:flowNodeRef>Task_Orphan</bpmn:flowNodeRef>",
        )
    )
    with pytest.raises(InvalidBpmn) as refused:
        engine.check_upload(orphan.encode(), bundled_forms(), scenario.policy)
    assert any("Task_Orphan" in p and "never reached" in p for p in refused.value.problems)


def test_a_migrated_case_still_replays_identically(scenario):
    case = scenario.start()
    scenario.review(case.case_id)
    deploy(scenario, with_second_opinion())
    engine.migrate_cases(scenario.policy.process_key, 2, from_number=1, dry_run=False, actor=OWNER, **scenario.deps)
    scenario.analyse(case.case_id)
    scenario.complete(case.case_id, "Task_Check", {"action_taken": "Agreed"})
    check = engine.verify_case(case.reference, uow=scenario.uow, policy=scenario.policy)
    assert check.ok, (check.broken, check.divergence)


def test_the_same_file_can_be_deployed_as_a_version_of_a_second_process(scenario):
    first = scenario.version
    copy, new = engine.deploy_process_version(
        "complaint_copy", BPMN_FILE.read_bytes(), bundled_forms(), actor=OWNER, **scenario.deps
    )
    assert new and (copy.process_key, copy.number) == ("complaint_copy", 1) and copy.id != first.id
    assert [v.id for v in engine.list_versions(scenario.policy.process_key, uow=scenario.uow)] == [first.id]
    again, new = engine.deploy_process_version(
        "complaint_copy", BPMN_FILE.read_bytes(), bundled_forms(), actor=OWNER, **scenario.deps
    )
    assert (again.id, new) == (copy.id, False)
    case = engine.start_case(COMPLETE_INTAKE, actor=ACTORS["intake"], process_key="complaint_copy", **scenario.deps)
    assert scenario.view(case.case_id).case.version_id == copy.id
    assert scenario.view(scenario.start().case_id).case.version_id == first.id


def test_a_version_deployed_before_ids_named_their_process_is_still_recognised(uow, clock, policy):
    checked = engine.check_upload(BPMN_FILE.read_bytes(), bundled_forms(), policy)
    old = replace(Scenario(uow, clock, policy).version, id=checked.checksum, process_key="legacy")
    with uow:
        uow.versions.add(old)
        uow.commit()
    version, new = engine.deploy_process_version(
        "legacy", BPMN_FILE.read_bytes(), bundled_forms(), actor=OWNER, uow=uow, clock=clock, policy=policy
    )
    assert (version.id, new) == (checked.checksum, False)
