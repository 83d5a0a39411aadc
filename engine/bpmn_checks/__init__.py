"""Whether a BPMN upload is safe and runnable: every static check, all problems listed at once.

Messages name the element id and line so a process owner can find the problem in a modeler.
Constructs SpiffWorkflow 3.2.0 cannot run are found here too, even for a process not yet
marked executable.
"""

from __future__ import annotations

import ast
from collections import Counter
from collections.abc import Callable, Mapping

from lxml import etree

from engine import sandbox
from engine.bpmn import (
    BPMN,
    CONDITION_FUNCTIONS,
    FLOW_NODES,
    FORM_PATH,
    ISO_LIKE,
    MAX_EXPRESSION,
    MAX_FLOW_NODES,
    MAX_LOOP,
    MAX_PROBLEMS,
    MAX_SCRIPT,
    MAX_SCRIPT_TOTAL,
    MAX_TIMER_DAYS,
    NS,
    OMG,
    SPIFF,
    SPLITTING,
    SUBPROCESSES,
    TIMER_FUNCTIONS,
    UNSUPPORTED,
    Definition,
    UserTask,
    children_of,
    label,
    read_user_tasks,
    visible,
    where,
)
from engine.errors import InvalidBpmn


def inspect(
    root: etree._Element,
    forms: Mapping[str, object],
    lane_roles: Mapping[str, str],
    literal_problem: Callable[[str, str], str | None],
) -> Definition:
    """All static checks; raises InvalidBpmn listing every problem found."""
    _check_size(root)
    problems: list[str] = []
    warnings: list[str] = []
    process = _main_process(root, problems)
    _check_ids(root, problems)
    _check_flows(root, problems)
    _check_structure(root, problems)
    user_tasks = read_user_tasks(root, warnings)
    _check_user_tasks(user_tasks, forms, lane_roles, problems)
    _check_timers(root, literal_problem, problems, warnings)
    _check_conditions(root, problems)
    _check_scripts(root, problems)
    _check_loops(root, problems)
    _check_reachable(root, problems)
    if problems:
        shown = problems[:MAX_PROBLEMS]
        if len(problems) > MAX_PROBLEMS:
            shown.append(f"... and {len(problems) - MAX_PROBLEMS} more.")
        raise InvalidBpmn(f"The BPMN file has {len(problems)} problem(s).", shown)
    return Definition(
        process_id=process.get("id"),
        name=process.get("name") or process.get("id"),
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


def _main_process(root: etree._Element, problems: list[str]) -> etree._Element:
    processes = root.findall(f"{{{BPMN}}}process")
    if not processes:
        raise InvalidBpmn("The file has no bpmn:process element.")
    # As in SpiffWorkflow, a process without the attribute is executable.
    executable = [p for p in processes if p.get("isExecutable", "true") == "true"]
    if not executable:
        ids = ", ".join(visible(p.get("id")) for p in processes)
        problems.append(
            f'Process {ids} is not executable (isExecutable is not "true"). '
            "Tick 'Executable' in the modeler's properties panel and upload again."
        )
    called = {e.get("calledElement") for e in root.iter(f"{{{BPMN}}}callActivity")}
    top = [p for p in executable or processes if p.get("id") not in called]
    return (top or executable or processes)[0]


def _check_ids(root: etree._Element, problems: list[str]) -> None:
    # Only ids of the OMG vocabularies must be unique: modelers reuse ids in their extensions.
    ids = root.xpath("//*[starts-with(namespace-uri(), $omg)]/@id", omg=OMG)
    counts, lines = Counter(ids), {}
    for i in ids:
        if counts[i] > 1:
            lines.setdefault(str(i), []).append(str(i.getparent().sourceline))
    for duplicate, at in sorted(lines.items()):
        shown = at[:5] + (["..."] if len(at) > 5 else [])
        problems.append(f"Duplicate id '{visible(duplicate)}' (lines {', '.join(shown)}).")


def _check_flows(root: etree._Element, problems: list[str]) -> None:
    ids = set(root.xpath("//@id"))
    for flow in root.iter(f"{{{BPMN}}}sequenceFlow"):
        for end in ("sourceRef", "targetRef"):
            if flow.get(end) not in ids:
                problems.append(
                    f"Sequence flow {where(flow)}: {end} points to missing element '{visible(flow.get(end))}'."
                )
    process_ids = {p.get("id") for p in root.iter(f"{{{BPMN}}}process")}
    for call in root.iter(f"{{{BPMN}}}callActivity"):
        if not call.get("calledElement"):
            problems.append(f"Call activity {where(call)} names no called process (calledElement).")
        elif call.get("calledElement") not in process_ids:
            problems.append(
                f"Call activity {where(call)}: called process "
                f"'{visible(call.get('calledElement'))}' not found in this file."
            )


def _check_structure(root: etree._Element, problems: list[str]) -> None:
    """Constructs that SpiffWorkflow 3.2.0 refuses or cannot run, named with element and line."""
    for process in root.iter(f"{{{BPMN}}}process"):
        if children_of(process, *FLOW_NODES) and not children_of(process, "startEvent"):
            problems.append(f"Process {where(process)} has no start event.")
    for sub in root.iter(*(f"{{{BPMN}}}{kind}" for kind in SUBPROCESSES)):
        starts = len(children_of(sub, "startEvent"))
        if starts != 1:
            problems.append(f"{label(sub)} {where(sub)} needs exactly one start event (it has {starts}).")
        if not children_of(sub, "endEvent"):
            problems.append(f"{label(sub)} {where(sub)} has no end event.")
    for element in root.iter(*(f"{{{BPMN}}}{kind}" for kind in UNSUPPORTED)):
        why = UNSUPPORTED[etree.QName(element).localname]
        problems.append(f"{label(element)} {where(element)}: {why}.")
    _check_splits(root, problems)
    _check_data_associations(root, problems)


def _check_splits(root: etree._Element, problems: list[str]) -> None:
    outgoing: dict[str, list[etree._Element]] = {}
    for flow in root.iter(f"{{{BPMN}}}sequenceFlow"):
        outgoing.setdefault(flow.get("sourceRef"), []).append(flow)
    for node in root.iter(*(f"{{{BPMN}}}{kind}" for kind in FLOW_NODES)):
        kind, flows = etree.QName(node).localname, outgoing.get(node.get("id"), [])
        if len(flows) > 1 and kind not in SPLITTING and not kind.endswith("Gateway"):
            problems.append(
                f"{label(node)} {where(node)} has {len(flows)} outgoing flows; SpiffWorkflow "
                "3.2.0 does not split after a task or event: add a parallel or exclusive gateway."
            )
        if kind in ("exclusiveGateway", "inclusiveGateway") and len(flows) > 1:
            unconditional = [f for f in flows if f.find(f"{{{BPMN}}}conditionExpression") is None]
            for flow in unconditional:
                if flow.get("id") != node.get("default"):
                    problems.append(
                        f"Sequence flow {where(flow)} leaves {label(node).lower()} "
                        f"'{visible(node.get('id'))}' without a condition and is not its default flow."
                    )


_ASSOCIATED = "//bpmn:dataInputAssociation/bpmn:sourceRef | //bpmn:dataOutputAssociation/bpmn:targetRef"


def _check_data_associations(root: etree._Element, problems: list[str]) -> None:
    # SpiffWorkflow resolves associations only to data object references.
    refs = root.xpath(_ASSOCIATED, namespaces=NS)
    kinds = {i: etree.QName(i.getparent()).localname for i in root.xpath("//@id")} if refs else {}
    for ref in refs:
        name = kinds.get((ref.text or "").strip(), "missing element")
        if name not in ("dataObjectReference", "dataStoreReference"):  # stores: reported above
            owner = ref.getparent().getparent()
            problems.append(
                f"{label(owner)} {where(owner)}: data association to "
                f"'{visible((ref.text or '').strip())}' ({name}) cannot be resolved; "
                "SpiffWorkflow 3.2.0 only associates data object references."
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


def _expression(element: etree._Element) -> str:
    return (element.text or "").strip()


def _check_timers(
    root: etree._Element,
    literal_problem: Callable[[str, str], str | None],
    problems: list[str],
    warnings: list[str],
) -> None:
    for definition in root.iter(f"{{{BPMN}}}timerEventDefinition"):
        event = definition.getparent()
        specs = [c for c in definition if isinstance(c.tag, str)]
        label = f"Timer {where(event)}"
        if not specs or not _expression(specs[0]):
            problems.append(f"{label} has no time expression.")
            continue
        kind, text = etree.QName(specs[0]).localname, _expression(specs[0])
        if len(text) > MAX_EXPRESSION:
            problems.append(f"{label}: expression is too long (at most {MAX_EXPRESSION:,} characters).")
            continue
        try:
            tree = ast.parse(text, mode="eval").body
        except (SyntaxError, RecursionError, MemoryError) as error:
            problems.append(f"{label}: expression {visible(text)!r} is not valid ({_syntax(error)}).")
            continue
        if isinstance(tree, ast.Constant) and isinstance(tree.value, str):
            problem = literal_problem(kind, tree.value)
            if problem and problem.startswith("warning: "):
                warnings.append(f"{label}: {visible(problem[9:])}")
            elif problem:
                problems.append(f"{label}: {visible(problem)}")
        elif not (_is_case_data(tree) or _is_timer_call(tree)):
            hint = f' (in quotes: "{text}")' if ISO_LIKE.fullmatch(text) else ""
            problems.append(
                f"{label}: expression {visible(text)!r} must be an ISO 8601 string literal{hint}, a "
                f"case data name or a call of {', '.join(sorted(TIMER_FUNCTIONS))} on case data, "
                "e.g. deadline(received_at, 3)."
            )


def _syntax(error: Exception) -> str:
    return error.msg if isinstance(error, SyntaxError) else "nested too deeply"


def _is_case_data(tree: ast.expr) -> bool:
    return isinstance(tree, ast.Name) and not tree.id.startswith("_")


def _is_small_constant(tree: ast.expr) -> bool:
    # A huge number of working days would keep the calendar counting for minutes.
    value = tree.value if isinstance(tree, ast.Constant) else None
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, int | float):
        return 0 <= value <= MAX_TIMER_DAYS
    return isinstance(value, str) and len(value) <= 64


def _is_timer_call(tree: ast.expr) -> bool:
    return (
        isinstance(tree, ast.Call)
        and isinstance(tree.func, ast.Name)
        and tree.func.id in TIMER_FUNCTIONS
        and not tree.keywords
        and all(_is_case_data(a) or _is_small_constant(a) for a in tree.args)
    )


_SIMPLE = (
    ast.Expression, ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.Not, ast.USub,
    ast.Compare, ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.In, ast.NotIn,
    ast.Is, ast.IsNot, ast.Name, ast.Load, ast.Constant, ast.List, ast.Tuple, ast.IfExp,
    ast.BinOp, ast.Add, ast.Sub, ast.Call,
)  # fmt: skip


def condition_problem(text: str) -> str | None:
    """Why a gateway condition is not a simple comparison over case data, or None."""
    if len(text) > MAX_EXPRESSION:
        return f"is too long (at most {MAX_EXPRESSION:,} characters)"
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, RecursionError, MemoryError) as error:
        return f"is not valid ({_syntax(error)})"
    for node in ast.walk(tree):
        if not isinstance(node, _SIMPLE):
            return f"uses {type(node).__name__}, which conditions may not use"
        if isinstance(node, ast.Name) and node.id.startswith("_"):
            return f"uses the name {node.id!r}"
        if isinstance(node, ast.Call) and not (isinstance(node.func, ast.Name) and node.func.id in CONDITION_FUNCTIONS):
            name = node.func.id if isinstance(node.func, ast.Name) else "a function"
            return f"calls {visible(name)}(), which conditions may not call"
        if isinstance(node, ast.Constant) and isinstance(node.value, str | bytes):
            if len(node.value) > 1000:
                return "has an overlong literal"
    return None


