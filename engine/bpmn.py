"""What a BPMN upload is, and whether it is safe to run: XML hardening, metadata, static checks.

Everything here reads the XML only; SpiffWorkflow's own parse is in engine/spiff.py.
Messages name the element id and line so a process owner can find the problem in a modeler.
"""

from __future__ import annotations

import ast
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from lxml import etree

from engine import sandbox
from engine.errors import InvalidBpmn

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
XINCLUDE = ("http://www.w3.org/2001/XInclude", "http://www.w3.org/2003/XInclude")
NS = {"bpmn": BPMN, "spiffworkflow": SPIFF}

MAX_BYTES = 5 * 1024 * 1024
MAX_DEPTH = 64
MAX_FLOW_NODES = 400  # SpiffWorkflow's parser recurses along flows; ~480 in a row overflow it
MAX_LOOP = 1_000
FORM_PATH = re.compile(r"forms/[\w.-]+\.form", re.UNICODE)
TIMER_FUNCTIONS = frozenset({"deadline", "at_risk", "end_of_day"})
CONDITION_FUNCTIONS = frozenset({"len", "bool", "str", "int", "float", "abs", "min", "max"})
WAITING_TASKS = ("userTask", "manualTask", "task")  # a plain bpmn:task waits for a person too
FLOW_NODES = (
    "startEvent endEvent intermediateCatchEvent intermediateThrowEvent boundaryEvent task "
    "userTask manualTask scriptTask serviceTask sendTask receiveTask businessRuleTask "
    "callActivity subProcess transaction adHocSubProcess exclusiveGateway parallelGateway "
    "inclusiveGateway eventBasedGateway complexGateway"
).split()


@dataclass(frozen=True)
class UserTask:
    """A task that waits for a person: who (lane) and with which form."""

    id: str
    name: str
    lane: str | None
    form: str | None
    main: bool = True  # False inside an event subprocess or after a boundary event


@dataclass
class Definition:
    """The facts the application needs about one BPMN document."""

    process_id: str
    name: str
    user_tasks: dict[str, UserTask]
    warnings: list[str] = field(default_factory=list)

    def form_paths(self) -> set[str]:
        return {t.form for t in self.user_tasks.values() if t.form}


def load(data: bytes) -> etree._Element:
    """Parse untrusted bytes: no DTD, no entities, no network, bounded size and depth."""
    if not data.strip():
        raise InvalidBpmn("The file is empty.")
    if len(data) > MAX_BYTES:
        raise InvalidBpmn(
            f"Rejected: upload size limit ({len(data):,} bytes; at most {MAX_BYTES:,})."
        )
    head = data[:4096].lower()
    if b"<!doctype" in head or b"<!entity" in data.lower():
        raise InvalidBpmn("Rejected: DTD/entities not allowed (the file declares a DOCTYPE).")
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
        remove_comments=True, remove_pis=True,
    )  # fmt: skip
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        raise InvalidBpmn(_xml_error(error)) from None
    if root is None:
        raise InvalidBpmn("Not XML: no root element.")
    _check_shape(root)
    return root


def _xml_error(error: etree.XMLSyntaxError) -> str:
    message = str(error.msg or error).split(", line")[0]
    if "Excessive depth" in message:
        return "Rejected: nesting too deep."
    if "Start tag expected" in message or "Document is empty" in message:
        return "Not XML: the file does not start with an XML element (is it a BPMN file?)."
    line, column = error.position if error.position else (None, None)
    return f"Not well-formed XML: {message} (line {line}, column {column})."


def _check_shape(root: etree._Element) -> None:
    depth = max((len(list(e.iterancestors())) for e in root.iter()), default=0)
    if depth > MAX_DEPTH:
        raise InvalidBpmn(f"Rejected: nesting too deep ({depth} levels; at most {MAX_DEPTH}).")
    if root.tag != f"{{{BPMN}}}definitions":
        qname = etree.QName(root)
        if qname.localname == "definitions":
            raise InvalidBpmn(
                f"Not a BPMN 2.0 document: the namespace is '{qname.namespace or 'none'}', "
                f"expected '{BPMN}'."
            )
        raise InvalidBpmn(
            f"Not a BPMN 2.0 definitions document: the root element is <{qname.localname}>."
        )
    for element in root.iter():
        if isinstance(element.tag, str) and etree.QName(element).namespace in XINCLUDE:
            raise InvalidBpmn(f"Rejected: XInclude is not allowed (line {element.sourceline}).")


def inspect(
    root: etree._Element,
    forms: Mapping[str, object],
    lane_roles: Mapping[str, str],
    literal_problem: Callable[[str, str], str | None],
) -> Definition:
    """All static checks; raises InvalidBpmn listing every problem found."""
    problems: list[str] = []
    process = _main_process(root)
    _check_ids(root, problems)
    _check_flows(root, problems)
    nodes = [e for e in root.iter(*(f"{{{BPMN}}}{n}" for n in FLOW_NODES))]
    if len(nodes) > MAX_FLOW_NODES:
        problems.append(
            f"Too many elements: {len(nodes)} flow nodes (at most {MAX_FLOW_NODES} per upload)."
        )
    user_tasks = _user_tasks(root)
    _check_user_tasks(user_tasks, forms, lane_roles, problems)
    warnings: list[str] = []
    _check_timers(root, literal_problem, problems, warnings)
    _check_conditions(root, problems)
    _check_scripts(root, problems)
    _check_loops(root, problems)
    if problems:
        raise InvalidBpmn(f"The BPMN file has {len(problems)} problem(s).", problems)
    return Definition(
        process_id=process.get("id"),
        name=process.get("name") or process.get("id"),
        user_tasks=user_tasks,
        warnings=warnings,
    )


