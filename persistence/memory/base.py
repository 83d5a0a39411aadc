"""The in-memory tables and what every store over them shares."""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from engine.kernel import model

if TYPE_CHECKING:
    from persistence.memory import MemoryUnitOfWork


@dataclass
class Tables:
    versions: dict[str, model.ProcessVersion] = field(default_factory=dict)
    cases: dict[str, model.Case] = field(default_factory=dict)
    personal: dict[str, model.PersonalData] = field(default_factory=dict)
    work_items: dict[tuple[str, str], model.WorkItem] = field(default_factory=dict)
    events: dict[str, list[model.Event]] = field(default_factory=dict)
    outbox: dict[str, model.OutboxMessage] = field(default_factory=dict)
    sequences: dict[int, int] = field(default_factory=dict)
    users: dict[str, model.User] = field(default_factory=dict)
    drafts: dict[str, model.Draft] = field(default_factory=dict)
    views: list[model.PersonalDataView] = field(default_factory=list)
    inbound: dict[str, model.InboundMessage] = field(default_factory=dict)
    attachments: dict[str, model.Attachment] = field(default_factory=dict)


class MemoryDatabase:
    def __init__(self) -> None:
        self.tables = Tables()
        self.lock = threading.Lock()


Op = Callable[[Tables], None]


def put(table: str, key: Any, value: Any) -> Op:
    frozen = copy.deepcopy(value)
    return lambda t: getattr(t, table).__setitem__(key, copy.deepcopy(frozen))


class Store:
    def __init__(self, uow: MemoryUnitOfWork, tables: Tables):
        self.uow = uow
        self.t = tables
