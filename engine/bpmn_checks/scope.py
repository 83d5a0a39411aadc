"""Which processes of an upload run, and how they call one another.

A case runs one process (the main one) and the processes its call activities call. A
collaboration from a modeler often holds other pools too (the customer, a partner, a
documentation pool with its own lanes), marked not executable: they are never run, so they
are not checked. Called processes must exist in the file and be executable.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from engine.bpmn import BPMN, visible, where, within
from engine.errors import InvalidBpmn


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
    idle = [visible(p.get("id")) for p in candidates if p not in reached]
    if idle:
        warnings.append(
            f"Process {', '.join(idle)} is marked executable but never runs (cases start on "
            f"'{visible(main.get('id'))}', which does not call it); it was not checked."
        )
    return Scope(main, reached, by_id)


def _main(candidates: list[etree._Element]) -> etree._Element:
    called = {c.get("calledElement") for c in within(candidates, "callActivity")}
    top = [p for p in candidates if p.get("id") not in called]
    return (top or candidates)[0]


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
    """Every call activity calls an executable process of the file."""
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
