"""The auditors' commands: verify with a progress summary, history export, SLA report, draft replay, erase."""

import hashlib
import json
from datetime import datetime

from sqlalchemy import text

import bootstrap
import engine
from engine.kernel.clock import SettableClock
from engine.records import history
from tests.conftest import BPMN_FILE, ROOT, TEST_HISTORY_KEYS
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


def rewrite_actor(database, reference, seq, *, strip_keys=False, start=None):
    """An attacker with write access to the database alone: change an event's actor, then recompute the
    plain SHA-256 of every event from `start` (default: that one) on (maybe without key ids) and the head."""
    start = start or seq
    services = bootstrap.sql_services({"DATABASE_URL": f"sqlite:///{database}"})
    with services.uow as uow:  # read through the store, for the types
        case = uow.cases.by_reference(reference)
        events = uow.events.for_case(case.id)
    previous = events[start - 2].hash if start > 1 else ""
    with services.extras["engine"].begin() as connection:
        for event in events[start - 1 :]:
            event.actor = "someone-else" if event.seq == seq else event.actor
            event.key_id = None if strip_keys else event.key_id
            event.prev_hash = previous
            event.hash = previous = hashlib.sha256(history.canonical(event)).hexdigest()
            connection.execute(text("UPDATE events SET actor = :a, key_id = :k, prev_hash = :p, hash = :h "
                                    "WHERE case_id = :c AND seq = :s"),
                               {"a": event.actor, "k": event.key_id, "p": event.prev_hash, "h": event.hash,
                                "c": case.id, "s": event.seq})  # fmt: skip
        connection.execute(text("UPDATE cases SET event_hash = :h WHERE id = :c"), {"h": previous, "c": case.id})


def test_an_actor_rewritten_in_the_database_with_every_hash_recomputed_fails_verify(cli, tmp_path):  # noqa: F811
    answered_case(cli)
    assert "signed with history key 'test-2026'" in cli("verify", "MG-2026-000001")
    rewrite_actor(tmp_path / "c.sqlite3", "MG-2026-000001", 2)
    out = cli("verify", "MG-2026-000001", ok=False)
    assert "chain broken at event 2: event 2 was changed after it was recorded" in out
    rewrite_actor(tmp_path / "c.sqlite3", "MG-2026-000001", 2, strip_keys=True)
    assert "event 2 is not signed with a history key although event 1 before it is" in cli("verify", ok=False)


def test_a_history_rewritten_without_keys_is_found_against_a_signed_chain_heads_export(cli, tmp_path):  # noqa: F811
    answered_case(cli)
    heads = tmp_path / "heads-2026-03-20.json"
    out = cli(*LATE, "chain-heads", "--out", heads)
    assert "1 chain head(s) of 2026-03-20T06:00:00+00:00 written" in out
    assert "signed with history key 'test-2026'" in out
    assert "1 case(s) exported, 0 no longer extend their head" in cli("verify", "--heads", heads)

    rewrite_actor(tmp_path / "c.sqlite3", "MG-2026-000001", 2, strip_keys=True, start=1)  # wholly unkeyed
    alone = cli("verify")
    assert "1 identical, 0 with a problem" in alone  # alone, it looks like a history from before keys
    assert "1 case(s) end in events recorded without a history key" in alone
    out = cli("verify", "--heads", heads, ok=False)
    assert "MG-2026-000001: since the export of 2026-03-20T06:00:00+00:00: event 4 is not the one exported" in out
    forged = json.loads(heads.read_text())
    forged["cases"][0]["head"] = "0" * 64
    heads.write_text(json.dumps(forged))
    assert "signature does not hold" in cli("verify", "--heads", heads, ok=False)


def test_after_a_key_rotation_old_events_verify_and_new_ones_are_signed_with_the_new_key(cli, monkeypatch):  # noqa: F811
    answered_case(cli)
    monkeypatch.setenv("COMPLAINTS_HISTORY_KEY", f"2027a:{'7c' * 32},{TEST_HISTORY_KEYS}")
    cli(*DAY2, "start", "--as", "intake", "--channel", "email", "--email", "a@example.az", "--description", "x",
        "--surname", "Əliyev", "--given-name", "Vüqar")  # fmt: skip
    cli(*DAY2, "complete", "MG-2026-000002", "Task_Review", "--as", "officer", "-f", "review_notes=ok")
    assert "signed with history key 'test-2026'" in cli("verify", "MG-2026-000001")
    assert "signed with history key '2027a'" in cli("verify", "MG-2026-000002")
    assert "2 identical, 0 with a problem" in cli("verify")
    monkeypatch.setenv("COMPLAINTS_HISTORY_KEY", f"2027a:{'7c' * 32}")  # the old key dropped too early
    assert "which this instance does not hold" in cli("verify", "MG-2026-000001", ok=False)
