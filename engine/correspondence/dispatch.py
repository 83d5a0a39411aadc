"""Which of a case's letters may go now: in the order they were written, and only while they have a reason.

A case's letters go out in the order the process wrote them: a letter waits while an earlier
one of its case is still undelivered (pending, retrying, or failed and waiting for staff).
A letter that speaks of a complaint still being handled (acknowledgement, clarification
request, delay notice) loses its reason once the case is answered: the written response was
written after it, or the case was closed. A delay notice also loses it to a later delay notice
(its new date replaced). Such a letter is never sent; it becomes *obsolete* with the reason.
The written response itself, and any letter not named here, always goes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from engine.kernel import model

ANSWER = "written_response"
WHILE_HANDLED = frozenset({"acknowledgement", "clarification_request", "delay_notice"})
REPLACED_BY_NEXT = frozenset({"delay_notice"})
UNDELIVERED = ("pending", "failed")
OBSOLETE = "obsolete"
HELD = "Held back:"
WAIT_BEHIND_FAILED = timedelta(hours=1)  # staff's retry or "told another way" wakes it sooner
WAIT_BEHIND_IN_FLIGHT = timedelta(seconds=5)  # the earlier one is due now: being handed over, or next


def position(message: model.OutboxMessage) -> tuple[Any, ...]:
    """Where a letter stands among its case's: written at, then the event that threw it and its place in it."""
    thrown = message.payload.get("thrown") or (0, 0)
    return (message.created_at, *thrown, message.id)


def obsolete_reason(
    message: model.OutboxMessage, case: model.Case, letters: Iterable[model.OutboxMessage]
) -> str | None:
    """Why a letter lost its reason to exist, or None; `letters` are all of its case's."""
    if message.message not in WHILE_HANDLED:
        return None
    later = [m for m in letters if position(m) > position(message)]
    if any(m.message == ANSWER for m in later):
        return "Not sent: the written response to the complaint was written after it."
    if case.status == "closed":
        return "Not sent: the case was closed before it could go out."
    if message.message in REPLACED_BY_NEXT and any(m.message == message.message for m in later):
        return "Not sent: a later delay notice gave the customer a new date."
    return None


@dataclass
class Plan:
    """What to do with a claimed letter: withdraw earlier ones that lost their reason, then hold or go."""

    withdraw: list[tuple[model.OutboxMessage, str]] = field(default_factory=list)  # (letter, reason)
    behind: model.OutboxMessage | None = None  # the earlier letter it must wait for


def plan(message: model.OutboxMessage, case: model.Case, letters: list[model.OutboxMessage]) -> Plan:
    """The claimed letter's plan: itself obsolete, held behind an earlier letter, or free to go.

    Earlier letters are looked at nearest first (the order every worker locks rows in).
    """
    reason = obsolete_reason(message, case, letters)
    if reason:
        return Plan(withdraw=[(message, reason)])
    result = Plan()
    earlier = sorted((m for m in letters if position(m) < position(message)), key=position, reverse=True)
    for letter in earlier:
        if letter.status not in UNDELIVERED:
            continue
        reason = obsolete_reason(letter, case, letters)
        if reason is None:
            result.behind = letter
            break
        result.withdraw.append((letter, reason))
    return result


def hold(message: model.OutboxMessage, behind: model.OutboxMessage, now: datetime) -> None:
    """Keep a letter back until the earlier one has gone: due again when that one is (a little
    later if that one is due now, so that workers do not spin on it)."""
    due = behind.next_attempt_at if behind.status == "pending" else None
    wait = due if due is not None else now + WAIT_BEHIND_FAILED
    message.next_attempt_at = max(wait, now + WAIT_BEHIND_IN_FLIGHT)
    message.last_error = f"{HELD} the earlier {behind.message.replace('_', ' ')} of this case goes first."


def release(message: model.OutboxMessage) -> None:
    """A held letter goes now: its note about waiting no longer applies."""
    if message.last_error and message.last_error.startswith(HELD):
        message.last_error = None


def withdraw(message: model.OutboxMessage, reason: str) -> None:
    message.status, message.next_attempt_at, message.last_error = OBSOLETE, None, reason


def waiting_behind(
    message: model.OutboxMessage, letters: list[model.OutboxMessage], now: datetime
) -> list[model.OutboxMessage]:
    """The later letters of the case held back (never tried) that may go as soon as this one is settled."""
    return [
        m for m in letters
        if m.status == "pending" and m.attempts == 0 and position(m) > position(message)
        and m.next_attempt_at is not None and m.next_attempt_at > now
    ]  # fmt: skip
