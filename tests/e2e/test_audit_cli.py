"""The auditors' commands: verify with a progress summary, history export, SLA report, draft replay, erase."""

import json
from datetime import datetime

import bootstrap
import engine
from engine.clock import SettableClock
from tests.conftest import BPMN_FILE, ROOT
from tests.e2e.test_cli import cli  # noqa: F401 - the fixture

MAIL = ROOT / "tests" / "data" / "mail"
DAY1, DAY2, LATE = (
    ("--now", "2026-03-02T10:00+04:00"),
    ("--now", "2026-03-03T10:00+04:00"),
    ("--now", "2026-03-20T10:00+04:00"),
)


def answered_case(cli):  # noqa: F811
    cli(*DAY1, "start", "--as", "intake", "--channel", "social", "--surname", "Nəsirov", "--given-name", "Kamran",
        "--email", "k@example.az", "--description", "Late delivery")  # fmt: skip
    cli(*DAY2, "complete", "MG-2026-000001", "Task_Review", "--as", "officer", "-f", "review_notes=Nəsirov called")
    cli(*DAY2, "complete", "MG-2026-000001", "Task_Analyse", "--as", "officer",
        "--data", json.dumps({"findings": "late", "decision": "upheld", "measures": "refund"}))  # fmt: skip
    cli(*DAY2, "complete", "MG-2026-000001", "Task_Respond", "--as", "officer",
        "-f", "response_mode=written", "-f", "response_text=Dear Nəsirov, refunded")  # fmt: skip


def test_verify_reports_every_case_identical_with_a_rate(cli):  # noqa: F811
    answered_case(cli)
    cli(*DAY1, "start", "--as", "intake", "--channel", "email", "--description", "x")
    out = cli("verify")
    assert "2 case(s) verified" in out and "2 identical, 0 with a problem" in out and "cases/s" in out
    assert "chain whole, replay identical" in cli("verify", "MG-2026-000001")
    assert "No case" in cli("verify", "MG-2099-000001", ok=False)


def test_history_sla_report_draft_and_erasure_from_the_command_line(cli, tmp_path):  # noqa: F811
    answered_case(cli)
    exported = json.loads(cli("history", "MG-2026-000001"))
    assert exported["replay"]["identical"] and [p["state"] for p in exported["sla"]] == ["met"] * 3
    assert cli("history", "MG-2026-000001", "--format", "csv").splitlines()[0].startswith("reference,seq,at,type")
    report = cli(*LATE, "sla-report", "--from", "2026-03-01", "--to", "2026-03-31")
    assert "1 case(s) received" in report and "resolution    all          met    1" in report
    assert "stage,channel,met" in cli(*LATE, "sla-report", "--from", "2026-03-01", "--to", "2026-03-31", "--csv")

    draft = tmp_path / "draft.bpmn"
    draft.write_bytes(BPMN_FILE.read_bytes().replace(b"deadline(received_at, 10)", b"deadline(received_at, 7)"))
    out = cli("replay-draft", draft, "--forms", BPMN_FILE.parent / "forms")
    assert "deadline     Resolution deadline (Start_Overdue): 2026-03-17 23:59 -> 2026-03-12 23:59" in out
    assert "1 case(s) replayed on the uploaded draft: 1 diverge, 0 same, 0 own replay fails." in out
    assert "0 diverge, 1 same, 0 own replay fails" in cli("replay-draft", "--version", "1")

    assert "Only data-protection officers" in cli(
        "erase", "MG-2026-000001", "--reason", "asked", "--as", "auditor", ok=False
    )
    assert "erased" in cli("erase", "MG-2026-000001", "--reason", "Customer request", "--as", "dpo")
    assert "Nəsirov" not in cli("history", "MG-2026-000001")
    assert "chain whole, replay identical" in cli("verify", "MG-2026-000001")


