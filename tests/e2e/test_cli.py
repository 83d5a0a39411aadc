"""The `complaints` command line, as a user drives it: a whole case with SLA timers, and bad input."""

import json

import pytest
from click.testing import CliRunner

import bootstrap
from tests import modeler_files as files
from tests.conftest import BPMN_FILE, corpus_file
from web.commands import make_cli


@pytest.fixture
def cli(tmp_path):
    settings = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'c.sqlite3'}", "TESTING": True, "DEMO_MODE": True,
    }  # fmt: skip

    def make_app():
        from web.config import Config

        return bootstrap.create_app(dict(Config().as_dict(), **settings))

    group, runner = make_cli(make_app), CliRunner()

    def invoke(*args, ok=True):
        result = runner.invoke(group, [str(a) for a in args], catch_exceptions=False)
        assert (result.exit_code == 0) is ok, result.output
        return result.output

    invoke("setup")
    return invoke


def test_a_case_driven_end_to_end_from_the_command_line(cli):
    out = cli(
        "--now",
        "2026-03-02T10:00+04:00",
        "start",
        "--as",
        "intake",
        "--channel",
        "store_book",
        "--surname",
        "Quliyev",
        "--given-name",
        "Tural",
        "--description",
        "Speaker hums",
    )
    assert "MG-2026-000001" in out and "Register complaint" in out
    assert "Register complaint" in cli("tasks", "--role", "intake")
    cli(
        "--now",
        "2026-03-02T11:00+04:00",
        "complete",
        "MG-2026-000001",
        "Task_Register",
        "--as",
        "intake",
        "-f",
        "surname=Quliyev",
        "-f",
        "given_name=Tural",
        "-f",
        "description=Speaker hums",
        "-f",
        "email=t@example.az",
    )
    day2 = ("--now", "2026-03-03T10:00+04:00")
    cli(
        *day2,
        "complete",
        "MG-2026-000001",
        "Task_Review",
        "--as",
        "officer",
        "--data",
        json.dumps({"review_notes": "ok", "clarify": True, "question": "Which store?"}),
    )
    cli(
        *day2,
        "complete",
        "MG-2026-000001",
        "Task_Clarify",
        "--as",
        "officer",
        "-f",
        "contacted_via=email",
        "-f",
        "customer_answer=Ganjlik",
    )
    cli(*day2, "complete", "MG-2026-000001", "Task_Review", "--as", "officer", "-f", "review_notes=clear now")
    out = cli("--now", "2026-03-18T09:00+04:00", "fire-timers")
    assert "1 case(s)" in out
    shown = json.loads(cli("--now", "2026-03-18T09:00+04:00", "show", "MG-2026-000001", "--json"))
    ready = {i["bpmn_id"] for i in shown["work_items"]}
    assert ready == {"Task_Analyse", "Task_DelayNotice", "Task_ResolutionOverdue"}
    assert shown["personal"] is None
    cli(
        "--now",
        "2026-03-18T09:05+04:00",
        "complete",
        "MG-2026-000001",
        "Task_DelayNotice",
        "--as",
        "officer",
        "-f",
        "delay_reason=Waiting for the manufacturer",
        "-f",
        "new_date=2026-03-31",
    )
    later = ("--now", "2026-03-19T10:00+04:00")
    out = cli(
        *later,
        "status",
        "MG-2026-000001",
        "--channel",
        "call_centre",
        "--requester",
        "the customer",
        "--as",
        "intake",
    )
    assert "Waiting for the manufacturer" in out and "2026-03-31" in out
    cli(
        *later,
        "complete",
        "MG-2026-000001",
        "Task_Analyse",
        "--as",
        "officer",
        "-f",
        "findings=hum",
        "-f",
        "decision=upheld",
    )
    cli(
        *later,
        "complete",
        "MG-2026-000001",
        "Task_Respond",
        "--as",
        "officer",
        "-f",
        "response_mode=written",
        "-f",
        "response_text=Replaced",
    )
    out = cli("show", "MG-2026-000001", "--personal", "--as", "officer")
    assert "[closed]" in out and "Quliyev" in out and "written_response" in out


