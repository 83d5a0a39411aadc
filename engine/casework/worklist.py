"""Task lists: the ready work of a user's lanes, filtered by SLA state, stage and channel; claims."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from engine.kernel import access, model, ports
from engine.kernel.clock import Clock
from engine.kernel.errors import Conflict, InvalidInput, TaskNotFound
from engine.kernel.policy import Policy

SLA_STATES = ("overdue", "at_risk", "on_time")
SORTS = ("due", "-due")
MAX_PAGE = 1_000_000  # a page number beyond any list, small enough for every database's integers


@dataclass(frozen=True)
class Filters:
    """What a task list shows: the store turns this into one index-backed query."""

    lanes: tuple[str, ...]
    sla: str | None = None
    stage: str | None = None
    channel: str | None = None
    assignee: str | None = None
    sort: str = "due"
    page: int = 1
    per_page: int = 25
    now: datetime | None = None
    at_risk_before: datetime | None = None
    count_limit: int = 1000  # tabs say "1000+" beyond this: counting further costs a full scan


@dataclass
class Worklist:
    items: list[model.WorkItem]
    total: int
    page: int
    pages: int
    counts: dict[str, int] = field(default_factory=dict)  # per SLA state, for the filter tabs
    limit: int = 1000

    def shown(self, count: int) -> str:
        """A count as a tab shows it: exact up to the limit, then "1000+"."""
        return f"{self.limit}+" if count > self.limit else str(count)

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def task_list(filters: Filters, *, uow: ports.UnitOfWork, clock: Clock, policy: Policy) -> Worklist:
    """One page of ready work items and the SLA counts for the tabs (read only)."""
    if filters.sla not in (None, *SLA_STATES) or filters.sort not in SORTS:
        raise InvalidInput("Unknown filter or sort order.")
    if filters.channel not in (None, *model.CHANNELS):
        raise InvalidInput(f"Unknown channel {filters.channel!r}.")
    now = clock.now()
    risk = policy.calendar.deadline(now, policy.at_risk_margin)
    query = replace(filters, now=now, at_risk_before=risk, page=min(max(filters.page, 1), MAX_PAGE),
                    per_page=min(max(filters.per_page, 1), 100))  # fmt: skip
    with uow:
        counts = uow.work_items.sla_counts(query)  # the tabs' counts give the total too
        total = counts[query.sla] if query.sla else sum(counts.values())
        pages = max((total + query.per_page - 1) // query.per_page, 1)
        if total <= query.count_limit:  # a page beyond the counted list shows its last page
            query = replace(query, page=min(query.page, pages))
        items = uow.work_items.search(query)
    if total > query.count_limit and len(items) == query.per_page:
        pages = max(pages, query.page + 1)  # beyond the counted range: there is at least one more
    return Worklist(items, total, query.page, pages, counts, query.count_limit)


def claim_task(
    case_id: str, task_id: str, *, actor: model.Actor, uow: ports.UnitOfWork, clock: Clock, policy: Policy,
    release: bool = False,
) -> model.WorkItem:  # fmt: skip
    """Take a ready task (or give it back with release=True); a task claimed by another is a Conflict."""
    with uow:
        item = next((i for i in uow.work_items.for_case(case_id) if i.task_id == task_id), None)
        if item is None:
            raise TaskNotFound(f"No ready task {task_id!r} in this case.")
        access.require_lane(actor, item, policy)
        wanted = None if release else actor.id
        expected = actor.id if release else None
        if item.assignee not in (expected, wanted):
            raise Conflict(f"Task '{item.name}' is claimed by {item.assignee}.")
        uow.work_items.assign(case_id, task_id, wanted, expected=item.assignee)
        uow.commit()
    item.assignee = wanted
    return item
