"""The `complaints` command line, one module per group of commands and the people it serves:
casework (staff), processes (process owners), audit (auditors and the DPO), mail (the e-mail
channel) and operations (operators). `--now` moves the clock in demo and test mode:
`complaints --now 2026-03-20T10:00+04:00 fire-timers` drives a case through its SLA timers
without waiting.
"""

from __future__ import annotations

from collections.abc import Callable

import click
from flask import Flask
from flask.cli import FlaskGroup, routes_command, shell_command

from web import preflight
from web.commands import audit, casework, mail, operations, processes
from web.commands.common import NOW_KEY, clock


def make_cli(create_app: Callable[[], Flask]) -> click.Group:
    """The console script's group; `create_app` comes from the composition root."""
    now = click.Option(
        ["--now"], metavar="ISO-DATETIME", expose_value=False, is_eager=True,
        callback=lambda ctx, _p, value: ctx.meta.__setitem__(NOW_KEY, value),
        help="Run as if it were this moment (demo/test mode only), e.g. 2026-03-20T10:00+04:00.",
    )  # fmt: skip
    group = FlaskGroup(create_app=create_app, add_default_commands=False, params=[now], load_dotenv=False)
    group.add_command(shell_command)
    group.add_command(routes_command)
    return group


def init_app(app: Flask) -> None:
    for group in (operations, processes, casework, audit, mail):
        for command in group.COMMANDS:
            app.cli.add_command(command)
    preflight.init_app(app, first=clock)  # before setup: a message, not a traceback
