"""Working-day calendar of POLICY.md §3: Azerbaijan's public holidays, Asia/Baku, decrees as overrides.

A deadline of N working days ends at 23:59:59 local time on the Nth working day after the
(local) day of receipt; the day of receipt never counts.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

import holidays

END_OF_DAY = time(23, 59, 59)


class WorkingCalendar:
    """Working days of one country and time zone, with decree overrides from configuration."""

    def __init__(
        self,
        country: str = "AZ",
        timezone: str = "Asia/Baku",
        extra_days_off: Iterable[date] = (),
        extra_working_days: Iterable[date] = (),
    ):
        self.country = country
        self.zone = ZoneInfo(timezone)
        self.extra_days_off = frozenset(extra_days_off)
        self.extra_working_days = frozenset(extra_working_days)
        self._known: dict[date, bool] = {}

    @cached_property
    def _holidays(self) -> holidays.HolidayBase:
        # Only the working-day API knows the Saturdays a decree turns into working days.
        return holidays.country_holidays(self.country)

    def is_working_day(self, day: date) -> bool:
        if day not in self._known:  # calendars are immutable once built: remember each day
            if day in self.extra_working_days or day in self.extra_days_off:
                self._known[day] = day in self.extra_working_days
            else:
                self._known[day] = bool(self._holidays.is_working_day(day))
        return self._known[day]

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()

    def add_working_days(self, day: date, count: int) -> date:
        """The `count`-th working day after `day` (`day` itself never counts)."""
        if count < 0:
            raise ValueError("working days must not be negative")
        while count:
            day += timedelta(days=1)
            count -= self.is_working_day(day)
        return day

    def end_of_day(self, day: date) -> datetime:
        return datetime.combine(day, END_OF_DAY, self.zone)

    def deadline(self, received_at: datetime, working_days: int) -> datetime:
        """23:59:59 local on the Nth working day after the local day of receipt."""
        return self.end_of_day(self.add_working_days(self.local_date(received_at), working_days))

    def working_days_between(self, start: datetime, end: datetime) -> int:
        """Working days from the local day of `start` to that of `end`; negative when past."""
        first, last = self.local_date(start), self.local_date(end)
        if last < first:
            return -self.working_days_between(end, start)
        return sum(self.is_working_day(first + timedelta(days=i)) for i in range(1, (last - first).days + 1))


def parse_moment(value: str | datetime) -> datetime:
    """An aware datetime from an ISO string; naive values are refused, not guessed."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError(f"{value!r} has no UTC offset")
    return moment
