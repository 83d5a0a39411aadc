"""Messages to customers: the worker sends them with retries; staff see, retry or settle the rest."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from engine.correspondence import dispatch, letters
from engine.kernel import access, model, ports
from engine.kernel.clock import Clock
from engine.kernel.errors import Conflict, DeliveryFailed, InvalidInput
from engine.kernel.policy import Policy
from engine.records import history

log = logging.getLogger(__name__)
BATCH = 100
FIRST_RETRY = timedelta(minutes=1)
LONGEST_WAIT = timedelta(hours=1)
MESSAGE_ROLES = access.MESSAGES  # who sees undelivered messages and acts on them
MAX_ERROR, MAX_NOTE = 1000, 2000


@dataclass
class Delivery:
    """What one round of sending did: sent, deferred (temporary failure), failed (waits for staff),
    held (an earlier letter of its case goes first), withdrawn (lost its reason: never sent)."""

    sent: int = 0
    deferred: int = 0
    failed: int = 0
    held: int = 0
    withdrawn: int = 0

    @property
    def handled(self) -> int:
        return self.sent + self.deferred + self.failed + self.held + self.withdrawn

    def count(self, outcome: str, withdrawn: int = 0) -> None:
        self.withdrawn += withdrawn
        if outcome in ("sent", "failed", "held"):
            setattr(self, outcome, getattr(self, outcome) + 1)
        elif outcome != "withdrawn":
            self.deferred += 1


def send_due_messages(
    *, uow: ports.UnitOfWork, clock: Clock, policy: Policy, mailer: ports.Mailer, limit: int = BATCH
) -> Delivery:
    """Send up to `limit` due messages, each in its own transaction.

    The message row stays locked (FOR UPDATE SKIP LOCKED on PostgreSQL) while it is handed to
    the mail server and marked sent, so no two workers send it. A worker that dies in between
    leaves it pending: it goes out again with the same Message-ID, never lost. A temporary
    failure is retried 1 minute later, then at doubling intervals up to an hour, without end;
    a permanent one (no address, a refused recipient) waits for staff. When the server is
    unreachable the round stops after that message: the rest wait for the next sweep.
    A case's letters go in the order they were written, and a letter that lost its reason
    (engine/correspondence/dispatch.py) is withdrawn instead of sent.
    """
    delivery, seen = Delivery(), set[str]()
    with mailer:
        while len(seen) < limit:
            tried = len(seen)
            try:
                outcome, withdrawn = _send_next(uow, clock, policy, mailer, seen)
            except Conflict:
                continue  # staff retried or settled it meanwhile: theirs stands
            except Exception:  # noqa: BLE001 - one broken message must not stop the others
                log.exception("outbox: a message could not be processed; it stays pending")
                if len(seen) == tried:
                    break  # not about one message (e.g. the database): stop
                continue
            if outcome is None:
                break
            delivery.count(outcome, withdrawn)
            if outcome == "unreachable":
                break  # the others wait for the next sweep rather than each wait out a timeout
    return delivery


def _send_next(
    uow: ports.UnitOfWork, clock: Clock, policy: Policy, mailer: ports.Mailer, seen: set[str]
) -> tuple[str | None, int]:
    """Claim the next due letter and settle it; (its outcome, how many letters were withdrawn)."""
    now = clock.now()
    with uow:
        message = uow.outbox.claim_due(now, exclude=seen)
        if message is None:
            return None, 0
        seen.add(message.id)
        todo = dispatch.plan(message, uow.cases.get(message.case_id), uow.outbox.for_case(message.case_id))
        for letter, reason in todo.withdraw:  # nearest first: the order every worker locks rows in
            before = letter.status
            dispatch.withdraw(letter, reason)
            uow.outbox.save(letter, expected=before)
        if todo.withdraw and todo.withdraw[0][0].id == message.id:
            outcome = "withdrawn"
        elif todo.behind is not None:
            dispatch.hold(message, todo.behind, now)
            outcome = "held"
        else:
            dispatch.release(message)
            outcome = _hand_over(message, uow, policy, mailer, now)
        if outcome != "withdrawn":
            uow.outbox.save(message, expected="pending")
        uow.commit()
    return outcome, len(todo.withdraw)


def _hand_over(
    message: model.OutboxMessage, uow: ports.UnitOfWork, policy: Policy, mailer: ports.Mailer, now: datetime
) -> str:
    """Give the letter to the mail server: sent, or why not (failed, unreachable, deferred)."""
    try:
        mailer.send(letters.compose(message, uow.personal_data.for_case(message.case_id), policy=policy, now=now))
    except DeliveryFailed as failure:
        _note_failure(message, failure, now)
        return "failed" if failure.permanent else "unreachable" if failure.unreachable else "deferred"
    message.status, message.sent_at, message.next_attempt_at = "sent", now, None
    message.attempts += 1
    return "sent"


def _note_failure(message: model.OutboxMessage, failure: DeliveryFailed, now: datetime) -> None:
    message.attempts += 1
    message.last_error = str(failure)[:MAX_ERROR]
    if failure.permanent:
        message.status, message.next_attempt_at = "failed", None
    else:
        message.next_attempt_at = now + retry_delay(message.attempts)
    log.warning("outbox: message %s (%s) attempt %d: %s", message.id, message.message, message.attempts, failure)


def retry_delay(attempts: int) -> timedelta:
    """1 minute after the first failure, then doubling, never more than an hour."""
    return min(FIRST_RETRY * 2 ** min(attempts - 1, 16), LONGEST_WAIT)


def retry_message(message_id: str, *, actor: model.Actor, uow: ports.UnitOfWork, clock: Clock) -> model.OutboxMessage:
    """Send a failed or waiting message at the next sweep; its backoff starts over."""
    _check_role(actor)
    with uow:
        message = _undelivered(uow, message_id)
        before = message.status
        message.status, message.next_attempt_at, message.attempts = "pending", clock.now(), 0
        uow.outbox.save(message, expected=before)
        _wake_followers(uow, message, clock.now())
        uow.commit()
    return message


def mark_message_handled(
    message_id: str, note: str, *, actor: model.Actor, uow: ports.UnitOfWork, clock: Clock
) -> model.OutboxMessage:
    """Record that staff told the customer another way (e.g. by phone): the message is not sent."""
    _check_role(actor)
    note = note.strip()
    if not note or len(note) > MAX_NOTE:
        raise InvalidInput("Say how the customer was told (at most 2000 characters).", {"note": ["Required."]})
    now = clock.now()
    with uow:
        message = _undelivered(uow, message_id)
        before, message.status, message.next_attempt_at = message.status, "handled", None
        case = uow.cases.get(message.case_id)
        told = {"message_id": message.id, "message": message.message, "note": note}
        event = history.record(case, "message_handled", actor.id, now, told)  # its type seals the note
        uow.cases.save(case)  # the history chain's head lives on the case row
        uow.events.append(event)
        uow.outbox.save(message, expected=before)
        _wake_followers(uow, message, now)
        uow.commit()
    return message


def _wake_followers(uow: ports.UnitOfWork, message: model.OutboxMessage, now: datetime) -> None:
    """Later letters of the case held back behind this one are due again at once."""
    for later in dispatch.waiting_behind(message, uow.outbox.for_case(message.case_id), now):
        later.next_attempt_at = now
        uow.outbox.save(later, expected="pending")


@dataclass
class Undelivered:
    """Messages staff should know about: failed ones first, then those still waiting, then the
    latest withdrawn ones (they lost their reason and were not sent)."""

    failed: list[model.OutboxMessage]
    pending: list[model.OutboxMessage]
    limit: int
    withdrawn: list[model.OutboxMessage] = field(default_factory=list)

    def more(self, messages: list[model.OutboxMessage]) -> bool:
        return len(messages) > self.limit


def list_undelivered_messages(*, actor: model.Actor, uow: ports.UnitOfWork, limit: int = 200) -> Undelivered:
    """The oldest failed and pending messages and the latest withdrawn ones, each list up to `limit` (read only)."""
    _check_role(actor)
    with uow:
        failed = uow.outbox.listing("failed", limit=limit + 1)
        pending = uow.outbox.listing("pending", limit=limit + 1)
        withdrawn = uow.outbox.listing(dispatch.OBSOLETE, limit=limit + 1, newest=True)
    return Undelivered(failed, pending, limit, withdrawn)


def next_work_at(*, uow: ports.UnitOfWork, messages: bool = True) -> datetime | None:
    """When the worker next has something to do: the earliest timer or message attempt (index probes)."""
    with uow:
        moments = [uow.cases.next_due(), uow.outbox.next_due() if messages else None]
    return min((m for m in moments if m is not None), default=None)


def _undelivered(uow: ports.UnitOfWork, message_id: str) -> model.OutboxMessage:
    message = uow.outbox.get(message_id)
    if message.status not in ("failed", "pending"):
        raise Conflict(f"This message is {message.status} already; there is nothing to do.")
    return message


def _check_role(actor: model.Actor) -> None:
    access.require_messages(actor)
