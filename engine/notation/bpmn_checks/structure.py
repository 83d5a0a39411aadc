"""The shape of the processes that run: ids, flows, events, gateways, data, reachability.

What SpiffWorkflow 3.2.0 refuses or cannot run is named here with element and line. A task
or event with several unconditioned outgoing flows is an implicit parallel split, which runs
(engine/spiff/storage.py parses it); conditions on such flows would be ignored, so they are
refused.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from lxml import etree

from engine.notation.bpmn import (
    BPMN,
    FLOW_NODES,
    NS,
    OMG,
    SUBPROCESSES,
    UNSUPPORTED,
    children_of,
    label,
    visible,
    where,
    within,
)
from engine.notation.bpmn_checks.scope import executable


def check_ids(root: etree._Element, problems: list[str]) -> None:
    """Ids of the OMG vocabularies are unique in the whole file (modelers reuse ids in extensions)."""
    ids = root.xpath("//*[starts-with(namespace-uri(), $omg)]/@id", omg=OMG)
    counts, lines = Counter(ids), {}
    for i in ids:
        if counts[i] > 1:
            lines.setdefault(str(i), []).append(str(i.getparent().sourceline))
    for duplicate, at in sorted(lines.items()):
        shown = at[:5] + (["..."] if len(at) > 5 else [])
        problems.append(f"Duplicate id '{visible(duplicate)}' (lines {', '.join(shown)}).")


def check_reserved_ids(processes: Sequence[etree._Element], problems: list[str]) -> None:
    """SpiffWorkflow names its own tasks Start, End and <process>.EndJoin: such an id breaks every case."""
    for process in processes:
        reserved = {"Start", "End", f"{process.get('id')}.EndJoin"}
        for node in within([process], *FLOW_NODES):
            if node.get("id") in reserved:
                example = label(node).replace(" ", "") + "_1"
                problems.append(f"{label(node)} {where(node)}: SpiffWorkflow reserves this id (use e.g. {example}).")


def check_flows(root: etree._Element, processes: Sequence[etree._Element], problems: list[str]) -> None:
    ids = set(root.xpath("//@id"))
    for flow in within(processes, "sequenceFlow"):
        for end in ("sourceRef", "targetRef"):
            if flow.get(end) not in ids:
                problems.append(
                    f"Sequence flow {where(flow)}: {end} points to missing element '{visible(flow.get(end))}'."
                )


def check_structure(root: etree._Element, processes: Sequence[etree._Element], problems: list[str]) -> None:
    """Constructs that SpiffWorkflow 3.2.0 refuses or cannot run, named with element and line."""
    for process in processes:
        if children_of(process, *FLOW_NODES) and not children_of(process, "startEvent"):
            problems.append(f"Process {where(process)} has no start event.")
    for sub in within(processes, *SUBPROCESSES):
        starts = len(children_of(sub, "startEvent"))
        if starts != 1:
            problems.append(f"{label(sub)} {where(sub)} needs exactly one start event (it has {starts}).")
        if not children_of(sub, "endEvent"):
            problems.append(f"{label(sub)} {where(sub)} has no end event.")
    # SpiffWorkflow's parser refuses a file declaring a data store, whichever pool uses it.
    for element in [*children_of(root, "dataStore"), *within(processes, *UNSUPPORTED)]:
        why = UNSUPPORTED[etree.QName(element).localname]
        problems.append(f"{label(element)} {where(element)}: {why}.")
    _check_outgoing(processes, problems)
    _check_data_associations(processes, problems)


def _check_outgoing(processes: Sequence[etree._Element], problems: list[str]) -> None:
    outgoing: dict[str, list[etree._Element]] = {}
    for flow in within(processes, "sequenceFlow"):
        outgoing.setdefault(flow.get("sourceRef"), []).append(flow)
    for node in within(processes, *FLOW_NODES):
        kind, flows = etree.QName(node).localname, outgoing.get(node.get("id"), [])
        conditional = [f for f in flows if f.find(f"{{{BPMN}}}conditionExpression") is not None]
        if conditional and not kind.endswith("Gateway"):
            problems.append(
                f"{label(node)} {where(node)} has conditional outgoing flows "
                f"({', '.join(visible(f.get('id')) for f in conditional)}); SpiffWorkflow 3.2.0 ignores "
                "conditions after a task or event: decide in an exclusive or inclusive gateway after it."
            )
        if kind in ("exclusiveGateway", "inclusiveGateway") and len(flows) > 1:
            for flow in flows:
                if flow not in conditional and flow.get("id") != node.get("default"):
                    problems.append(
                        f"Sequence flow {where(flow)} leaves {label(node).lower()} "
                        f"'{visible(node.get('id'))}' without a condition and is not its default flow."
                    )


_ASSOCIATED = ".//bpmn:dataInputAssociation/bpmn:sourceRef | .//bpmn:dataOutputAssociation/bpmn:targetRef"


def _check_data_associations(processes: Sequence[etree._Element], problems: list[str]) -> None:
    # SpiffWorkflow resolves associations only to data object references.
    refs = [ref for process in processes for ref in process.xpath(_ASSOCIATED, namespaces=NS)]
    root = processes[0].getroottree() if refs else None
    kinds = {i: etree.QName(i.getparent()).localname for i in root.xpath("//@id")} if root is not None else {}
    for ref in refs:
        name = kinds.get((ref.text or "").strip(), "missing element")
        if name not in ("dataObjectReference", "dataStoreReference"):  # stores: reported above
            owner = ref.getparent().getparent()
            problems.append(
                f"{label(owner)} {where(owner)}: data association to "
                f"'{visible((ref.text or '').strip())}' ({name}) cannot be resolved; "
                "SpiffWorkflow 3.2.0 only associates data object references."
            )


def check_reachable(processes: Sequence[etree._Element], problems: list[str]) -> None:
    """Every flow node of an executable process must lie on a path from a start event."""
    for process in processes:
        if executable(process):
            _reach_container(process, problems)


def _reach_container(container: etree._Element, problems: list[str]) -> None:
    nodes = {n.get("id"): n for n in container if isinstance(n.tag, str) and etree.QName(n).localname in FLOW_NODES}
    targets: dict[str, list[str]] = {}
    for flow in container.iterfind("bpmn:sequenceFlow", NS):
        targets.setdefault(flow.get("sourceRef"), []).append(flow.get("targetRef"))
    attached: dict[str, list[str]] = {}
    for boundary in container.iterfind("bpmn:boundaryEvent", NS):
        attached.setdefault(boundary.get("attachedToRef"), []).append(boundary.get("id"))
    todo = [i for i, n in nodes.items() if _entry(n)]
    seen: set[str] = set()
    while todo:
        node_id = todo.pop()
        if node_id in seen or node_id not in nodes:
            continue
        seen.add(node_id)
        todo += targets.get(node_id, []) + attached.get(node_id, [])
        if etree.QName(nodes[node_id]).localname in SUBPROCESSES:
            _reach_container(nodes[node_id], problems)
    for node_id in sorted(nodes.keys() - seen):
        problems.append(
            f"{label(nodes[node_id])} {where(nodes[node_id])} is never reached: no path leads to it from a start event."
        )


def _entry(node: etree._Element) -> bool:
    """Where execution can begin: start events, and event subprocesses (started by their event)."""
    kind = etree.QName(node).localname
    return kind == "startEvent" or (kind in SUBPROCESSES and node.get("triggeredByEvent") == "true")
