"""The in-memory stores of cases and what belongs to them: versions, cases, personal data and its
views, work items, events, users, drafts."""

from __future__ import annotations

import copy
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from engine.casework import deadlines
from engine.kernel import model
from engine.kernel.errors import CaseNotFound, Conflict, NotFound, StaleCase, VersionNotFound
from persistence.memory.base import Store, Tables, put


class Versions(Store):
    def add(self, version: model.ProcessVersion) -> None:
        # as SQL's primary key and its unique (process_key, number)
        key = (version.process_key, version.number)
        if any(v.id == version.id or (v.process_key, v.number) == key for v in self.t.versions.values()):
            raise Conflict(
                f"Another version of {version.process_key} was deployed at the same moment; "
                "deploy again to add yours after it."
            )
        self.uow.write(put("versions", version.id, version))

    def get(self, version_id: str) -> model.ProcessVersion:
        if version_id not in self.t.versions:
            raise VersionNotFound(f"No process version {version_id!r}.")
        return copy.deepcopy(self.t.versions[version_id])

    def latest(self, process_key: str) -> model.ProcessVersion | None:
        versions = self.list(process_key)
        return max(versions, key=lambda v: v.number) if versions else None

    def list(self, process_key: str | None = None) -> list[model.ProcessVersion]:
        return [copy.deepcopy(v) for v in self.t.versions.values() if process_key in (None, v.process_key)]

    def open_cases(self, process_key: str) -> dict[str, int]:
        counts: dict[str, int] = {}
        for case in self.t.cases.values():
            if case.process_key == process_key and case.status != "closed":
                counts[case.version_id] = counts.get(case.version_id, 0) + 1
        return counts


class Cases(Store):
    def add(self, case: model.Case) -> None:
        self.uow.write(put("cases", case.id, case))

    def get(self, case_id: str) -> model.Case:
        if case_id not in self.t.cases:
            raise CaseNotFound(f"No case {case_id!r}.")
        return copy.deepcopy(self.t.cases[case_id])

    def by_reference(self, reference: str) -> model.Case:
        for case in self.t.cases.values():
            if case.reference == reference:
                return copy.deepcopy(case)
        raise CaseNotFound(f"No case with reference {reference!r}.")

    def save(self, case: model.Case) -> None:
        self.uow.expected.setdefault(case.id, case.revision)
        if self.t.cases[case.id].revision != case.revision:
            raise StaleCase(f"Case {case.reference} was changed by someone else; reload it.")
        case.revision += 1
        self.uow.write(put("cases", case.id, case))

    def claim_due(self, now: datetime, limit: int, exclude: Collection[str] = ()) -> list[model.Case]:
        due = [
            c for c in self.t.cases.values()
            if c.next_timer_at is not None and c.next_timer_at < now and c.id not in exclude
        ]  # fmt: skip
        due.sort(key=lambda c: c.next_timer_at)  # type: ignore[arg-type]
        return copy.deepcopy(due[:limit])

    def claim(self, case_id: str, now: datetime) -> model.Case | None:
        case = self.t.cases.get(case_id)
        due = case is not None and case.next_timer_at is not None and case.next_timer_at < now
        return copy.deepcopy(case) if due else None

    def open_on(self, version_id: str) -> list[str]:
        cases = [c for c in self.t.cases.values() if c.version_id == version_id and c.status == "open"]
        return [c.id for c in sorted(cases, key=lambda c: c.created_at)]

    def next_due(self) -> datetime | None:
        return min((c.next_timer_at for c in self.t.cases.values() if c.next_timer_at is not None), default=None)

    def next_sequence(self, year: int) -> int:
        number = self.t.sequences.get(year, 0) + 1

        def bump(t: Tables) -> None:
            t.sequences[year] = t.sequences.get(year, 0) + 1

        self.uow.write(bump)
        return number

    def count(self) -> int:
        return len(self.t.cases)

    def ids(self, after: str = "", limit: int = 1000) -> list[str]:
        return sorted(i for i in self.t.cases if i > after)[:limit]

    def many(self, case_ids: Sequence[str]) -> list[model.Case]:
        return [copy.deepcopy(self.t.cases[i]) for i in sorted(set(case_ids)) if i in self.t.cases]

    def received_between(self, start: datetime, end: datetime) -> list[model.Case]:
        found = [c for c in self.t.cases.values() if start <= c.received_at < end]
        return [copy.deepcopy(c) for c in sorted(found, key=lambda c: (c.received_at, c.id))]


class Personal(Store):
    def add(self, personal: model.PersonalData) -> None:
        self.uow.write(put("personal", personal.case_id, personal))

    save = add

    def for_case(self, case_id: str) -> model.PersonalData | None:
        return copy.deepcopy(self.t.personal.get(case_id))


class Views(Store):
    def add(self, view: model.PersonalDataView) -> None:
        self.uow.write(lambda t: t.views.append(view))

    def for_case(self, case_id: str) -> list[model.PersonalDataView]:
        return [v for v in self.t.views if v.case_id == case_id]


