"""Status on request (POLICY.md §4): staff record a request made by phone, in person or in
writing; the customer checks on their own (no account) with the reference plus the phone or
e-mail given at intake. A wrong pair gets `None` whether or not the reference exists, after the
same reads, so that neither the answer nor its timing tells a guesser which references exist.
"""

from __future__ import annotations

import hmac
import re
from typing import Any

from engine import spiff
from engine.casework import deadlines, workflows
from engine.casework.intake import validate_status_request
from engine.kernel import access, model, ports
from engine.kernel.clock import Clock
from engine.kernel.errors import CaseNotFound
from engine.kernel.policy import Policy
from engine.records import history

CUSTOMER = model.Actor("customer")
PHONE_DIGITS = 9  # a national number in Azerbaijan: 50 555 12 34, with or without +994 / 0
NOTHING_ON_FILE = model.PersonalData("", "")  # an unknown case or an erased customer: no contact to match


def check_status(
    reference: str, contact: str, *, uow: ports.UnitOfWork, clock: Clock, policy: Policy
) -> model.StatusAnswer | None:
    """Stage, next deadline and delay of a case, if `contact` is the one given at intake; recorded."""
    reference, contact = reference.strip().upper()[:40], contact.strip()[:254]
    with uow:
        case = _case_or_none(uow, reference)
        personal = uow.personal_data.for_case(case.id if case else "")  # the same reads either way
        kind = matching_contact(personal, contact)
        if case is None or kind is None:
            return None
        request = {"channel": "status_page", "requester": f"customer ({kind})", "told": ""}
        answer, workflow = note_status_request(case, request, actor=CUSTOMER, uow=uow, clock=clock, policy=policy)
        uow.commit()
    workflows.keep(case, workflow, policy)
    return answer


def record_status_request(
    reference: str,
    channel: str,
    *,
    requester: str,
    actor: model.Actor,
    uow: ports.UnitOfWork,
    clock: Clock,
    policy: Policy,
    told: str = "",
) -> model.StatusAnswer:
    """Answer "where is my complaint?" and record that it was asked (POLICY.md §4)."""
    access.require_status_requests(actor)
    request = validate_status_request(channel, requester, told)
    with uow:
        case = uow.cases.by_reference(reference)
        answer, workflow = note_status_request(case, request, actor=actor, uow=uow, clock=clock, policy=policy)
        uow.commit()
    workflows.keep(case, workflow, policy)
    return answer


def note_status_request(
    case: model.Case,
    request: dict[str, Any],
    *,
    actor: model.Actor,
    uow: ports.UnitOfWork,
    clock: Clock,
    policy: Policy,
) -> tuple[model.StatusAnswer, Any]:
    """Inside the caller's transaction: deliver a status request to the process and record it."""
    now = clock.now()
    version = uow.versions.get(case.version_id)
    workflow = workflows.take(case, version, policy)
    before = workflows.ready_ids(workflow)
    with spiff.running(workflow, now):
        _, thrown = spiff.send_message(workflow, "status_request", request)
    changes = workflows.project(case, version, workflow, thrown, now, before)
    data = dict(request, after=changes.after)
    events = [history.record(case, "status_requested", actor.id, now, data, sealed=("requester", "told"))]
    workflows.store(uow, case, events, changes, new=False)
    return status_answer(case, uow.events.for_case(case.id)), workflow


def status_answer(case: model.Case, events: list[model.Event]) -> model.StatusAnswer:
    """Stage, the date we answer by (the case's binding deadline, moved by any delay) and the latest delay."""
    delays = [e.data["data"] for e in events if e.type == "task_completed" and "new_date" in e.data.get("data", {})]
    latest = deadlines.answer_by(case.deadlines)
    delay = delays[-1] if delays else {}
    return model.StatusAnswer(
        case.reference, case.stage, case.status, latest, delay.get("delay_reason"), delay.get("new_date")
    )


def _case_or_none(uow: ports.UnitOfWork, reference: str) -> model.Case | None:
    try:
        return uow.cases.by_reference(reference)
    except CaseNotFound:
        return None


def matching_contact(personal: model.PersonalData | None, contact: str) -> str | None:
    """'email' or 'phone' when `contact` is the customer's, else None (constant-time comparisons)."""
    on_file = personal if personal is not None and personal.erased_at is None else NOTHING_ON_FILE
    email_ok = hmac.compare_digest(contact.casefold().encode(), on_file.email.strip().casefold().encode())
    phone_ok = hmac.compare_digest(_phone_key(contact).encode(), _phone_key(on_file.phone).encode())
    if email_ok and on_file.email.strip():
        return "email"
    if phone_ok and _phone_key(on_file.phone):
        return "phone"
    return None


def _phone_key(text: str) -> str:
    """The last 9 digits of a phone number, so +994 50 555 12 34 and 050-555-12-34 match."""
    digits = re.sub(r"\D", "", text)
    return digits[-PHONE_DIGITS:] if len(digits) >= 7 and "@" not in text else ""