def test_errors_are_messages_with_a_non_zero_exit(cli):
    cli("start", "--as", "intake", "--channel", "call_centre")
    out = cli("complete", "MG-2026-000001", "Task_Register", "--as", "intake", "-f", "email=nope", ok=False)
    assert "email" in out and "Traceback" not in out
    assert "No case" in cli("show", "MG-2099-000001", ok=False)
    assert "not a ready task" in cli(
        "complete", "MG-2026-000001", "Task_Analyse", "--as", "officer", ok=False
    )
    assert "lane" in cli(
        "complete",
        "MG-2026-000001",
        "Task_Register",
        "--as",
        "officer",
        "-f",
        "surname=A",
        "-f",
        "given_name=B",
        "-f",
        "description=C",
        "-f",
        "phone=+994501112233",
        ok=False,
    )
    assert "No user" in cli("start", "--as", "mallory", "--channel", "call_centre", ok=False)
    assert "UTC offset" in cli("--now", "2026-03-02T10:00", "fire-timers", ok=False)


@pytest.mark.parametrize(
    "name", ["hostile/xxe_parameter_entity.bpmn", "hostile/script_os_system.bpmn", "malformed/not_xml.bpmn"]
)
def test_a_bad_bpmn_file_is_refused_and_versions_stay(cli, name):
    path = corpus_file(f"authored/{name}")
    before = cli("versions")
    out = cli("deploy", path, "--as", "owner", ok=False)
    assert out.startswith("Error:") and "Traceback" not in out
    assert cli("versions") == before


def test_now_is_refused_outside_demo_and_test_mode(tmp_path):
    def make_app():
        from web.config import Config

        return bootstrap.create_app(
            dict(Config().as_dict(), DATABASE_URL=f"sqlite:///{tmp_path / 'p.sqlite3'}", DEMO_MODE=False)
        )

    result = CliRunner().invoke(make_cli(make_app), ["--now", "2026-03-02T10:00+04:00", "fire-timers"])
    assert result.exit_code != 0 and "demo or test mode" in result.output


def test_a_lost_demo_password_can_be_replaced(cli):
    out = cli("password", "officer")
    assert out.startswith("New password for officer: ")
    assert "No user" in cli("password", "nobody", ok=False)


def test_the_same_file_deploys_under_a_second_key_from_the_command_line(cli):
    out = cli("deploy", BPMN_FILE, "--key", "complaint_copy", "--as", "owner")
    assert out.startswith("Deployed complaint_copy version 1")
    versions = cli("versions")
    assert "complaint_handling v1" in versions and "complaint_copy v1" in versions
    assert "Already deployed as complaint_copy version 1" in cli(
        "deploy", BPMN_FILE, "--key", "complaint_copy", "--as", "owner"
    )


def test_a_camunda_timer_deployed_from_the_command_line_fires_on_new_cases(cli, tmp_path):
    camunda = tmp_path / "late.bpmn"
    camunda.write_bytes(files.timed("timeDuration", "PT10M", "boundary"))  # <bpmn:timeDuration>PT10M</...>
    assert "Deployed complaint_handling version 2" in cli("deploy", camunda, "--as", "owner")
    started = cli("--now", "2026-03-02T10:00+04:00", "start", "--as", "intake", "--channel", "call_centre")
    assert "MG-2026-000001" in started and "errored" not in started
    cli("--now", "2026-03-02T10:11+04:00", "fire-timers")
    shown = cli("show", "MG-2026-000001")
    assert "Task_Late" in shown and "errored" not in shown


def test_a_process_that_calls_itself_is_refused_from_the_command_line(cli, tmp_path):
    looping = tmp_path / "loop.bpmn"
    looping.write_bytes(files.calling({"A": ["B"], "B": ["A"]}))
    before = cli("versions")
    out = cli("deploy", looping, "--as", "owner", ok=False)
    assert out.startswith("Error:") and "A → B → A" in out
    assert cli("versions") == before


SURNAME, GIVEN = "Алиев", "Рашад"  # nowhere else in the tests: any output naming them leaks it


