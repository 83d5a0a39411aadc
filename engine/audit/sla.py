"""SLA checkpoints of POLICY.md §3, measured from a case's events in working days.

Definitions (the README repeats them):
- received: the moment of receipt recorded at intake (`case_started` data `received_at`);
- registered: the intake itself when no required customer data was missing, else the completion
  of the register task (`Task_Register`); due within 3 working days of receipt;
- reviewed: the completion of the initial review (`Task_Review`) that did not ask the customer
  for clarification, i.e. the one that ends the review stage; due within 3 working days;
- resolved: the completion of the response to the customer (`Task_Respond`, written or oral);
  due within 10 working days. A delay notice tells the customer a new date but does not move
  the policy's deadline: the report shows both.
A checkpoint is met when done by 23:59:59 (Baku) of its last working day; missed by N working
days when done on the Nth working day after that (a day off right after counts as 1); pending
while not done and not yet due; missed "so far" when not done and already past due.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from engine.casework import deadlines
from engine.kernel import model
from engine.kernel.calendar import WorkingCalendar

STAGES = (("registration", 3), ("review", 3), ("resolution", 10))  # the policy's days, where a case has no facts
REGISTER, REVIEW, RESPOND = "Task_Register", "Task_Review", "Task_Respond"
STAGE_TASKS = {"registration": REGISTER, "review": REVIEW, "resolution": RESPOND}


@dataclass(frozen=True)
class Checkpoint:
    """One SLA of one case: when it was due, when (if) it was done, met or missed by how much."""

    stage: str
    working_days: int
    due: datetime
    done_at: datetime | None
    state: str  # met | missed | pending
    late_days: int = 0  # working days past due (missed), 0 otherwise
    left_days: int = 0  # working days left (pending)
    new_date: datetime | None = None  # the latest new date a delay notice promised in its place

    @property
    def answer_by(self) -> datetime:
        """The date the work races against now: the deadline, or the new date promised."""
        return self.new_date or self.due


@dataclass(frozen=True)
class Delay:
    """A delay notice: why, the new date the customer was told, and whether it was kept."""

    reference: str
    channel: str
    at: datetime
    reason: str
    new_date: str
    kept: bool | None  # None while the case is unresolved and the date has not passed


def checkpoints(
    case: model.Case, events: list[model.Event], calendar: WorkingCalendar, now: datetime,
    scopes: deadlines.Scopes | None = None,
) -> list[Checkpoint]:  # fmt: skip
    """The registration, review and resolution checkpoints of a case, as of `now`.

    Each is due at the deadline the case's own process version set for the work that holds the
    stage's task (kept on the case, `engine/casework/deadlines.py`); the policy's days where it has none.
    """
    done = milestones(events)
    points = []
    for stage, days in STAGES:
        fact, new_date = deadlines.stage_deadline(STAGE_TASKS[stage], case.deadlines, scopes or {})
        due = fact.due if fact else calendar.deadline(case.received_at, days)
        point = _checkpoint(stage, calendar.working_days_between(case.received_at, due), due, done.get(stage),
                            calendar, now)  # fmt: skip
        points.append(replace(point, new_date=new_date))
    return points


def milestones(events: list[model.Event]) -> dict[str, datetime]:
    """When each stage was done, by the definitions above."""
    done: dict[str, datetime] = {}
    for event in events:
        data = event.data.get("data") or {}
        if event.type == "case_started" and not data.get("missing"):
            done.setdefault("registration", event.at)
        if event.type != "task_completed":
            continue
        stage = {REGISTER: "registration", RESPOND: "resolution"}.get(event.data.get("bpmn_id"))
        if event.data.get("bpmn_id") == REVIEW and not data.get("clarify"):
            stage = "review"
        if stage:
            done.setdefault(stage, event.at)
    return done


def _checkpoint(
    stage: str, days: int, due: datetime, done_at: datetime | None, calendar: WorkingCalendar, now: datetime
) -> Checkpoint:
    if done_at is not None and done_at <= due:
        return Checkpoint(stage, days, due, done_at, "met")
    if done_at is not None or now > due:
        late = max(calendar.working_days_between(due, done_at or now), 1)
        return Checkpoint(stage, days, due, done_at, "missed", late_days=late)
    return Checkpoint(stage, days, due, None, "pending", left_days=calendar.working_days_between(now, due))


def delays(case: model.Case, events: list[model.Event], calendar: WorkingCalendar, now: datetime) -> list[Delay]:
    """The delay notices of a case and whether each new date was kept."""
    resolved = milestones(events).get("resolution")
    found = []
    for event in events:
        data = event.data.get("data") or {}
        if event.type == "task_completed" and data.get("new_date"):
            limit = calendar.end_of_day(date.fromisoformat(data["new_date"]))
            kept = resolved <= limit if resolved else (False if now > limit else None)
            found.append(Delay(case.reference, case.channel, event.at, str(data.get("delay_reason", "")),
                               data["new_date"], kept))  # fmt: skip
    return found


@dataclass
class Row:
    """One stage and channel of the report: how many cases met, missed, are pending."""

    stage: str
    channel: str
    met: int = 0
    missed: int = 0
    pending: int = 0
    late_days: int = 0  # summed over missed cases

    @property
    def share(self) -> float | None:
        """Met among the decided (met + missed), or None when none is decided yet."""
        decided = self.met + self.missed
        return self.met / decided if decided else None

    def add(self, point: Checkpoint) -> None:
        setattr(self, point.state, getattr(self, point.state) + 1)
        self.late_days += point.late_days

    def as_dict(self) -> dict[str, Any]:
        share = self.share
        return {"stage": self.stage, "channel": self.channel, "met": self.met, "missed": self.missed,
                "pending": self.pending, "share_met": None if share is None else round(share, 4),
                "late_working_days": self.late_days}  # fmt: skip
