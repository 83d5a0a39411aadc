"""What a person is shown of a case: the access rule (engine/kernel/access.py) applied, and views logged.

A reader who may see personal data gets the customer's record and the free text in clear, and
the view is logged (`personal_data_views`). Anyone else gets the case without the record, its
files and the customers' mail, and every sealed value as its commitment `{"sealed": sha256}`,
the form that is hashed into the chain: enough to verify it, nothing to read.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

from engine.audit.privacy import log_personal_data_view
from engine.casework import cases
from engine.kernel import access, model, ports
from engine.kernel.clock import Clock
from engine.kernel.policy import Policy
from engine.records import history


def view_case(
    reference_or_id: str,
    *,
    actor: model.Actor,
    place: str,
    uow: ports.UnitOfWork,
    clock: Clock,
    personal: bool | None = None,
) -> model.CaseView:
    """A case as `actor` may see it; `personal`: True demands the personal data (Forbidden if the
    actor may not see it), False never shows it, None shows it when the actor may. Logged when shown."""
    if personal:
        access.require_personal_data(actor)
    shown = access.sees_personal_data(actor) if personal is None else personal
    view = cases.show_case(reference_or_id, uow=uow)
    if not shown:
        return without_personal_data(view)
    if _identifies(view.personal):
        log_personal_data_view(view.case.id, place, actor=actor, uow=uow, clock=clock)
    return view


def view_task(
    case_id: str, task_id: str, *, actor: model.Actor, uow: ports.UnitOfWork, clock: Clock, policy: Policy
) -> cases.TaskPage:
    """A ready task of the actor's lanes with its form; the customer's data only if the actor may see it (logged)."""
    page = cases.open_task(case_id, task_id, actor=actor, uow=uow, policy=policy)
    if page.personal is not None and _identifies(page.personal):
        log_personal_data_view(case_id, "task_page", actor=actor, uow=uow, clock=clock)
    return page


def without_personal_data(view: model.CaseView) -> model.CaseView:
    """The case with no customer record, files or mail, and sealed free text as commitments."""
    keys = history.sealed_keys(view.events)
    return replace(
        view,
        personal=None,
        events=history.masked_events(view.events),
        outbox=[replace(m, payload=_masked_payload(m.payload, keys)) for m in view.outbox],
        inbound=[_masked_mail(m) for m in view.inbound],
        attachments=[],
    )


def _masked_payload(payload: dict[str, Any], keys: set[str]) -> dict[str, Any]:
    masked = copy.deepcopy(payload)
    for key in keys & set(masked):
        if isinstance(masked[key], str) and masked[key]:
            masked[key] = access.HIDDEN
    return masked


def _masked_mail(message: model.InboundMessage) -> model.InboundMessage:
    return replace(message, sender="", subject=access.HIDDEN, body=access.HIDDEN, attachments=[])


def _identifies(personal: model.PersonalData | None) -> bool:
    return personal is not None and personal.erased_at is None
