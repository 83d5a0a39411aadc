"""The one clock of the application: tests and `--now` move it, nothing else reads wall time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    """Wall-clock time in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class SettableClock:
    """A clock that only moves when told to: tests, simulations and `complaints --now`."""

    def __init__(self, now: datetime):
        self._now = _aware(now)

    def now(self) -> datetime:
        return self._now

    def set(self, now: datetime) -> None:
        self._now = _aware(now)

    def advance(self, **delta: float) -> datetime:
        self._now += timedelta(**delta)
        return self._now


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("the clock needs an aware datetime (with a UTC offset)")
    return moment.astimezone(UTC)
