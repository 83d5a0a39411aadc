"""The customer's own status check (no account): the reference plus the phone or e-mail given at intake.

A wrong pair gets `None` whether or not the reference exists, after the same reads, so that
neither the answer nor its timing tells a guesser which references exist.
"""

from __future__ import annotations

import hmac
import re

from engine.casework import cases, workflows
from engine.kernel import model, ports
from engine.kernel.clock import Clock
from engine.kernel.errors import CaseNotFound
from engine.kernel.policy import Policy

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
        answer, workflow = cases.note_status_request(case, request, actor=CUSTOMER, uow=uow, clock=clock, policy=policy)
        uow.commit()
    workflows.keep(case, workflow, policy)
    return answer


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