class WorkItems(Store):
    def update(self, case_id: str, remove: Sequence[str], add: Sequence[model.WorkItem]) -> None:
        items = [copy.deepcopy(i) for i in add]

        def op(t: Tables) -> None:
            for task_id in remove:
                t.work_items.pop((case_id, task_id), None)
            for item in items:
                t.work_items[(case_id, item.task_id)] = copy.deepcopy(item)

        self.uow.write(op)

    def set_due(self, case_id: str, dues: Mapping[str, datetime | None]) -> None:
        dues = dict(dues)

        def op(t: Tables) -> None:
            for task_id, due in dues.items():
                if (case_id, task_id) in t.work_items:
                    t.work_items[(case_id, task_id)].due_at = due

        self.uow.write(op)

    def for_case(self, case_id: str) -> list[model.WorkItem]:
        return [copy.deepcopy(i) for (c, _), i in self.t.work_items.items() if c == case_id]

    def listing(
        self, lanes: Sequence[str], *, assignee: str | None = None, limit: int = 50, offset: int = 0
    ) -> list[model.WorkItem]:
        items = [
            i for i in self.t.work_items.values()
            if i.lane in lanes and (assignee is None or i.assignee == assignee)
        ]  # fmt: skip
        items.sort(key=lambda i: (i.due_at is None, i.due_at or i.created_at, i.created_at))
        return [copy.deepcopy(i) for i in items[offset : offset + limit]]

    def _matches(self, i: model.WorkItem, f: Any, sla: bool = True) -> bool:
        if i.lane not in f.lanes or any(
            value is not None and getattr(i, name) != value
            for name, value in (("name", f.stage), ("channel", f.channel), ("assignee", f.assignee))
        ):
            return False
        return not sla or f.sla is None or _sla(i, f) == f.sla

    def search(self, f: Any) -> list[model.WorkItem]:
        items = [i for i in self.t.work_items.values() if self._matches(i, f)]
        items.sort(key=lambda i: (i.due_at is None, i.due_at or i.created_at, i.created_at), reverse=f.sort == "-due")
        page = [copy.deepcopy(i) for i in items[(f.page - 1) * f.per_page : f.page * f.per_page]]
        for item in page:
            item.stage = self.t.cases[item.case_id].stage
        return page

    def sla_counts(self, f: Any) -> dict[str, int]:
        counts = dict.fromkeys(("overdue", "at_risk", "on_time"), 0)
        for item in self.t.work_items.values():
            if self._matches(item, f, sla=False):
                counts[_sla(item, f)] += 1
        return {state: min(n, f.count_limit + 1) for state, n in counts.items()}

    def assign(self, case_id: str, task_id: str, assignee: str | None, *, expected: str | None) -> None:
        item = self.t.work_items.get((case_id, task_id))
        if item is None or item.assignee != expected:
            raise Conflict("Someone else claimed or released this task meanwhile; reload the list.")

        def op(t: Tables) -> None:
            t.work_items[(case_id, task_id)].assignee = assignee

        self.uow.write(op)


def _sla(item: model.WorkItem, f: Any) -> str:
    return deadlines.sla_state(item.due_at, f.now, f.at_risk_before)


class Events(Store):
    def append(self, event: model.Event) -> None:
        frozen = copy.deepcopy(event)
        self.uow.write(lambda t: t.events.setdefault(event.case_id, []).append(copy.deepcopy(frozen)))

    def for_case(self, case_id: str) -> list[model.Event]:
        return copy.deepcopy(self.t.events.get(case_id, []))

    def for_cases(self, case_ids: Sequence[str]) -> dict[str, list[model.Event]]:
        return {i: self.for_case(i) for i in case_ids}

    def replace_data(self, event: model.Event) -> None:
        data = copy.deepcopy(event.data)

        def op(t: Tables) -> None:
            t.events[event.case_id][event.seq - 1].data = copy.deepcopy(data)

        self.uow.write(op)


class Users(Store):
    def add(self, user: model.User) -> None:
        if user.username in self.t.users:
            raise Conflict(f"User {user.username!r} exists already.")
        self.uow.write(put("users", user.username, user))

    def get(self, username: str) -> model.User | None:
        return copy.deepcopy(self.t.users.get(username))

    def list(self) -> list[model.User]:
        return [copy.deepcopy(u) for u in self.t.users.values()]

    def set_password(self, username: str, password_hash: str) -> None:
        def op(t: Tables) -> None:
            t.users[username].password_hash = password_hash

        self.uow.write(op)


class Drafts(Store):
    def add(self, draft: model.Draft) -> None:
        self.uow.write(put("drafts", draft.id, draft))

    save = add

    def get(self, draft_id: str) -> model.Draft:
        if draft_id not in self.t.drafts:
            raise NotFound(f"No draft {draft_id!r}.")
        return copy.deepcopy(self.t.drafts[draft_id])

    def delete(self, draft_id: str) -> None:
        self.uow.write(lambda t: t.drafts.pop(draft_id, None))

    def list(self, process_key: str | None = None) -> list[model.Draft]:
        drafts = [d for d in self.t.drafts.values() if process_key in (None, d.process_key)]
        return [copy.deepcopy(d) for d in sorted(drafts, key=lambda d: d.updated_at, reverse=True)]