def _check_conditions(root: etree._Element, problems: list[str]) -> None:
    budget = MAX_SCRIPT_TOTAL  # checking is ~0.5 ms per 1,000 characters: bound the work
    for condition in root.iter(f"{{{BPMN}}}conditionExpression"):
        flow = condition.getparent()
        budget -= len(_expression(condition))
        if budget < 0:
            problems.append(f"Conditions are too long in all (at most {MAX_SCRIPT_TOTAL:,} characters).")
            return
        problem = condition_problem(_expression(condition))
        if problem:
            problems.append(
                f"Condition on flow {where(flow)}: {visible(_expression(condition))!r} {problem}; "
                "use a comparison over case data, e.g. decision == 'rejected'."
            )


def _owner(element: etree._Element) -> etree._Element:
    """The BPMN element that a nested definition (script, loop, ...) belongs to."""
    owner = element.getparent()
    while owner is not None and (etree.QName(owner).namespace != BPMN or owner.tag in _WRAPPERS):
        owner = owner.getparent()
    return owner if owner is not None else element


_WRAPPERS = {f"{{{BPMN}}}{t}" for t in ("extensionElements", "multiInstanceLoopCharacteristics")}


def _check_scripts(root: etree._Element, problems: list[str]) -> None:
    scripts = [(s.getparent(), s.text or "") for s in root.iter(f"{{{BPMN}}}script")]
    for extra in root.iter(f"{{{SPIFF}}}preScript", f"{{{SPIFF}}}postScript"):
        scripts.append((_owner(extra), extra.text or ""))
    budget = MAX_SCRIPT_TOTAL  # compiling is slow (~3 s per MB): bound the work an upload causes
    for owner, text in scripts:
        budget -= len(text)
        if len(text) > MAX_SCRIPT or budget < 0:
            problems.append(
                f"Script of {where(owner)} is too long ({len(text):,} characters; at most "
                f"{MAX_SCRIPT:,} per script and {MAX_SCRIPT_TOTAL:,} in all)."
            )
            continue
        problem = sandbox.check(text, "exec")
        if problem:
            problems.append(f"Script of {where(owner)} is refused by the sandbox: {problem}")


