"""The respond form on the web: an oral answer only with the customer's agreement recorded."""

import engine
from tests.scenario import ACTORS


def at_respond(services, case):
    deps = services.deps()
    for bpmn_id, data in (
        ("Task_Review", {"review_notes": "Receipt checked"}),
        ("Task_Analyse", {"findings": "Defect", "decision": "partly_upheld", "measures": "Repair"}),
    ):
        item = next(i for i in engine.show_case(case.case.id, uow=services.uow).work_items if i.bpmn_id == bpmn_id)
        engine.complete_task(case.case.id, item.task_id, data, actor=ACTORS["officer"], **deps)
    view = engine.show_case(case.case.id, uow=services.uow)
    return view, next(i for i in view.work_items if i.bpmn_id == "Task_Respond")


def test_an_oral_answer_without_the_agreement_is_refused_and_nothing_is_sent(as_user, services, case):
    view, respond = at_respond(services, case)
    officer, url = as_user("officer"), f"/tasks/{case.case.id}/{respond.task_id}"
    oral = {"response_mode": "oral", "response_text": "Told by phone", "revision": view.case.revision}
    response = officer.post(url, oral, token_from=url)
    assert response.status_code == 400
    for field in ("agreed_by", "agreed_on", "agreed_how"):
        assert f"err-{field}" in response.text
    after = engine.show_case(case.case.id, uow=services.uow)
    assert after.case.revision == view.case.revision and "written_response" not in [m.message for m in after.outbox]
    agreed = dict(oral, agreed_by="the customer", agreed_on="2026-03-02", agreed_how="phone")
    assert officer.post(url, agreed, token_from=url).status_code == 303
    done = engine.show_case(case.case.id, uow=services.uow)
    assert done.case.status == "closed" and "written_response" not in [m.message for m in done.outbox]
    assert done.events[-1].data["data"]["agreed_how"] == "phone"
