"""The one authorization rule: who sees personal data (and is logged), who records status requests."""

import json

import pytest

import engine
from engine.kernel import access, model
from engine.kernel.errors import Forbidden
from engine.records import history
from tests.scenario import ACTORS

NAME = "Rəşad Əliyev"
ROLES = {role: model.Actor(role, frozenset({role})) for role in access.STAFF | {"process_owner", "auditor", "dpo"}}


def answered_orally(scenario):
    case = scenario.start()
    scenario.review(case.case_id)
    scenario.analyse(case.case_id, corrective=True)
    oral = {"response_mode": "oral", "response_text": "Told by phone", "agreed_by": NAME, "agreed_on": "2026-03-02",
            "agreed_how": "phone"}  # fmt: skip
    scenario.complete(case.case_id, "Task_Respond", oral)
    return case


def logged(scenario, case):
    with scenario.uow as uow:
        return [(v.viewer, v.place) for v in uow.personal_data_views.for_case(case.case_id)]


@pytest.mark.parametrize("role", sorted(ROLES))
def test_only_intake_officers_and_supervisors_may_see_personal_data(role):
    assert access.sees_personal_data(ROLES[role]) is (role in {"intake", "officer", "supervisor"})


@pytest.mark.parametrize("role", ["quality", "process_owner", "auditor", "dpo"])
def test_demanding_personal_data_without_the_role_is_forbidden_and_not_logged(scenario, role):
    case = answered_orally(scenario)
    with pytest.raises(Forbidden):
        engine.view_case(case.reference, actor=ROLES[role], place="cli", personal=True, **_deps(scenario))
    view = engine.view_case(case.reference, actor=ROLES[role], place="case_page", **_deps(scenario))
    assert view.personal is None and NAME not in json.dumps([e.data for e in view.events], ensure_ascii=False)
    assert logged(scenario, case) == []


def test_a_role_that_may_see_it_gets_the_clear_text_and_the_view_is_logged(scenario):
    case = answered_orally(scenario)
    view = engine.view_case(case.reference, actor=ROLES["officer"], place="cli", **_deps(scenario))
    assert view.personal.surname and view.events[-1].data["data"]["agreed_by"] == NAME
    hidden = engine.view_case(case.reference, actor=ROLES["officer"], place="cli", personal=False, **_deps(scenario))
    assert hidden.personal is None and history.is_masked(hidden.events[-1].data["data"]["agreed_by"])
    assert logged(scenario, case) == [("officer", "cli")]


def test_a_masked_value_is_the_commitment_hashed_into_the_chain(scenario):
    case = answered_orally(scenario)
    clear = scenario.view(case.case_id).events[-1]
    masked = history.masked_events([clear])[0]
    assert masked.data == history.hashed_data(clear.data)
    assert masked.data["data"]["agreed_by"] == {"sealed": clear.data["sealed"]["data.agreed_by"]["sha256"]}
    assert masked.hash == history.event_hash(clear) and clear.data["data"]["agreed_by"] == NAME  # untouched


def test_the_quality_manager_opens_the_corrective_task_without_the_customer(scenario):
    case = answered_orally(scenario)
    item = scenario.ready(case.case_id)["Task_Corrective"]
    page = engine.view_task(case.case_id, item.task_id, actor=ACTORS["quality"], **scenario.deps)
    assert page.personal is None and page.values == {}
    assert logged(scenario, case) == []


@pytest.mark.parametrize("role", ["quality", "process_owner", "auditor", "dpo"])
def test_status_requests_are_recorded_only_by_staff_who_answer_customers(scenario, role):
    case = scenario.start()
    with pytest.raises(Forbidden):
        engine.record_status_request(case.reference, "call_centre", requester="x", actor=ROLES[role], **scenario.deps)
    assert [e.type for e in scenario.view(case.case_id).events] == ["case_started"]


def _deps(scenario):
    return {"uow": scenario.uow, "clock": scenario.clock}