def _check_loops(root: etree._Element, problems: list[str]) -> None:
    for loop in root.iter(f"{{{BPMN}}}standardLoopCharacteristics"):
        maximum = loop.get("loopMaximum")
        if not (maximum and maximum.isdigit() and int(maximum) <= MAX_LOOP):
            problems.append(f"Loop of {where(loop.getparent())} needs loopMaximum between 1 and {MAX_LOOP}.")
    for loop in root.iter(f"{{{BPMN}}}multiInstanceLoopCharacteristics"):
        given = len(children_of(loop, "loopCardinality", "loopDataInputRef"))
        if given != 1:
            problems.append(
                f"Multi-instance {where(loop.getparent())} needs either a loop cardinality or an "
                f"input collection (loopDataInputRef), not {'both' if given else 'neither'}."
            )
    for cardinality in root.iter(f"{{{BPMN}}}loopCardinality"):
        text = _expression(cardinality)
        task = _owner(cardinality)
        if text.isdigit() and int(text) > MAX_LOOP:
            problems.append(f"Multi-instance {where(task)}: cardinality {text} exceeds {MAX_LOOP}.")
        elif not text.isdigit() and not text.isidentifier():
            problems.append(f"Multi-instance {where(task)}: cardinality must be a number or a variable name.")


def _check_reachable(root: etree._Element, problems: list[str]) -> None:
    """Every flow node of an executable process must lie on a path from a start event."""
    for process in root.iterfind("bpmn:process", NS):
        if process.get("isExecutable") != "false":
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
