"""Replay against a draft says what each case is: same, diverging, migrated (compared from its
migration on), or not comparable because its own replay fails."""

import engine
from tests.conftest import BPMN_FILE, bundled_forms
from tests.scenario import OWNER
from tests.unit.test_process_owners import seven_day_sla


def migrated_case(scenario):
    """Started on the 10-day version, moved to a 7-day one while waiting for the analysis, answered there."""
    case = scenario.start()
    scenario.review(case.case_id)
    engine.deploy_process_version(scenario.policy.process_key, seven_day_sla(), bundled_forms(), actor=OWNER,
                                  **scenario.deps)  # fmt: skip
    engine.migrate_cases(scenario.policy.process_key, 2, from_number=1, dry_run=False, actor=OWNER, **scenario.deps)
    scenario.analyse(case.case_id)
    scenario.respond_in_writing(case.case_id)
    moved = next(e.seq for e in scenario.view(case.case_id).events if e.type == "version_migrated")
    return case, moved


def test_a_migrated_case_is_compared_on_the_draft_from_its_migration_on(scenario):
    case, moved = migrated_case(scenario)
    run = engine.replay_against_draft(BPMN_FILE.read_bytes(), bundled_forms(), **scenario.deps)  # the 10-day SLA
    (report,) = run.reports
    assert (report.outcome, report.compared_from) == ("diverges", moved)
    assert run.diverging == [report] and run.migrated == [report]
    (deadline,) = [d for d in report.differences if d.kind == "deadline"]
    assert deadline.seq == moved and "2026-03-12 23:59 -> 2026-03-17 23:59" in deadline.what


def test_a_migrated_case_replayed_on_the_version_it_moved_to_is_the_same(scenario):
    case, moved = migrated_case(scenario)
    v2 = scenario.view(case.case_id).case.version_id
    (report,) = engine.replay_against_draft(v2, **scenario.deps).reports
    assert (report.outcome, report.compared_from, report.differences) == ("same", moved, [])


def test_a_case_whose_own_replay_fails_is_reported_so_and_never_counted_as_the_same(scenario):
    case = scenario.start()
    scenario.review(case.case_id)
    scenario.analyse(case.case_id, corrective=True)
    with scenario.uow as uow:  # the record no longer replays on its own version
        analyse = next(e for e in uow.events.for_case(case.case_id) if e.data.get("bpmn_id") == "Task_Analyse")
        analyse.data["data"]["corrective_needed"] = False
        uow.events.replace_data(analyse)
        uow.commit()
    other = scenario.start()
    run = engine.replay_against_draft(scenario.version.id, **scenario.deps)
    reports = {r.reference: r for r in run.reports}
    broken = reports[case.reference]
    assert broken.outcome == "own replay fails" and not broken.same
    assert "corrective_needed" in broken.own_failure.what
    assert run.not_comparable == [broken] and run.diverging == []
    assert reports[other.reference].outcome == "same"
