"""Audit pages: only auditors; exports; the SLA report; erasure by a data-protection officer; the access log."""

import csv
import io

import pytest
from sqlalchemy import text

import engine
from engine.kernel import model
from engine.records import history
from tests.conftest import ROOT
from web import audit

EVERYONE = ["intake", "officer", "quality", "supervisor", "owner", "auditor", "dpo"]
NAME = "Rzayev"


def closed(services, case):
    """Drive the fixture's case to a written answer that names the customer."""
    officer = model.Actor("officer", frozenset({"officer"}))
    for data in ({"review_notes": f"{NAME} called"}, {"findings": "ok", "decision": "upheld", "measures": "New mic"},
                 {"response_mode": "written", "response_text": f"Dear {NAME}, a new microphone"}):  # fmt: skip
        item = engine.show_case(case.case.id, uow=services.uow).work_items[0]
        engine.complete_task(case.case.id, item.task_id, data, actor=officer, **services.deps())
    return case.case.reference


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/audit", ["auditor"]),
        ("/audit/cases/{ref}", ["auditor"]),
        ("/audit/cases/{ref}/diagram.bpmn", ["auditor"]),
        ("/audit/cases/{ref}/history.json", ["auditor"]),
        ("/audit/cases/{ref}/history.csv", ["auditor"]),
        ("/audit/chain-heads.json", ["auditor"]),
        ("/audit/sla?from=2026-03-01&to=2026-03-31", ["auditor"]),
        ("/audit/sla.csv?from=2026-03-01&to=2026-03-31", ["auditor"]),
        ("/privacy", ["dpo"]),
        ("/privacy/cases/{ref}/erase", ["dpo"]),
    ],
)
def test_only_auditors_see_audit_pages(as_user, case, path, allowed):
    url = path.format(ref=case.case.reference)
    for username in EVERYONE:
        status = as_user(username).client.get(url).status_code
        assert status == (200 if username in allowed else 403), (username, url, status)


def test_the_case_history_shows_checks_checkpoints_and_exports(as_user, services, case):
    reference = closed(services, case)
    auditor = as_user("auditor")
    page = auditor.client.get(f"/audit/cases/{reference}").text
    assert "Hash chain whole: 4 events" in page and "reaches the stored state exactly" in page
    assert page.count('class="sla-met"') == 3
    exported = auditor.client.get(f"/audit/cases/{reference}/history.json").get_json()
    assert [e["type"] for e in exported["events"]] == ["case_started"] + ["task_completed"] * 3
    assert exported["chain"]["whole"] and exported["replay"]["identical"]
    rows = list(csv.DictReader(io.StringIO(auditor.client.get(f"/audit/cases/{reference}/history.csv").text)))
    assert [r["element"] for r in rows] == ["", "Task_Review", "Task_Analyse", "Task_Respond"]


def test_the_sla_report_counts_per_stage_and_channel(as_user, services, case):
    closed(services, case)
    auditor = as_user("auditor")
    page = auditor.client.get("/audit/sla?from=2026-03-01&to=2026-03-31").text
    assert "1 case(s) received" in page and "sla-chart" in page
    rows = list(csv.DictReader(io.StringIO(auditor.client.get("/audit/sla.csv?from=2026-03-01&to=2026-03-31").text)))
    call_centre = {r["stage"]: r for r in rows if r["channel"] == "call_centre"}
    assert {s: (r["met"], r["share_met"]) for s, r in call_centre.items()} == {
        "registration": ("1", "1.0"), "review": ("1", "1.0"), "resolution": ("1", "1.0"),
    }  # fmt: skip
    assert auditor.client.get("/audit/sla?from=2026-04-01&to=2026-03-01").status_code == 400
    assert auditor.client.get("/audit/sla?from=yesterday").status_code == 400


def test_viewing_personal_data_is_logged_and_shown_to_auditors(as_user, case):
    as_user("officer").client.get(f"/cases/{case.case.reference}")
    as_user("quality").client.get(f"/cases/{case.case.reference}")  # sees no personal data: not logged
    page = as_user("auditor").client.get(f"/audit/cases/{case.case.reference}").text
    table = page.split('class="views"')[1].split("</table>")[0]
    assert "officer" in table and "quality" not in table


