"""What every `complaints` command checks before it runs: its arguments can be stored, the database
is there and set up. Otherwise one line says what to do and the command exits 1, never a traceback.

Commands are wrapped once, in `init_app`, so a command added later is covered without a decorator.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import click
from flask import Flask

from engine.kernel import text
from web.deps import services

SETS_UP_DATABASE = ("init-db", "setup", "run")
MAX_INTEGER = 2**31 - 1  # the smallest integer column of the databases we run on


def init_app(app: Flask, *, first: Callable[[], object]) -> None:
    """Wrap the app's commands; `first` runs before the checks (the CLI's --now check: usage errors first)."""
    for name, command in app.cli.commands.items():
        if name not in SETS_UP_DATABASE and not isinstance(command, click.Group):  # e.g. flask-smorest's openapi
            _check_before_running(command, first)


def _check_before_running(command: click.Command, first: Callable[[], object]) -> None:
    callback = command.callback
    if callback is None or getattr(callback, "checked_before_running", False):
        return  # commands are shared by every app built in this process: wrap once

    @functools.wraps(callback)
    def checked(*args: Any, **kwargs: Any) -> Any:
        first()
        problem = unstorable_argument(kwargs) or services().database_problem()
        if problem:
            click.secho(f"Error: {problem}", fg="red", err=True)
            raise SystemExit(1)
        return callback(*args, **kwargs)

    checked.checked_before_running = True  # type: ignore[attr-defined]
    command.callback = checked


def unstorable_argument(arguments: dict[str, Any]) -> str | None:
    """An argument the database cannot take: text with NUL or a lone surrogate (bytes that are not UTF-8
    arrive as those), or an integer beyond what its integers hold (a --limit of 99999999999999999999)."""
    for name, value in arguments.items():
        for item in value if isinstance(value, tuple) else (value,):
            reason = _problem(item)
            if reason:
                return f"{name.replace('_', '-')}: {reason}"
    return None


def _problem(item: Any) -> str | None:
    if isinstance(item, str):
        return text.unstorable(item)
    if isinstance(item, int) and not isinstance(item, bool) and abs(item) > MAX_INTEGER:
        return f"{item} is out of range (at most {MAX_INTEGER})."
    return None
