"""Reading an inbound e-mail with the standard library: sender, subject, text, attachments, problems.

`parse` never raises: whatever is wrong with a message (no sender, a broken MIME structure, an
attachment over the limit) is listed in `problems`, and the caller quarantines it.
"""

from __future__ import annotations

import email.errors
import email.header
import email.utils
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from html.parser import HTMLParser

from engine.kernel import text
from engine.notation import forms

# What the email package may raise on hostile input (it is lenient, but not everywhere).
PARSE_ERRORS = (email.errors.MessageError, ValueError, LookupError, IndexError, AttributeError, TypeError)
BROKEN_STRUCTURE = (
    email.errors.NoBoundaryInMultipartDefect,
    email.errors.StartBoundaryNotFoundDefect,
    email.errors.MultipartInvariantViolationDefect,
)
FALLBACK_CHARSETS = ("windows-1251", "koi8-r", "iso-8859-9")


@dataclass(frozen=True)
class Limits:
    """Sizes beyond which a message is quarantined instead of opening a case."""

    message_bytes: int = 25 * 1024 * 1024
    attachment_bytes: int = 10 * 1024 * 1024
    attachments: int = 20


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True)
class MailFile:
    filename: str
    content_type: str
    content: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


@dataclass
class Mail:
    """What the application needs from one message."""

    message_id: str
    sender: str = ""
    sender_name: str = ""
    subject: str = ""
    body: str = ""
    date: datetime | None = None
    files: list[MailFile] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    raw_sha256: str = ""

    @property
    def key(self) -> str:
        """What makes two deliveries the same mail: its Message-ID and its content (not the
        Received headers added on the way), so a buggy mailer reusing an id loses nothing."""
        parts = [self.sender, self.subject, self.body, *(f.sha256 for f in self.files)]
        if self.problems:
            parts.append(self.raw_sha256)
        digest = hashlib.sha256("\x00".join(parts).encode("utf-8", "surrogateescape")).hexdigest()
        return f"{self.message_id[:480]} {digest[:16]}"


def parse(raw: bytes, limits: Limits = DEFAULT_LIMITS) -> Mail:
    """Read one RFC 5322 message; never raises, problems are listed instead."""
    raw_sha256 = hashlib.sha256(raw).hexdigest()
    mail = Mail(message_id="sha256:" + raw_sha256, raw_sha256=raw_sha256)
    if len(raw) > limits.message_bytes:
        mail.problems.append(f"The message is {len(raw)} bytes; the limit is {limits.message_bytes}.")
        return mail
    try:
        message = BytesParser(policy=policy.default).parsebytes(raw)
        _read(message, mail, limits)
    except PARSE_ERRORS as error:
        mail.problems.append(f"The message could not be read: {type(error).__name__}: {error}")
    return _storable(mail)


def _storable(mail: Mail) -> Mail:
    """Mail is taken whatever it holds: NUL and broken characters become U+FFFD (PostgreSQL refuses them)."""
    for name in ("message_id", "sender", "sender_name", "subject", "body"):
        setattr(mail, name, text.cleaned(getattr(mail, name)))
    mail.problems = [text.cleaned(problem) for problem in mail.problems]
    return mail


def _read(message: EmailMessage, mail: Mail, limits: Limits) -> None:
    headers = {name.lower(): value for name, value in reversed(list(message.raw_items()))}
    mail.message_id = _message_id(headers.get("message-id", "")) or mail.message_id
    mail.subject = " ".join(header_text(headers.get("subject", "")).split())
    mail.sender_name, mail.sender = _sender(header_text(headers.get("from", "")))
    mail.date = _date(headers.get("date", ""))
    if not mail.sender:
        mail.problems.append("No sender address (a From header with a valid e-mail address).")
    if any(isinstance(d, BROKEN_STRUCTURE) for part in message.walk() for d in part.defects):
        mail.problems.append("The MIME structure is broken (missing or unterminated multipart boundaries).")
    body = _body_part(message)
    mail.body = _part_text(body) if body is not None else ""
    mail.files = [_file(part, n) for n, part in enumerate(_file_parts(message, body), start=1)]
    mail.problems += _size_problems(mail.files, limits)


def _message_id(value: str) -> str:
    return " ".join(value.split())[:500]


