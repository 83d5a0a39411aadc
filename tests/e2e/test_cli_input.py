"""The command line before `setup`, and with bad input: one clear message, exit 1, never a traceback,
nothing stored."""

import pytest
from click.testing import CliRunner

import bootstrap
from tests.conftest import BPMN_FILE
from web.commands import make_cli
from web.preflight import SETS_UP_DATABASE

# Every command that reads or writes the database, with arguments it would otherwise accept.
COMMANDS = {
    "deploy": ["deploy", BPMN_FILE, "--as", "owner"],
    "start": ["start", "--channel", "email", "--description", "x", "--as", "intake"],
    "tasks": ["tasks", "--role", "intake"],
    "complete": ["complete", "MG-2026-000001", "Task_Review", "--as", "officer"],
    "fire-timers": ["fire-timers"],
    "show": ["show", "MG-2026-000001"],
    "status": ["status", "MG-2026-000001", "--channel", "email", "--requester", "the customer", "--as", "intake"],
    "versions": ["versions"],
    "users": ["users"],
    "password": ["password", "intake"],
    "worker": ["worker", "--once"],
    "import-mail": ["import-mail", BPMN_FILE.parent / "forms"],
    "mail-listener": ["mail-listener", "--port", "0"],
    "verify": ["verify"],
    "chain-heads": ["chain-heads", "--out", "heads.json"],
    "replay-draft": ["replay-draft", BPMN_FILE],
    "history": ["history", "MG-2026-000001"],
    "sla-report": ["sla-report", "--from", "2026-03-01", "--to", "2026-03-31"],
    "erase": ["erase", "MG-2026-000001", "--reason", "asked", "--as", "dpo"],
}


@pytest.fixture
def cli(tmp_path):
    settings = {"DATABASE_URL": f"sqlite:///{tmp_path / 'c.sqlite3'}", "TESTING": True, "DEMO_MODE": True}

    def make_app():
        from web.config import Config

        return bootstrap.create_app(dict(Config().as_dict(), **settings))

    group, runner = make_cli(make_app), CliRunner()

    def invoke(*args):
        return runner.invoke(group, [str(a) for a in args], catch_exceptions=False)

    invoke.app = make_app
    return invoke


def test_the_list_covers_every_command(cli):
    commands = cli.app().cli.commands
    names = {name for name, command in commands.items() if not hasattr(command, "commands")} - set(SETS_UP_DATABASE)
    assert names == set(COMMANDS)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_a_command_before_setup_says_to_run_setup_and_exits_1(cli, name):
    result = cli(*COMMANDS[name])
    assert result.exit_code == 1, result.output
    assert "is not set up yet: run `complaints setup`" in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["--email", "x@y.org<script>"], "email"),
        (["--email", "crlf@example.org\r\nBcc: victim@example.org"], "email"),
        (["--phone", "12345678 <b>"], "phone"),
        (["--received-at", "0001-01-01T00:00+00:00"], "received_at"),
        (["--surname", "Aliyev\udcff"], "surname"),  # bytes that are not UTF-8 in an argument
    ],
)
def test_start_refuses_bad_contacts_moments_and_text_and_stores_nothing(cli, args, field):
    cli("setup")
    result = cli("start", "--channel", "call_centre", "--description", "Broken", *args, "--as", "intake")
    assert result.exit_code == 1 and field.replace("_", "-") in result.output.replace("_", "-")
    assert "Traceback" not in result.output
    assert "MG-" not in cli("tasks", "--role", "intake").output


def test_a_blank_status_request_is_refused(cli):
    cli("setup")
    cli("start", "--channel", "call_centre", "--description", "Broken", "--phone", "+994501234567", "--as", "intake")
    result = cli("status", "MG-2026-000001", "--channel", "call_centre", "--requester", "  ", "--as", "intake")
    assert result.exit_code == 1 and "requester" in result.output
    assert "status_requested" not in cli("show", "MG-2026-000001").output


@pytest.mark.parametrize(
    "args",
    [["tasks", "--role", "intake", "--limit", "99999999999999999999"], ["verify", "--batch", "99999999999999999999"],
     ["fire-timers", "--limit", "-99999999999999999999"]],
)  # fmt: skip
def test_an_integer_beyond_the_database_is_refused_in_one_line(cli, args):
    cli("setup")
    result = cli(*args)
    assert result.exit_code == 1 and "is out of range" in result.output and "Traceback" not in result.output
