"""Complaints that arrive by themselves: e-mail (SMTP listener, .eml/mbox import) and the JSON
intake of the live-chat and social-media integrations.

Every message ends in exactly one of three places, in one transaction with its record: a new
case, a reply on the case whose reference it quotes, or the quarantine (with the reason and the
raw bytes, for staff). A message received twice (same Message-ID or integration message id)
changes nothing the second time.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from engine.casework import cases, workflows
from engine.casework.intake import EARLIEST_RECEIPT, validate_intake
from engine.correspondence import mail
from engine.kernel import model, ports, text
from engine.kernel.clock import Clock
from engine.kernel.errors import CaseNotFound, InvalidInput
from engine.kernel.ids import new_id
from engine.kernel.policy import Policy
from engine.notation import forms
from engine.records import history

MAIL_ACTOR = model.Actor.system("mail")
API_CHANNELS = ("live_chat", "social")
FULL_TEXT = "full-text.txt"


def receive_email(
    raw: bytes,
    *,
    uow: ports.UnitOfWork,
    clock: Clock,
    policy: Policy,
    limits: mail.Limits = mail.DEFAULT_LIMITS,
    trust_date: bool = False,
) -> model.InboundResult:
    """One e-mail becomes a case, a reply on a case it names, or a quarantined message.

    `trust_date` (imports of stored mail): the Date header, if not in the future, is the moment
    of receipt; otherwise the moment is now.
    """
    now = clock.now()
    parsed = mail.parse(raw, limits)
    received_at = _receipt(parsed.date, now) if trust_date else now
    kept: list[tuple[model.Case, Any]] = []
    with uow:
        known = uow.inbound.by_external_id("email", parsed.key)
        if known is not None:
            return _result(uow, known, replayed=True)
        record = model.InboundMessage(
            new_id(), "email", parsed.key, received_at, "quarantined",
            sender=parsed.sender, subject=parsed.subject[:1000], body=parsed.body,
            attachments=[f.filename for f in parsed.files],
        )  # fmt: skip
        _file_mail(uow, record, parsed, raw, kept, clock=clock, policy=policy, limits=limits)
        result = _result(uow, record)
        uow.commit()
    for case, workflow in kept:
        workflows.keep(case, workflow, policy)
    return result


def _file_mail(
    uow: ports.UnitOfWork,
    record: model.InboundMessage,
    parsed: mail.Mail,
    raw: bytes,
    kept: list[tuple[model.Case, Any]],
    *,
    clock: Clock,
    policy: Policy,
    limits: mail.Limits,
) -> None:
    """Decide where the message goes and write it there (inside the caller's transaction)."""
    case = None if parsed.problems else _quoted_case(uow, parsed, policy)
    if parsed.problems:
        _quarantine(record, raw[: limits.message_bytes], " ".join(parsed.problems))
    elif case is not None:
        _attach_reply(uow, case, record, clock.now())
    else:
        if len(_description(parsed)) > forms.MAX_TEXT:  # the description is cut: keep the whole text as a file
            parsed.files.append(mail.MailFile(FULL_TEXT, "text/plain", parsed.body.encode()))
        try:
            values = validate_intake(_intake_of(parsed, record.received_at), clock.now())
        except InvalidInput as error:
            _quarantine(record, raw, f"{error} {error.errors}")
        else:
            case, workflow = cases.open_case(values, actor=MAIL_ACTOR, uow=uow, clock=clock, policy=policy)
            record.outcome, record.case_id, record.body = "opened", case.id, ""  # the text is the description
            kept.append((case, workflow))
    uow.inbound.add(record)
    for file in parsed.files if record.case_id else []:
        uow.attachments.add(
            model.Attachment(
                new_id(),
                record.id,
                record.case_id,
                file.filename,
                file.content_type,
                len(file.content),
                file.sha256,
                file.content,
            )  # fmt: skip
        )


def _quarantine(record: model.InboundMessage, raw: bytes, reason: str) -> None:
    record.outcome, record.reason, record.raw = "quarantined", text.cleaned(reason), raw
    record.body = record.body[: forms.MAX_TEXT]


def _attach_reply(uow: ports.UnitOfWork, case: model.Case, record: model.InboundMessage, now: datetime) -> None:
    """A message on an existing case: recorded in its history; the text stays with the message."""
    record.outcome, record.case_id = "attached", case.id
    on_file = uow.personal_data.for_case(case.id)
    data = {
        "channel": record.channel,
        "inbound_id": record.id,
        "attachments": len(record.attachments),
        "from_contact_on_file": bool(on_file and on_file.email.casefold() == record.sender.casefold()),
    }
    case.updated_at = now
    uow.events.append(history.record(case, "customer_message", MAIL_ACTOR.id, now, data))
    uow.cases.save(case)


def _quoted_case(uow: ports.UnitOfWork, parsed: mail.Mail, policy: Policy) -> model.Case | None:
    """The first existing case whose reference the subject, else the body, quotes."""
    pattern = re.compile(rf"\b{re.escape(policy.reference_prefix)}-\d{{4}}-\d{{6}}\b", re.IGNORECASE)
    for quoted in (parsed.subject, parsed.body):
        for reference in dict.fromkeys(m.upper() for m in pattern.findall(quoted)):
            try:
                return uow.cases.by_reference(reference)
            except CaseNotFound:
                continue
    return None


def _intake_of(parsed: mail.Mail, received_at: datetime) -> dict[str, Any]:
    """Sender as contact, subject and text as the description; a two-word name split as given/surname."""
    words = parsed.sender_name.split()
    given, surname = (words[0], words[1]) if len(words) == 2 else ("", "")
    description = _description(parsed)
    if len(description) > forms.MAX_TEXT:
        description = description[: forms.MAX_TEXT - 60] + f"\n[… shortened; the whole text is in {FULL_TEXT}]"
    return {
        "channel": "email", "received_at": received_at, "email": parsed.sender,
        "given_name": given[:100], "surname": surname[:100], "description": description,
    }  # fmt: skip


def _description(parsed: mail.Mail) -> str:
    return "\n\n".join(part for part in (parsed.subject, parsed.body) if part)


def _receipt(date: datetime | None, now: datetime) -> datetime:
    """The Date header, unless it lies in the future or before the service existed (then now)."""
    return date if date is not None and EARLIEST_RECEIPT <= date <= now else now


def receive_intake_message(
    channel: str,
    message_id: str,
    intake: Mapping[str, Any],
    *,
    uow: ports.UnitOfWork,
    clock: Clock,
    policy: Policy,
) -> model.InboundResult:
    """A complaint from a chat or social-media integration; a replayed message id opens nothing new."""
    if channel not in API_CHANNELS:
        raise InvalidInput(f"Channel '{channel}' does not take integration calls.", {"channel": ["Unknown."]})
    values = validate_intake(dict(intake, channel=channel), clock.now())
    with uow:
        known = uow.inbound.by_external_id(channel, message_id)
        if known is not None:
            return _result(uow, known, replayed=True)
        received_at = values["received_at"]
        case, workflow = cases.open_case(values, actor=model.Actor.system(channel), uow=uow, clock=clock, policy=policy)
        record = model.InboundMessage(new_id(), channel, message_id, received_at, "opened", case_id=case.id)
        uow.inbound.add(record)
        result = _result(uow, record)
        uow.commit()
    workflows.keep(case, workflow, policy)
    return result


def _result(uow: ports.UnitOfWork, record: model.InboundMessage, *, replayed: bool = False) -> model.InboundResult:
    case = uow.cases.get(record.case_id) if record.case_id else None
    return model.InboundResult(
        record.id, record.outcome, case.reference if case else None, record.reason, replayed,
        case.stage if case else "", case.status if case else "",
    )  # fmt: skip


def list_quarantine(*, uow: ports.UnitOfWork, limit: int = 100) -> list[model.InboundMessage]:
    """Messages that could not become a case, newest first, with the reason (read only)."""
    with uow:
        return uow.inbound.quarantined(limit)


def inbound_message(inbound_id: str, *, uow: ports.UnitOfWork) -> model.InboundMessage:
    """One inbound message with its raw bytes if it is quarantined (read only)."""
    with uow:
        return uow.inbound.get(inbound_id)


def attachment(attachment_id: str, *, uow: ports.UnitOfWork) -> model.Attachment:
    """A file that came with a message, with its content (read only)."""
    with uow:
        return uow.attachments.get(attachment_id)
