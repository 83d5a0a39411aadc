"""Who sees personal data, page by page: every role against every page that shows a case.

A customer with a name used nowhere else is named in every kind of free text a case can hold
(form fields, a status request, a note, mail); roles that do not need personal data must
never get it back, in any page or export, and roles that do see it are logged.
"""

import hmac
import json
from datetime import datetime, timedelta, timezone

import pytest

import engine
from tests.conftest import TEST_HISTORY_KEYS
from tests.scenario import ACTORS

BAKU = timezone(timedelta(hours=4))
SURNAME, GIVEN = "Xəlilbəyli", "Səbinə"
NAME = f"{GIVEN} {SURNAME}"
EVERYONE = ["intake", "officer", "quality", "supervisor", "owner", "auditor", "dpo"]
SEES_PERSONAL_DATA = {"intake", "officer", "supervisor"}
PAGES = {  # path -> roles that may open it
    "/": ["intake", "officer", "quality", "supervisor"],
    "/cases/{ref}": ["intake", "officer", "quality", "supervisor"],
    "/tasks/{case_id}/{corrective}": ["quality"],
    "/messages": ["officer", "supervisor"],
    "/mail/quarantine": ["intake", "supervisor"],
    "/audit/cases/{ref}": ["auditor"],
    "/audit/cases/{ref}/history.json": ["auditor"],
    "/audit/cases/{ref}/history.csv": ["auditor"],
    "/audit/sla?from=2026-03-01&to=2026-03-31": ["auditor"],
    "/privacy/cases/{ref}/erase": ["dpo"],
}


def step(services, case_id, bpmn_id, data):
    item = next(i for i in engine.show_case(case_id, uow=services.uow).work_items if i.bpmn_id == bpmn_id)
    lane_actor = ACTORS[item.lane]
    engine.complete_task(case_id, item.task_id, data, actor=lane_actor, **services.deps())


@pytest.fixture
def named(services, clock):
    """A case whose free text names the customer everywhere, waiting for the quality manager."""
    deps = services.deps()
    progress = engine.start_case(
        {"channel": "email", "surname": SURNAME, "given_name": GIVEN, "email": "sabina@example.az",
         "description": "The turntable arrived scratched"}, actor=ACTORS["intake"], **deps,
    )  # fmt: skip
    case_id, ref = progress.case_id, progress.reference
    step(services, case_id, "Task_Review", {"review_notes": f"{NAME} called", "clarify": True,
                                            "question": f"{GIVEN}, which store?"})  # fmt: skip
    step(services, case_id, "Task_Clarify", {"contacted_via": "phone", "customer_answer": f"{SURNAME}: Ganjlik"})
    step(services, case_id, "Task_Review", {"review_notes": f"Spoke to {SURNAME}"})
    clock.set(datetime(2026, 3, 16, 9, tzinfo=BAKU))
    engine.fire_due_timers(**deps)
    step(services, case_id, "Task_DelayNotice", {"delay_reason": f"{SURNAME} must bring the receipt",
                                                 "new_date": "2026-03-31"})  # fmt: skip
    engine.record_status_request(ref, "call_centre", requester=NAME, told=f"{GIVEN}, we wait for you",
                                 actor=ACTORS["intake"], **deps)  # fmt: skip
    ack = engine.show_case(case_id, uow=services.uow).outbox[0]
    engine.mark_message_handled(ack.id, f"Read out to {NAME} by phone", actor=ACTORS["officer"], uow=services.uow,
                                clock=clock)  # fmt: skip
    mail = f"From: {NAME} <sabina@example.az>\r\nSubject: {ref} from {NAME}\r\nMessage-ID: <r1@example.az>\r\n\r\n"
    engine.receive_email((mail + f"Regards, {NAME}\r\n").encode(), **deps)
    engine.receive_email(f"Subject: {NAME} again\r\nMessage-ID: <q1@example.az>\r\n\r\nno sender\r\n".encode(), **deps)
    step(services, case_id, "Task_Analyse", {"findings": f"{SURNAME} is right", "decision": "upheld",
                                             "measures": f"New turntable for {GIVEN}", "corrective_needed": True})
    step(services, case_id, "Task_Respond", {"response_mode": "oral", "response_text": f"Told {NAME}",
                                             "agreed_by": NAME, "agreed_on": "2026-03-16", "agreed_how": "phone"})
    return engine.show_case(case_id, uow=services.uow)


def urls(view):
    corrective = next(i for i in view.work_items if i.bpmn_id == "Task_Corrective")
    values = {"ref": view.case.reference, "case_id": view.case.id, "corrective": corrective.task_id}
    return {path: path.format(**values) for path in PAGES}


def viewers(services, view):
    with services.uow as uow:
        return {v.viewer for v in uow.personal_data_views.for_case(view.case.id)}


@pytest.mark.parametrize("role", EVERYONE)
def test_each_role_opens_only_its_pages_and_sees_personal_data_only_if_it_needs_it(as_user, services, named, role):
    client = as_user(role).client
    for path, url in urls(named).items():
        response = client.get(url)
        allowed = role in PAGES[path]
        refused = (302, 403) if path == "/" else (403,)
        assert response.status_code == 200 if allowed else response.status_code in refused, (role, url)
        if role not in SEES_PERSONAL_DATA:
            body = response.get_data(as_text=True)
            assert SURNAME not in body and GIVEN not in body and "sabina@" not in body, (role, url)
    assert viewers(services, named) == ({role} if role in SEES_PERSONAL_DATA else set())


def test_staff_who_need_it_see_the_customer_and_the_free_text_and_are_logged(as_user, services, named):
    for role in sorted(SEES_PERSONAL_DATA):
        page = as_user(role).client.get(f"/cases/{named.case.reference}").text
        for text in (f"{SURNAME} {GIVEN}", "sabina@example.az", f"{NAME} called", f"{SURNAME} must bring the receipt",
                     f"{GIVEN}, we wait for you", f"Read out to {NAME} by phone", f"Regards, {NAME}"):  # fmt: skip
            assert text.replace(",", "&#44;") in page or text in page, (role, text)
    assert viewers(services, named) == SEES_PERSONAL_DATA


def test_the_quality_manager_reads_the_history_without_the_names_in_it_and_is_not_logged(as_user, services, named):
    quality = as_user("quality").client
    page = quality.get(f"/cases/{named.case.reference}").text
    assert "agreed_by" in page and NAME not in page and "hidden (personal data)" in page
    assert "Take corrective measures" in page
    assert viewers(services, named) == set()


def test_auditors_get_each_sealed_value_as_the_commitment_the_chain_is_checked_with(as_user, named):
    exported = as_user("auditor").client.get(f"/audit/cases/{named.case.reference}/history.json").get_json()
    assert exported["chain"]["whole"]
    respond = exported["events"][-1]
    assert respond["data"]["data"]["agreed_by"] == {"sealed": respond["data"]["sealed"]["data.agreed_by"]}
    for event in exported["events"]:  # each hash can be recomputed from the export alone and the history key
        body = {k: event[k] for k in ("seq", "type", "actor", "data", "prev_hash", "key_id")}
        body.update(case_id=named.case.id, at=datetime.fromisoformat(event["at"]).isoformat())
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        key = bytes.fromhex(TEST_HISTORY_KEYS.split(":")[1])
        assert hmac.new(key, canonical, "sha256").hexdigest() == event["hash"]
