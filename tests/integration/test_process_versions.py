"""Process versions on real databases: one BPMN file may be a version of several processes."""

import engine
from tests.conftest import BPMN_FILE, bundled_forms
from tests.scenario import ACTORS, COMPLETE_INTAKE, OWNER


def test_the_same_file_deploys_as_a_version_of_a_second_process(scenario):
    first = scenario.version
    copy, new = engine.deploy_process_version(
        "complaint_copy", BPMN_FILE.read_bytes(), bundled_forms(), actor=OWNER, **scenario.deps
    )
    assert new and (copy.process_key, copy.number) == ("complaint_copy", 1)
    assert {v.process_key: v.id for v in engine.list_versions(uow=scenario.uow)} == {
        "complaint_handling": first.id, "complaint_copy": copy.id,
    }  # fmt: skip
    again, new = engine.deploy_process_version(
        "complaint_copy", BPMN_FILE.read_bytes(), bundled_forms(), actor=OWNER, **scenario.deps
    )
    assert (again.id, new) == (copy.id, False)
    case = engine.start_case(COMPLETE_INTAKE, actor=ACTORS["intake"], process_key="complaint_copy", **scenario.deps)
    scenario.review(case.case_id)
    assert list(scenario.ready(case.case_id)) == ["Task_Analyse"]
    assert scenario.view(case.case_id).case.version_id == copy.id