def test_erasure_needs_csrf_a_reason_and_leaves_the_name_on_no_page(as_user, services, case):
    reference = closed(services, case)
    dpo = as_user("dpo")
    url = f"/privacy/cases/{reference}/erase"
    assert dpo.client.post(url, data={"reason": "asked"}).status_code == 400  # no CSRF token
    assert dpo.post(url, {"reason": " "}, token_from=url).status_code == 400
    assert dpo.post(url, {"reason": "The customer asked on 2026-04-01"}, token_from=url).status_code == 303
    assert "has been erased" in dpo.client.get(url).text
    pages = [as_user("officer").client.get(f"/cases/{reference}").text]
    auditor = as_user("auditor")
    pages += [
        auditor.client.get(f"/audit/cases/{reference}{suffix}").text for suffix in ("", "/history.json", "/history.csv")
    ]
    assert all(NAME not in page and "Elvin" not in page for page in pages)
    assert "reaches the stored state exactly" in pages[1] and "Hash chain whole" in pages[1]


def test_a_reply_by_mail_and_a_customer_told_by_phone_replay_and_the_note_is_erased(as_user, services, case):
    reference = case.case.reference
    reply = (ROOT / "tests/data/mail/reply_reference_in_subject.eml").read_bytes()
    assert engine.receive_email(reply, **services.deps()).outcome == "attached"
    [acknowledgement] = engine.show_case(reference, uow=services.uow).outbox
    officer, url = as_user("officer"), f"/cases/{reference}"
    note = {"note": "Phoned Elvin Rzayev on +994512223344", "next": url}
    assert officer.post(f"/messages/{acknowledgement.id}/handled", note, token_from=url).status_code == 303
    closed(services, case)
    auditor = as_user("auditor")
    page = auditor.client.get(f"/audit/cases/{reference}").text
    assert "reaches the stored state exactly" in page and "cannot replay" not in page
    assert "The customer wrote" in page and "Customer told another way" in page
    assert auditor.client.get(f"/audit/cases/{reference}/history.json").get_json()["replay"]["identical"]
    dpo, erase = as_user("dpo"), f"/privacy/cases/{reference}/erase"
    assert dpo.post(erase, {"reason": "The customer asked on 2026-04-01"}, token_from=erase).status_code == 303
    page = auditor.client.get(f"/audit/cases/{reference}").text
    exported = auditor.client.get(f"/audit/cases/{reference}/history.json").text
    assert "+994512223344" not in page + exported and NAME not in page + exported
    assert "reaches the stored state exactly" in page and "Hash chain whole" in page


def test_an_auditor_downloads_signed_chain_heads_that_later_show_a_rewritten_history(as_user, services, case):
    reference = closed(services, case)
    auditor = as_user("auditor")
    assert "Signed with history key test-2026." in auditor.client.get(f"/audit/cases/{reference}").text
    assert "Download signed chain heads" in auditor.client.get("/audit").text
    response = auditor.client.get("/audit/chain-heads.json")
    assert "attachment" in response.headers["Content-Disposition"]
    export = response.get_json()
    assert [(c["reference"], c["events"], c["key_id"]) for c in export["cases"]] == [(reference, 4, "test-2026")]
    assert engine.check_chain_heads(export, uow=services.uow).ok
    with services.uow as uow:  # a history replaced wholesale, as if from before keys
        events = uow.events.for_case(case.case.id)
    with services.extras["engine"].begin() as connection:
        connection.execute(text("DELETE FROM events WHERE case_id = :c AND seq = 4"), {"c": case.case.id})
        connection.execute(text("UPDATE cases SET event_seq = 3, event_hash = :h WHERE id = :c"),
                           {"h": events[2].hash, "c": case.case.id})  # fmt: skip
    assert "Hash chain whole" in auditor.client.get(f"/audit/cases/{reference}").text  # cut consistently
    check = engine.check_chain_heads(export, uow=services.uow)
    assert check.problems == [(reference, "had 4 events at the export, now 3: events were removed")]


def test_the_audit_page_has_a_name_for_every_type_of_event():
    assert set(audit.EVENT_LABELS) == set(history.TYPES)
