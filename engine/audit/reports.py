"""The SLA report for a period: per stage and channel, the share of cases within 3 and 10 working days."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta

from engine.audit import sla
from engine.casework import deadlines, workflows
from engine.kernel import access, model, ports
from engine.kernel.clock import Clock
from engine.kernel.errors import InvalidInput
from engine.kernel.policy import Policy
from engine.notation import forms
from engine.records import history

MAX_DAYS = 366


@dataclass
class Late:
    """A case that missed a checkpoint, with the delay reasons it gave the customer."""

    reference: str
    channel: str
    stage: str
    late_days: int
    done: bool
    reasons: list[str]


@dataclass
class SlaReport:
    """Cases received in [start, end] (Baku dates): rows per stage and channel, totals, delays."""

    start: date
    end: date
    cases: int = 0
    rows: list[sla.Row] = field(default_factory=list)  # per stage and channel
    totals: list[sla.Row] = field(default_factory=list)  # per stage, all channels
    late: list[Late] = field(default_factory=list)
    delays: list[sla.Delay] = field(default_factory=list)

    def reasons(self) -> list[tuple[str, int]]:
        """Delay reasons, most frequent first."""
        return Counter(d.reason for d in self.delays).most_common()


def sla_report(start: date, end: date, *, uow: ports.UnitOfWork, clock: Clock, policy: Policy) -> SlaReport:
    """Measure the cases received between two dates (inclusive, Baku) against the policy's SLAs (read only)."""
    if end < start or (end - start).days > MAX_DAYS:
        raise InvalidInput(f"Give a period of at most {MAX_DAYS} days, the start not after the end.")
    if start < forms.EARLIEST_DATE or end >= date.max - timedelta(days=2):  # no case is older than the service
        raise InvalidInput(f"Give dates from {forms.EARLIEST_DATE.isoformat()} on.")
    zone = policy.calendar.zone
    first, last = datetime.combine(start, time(), zone), datetime.combine(end + timedelta(days=1), time(), zone)
    with uow:
        cases = uow.cases.received_between(first, last)
        events = uow.events.for_cases([c.id for c in cases]) if cases else {}
        versions = {v: uow.versions.get(v) for v in {c.version_id for c in cases}}
    report = SlaReport(start, end, cases=len(cases))
    rows = {(s, c): sla.Row(s, c) for s, _ in sla.STAGES for c in model.CHANNELS}
    totals = {s: sla.Row(s, "all") for s, _ in sla.STAGES}
    now = clock.now()
    for case in cases:
        scopes = workflows.scopes(versions[case.version_id])
        _measure(report, case, events[case.id], rows, totals, policy, now, scopes)
    report.rows, report.totals = list(rows.values()), list(totals.values())
    return report


def _measure(
    report: SlaReport, case: model.Case, events: list[model.Event], rows: dict[tuple[str, str], sla.Row],
    totals: dict[str, sla.Row], policy: Policy, now: datetime, scopes: deadlines.Scopes,
) -> None:  # fmt: skip
    delays = sla.delays(case, events, policy.calendar, now)
    if "delay_reason" in history.sealed_keys(events):  # free text: auditors read no personal data
        delays = [replace(d, reason=access.HIDDEN) for d in delays]
    report.delays += delays
    for point in sla.checkpoints(case, events, policy.calendar, now, scopes):
        rows.setdefault((point.stage, case.channel), sla.Row(point.stage, case.channel)).add(point)
        totals[point.stage].add(point)
        if point.state == "missed":
            reasons = [d.reason for d in delays] if point.stage == "resolution" else []
            report.late.append(
                Late(case.reference, case.channel, point.stage, point.late_days, point.done_at is not None, reasons)
            )
