"""The Mailer port over SMTP (smtplib): plain, STARTTLS or implicit TLS, optional login.

A `with mailer:` block keeps one connection per thread for all its messages and closes it at
the end. Errors become DeliveryFailed: permanent when the server refuses this message or its
recipient for good (5xx), temporary for everything else (connection, 4xx, our own login or
sender address), so a broken server or configuration never loses a message. Failures that
are not about the message (connection, TLS, login, sender) say the server is unreachable:
the sweep stops there instead of waiting out a timeout for every message.
"""

from __future__ import annotations

import smtplib
import ssl
import threading
from dataclasses import dataclass
from email.message import EmailMessage

from engine.kernel.errors import DeliveryFailed

SECURITY = ("starttls", "tls", "none")
DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 0  # 0: the usual port of `security`
    security: str = "starttls"
    username: str = ""
    password: str = ""
    timeout: float = 30.0
    ca_file: str | None = None  # trust this CA (a private relay) instead of the system's
    helo: str | None = None  # the name we give in EHLO (default: this host's name)

    def __post_init__(self) -> None:
        if self.security not in SECURITY:
            raise ValueError(f"SMTP security must be one of {', '.join(SECURITY)}, not {self.security!r}")


class SmtpMailer:
    """Sends e-mails to one SMTP server; safe to share between threads."""

    def __init__(self, settings: SmtpSettings):
        self.settings = settings
        self._local = threading.local()

    def __enter__(self) -> SmtpMailer:
        return self

    def __exit__(self, *exc: object) -> None:
        self._drop(quit=True)

    def send(self, message: EmailMessage) -> None:
        try:
            self._connection().send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            self._drop()
            codes = [code for code, _ in error.recipients.values()]
            raise DeliveryFailed(f"The mail server refused the recipient: {_replies(error.recipients)}",
                                 permanent=all(code >= 500 for code in codes)) from None  # fmt: skip
        except smtplib.SMTPDataError as error:
            self._drop()
            raise DeliveryFailed(f"The mail server refused the message: {error.smtp_code} {_text(error.smtp_error)}",
                                 permanent=error.smtp_code >= 500) from None  # fmt: skip
        except (smtplib.SMTPException, OSError) as error:
            self._drop()
            raise DeliveryFailed(
                f"Could not hand the message to {self._where()}: {_describe(error)}", unreachable=True
            ) from None

    def _connection(self) -> smtplib.SMTP:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._local.connection = self._open()
        return connection

    def _open(self) -> smtplib.SMTP:
        s = self.settings
        port = s.port or DEFAULT_PORTS[s.security]
        context = ssl.create_default_context(cafile=s.ca_file)
        if s.security == "tls":
            connection: smtplib.SMTP = smtplib.SMTP_SSL(
                s.host, port, local_hostname=s.helo, timeout=s.timeout, context=context
            )
        else:
            connection = smtplib.SMTP(s.host, port, local_hostname=s.helo, timeout=s.timeout)
        try:
            if s.security == "starttls":
                connection.starttls(context=context)
            if s.username:
                connection.login(s.username, s.password)
        except BaseException:
            connection.close()
            raise
        return connection

    def _drop(self, quit: bool = False) -> None:
        """Forget the connection; after an error its state is unknown, so it is not reused."""
        connection = getattr(self._local, "connection", None)
        self._local.connection = None
        if connection is None:
            return
        try:
            if quit:
                connection.quit()
        except (smtplib.SMTPException, OSError):
            pass  # the server went away first: nothing to say goodbye to
        finally:
            connection.close()

    def _where(self) -> str:
        return f"{self.settings.host}:{self.settings.port or DEFAULT_PORTS[self.settings.security]}"


def _text(reply: bytes | str) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)


def _replies(recipients: dict[str, tuple[int, bytes]]) -> str:
    # the reply only: an address is personal data and must not outlive its erasure in an error text
    return "; ".join(f"{code} {_text(reply)}" for code, reply in recipients.values())


def _describe(error: BaseException) -> str:
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{error.smtp_code} {_text(error.smtp_error)}"
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
