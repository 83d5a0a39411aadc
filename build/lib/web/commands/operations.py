"""Operators' commands: the database, staff accounts, the worker, and the demo (setup, run)."""

from __future__ import annotations

import secrets

import click
from flask import current_app
from werkzeug.security import generate_password_hash

import engine
from web import runner
from web.commands.common import clock, domain_errors, services


@click.command("init-db")
def init_db() -> None:
    """Create or upgrade the database schema (Alembic migrations)."""
    services().init_db()
    click.echo(f"Database ready: {services().database_url}")


@click.command()
def users() -> None:
    """List the staff accounts and their roles."""
    for user in engine.list_users(uow=services().uow):
        click.echo(f"{user.username:<12} {' '.join(sorted(user.roles))}")


@click.command()
@click.argument("username")
@domain_errors
def password(username: str) -> None:
    """Give a user a new random password and print it once."""
    new = secrets.token_urlsafe(9)
    engine.set_password(username, generate_password_hash(new), uow=services().uow)
    click.echo(f"New password for {username}: {new}")


@click.command()
@click.option("--poll", type=float, help="At most this many seconds between sweeps when nothing is due.")
@click.option("--once", is_flag=True, help="Work off what is due now, then exit.")
def worker(poll: float | None, once: bool) -> None:
    """Run the worker: fire due timers, send due messages to customers, sleep until the next is due."""
    runner.configure_logging(current_app.config.get("LOG_LEVEL", "INFO"))
    if services().mailer is None:
        click.echo("No SMTP server configured (COMPLAINTS_SMTP_HOST): messages to customers wait in the outbox.")
    fired, sent = runner.run_worker(poll or current_app.config["WORKER_POLL_SECONDS"], once=once, clock_fn=clock)
    if once:
        click.echo(f"Fired due timers of {fired} case(s); sent {sent} message(s).")


@click.command()
def setup() -> None:
    """Create the database, deploy the bundled process, create the demo users (demo mode)."""
    runner.prepare(echo=click.echo)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
def run(host: str, port: int) -> None:
    """Set up (database, process, demo users) and run the web process with a timer worker."""
    runner.configure_logging(current_app.config.get("LOG_LEVEL", "INFO"))
    runner.prepare(echo=click.echo)
    click.echo(f"Open http://{host}:{port}/ and sign in as a demo user printed above")
    click.echo("(intake, officer, quality, supervisor, owner, auditor, dpo); customers check /status.")
    click.echo("Lost a password? `complaints password USER` sets a new one. Stop with Ctrl-C.")
    runner.serve(current_app._get_current_object(), host, port)  # type: ignore[attr-defined]


COMMANDS = (init_db, users, password, worker, setup, run)
