"""What the deployment decides: calendar, lanes -> roles, reference prefix, the process to start."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from engine.kernel.calendar import WorkingCalendar, parse_moment

DEFAULT_LANES = {"intake": "intake", "officer": "officer", "quality": "quality", "supervisor": "supervisor"}


@dataclass(frozen=True)
class Policy:
    calendar: WorkingCalendar = field(default_factory=WorkingCalendar)
    lane_roles: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_LANES))
    reference_prefix: str = "MG"
    process_key: str = "complaint_handling"
    at_risk_margin: int = 2  # working days before a deadline when a case is "at risk"
    mail_from: str = "Music Gallery <complaints@musicgallery.az>"  # sender of messages to customers
    mail_languages: tuple[str, ...] = ("ru", "en")  # each message carries these, in this order

    def process_functions(self) -> dict[str, Any]:
        """The only functions BPMN timers, conditions and scripts may call."""
        calendar = self.calendar

        def deadline(received_at: str, working_days: int) -> str:
            return calendar.deadline(parse_moment(received_at), _days(working_days)).isoformat()

        def at_risk(received_at: str, working_days: int) -> str:
            days = max(_days(working_days) - self.at_risk_margin, 0)
            return calendar.deadline(parse_moment(received_at), days).isoformat()

        def end_of_day(day: str) -> str:
            return calendar.end_of_day(datetime.fromisoformat(day).date()).isoformat()

        return {"deadline": deadline, "at_risk": at_risk, "end_of_day": end_of_day}

    def roles_for_lane(self, lane: str | None) -> str | None:
        return self.lane_roles.get(lane) if lane else None

    def lanes_for_roles(self, roles: frozenset[str]) -> list[str]:
        return sorted(lane for lane, role in self.lane_roles.items() if role in roles)


MAX_WORKING_DAYS = 1000  # these run outside the sandbox's clock: keep them bounded


def _days(value: object) -> int:
    days = int(value)  # type: ignore[call-overload]
    if not 0 <= days <= MAX_WORKING_DAYS:
        raise ValueError(f"working days must be between 0 and {MAX_WORKING_DAYS}, not {days}")
    return days
