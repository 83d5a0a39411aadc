"""Whether a BPMN upload is safe and runnable: every static check, all problems listed at once.

Messages name the element id and line so a process owner can find the problem in a modeler.
The checks apply to the processes that run (`scope`): the main process and those it calls;
other pools of a collaboration are documentation. Constructs SpiffWorkflow 3.2.0 cannot run
(`structure`) and expressions that are not safe (`expressions`) are found here too, even
for a process not yet marked executable.
"""

from __future__ import annotations

from collections.abc import Mapping

from lxml import etree

from engine.kernel.errors import InvalidBpmn
from engine.notation.bpmn import (
    BPMN,
    FLOW_NODES,
    FORM_PATH,
    MAX_FLOW_NODES,
    MAX_PROBLEMS,
    Definition,
    UserTask,
    read_user_tasks,
    visible,
)
from engine.notation.bpmn_checks import expressions, scope, structure
from engine.notation.bpmn_checks.expressions import LiteralProblem, condition_problem

__all__ = ["condition_problem", "inspect"]


def inspect(
    root: etree._Element,
    forms: Mapping[str, object],
    lane_roles: Mapping[str, str],
    literal_problem: LiteralProblem,
) -> Definition:
    """All static checks; raises InvalidBpmn listing every problem found."""
    _check_size(root)
    problems: list[str] = []
    warnings: list[str] = []
    running = scope.running(root, problems, warnings)
    processes = running.processes
    structure.check_ids(root, problems)
    structure.check_reserved_ids(processes, problems)
    structure.check_flows(root, processes, problems)
    scope.check_calls(running, problems)
    structure.check_structure(root, processes, problems)
    user_tasks = read_user_tasks(processes, warnings)
    _check_user_tasks(user_tasks, forms, lane_roles, problems)
    expressions.check_timers(processes, literal_problem, problems, warnings)
    expressions.check_conditions(processes, problems)
    expressions.check_scripts(processes, problems)
    expressions.check_loops(processes, problems)
    structure.check_reachable(processes, problems)
    if problems:
        shown = problems[:MAX_PROBLEMS]
        if len(problems) > MAX_PROBLEMS:
            shown.append(f"... and {len(problems) - MAX_PROBLEMS} more.")
        raise InvalidBpmn(f"The BPMN file has {len(problems)} problem(s).", shown)
    return Definition(
        process_id=running.main.get("id"),
        name=running.main.get("name") or running.main.get("id"),
        user_tasks=user_tasks,
        warnings=warnings,
    )


def _check_size(root: etree._Element) -> None:
    # SpiffWorkflow's parser recurses along the flow: stop before it does, with one message.
    nodes = sum(1 for _ in root.iter(*(f"{{{BPMN}}}{n}" for n in FLOW_NODES)))
    if nodes > MAX_FLOW_NODES:
        raise InvalidBpmn(
            f"Too many elements: {nodes:,} flow nodes (at most {MAX_FLOW_NODES} per upload); "
            "split the process into called subprocesses."
        )


def _check_user_tasks(
    tasks: Mapping[str, UserTask],
    forms: Mapping[str, object],
    lane_roles: Mapping[str, str],
    problems: list[str],
) -> None:
    for task in tasks.values():
        label = f"User task '{visible(task.id)}'"
        if task.lane is None:
            problems.append(f"{label} is in no lane, so no role could ever work on it.")
        elif task.lane not in lane_roles:
            hidden = visible(task.lane) != task.lane  # e.g. "officer" + RIGHT-TO-LEFT OVERRIDE
            problems.append(
                f"{label}: lane '{visible(task.lane)}' maps to no role "
                + ("(its name contains invisible control characters) " if hidden else "")
                + f"(known lanes: {', '.join(sorted(lane_roles))})."
            )
        if task.form is None:
            continue
        if not FORM_PATH.fullmatch(task.form):
            problems.append(
                f"{label}: form reference '{visible(task.form)}' must be forms/<name>.form (no folders, no '..')."
            )
        elif task.form not in forms:
            problems.append(f"{label}: form {task.form} not found.")
