"""Letters to customers: an outbox message and the customer's record become one e-mail.

The text comes from Jinja templates, one per message name and language
(`engine/correspondence/mail_templates/<language>/<message>.txt`; first line the subject). The address is
read from the customer's record when the message is sent, never copied into the outbox.
The Message-ID is made from the outbox id: a message handed to the mail server again
(a worker died between the server's "250 OK" and its commit) is recognisably the same one.
"""

from __future__ import annotations

from datetime import date, datetime
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path
from typing import Any

import jinja2

from engine.kernel import model
from engine.kernel.calendar import parse_moment
from engine.kernel.errors import DeliveryFailed
from engine.kernel.policy import Policy
from engine.notation import forms

TEMPLATES = Path(__file__).parent / "mail_templates"
SEPARATOR = "\n" + "-" * 60 + "\n\n"
CUSTOMER_TEXT = ("question", "delay_reason", "decision", "measures", "response_text")


def _ru_days(count: int) -> str:
    """Russian plural of "working day" after a number: 1 рабочий день, 3 рабочих дня, 10 рабочих дней."""
    if count % 10 == 1 and count % 100 != 11:
        return f"{count} рабочий день"
    if 2 <= count % 10 <= 4 and not 12 <= count % 100 <= 14:
        return f"{count} рабочих дня"
    return f"{count} рабочих дней"


def _en_days(count: int) -> str:
    return f"{count} working day" if count == 1 else f"{count} working days"


_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    undefined=jinja2.StrictUndefined,  # a misspelt name fails the test suite, not a customer's letter
    trim_blocks=True,
    lstrip_blocks=True,
    autoescape=False,  # plain text
)
_env.filters.update(ru_days=_ru_days, en_days=_en_days)


def compose(
    message: model.OutboxMessage, personal: model.PersonalData | None, *, policy: Policy, now: datetime
) -> EmailMessage:
    """The e-mail for an outbox message; DeliveryFailed(permanent) when there is no usable address."""
    to = recipient(personal)
    context = letter_context(message, personal, policy)
    parts = [render(language, message.message, context) for language in policy.mail_languages]
    email = EmailMessage()
    email["Subject"] = " / ".join(dict.fromkeys(subject for subject, _ in parts))
    email["From"] = policy.mail_from
    email["To"] = to
    email["Date"] = format_datetime(now)
    email["Message-ID"] = message_id(message.id, policy)
    email["X-Complaint-Reference"] = str(message.payload.get("reference", ""))
    email["Auto-Submitted"] = "auto-generated"  # no vacation replies back into the complaints mailbox
    email.set_content(SEPARATOR.join(body for _, body in parts))
    return email


def message_id(outbox_id: str, policy: Policy) -> str:
    """Stable per outbox row: <outbox id @ the sender's domain>."""
    domain = parseaddr(policy.mail_from)[1].rpartition("@")[2] or "localhost"
    return f"<{outbox_id}@{domain}>"


def recipient(personal: model.PersonalData | None) -> Address:
    """The customer's current address, or a permanent failure that staff can act on."""
    if personal is None or personal.erased_at is not None:
        raise DeliveryFailed(
            "The customer's personal data was erased: there is no address to write to.", permanent=True
        )
    address = personal.email.strip()
    if not address:
        raise DeliveryFailed(
            "The customer gave no e-mail address (phone only): tell them another way, then mark the message handled.",
            permanent=True,
        )
    try:
        if not forms.EMAIL.fullmatch(address):
            raise ValueError("not of the form name@domain")
        return Address(display_name=full_name(personal), addr_spec=address)
    except (ValueError, IndexError, HeaderParseError) as error:
        raise DeliveryFailed(f"The customer's e-mail address is not valid: {error}.", permanent=True) from None


def full_name(personal: model.PersonalData | None) -> str:
    if personal is None:
        return ""
    return " ".join(part for part in (personal.given_name, personal.patronymic, personal.surname) if part.strip())


def render(language: str, name: str, context: dict[str, Any]) -> tuple[str, str]:
    """(subject, body) of one message in one language."""
    try:
        text = _env.get_template(f"{language}/{name}.txt").render(context)
    except jinja2.TemplateNotFound:
        raise DeliveryFailed(
            f"There is no {language} e-mail template for the message '{name}'.", permanent=True
        ) from None
    except jinja2.TemplateError as error:
        raise DeliveryFailed(f"The {language} template of '{name}' failed: {error}", permanent=True) from None
    subject, _, body = text.partition("\n")
    return subject.strip(), body.strip() + "\n"


def letter_context(message: model.OutboxMessage, personal: model.PersonalData | None, policy: Policy) -> dict[str, Any]:
    """What templates may use: the reference, dates (Baku) with working days, customer-facing fields."""
    payload, calendar = message.payload, policy.calendar
    received = parse_moment(payload["received_at"]) if payload.get("received_at") else None
    answer_by, review_by = _dates(payload)
    new_date = date.fromisoformat(payload["new_date"]) if payload.get("new_date") else None
    return {
        "reference": payload.get("reference", ""),
        "name": full_name(personal),
        "received": _day(received, policy),
        "review_by": _day(review_by, policy),
        "review_days": _working_days(received, review_by, policy),
        "answer_by": _day(answer_by, policy),
        "answer_days": _working_days(received, answer_by, policy),
        "new_date": new_date.strftime("%d.%m.%Y") if new_date else None,
        "new_date_days": (
            calendar.working_days_between(message.created_at, calendar.end_of_day(new_date)) if new_date else None
        ),
        **{key: payload.get(key) or None for key in CUSTOMER_TEXT},
    }


def _dates(payload: dict[str, Any]) -> tuple[datetime | None, datetime | None]:
    """The answer and review dates the message was written with (the case's deadlines then)."""
    if "answer_by" in payload:
        return tuple(parse_moment(payload[k]) if payload.get(k) else None for k in ("answer_by", "review_by"))  # type: ignore[return-value]
    pending = sorted(  # messages written before the dates were kept in them
        parse_moment(d["due"]) for d in payload.get("deadlines", []) if not d.get("passed") and not d.get("warning")
    )
    return (pending[-1] if pending else None), (pending[0] if len(pending) > 1 else None)


def _day(moment: datetime | None, policy: Policy) -> str | None:
    return policy.calendar.local_date(moment).strftime("%d.%m.%Y") if moment else None


def _working_days(start: datetime | None, end: datetime | None, policy: Policy) -> int | None:
    return policy.calendar.working_days_between(start, end) if start and end else None
