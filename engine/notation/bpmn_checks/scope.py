"""Which processes of an upload run, and how they call one another.

A case runs one process (the main one) and the processes its call activities call. A
collaboration from a modeler often holds other pools too (the customer, a partner, a
documentation pool with its own lanes), marked not executable: they are never run, so they
are not checked. Called processes must exist, be executable, never call back into
themselves, and nest at most MAX_NESTING deep.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from lxml import etree

from engine.kernel.errors import InvalidBpmn
from engine.notation.bpmn import BPMN, FLOW_NODES, MAX_NESTING, SUBPROCESSES, children_of, visible, where, within

NESTING = (*SUBPROCESSES, "adHocSubProcess")  # each runs as a workflow inside its parent


@dataclass(frozen=True)
class Scope:
    """The process a case starts on and every process it may run (main first)."""

    main: etree._Element
    processes: list[etree._Element]
    by_id: dict[str, etree._Element]


def executable(process: etree._Element) -> bool:
    # As in SpiffWorkflow, a process without the attribute is executable.
    return process.get("isExecutable", "true") == "true"


def running(root: etree._Element, problems: list[str], warnings: list[str]) -> Scope:
    """The main process and the processes it calls; all processes when none is executable."""
    processes = root.findall(f"{{{BPMN}}}process")
    if not processes:
        raise InvalidBpmn("The file has no bpmn:process element.")
    by_id = {p.get("id"): p for p in processes}
    candidates = [p for p in processes if executable(p)]
    if not candidates:
        ids = ", ".join(visible(p.get("id")) for p in processes)
        problems.append(
            f'Process {ids} is not executable (isExecutable is not "true"). '
            "Tick 'Executable' in the modeler's properties panel and upload again."
        )
        return Scope(_main(processes), processes, by_id)  # the owner has yet to say which one runs
    main = _main(candidates)
    reached = [by_id[i] for i in _closure(main.get("id"), _calls(by_id))]
    idle = [visible(p.get("id")) for p in candidates if p not in reached and children_of(p, *FLOW_NODES)]
    if idle:
        warnings.append(
            f"Process {', '.join(idle)} is executable but never runs (cases start on "
            f"'{visible(main.get('id'))}', which does not call it); it was not checked."
        )
    return Scope(main, reached, by_id)


def _main(candidates: list[etree._Element]) -> etree._Element:
    """The first process no call activity calls, preferring one with a flow marked executable."""
    called = {c.get("calledElement") for c in within(candidates, "callActivity")}
    top = [p for p in candidates if p.get("id") not in called] or candidates
    # An empty process is a black-box pool; an explicit isExecutable="true" beats an absent one.
    return min(top, key=lambda p: (not children_of(p, *FLOW_NODES), p.get("isExecutable") != "true"))


def _calls(by_id: dict[str, etree._Element]) -> dict[str, list[tuple[str, etree._Element]]]:
    """Process id -> (called process id, call activity) for the called processes in the file."""
    return {
        pid: [(c.get("calledElement"), c) for c in within([p], "callActivity") if c.get("calledElement") in by_id]
        for pid, p in by_id.items()
    }


def _closure(start: str, calls: dict[str, list[tuple[str, etree._Element]]]) -> list[str]:
    seen, todo = [start], [start]
    while todo:
        for target, _ in calls[todo.pop()]:
            if target not in seen:
                seen.append(target)
                todo.append(target)
    return seen


def check_calls(scope: Scope, problems: list[str]) -> None:
    """Every call activity calls an executable process of the file; no cycles; bounded nesting."""
    for call in within(scope.processes, "callActivity"):
        target = call.get("calledElement")
        if not target:
            problems.append(f"Call activity {where(call)} names no called process (calledElement).")
        elif target not in scope.by_id:
            problems.append(f"Call activity {where(call)}: called process '{visible(target)}' not found in this file.")
        elif not executable(scope.by_id[target]) and executable(scope.main):
            problems.append(
                f"Call activity {where(call)}: called process '{visible(target)}' is not executable "
                '(isExecutable is not "true").'
            )
    calls = _calls({p.get("id"): p for p in scope.processes})
    order, cycles = _walk([p.get("id") for p in scope.processes], calls)
    for chain, call in cycles:
        problems.append(
            f"Call activity {where(call)} closes a cycle of called processes: "
            f"{' → '.join(visible(p) for p in chain)}. A process may not call itself, directly or "
            "through another process: its cases would nest without end."
        )
    depth = _depths(order, calls, scope.by_id).get(scope.main.get("id"), 0)
    if depth > MAX_NESTING and not cycles:
        problems.append(
            f"Subprocesses and call activities nest {depth} deep in process '{visible(scope.main.get('id'))}' "
            f"(at most {MAX_NESTING})."
        )


def _walk(
    starts: list[str], calls: dict[str, list[tuple[str, etree._Element]]]
) -> tuple[list[str], list[tuple[list[str], etree._Element]]]:
    """Depth-first over calls, without recursion: callees before callers, and every cycle met."""
    order: list[str] = []
    cycles: list[tuple[list[str], etree._Element]] = []
    state: dict[str, str] = {}
    for start in starts:
        if start in state:
            continue
        path, stack = [start], [iter(calls[start])]
        state[start] = "open"
        while stack:
            step = next(stack[-1], None)
            if step is None:
                stack.pop()
                state[path[-1]] = "done"
                order.append(path.pop())
            elif state.get(step[0]) == "open":
                cycles.append((path[path.index(step[0]) :] + [step[0]], step[1]))
            elif step[0] not in state:
                state[step[0]] = "open"
                path.append(step[0])
                stack.append(iter(calls[step[0]]))
    return order, cycles


def _depths(
    order: list[str], calls: dict[str, list[tuple[str, etree._Element]]], by_id: dict[str, etree._Element]
) -> dict[str, int]:
    """How deep workflows nest when each process runs (callees first; a cycle counts once)."""
    depths: dict[str, int] = {}
    for pid in order:
        levels = [_level(e) for e in _nesting(by_id[pid])]
        levels += [_level(call) + depths.get(target, 0) for target, call in calls[pid]]
        depths[pid] = max(levels, default=0)
    return depths


def _nesting(process: etree._Element) -> Iterator[etree._Element]:
    return process.iter(*(f"{{{BPMN}}}{kind}" for kind in NESTING))


def _level(element: etree._Element) -> int:
    """The nesting level of the workflow this element starts: 1 directly in its process."""
    return 1 + sum(1 for a in element.iterancestors() if etree.QName(a).localname in NESTING)