def clarified_twice(cli):  # noqa: F811
    """A case whose customer was asked twice, replied by e-mail once, and was answered in writing."""
    cli(*DAY1, "start", "--as", "intake", "--channel", "call_centre", "--surname", "Zeynalova", "--given-name",
        "Leyla", "--phone", "+994 50 111 22 33", "--description", "Broken amplifier")  # fmt: skip
    for question, answer in (("Which store, Leyla?", "Ganjlik"), ("Do you have the receipt?", "Yes, Leyla has it")):
        cli(*DAY2, "complete", "MG-2026-000001", "Task_Review", "--as", "officer",
            "--data", json.dumps({"review_notes": "unclear", "clarify": True, "question": question}))  # fmt: skip
        cli(*DAY2, "complete", "MG-2026-000001", "Task_Clarify", "--as", "officer",
            "-f", "contacted_via=phone", "-f", f"customer_answer={answer}")  # fmt: skip
    assert "attached" in cli(*DAY2, "import-mail", MAIL / "reply_reference_in_subject.eml")
    cli(*DAY2, "complete", "MG-2026-000001", "Task_Review", "--as", "officer", "-f", "review_notes=clear now")
    cli(*DAY2, "complete", "MG-2026-000001", "Task_Analyse", "--as", "officer",
        "--data", json.dumps({"findings": "faulty", "decision": "upheld", "measures": "repair"}))  # fmt: skip
    cli(*DAY2, "complete", "MG-2026-000001", "Task_Respond", "--as", "officer",
        "-f", "response_mode=written", "-f", "response_text=Dear Leyla, we repair it")  # fmt: skip


def test_verify_holds_for_a_reply_by_mail_and_for_a_clarified_case_after_its_erasure(cli):  # noqa: F811
    clarified_twice(cli)
    assert "chain whole, replay identical" in cli("verify", "MG-2026-000001")
    assert "erased" in cli("erase", "MG-2026-000001", "--reason", "Customer request", "--as", "dpo")
    assert "Leyla" not in cli("history", "MG-2026-000001")
    assert "chain whole, replay identical" in cli("verify", "MG-2026-000001")
    assert "1 identical, 0 with a problem" in cli("verify")


def test_replay_draft_compares_a_migrated_case_from_its_migration_and_names_a_case_that_does_not_replay(
    cli, tmp_path  # noqa: F811
):
    cli(*DAY1, "start", "--as", "intake", "--channel", "social", "--surname", "Nəsirov", "--given-name", "Kamran",
        "--email", "k@example.az", "--description", "Late delivery")  # fmt: skip
    cli(*DAY2, "complete", "MG-2026-000001", "Task_Review", "--as", "officer", "-f", "review_notes=ok")
    seven_days = tmp_path / "seven.bpmn"
    seven_days.write_bytes(BPMN_FILE.read_bytes().replace(b"deadline(received_at, 10)", b"deadline(received_at, 7)"))
    cli(*DAY2, "deploy", seven_days, "--forms", BPMN_FILE.parent / "forms", "--as", "owner")
    day2 = SettableClock(datetime.fromisoformat(DAY2[1]))
    services = bootstrap.sql_services({"DATABASE_URL": f"sqlite:///{tmp_path / 'c.sqlite3'}"}, day2)
    owner = engine.model.Actor("owner", frozenset({"process_owner"}))
    moved = engine.migrate_cases(services.policy.process_key, 2, from_number=1, dry_run=False, actor=owner,
                                 **services.deps())  # fmt: skip
    assert [m.ok for m in moved] == [True]
    cli(*DAY2, "start", "--as", "intake", "--channel", "email", "--email", "a@example.az", "--description", "x")
    with services.uow as uow:  # its record no longer replays: the first event says it closed at once
        started = uow.events.for_case(uow.cases.by_reference("MG-2026-000002").id)[0]
        started.data["after"]["status"] = "closed"
        uow.events.replace_data(started)
        uow.commit()

    out = cli("replay-draft", BPMN_FILE, "--forms", BPMN_FILE.parent / "forms")  # the 10-day SLA again
    assert "MG-2026-000001: (migrated: compared from event 3)" in out
    assert "Resolution deadline (Start_Overdue): 2026-03-12 23:59 -> 2026-03-17 23:59" in out
    assert "MG-2026-000002: own replay fails at event 1: status: recorded closed, replayed open" in out
    assert "2 case(s) replayed on the uploaded draft: 1 diverge, 0 same, 1 own replay fails." in out
    assert "1 migrated case(s) compared from their last migration on" in out
