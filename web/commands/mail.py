"""The e-mail channel: `complaints import-mail` (.eml files, mbox) and `complaints mail-listener` (SMTP).

Both hand each raw message to `engine.receive_email`, which opens a case, attaches a reply to
the case it names, or quarantines the message; nothing here decides anything about a complaint.
"""

from __future__ import annotations

import asyncio
import logging
import mailbox
import signal
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import click
from aiosmtpd.controller import Controller
from flask import Flask, current_app

import engine
from engine.correspondence import mail
from engine.kernel import model
from web.commands.common import clock, domain_errors
from web.deps import services

log = logging.getLogger(__name__)


def limits(config: Any) -> mail.Limits:
    return mail.Limits(message_bytes=config["MAIL_MAX_BYTES"], attachment_bytes=config["MAIL_MAX_ATTACHMENT_BYTES"])


def receive(raw: bytes, *, trust_date: bool = False, clock: Any = None) -> model.InboundResult:
    """One message into the engine, with the app's limits (needs an app context)."""
    deps = services().deps()
    if clock is not None:
        deps["clock"] = clock
    return engine.receive_email(raw, limits=limits(current_app.config), trust_date=trust_date, **deps)


# --- import ------------------------------------------------------------------------------------


def _files(paths: tuple[Path, ...]) -> Iterator[Path]:
    for path in paths:
        yield from sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]


def _is_mbox(path: Path) -> bool:
    with path.open("rb") as stream:
        return stream.read(5) == b"From "


def count(paths: tuple[Path, ...]) -> int:
    """How many messages the paths hold (mbox files are indexed once for this)."""
    total = 0
    for file in _files(paths):
        if _is_mbox(file):
            with closing(mailbox.mbox(file, create=False)) as box:
                total += len(box)
        else:
            total += 1
    return total


def messages(paths: tuple[Path, ...]) -> Iterator[tuple[str, bytes]]:
    """Every message in the paths, read one at a time: .eml files, mbox files, folders of both."""
    for file in _files(paths):
        if not _is_mbox(file):
            yield str(file), file.read_bytes()
            continue
        with closing(mailbox.mbox(file, create=False)) as box:
            for number, key in enumerate(box.iterkeys(), start=1):
                yield f"{file}#{number}", box.get_bytes(key)


@click.command("import-mail")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@domain_errors
def import_mail(paths: tuple[Path, ...]) -> None:
    """Import .eml files and mbox files (or folders of them); each mail becomes or joins a case.

    Each message is filed in its own transaction: after an error, importing again skips those done.
    """
    total = count(paths)
    outcomes: Counter[str] = Counter()
    held: list[tuple[str, str]] = []
    with click.progressbar(messages(paths), length=total, label=f"Importing {total} message(s)", show_pos=True) as bar:
        for label, raw in bar:
            result = receive(raw, trust_date=True, clock=clock())
            outcomes["replayed" if result.replayed else result.outcome] += 1
            if result.outcome == "quarantined" and not result.replayed:
                held.append((label, result.reason))
    click.echo(
        f"{outcomes['opened']} new case(s), {outcomes['attached']} repl(ies) attached to cases, "
        f"{outcomes['quarantined']} quarantined, {outcomes['replayed']} imported before."
    )
    for label, reason in held:
        click.echo(f"  quarantined {label}: {reason}")


# --- SMTP listener -------------------------------------------------------------------------------


class ComplaintsHandler:
    """aiosmtpd handler: every accepted message is stored before the 250 reply (never lost)."""

    def __init__(self, app: Flask):
        self.app = app

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        try:
            result = await asyncio.get_running_loop().run_in_executor(None, self._receive, raw)
        except Exception:  # noqa: BLE001 - whatever failed, the sending server must keep the mail and retry
            log.exception("mail listener: a message could not be stored; the sender will retry")
            return "451 4.3.0 Temporary failure, please try again later"
        log.info("mail listener: %s %s", result.outcome, result.reference or result.reason)
        return "250 2.0.0 Message accepted"

    def _receive(self, raw: bytes) -> model.InboundResult:
        with self.app.app_context():
            return receive(raw)


def make_listener(app: Flask, host: str, port: int) -> Controller:
    """An SMTP server on host:port that files every message it accepts (start() it)."""
    size = app.config["MAIL_MAX_BYTES"]
    return Controller(ComplaintsHandler(app), hostname=host, port=port, data_size_limit=size)


@click.command("mail-listener")
@click.option("--host", help="Address to listen on (default COMPLAINTS_MAIL_HOST, 127.0.0.1).")
@click.option("--port", type=int, help="Port (default COMPLAINTS_MAIL_PORT, 8025).")
def mail_listener(host: str | None, port: int | None) -> None:
    """Receive complaints by e-mail over SMTP until interrupted."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    listener = make_listener(app, host or app.config["MAIL_HOST"], port or app.config["MAIL_PORT"])
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())  # containers stop with SIGTERM
    listener.start()
    click.echo(f"Listening for complaint mail on {listener.hostname}:{listener.port} (Ctrl+C stops).")
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        listener.stop()
        click.echo("Mail listener stopped.")


COMMANDS = (import_mail, mail_listener)
