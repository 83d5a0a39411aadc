"""What every group of `complaints` commands shares: the clock (movable with --now), the engine's
services, the acting user, engine errors as messages, and local times."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime
from typing import Any

import click
from flask import current_app

import engine
from engine.kernel import model
from engine.kernel.clock import Clock, SettableClock
from engine.kernel.errors import DomainError
from web.deps import services

NOW_KEY = "complaints.now"
as_option = click.option("--as", "username", required=True, envvar="COMPLAINTS_USER", help="Act as this user.")


def clock() -> Clock:
    """The services' clock, or a fixed one from --now (demo and test mode only)."""
    value = click.get_current_context().meta.get(NOW_KEY)
    if not value:
        return services().clock
    if not (current_app.config.get("DEMO_MODE") or current_app.config.get("TESTING")):
        raise click.UsageError(
            "--now is refused: the clock can only be moved in demo or test mode (COMPLAINTS_DEMO=1)."
        )
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO date-time", param_hint="--now") from None
    if moment.tzinfo is None:
        raise click.BadParameter("give a UTC offset, e.g. 2026-03-20T10:00+04:00", param_hint="--now")
    return SettableClock(moment)


def deps() -> dict[str, Any]:
    return dict(services().deps(), clock=clock())


def actor(username: str) -> model.Actor:
    return engine.get_user(username, uow=services().uow).actor()


def domain_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Print an engine error as a clear message and exit 1; never a traceback."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except DomainError as error:
            click.secho(f"Error: {error}", fg="red", err=True)
            for field, messages in getattr(error, "errors", {}).items():
                click.echo(f"  {field}: {' '.join(map(str, _flatten(messages)))}", err=True)
            raise SystemExit(1) from None

    return wrapper


def _flatten(messages: Any) -> list[Any]:
    if isinstance(messages, dict):
        return [f"{k}: {' '.join(map(str, _flatten(v)))}" for k, v in messages.items()]
    return list(messages) if isinstance(messages, list) else [messages]


def local(moment: datetime | None) -> str:
    if moment is None:
        return "-"
    return moment.astimezone(services().policy.calendar.zone).strftime("%Y-%m-%d %H:%M")


def countdown(due: datetime | None, now: datetime) -> str:
    if due is None:
        return ""
    days = services().policy.calendar.working_days_between(now, due)
    if due < now:
        return "OVERDUE"
    return f"{days} working day(s) left"