def visible(text: str | None) -> str:
    """Show control and bidi characters as escapes so they cannot hide in a message."""
    return "".join(
        f"\\u{ord(c):04x}" if unicodedata.category(c) in ("Cc", "Cf") else c for c in text or ""
    )


def _where(element: etree._Element) -> str:
    return f"'{visible(element.get('id'))}' (line {element.sourceline})"


def _main_process(root: etree._Element) -> etree._Element:
    processes = root.findall(f"{{{BPMN}}}process")
    if not processes:
        raise InvalidBpmn("The file has no bpmn:process element.")
    executable = [p for p in processes if p.get("isExecutable") == "true"]
    if not executable:
        ids = ", ".join(visible(p.get("id")) for p in processes)
        raise InvalidBpmn(
            f"Process {ids} is not executable (isExecutable is not \"true\"). "
            "Tick 'Executable' in the modeler's properties panel and upload again."
        )
    called = {e.get("calledElement") for e in root.iter(f"{{{BPMN}}}callActivity")}
    top = [p for p in executable if p.get("id") not in called]
    return (top or executable)[0]


def _check_ids(root: etree._Element, problems: list[str]) -> None:
    ids = Counter(e.get("id") for e in root.iter() if isinstance(e.tag, str) and e.get("id"))
    for duplicate in sorted(i for i, n in ids.items() if n > 1):
        lines = [str(e.sourceline) for e in root.iter() if e.get("id") == duplicate]
        problems.append(f"Duplicate id '{visible(duplicate)}' (lines {', '.join(lines)}).")


def _check_flows(root: etree._Element, problems: list[str]) -> None:
    ids = {e.get("id") for e in root.iter() if isinstance(e.tag, str)}
    for flow in root.iter(f"{{{BPMN}}}sequenceFlow"):
        for end in ("sourceRef", "targetRef"):
            if flow.get(end) not in ids:
                problems.append(
                    f"Sequence flow {_where(flow)}: {end} points to missing element "
                    f"'{visible(flow.get(end))}'."
                )
    process_ids = {p.get("id") for p in root.iter(f"{{{BPMN}}}process")}
    for call in root.iter(f"{{{BPMN}}}callActivity"):
        if call.get("calledElement") not in process_ids:
            problems.append(
                f"Call activity {_where(call)}: called process "
                f"'{visible(call.get('calledElement'))}' not found in this file."
            )


def _lanes(root: etree._Element) -> dict[str, str]:
    lanes: dict[str, str] = {}
    for ref in root.iter(f"{{{BPMN}}}flowNodeRef"):
        lane = ref.getparent()
        if ref.text and lane is not None:
            lanes[ref.text.strip()] = lane.get("name") or lane.get("id")
    return lanes


def _lane_of(element: etree._Element, lanes: Mapping[str, str]) -> str | None:
    """The element's own lane, else that of the nearest enclosing subprocess."""
    node: etree._Element | None = element
    while node is not None:
        if node.get("id") in lanes:
            return lanes[node.get("id")]
        node = node.getparent()
        while node is not None and etree.QName(node).localname not in (
            "subProcess", "transaction", "adHocSubProcess",
        ):  # fmt: skip
            node = node.getparent()
    return None


def _form_of(task: etree._Element) -> str | None:
    form = task.get(f"{{{CAMUNDA}}}formKey")
    for prop in task.iterfind(".//spiffworkflow:property", NS):
        if prop.get("name") == "formJsonSchemaFilename":
            form = form or prop.get("value")
    return form.strip() if form else None


def _user_tasks(root: etree._Element) -> dict[str, UserTask]:
    lanes, side = _lanes(root), _side_paths(root)
    tasks = root.iter(*(f"{{{BPMN}}}{kind}" for kind in WAITING_TASKS))
    return {
        t.get("id"): UserTask(
            t.get("id"), t.get("name") or t.get("id"), _lane_of(t, lanes), _form_of(t),
            main=t.get("id") not in side and not _in_event_subprocess(t),
        )
        for t in tasks
    }  # fmt: skip


def _in_event_subprocess(element: etree._Element) -> bool:
    return any(a.get("triggeredByEvent") == "true" for a in element.iterancestors())


