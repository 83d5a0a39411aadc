"""Real SMTP servers for tests (aiosmtpd, in a thread of the test process) that record what they accept.

`mode` switches the behaviour while the server runs: "accept", "tempfail" (451 on DATA),
"disconnect" (drop the connection instead of answering DATA), "refuse_rcpt" (550 for every
recipient). `before_accept` runs on each message before it is answered (e.g. to kill the
sender at that very moment); when it returns False the message is not accepted.
"""

from __future__ import annotations

import socket
import subprocess
import threading
from collections.abc import Callable
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


class Recorder:
    """The aiosmtpd handler: answers by `mode` and keeps every accepted message."""

    def __init__(self) -> None:
        self.mode = "accept"
        self.accepted: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.attempts = 0  # DATA commands seen, accepted or not
        self.connections = 0
        self.before_accept: Callable[[EmailMessage], bool] | None = None
        self.lock = threading.Lock()

    async def handle_EHLO(self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]) -> Any:
        with self.lock:
            self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if self.mode == "refuse_rcpt":
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        with self.lock:
            self.attempts += 1
        if self.mode == "disconnect":
            server.transport.close()
            return "421 4.3.0 gone"
        if self.mode == "tempfail":
            return "451 4.3.0 Try again later"
        if self.before_accept is not None and not self.before_accept(message):
            return "451 4.3.0 Not now"
        with self.lock:
            self.accepted.append(message)
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 2.0.0 Accepted"

    def message_ids(self) -> list[str]:
        with self.lock:
            return [m["Message-ID"] for m in self.accepted]


class Authenticator:
    """Accepts one user name and password (AUTH PLAIN / LOGIN)."""

    def __init__(self, username: str, password: str):
        self.username, self.password = username.encode(), password.encode()
        self.logins: list[str] = []

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = data.login == self.username and data.password == self.password
        if ok:
            self.logins.append(data.login.decode())
        return AuthResult(success=ok, handled=False)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SmtpServer:
    """A running aiosmtpd server on 127.0.0.1 with a Recorder; `stop()` when done."""

    def __init__(self, port: int | None = None, **options: Any):
        self.recorder = Recorder()
        self.port = port or free_port()
        self.controller = Controller(self.recorder, hostname="127.0.0.1", port=self.port, **options)
        self.controller.start()
        self.stopped = False

    def stop(self) -> None:
        if not self.stopped:  # stopping twice is fine
            self.stopped = True
            self.controller.stop()

    def settings(self) -> dict[str, Any]:
        """The app's configuration to send here in plain SMTP."""
        return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": self.port, "SMTP_SECURITY": "none"}


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for localhost / 127.0.0.1 and its key, made by the openssl command."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key