def answered_orally(cli):
    day = ("--now", "2026-03-03T10:00+04:00")
    cli(*day, "start", "--as", "intake", "--channel", "call_centre", "--surname", SURNAME, "--given-name", GIVEN,
        "--phone", "+994501234567", "--email", "rashad@example.az", "--description", "Broken amplifier")  # fmt: skip
    cli(*day, "complete", "MG-2026-000001", "Task_Review", "--as", "officer", "-f", f"review_notes={SURNAME} called")
    cli(*day, "status", "MG-2026-000001", "--channel", "call_centre", "--requester", f"{GIVEN} {SURNAME}",
        "--told", f"{GIVEN}, we are on it", "--as", "intake")  # fmt: skip
    cli(*day, "complete", "MG-2026-000001", "Task_Analyse", "--as", "officer",
        "--data", json.dumps({"findings": "defect", "decision": "upheld", "measures": "repair"}))  # fmt: skip
    cli(*day, "complete", "MG-2026-000001", "Task_Respond", "--as", "officer", "-f", "response_mode=oral",
        "-f", "response_text=Told by phone", "-f", f"agreed_by={GIVEN} {SURNAME}", "-f", "agreed_on=2026-03-03",
        "-f", "agreed_how=phone")  # fmt: skip


def personal_data_views(cli):
    return [(v["viewer"], v["place"]) for v in json.loads(cli("history", "MG-2026-000001"))["personal_data_views"]]


@pytest.mark.parametrize("role", ["quality", "owner", "auditor", "dpo"])
def test_show_personal_is_refused_to_roles_that_do_not_need_personal_data(cli, role):
    answered_orally(cli)
    out = cli("show", "MG-2026-000001", "--personal", "--as", role, ok=False)
    assert "may not see customers' personal data" in out and SURNAME not in out and "+994501234567" not in out
    assert personal_data_views(cli) == []


def test_show_personal_without_a_user_is_refused(cli):
    answered_orally(cli)
    out = cli("show", "MG-2026-000001", "--personal", ok=False)
    assert "--personal needs --as USER" in out and SURNAME not in out
    assert personal_data_views(cli) == []


def test_show_personal_to_an_officer_prints_the_customer_and_logs_the_view_like_the_web(cli):
    answered_orally(cli)
    out = cli("show", "MG-2026-000001", "--personal", "--as", "officer")
    assert f"{SURNAME} {GIVEN}" in out and "+994501234567" in out and "rashad@example.az" in out
    assert f"{GIVEN} {SURNAME}" in out  # the free text of agreed_by, in clear for a role that may see it
    assert personal_data_views(cli) == [("officer", "cli")]


@pytest.mark.parametrize("who", [(), ("--as", "quality"), ("--as", "officer")])
def test_without_personal_the_free_text_naming_the_customer_is_hidden_and_nothing_is_logged(cli, who):
    answered_orally(cli)
    for out in (cli("show", "MG-2026-000001", *who), cli("show", "MG-2026-000001", "--json", *who),
                cli("history", "MG-2026-000001"), cli("history", "MG-2026-000001", "--format", "csv"),
                cli("tasks", "--role", "quality")):  # fmt: skip
        assert SURNAME not in out and GIVEN not in out
    assert "[personal data hidden]" in cli("show", "MG-2026-000001", *who)
    assert "sealed" in json.loads(cli("history", "MG-2026-000001"))["events"][-1]["data"]["data"]["agreed_by"]
    assert personal_data_views(cli) == []
    assert "chain whole, replay identical" in cli("verify", "MG-2026-000001")


@pytest.mark.parametrize("role", ["auditor", "owner", "quality", "dpo"])
def test_status_requests_are_recorded_only_by_roles_the_web_allows(cli, role):
    cli("start", "--as", "intake", "--channel", "call_centre", "--description", "x")
    out = cli("status", "MG-2026-000001", "--channel", "call_centre", "--requester", "x", "--as", role, ok=False)
    assert "may not record status requests" in out
    events = json.loads(cli("show", "MG-2026-000001", "--json"))["events"]
    assert [e["type"] for e in events] == ["case_started"]