def _side_paths(root: etree._Element) -> set[str]:
    """Ids of the elements reachable from boundary events: escalations beside the main path."""
    targets: dict[str, list[str]] = {}
    for flow in root.iter(f"{{{BPMN}}}sequenceFlow"):
        targets.setdefault(flow.get("sourceRef"), []).append(flow.get("targetRef"))
    todo = [e.get("id") for e in root.iter(f"{{{BPMN}}}boundaryEvent")]
    seen: set[str] = set()
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo.extend(targets.get(node, []))
    return seen


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
            problems.append(
                f"{label}: lane '{visible(task.lane)}' maps to no role "
                f"(known lanes: {', '.join(sorted(lane_roles))})."
            )
        if task.form is None:
            continue
        if not FORM_PATH.fullmatch(task.form):
            problems.append(
                f"{label}: form reference '{visible(task.form)}' must be forms/<name>.form "
                "(no folders, no '..')."
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
        label = f"Timer {_where(event)}"
        if not specs or not _expression(specs[0]):
            problems.append(f"{label} has no time expression.")
            continue
        kind, text = etree.QName(specs[0]).localname, _expression(specs[0])
        try:
            tree = ast.parse(text, mode="eval").body
        except SyntaxError as error:
            problems.append(f"{label}: expression {text!r} is not valid ({error.msg}).")
            continue
        if isinstance(tree, ast.Constant) and isinstance(tree.value, str):
            problem = literal_problem(kind, tree.value)
            if problem and problem.startswith("warning: "):
                warnings.append(f"{label}: {problem[9:]}")
            elif problem:
                problems.append(f"{label}: {problem}")
        elif not _is_timer_call(tree):
            problems.append(
                f"{label}: expression {visible(text)!r} must be an ISO 8601 string literal or a "
                f"call of {', '.join(sorted(TIMER_FUNCTIONS))} on case data, "
                "e.g. deadline(received_at, 3)."
            )


def _is_timer_call(tree: ast.expr) -> bool:
    return (
        isinstance(tree, ast.Call)
        and isinstance(tree.func, ast.Name)
        and tree.func.id in TIMER_FUNCTIONS
        and not tree.keywords
        and all(isinstance(a, ast.Name | ast.Constant) for a in tree.args)
        and all(not (isinstance(a, ast.Name) and a.id.startswith("_")) for a in tree.args)
    )


_SIMPLE = (
    ast.Expression, ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.Not, ast.USub,
    ast.Compare, ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.In, ast.NotIn,
    ast.Is, ast.IsNot, ast.Name, ast.Load, ast.Constant, ast.List, ast.Tuple, ast.IfExp,
    ast.BinOp, ast.Add, ast.Sub, ast.Call,
)  # fmt: skip


def condition_problem(text: str) -> str | None:
    """Why a gateway condition is not a simple comparison over case data, or None."""
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as error:
        return f"is not valid ({error.msg})"
    for node in ast.walk(tree):
        if not isinstance(node, _SIMPLE):
            return f"uses {type(node).__name__}, which conditions may not use"
        if isinstance(node, ast.Name) and node.id.startswith("_"):
            return f"uses the name {node.id!r}"
        if isinstance(node, ast.Call) and not (
            isinstance(node.func, ast.Name) and node.func.id in CONDITION_FUNCTIONS
        ):
            return "calls a function that conditions may not call"
        if isinstance(node, ast.Constant) and isinstance(node.value, str | bytes):
            if len(node.value) > 1000:
                return "has an overlong literal"
    return None


def _check_conditions(root: etree._Element, problems: list[str]) -> None:
    for condition in root.iter(f"{{{BPMN}}}conditionExpression"):
        flow = condition.getparent()
        problem = condition_problem(_expression(condition))
        if problem:
            problems.append(
                f"Condition on flow {_where(flow)}: {visible(_expression(condition))!r} {problem}; "
                "use a comparison over case data, e.g. decision == 'rejected'."
            )


def _check_scripts(root: etree._Element, problems: list[str]) -> None:
    scripts = [(s.getparent(), s.text or "") for s in root.iter(f"{{{BPMN}}}script")]
    for tag in ("preScript", "postScript"):
        scripts += [(s.getparent().getparent(), s.text or "") for s in root.iter(f"{{{SPIFF}}}{tag}")]
    for owner, text in scripts:
        problem = sandbox.check(text, "exec")
        if problem:
            problems.append(f"Script of {_where(owner)} is refused by the sandbox: {problem}")


def _check_loops(root: etree._Element, problems: list[str]) -> None:
    for loop in root.iter(f"{{{BPMN}}}standardLoopCharacteristics"):
        maximum = loop.get("loopMaximum")
        if not (maximum and maximum.isdigit() and int(maximum) <= MAX_LOOP):
            problems.append(
                f"Loop of {_where(loop.getparent())} needs loopMaximum between 1 and {MAX_LOOP}."
            )
    for cardinality in root.iter(f"{{{BPMN}}}loopCardinality"):
        text = _expression(cardinality)
        task = cardinality.getparent().getparent()
        if text.isdigit() and int(text) > MAX_LOOP:
            problems.append(
                f"Multi-instance {_where(task)}: cardinality {text} exceeds {MAX_LOOP}."
            )
        elif not text.isdigit() and not text.isidentifier():
            problems.append(
                f"Multi-instance {_where(task)}: cardinality must be a number or a variable name."
            )
