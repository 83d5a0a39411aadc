"""What changed between two process versions: elements, timers, conditions, forms."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from engine.kernel import model, ports
from engine.kernel.errors import VersionNotFound
from engine.notation import bpmn

DETAIL_ATTRIBUTES = ("name", "sourceRef", "targetRef", "attachedToRef", "cancelActivity", "isInterrupting",
                     "triggeredByEvent", "calledElement", "default")  # fmt: skip


@dataclass(frozen=True)
class Change:
    id: str
    kind: str
    name: str
    details: tuple[str, ...] = ()


@dataclass
class VersionDiff:
    older: int
    newer: int
    added: list[Change] = field(default_factory=list)
    removed: list[Change] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)
    forms_added: list[str] = field(default_factory=list)
    forms_removed: list[str] = field(default_factory=list)
    forms_changed: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.forms_added or self.forms_removed
                    or self.forms_changed)  # fmt: skip


def compare_versions(process_key: str, older: int, newer: int, *, uow: ports.UnitOfWork) -> VersionDiff:
    """The differences between two deployed versions of a process (read only)."""
    with uow:
        by_number = {v.number: v for v in uow.versions.list(process_key)}
    missing = [n for n in (older, newer) if n not in by_number]
    if missing:
        raise VersionNotFound(f"Process '{process_key}' has no version {missing[0]}.")
    return diff_versions(by_number[older], by_number[newer])


def diff_versions(older: model.ProcessVersion, newer: model.ProcessVersion) -> VersionDiff:
    a, b = _elements(older.bpmn_xml), _elements(newer.bpmn_xml)
    diff = VersionDiff(older.number, newer.number)
    diff.added = [_change(i, b[i]) for i in b if i not in a]
    diff.removed = [_change(i, a[i]) for i in a if i not in b]
    for element_id in a.keys() & b.keys():
        details = _what_changed(a[element_id], b[element_id])
        if details:
            diff.changed.append(_change(element_id, b[element_id], details))
    diff.changed.sort(key=lambda c: c.id)
    diff.forms_added = sorted(newer.forms.keys() - older.forms.keys())
    diff.forms_removed = sorted(older.forms.keys() - newer.forms.keys())
    diff.forms_changed = sorted(p for p in older.forms.keys() & newer.forms.keys() if older.forms[p] != newer.forms[p])
    return diff


COMPARED = set(bpmn.FLOW_NODES) | {"sequenceFlow", "lane", "process", "message", "participant"}
EXPRESSIONS = ("timeDate", "timeDuration", "timeCycle", "conditionExpression", "script", "loopCardinality")


def _elements(xml: bytes) -> dict[str, dict[str, Any]]:
    """The process elements (not diagram shapes) by id, each with the facts worth comparing."""
    root = bpmn.load(xml)
    lanes = {
        ref.text.strip(): ref.getparent().get("name") for ref in root.iter(f"{{{bpmn.BPMN}}}flowNodeRef") if ref.text
    }
    elements = {}
    for element in root.iter(*(f"{{{bpmn.BPMN}}}{kind}" for kind in COMPARED)):
        if element.get("id"):
            facts: dict[str, Any] = {a: element.get(a) for a in DETAIL_ATTRIBUTES if element.get(a) is not None}
            facts.update(kind=etree.QName(element).localname, lane=lanes.get(element.get("id")))
            if element.get(f"{{{bpmn.CAMUNDA}}}formKey"):
                facts["form"] = element.get(f"{{{bpmn.CAMUNDA}}}formKey")
            elements[element.get("id")] = facts
    for expression in root.iter(*(f"{{{bpmn.BPMN}}}{tag}" for tag in EXPRESSIONS)):
        owner = next((a for a in expression.iterancestors() if a.get("id") in elements), None)
        if owner is not None:
            elements[owner.get("id")][etree.QName(expression).localname] = (expression.text or "").strip()
    return elements


def _what_changed(old: dict[str, Any], new: dict[str, Any]) -> tuple[str, ...]:
    keys = sorted(old.keys() | new.keys())
    return tuple(f"{k}: {old.get(k) or '—'} → {new.get(k) or '—'}" for k in keys if old.get(k) != new.get(k))


def _change(element_id: str, facts: dict[str, Any], details: tuple[str, ...] = ()) -> Change:
    return Change(element_id, facts["kind"], facts.get("name") or "", details)