def _sender(text: str) -> tuple[str, str]:
    for name, address in email.utils.getaddresses([text]):
        if forms.EMAIL.fullmatch(address) and len(address) <= 254:
            return " ".join(name.split())[:200], address
    return "", ""


def _date(value: str) -> datetime | None:
    try:
        moment = email.utils.parsedate_to_datetime(value) if value else None
    except (TypeError, ValueError, IndexError):
        return None
    return moment if moment is not None and moment.tzinfo is not None else None


def _body_part(message: EmailMessage) -> Message | None:
    if message.is_multipart():
        return message.get_body(preferencelist=("plain", "html"))
    return message if message.get_content_maintype() == "text" else None


def _part_text(part: Message) -> str:
    text = decode_text(_payload(part), part.get_content_charset()).replace("\r\n", "\n")
    return html_to_text(text) if part.get_content_subtype() == "html" else text.strip()


def _file_parts(message: EmailMessage, body: Message | None) -> Iterator[Message]:
    """Leaf parts that are files: attachments, inline images; not the text shown as the body."""
    for part in message.walk():
        if part.is_multipart() or part is body:
            continue
        disposition = part.get_content_disposition()
        if part.get_content_maintype() == "text" and disposition != "attachment" and not part.get_filename():
            continue  # another rendering of the body (the HTML beside the plain text)
        yield part


def _file(part: Message, number: int) -> MailFile:
    name = _safe_filename(part.get_filename() or "", number, part.get_content_type())
    return MailFile(name, part.get_content_type(), _payload(part))


def _payload(part: Message) -> bytes:
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


def _safe_filename(name: str, number: int, content_type: str) -> str:
    """A name to show and to offer for download: no path, no control characters, bounded."""
    name = re.sub(r"[\x00-\x1f\x7f/\\]", "_", header_text(name)).strip(" .")
    if not name:
        name = f"attachment-{number}" + ("." + content_type.split("/")[1] if "/" in content_type else "")
    return name[-255:]


def _size_problems(files: list[MailFile], limits: Limits) -> list[str]:
    problems = [
        f"Attachment '{f.filename}' is {len(f.content)} bytes; the limit is {limits.attachment_bytes}."
        for f in files
        if len(f.content) > limits.attachment_bytes
    ]
    if len(files) > limits.attachments:
        problems.append(f"{len(files)} attachments; at most {limits.attachments} are accepted.")
    return problems


# --- text -----------------------------------------------------------------------------------


def header_text(value: str) -> str:
    """A header's text: RFC 2047 encoded words in any charset, or raw 8-bit bytes sniffed."""
    text = []
    for chunk, charset in email.header.decode_header(value):
        if isinstance(chunk, str):  # raw 8-bit bytes come as surrogate escapes
            chunk = chunk.encode("utf-8", "surrogateescape")
        text.append(decode_text(chunk, charset))
    return "".join(text)


def decode_text(data: bytes, declared: str | None) -> str:
    """Bytes as text: UTF-8 if they are (mislabelled mail is common), else the declared charset
    if it fits, else the likeliest of the local ones."""
    for charset in ("utf-8", declared):
        if charset:
            try:
                return data.decode(charset)
            except (LookupError, UnicodeDecodeError):
                pass
    return max((data.decode(c, "replace") for c in FALLBACK_CHARSETS), key=_plausibility)


def _plausibility(text: str) -> float:
    """Cyrillic prose is mostly lowercase letters; Latin prose (Azerbaijani) mostly ASCII."""
    cyrillic_lower = sum("а" <= ch <= "я" or ch == "ё" for ch in text)
    cyrillic = sum("\u0400" <= ch <= "\u04ff" for ch in text)
    ascii_letters = sum(ch.isascii() and ch.isalpha() for ch in text)
    if ascii_letters > cyrillic:  # mostly Latin: a few 8-bit letters, all lowercase-looking
        return ascii_letters - cyrillic + sum(ch in "şçğıöüəŞÇĞİÖÜƏ" for ch in text)
    return cyrillic_lower - (cyrillic - cyrillic_lower)


class _TextOfHtml(HTMLParser):
    BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table", "hr"}
    HIDDEN = {"script", "style", "head", "title", "template"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag in self.HIDDEN:
            self.hidden += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN:
            self.hidden = max(self.hidden - 1, 0)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """The readable text of an HTML mail: no tags, scripts or styles; paragraphs kept."""
    parser = _TextOfHtml()
    parser.feed(html)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
