"""What a BPMN upload is, and whether it is safe to run: XML hardening, metadata, static checks.

Everything here reads the XML only; SpiffWorkflow's own parse is in engine/spiff.py.
Messages name the element id and line so a process owner can find the problem in a modeler.
Constructs SpiffWorkflow 3.2.0 cannot run are found here too, so that an upload lists all of
its problems at once, even for a process not yet marked executable.

Documented defaults: a process without `isExecutable` is executable (as in SpiffWorkflow);
a process drawn without any lane gives its user tasks to the DEFAULT_LANE, with a warning.
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
OMG = "http://www.omg.org/spec/"  # BPMN, BPMNDI, DC, DI: the namespaces whose ids must be unique
NS = {"bpmn": BPMN, "spiffworkflow": SPIFF}

MAX_BYTES = 5 * 1024 * 1024
MAX_DEPTH = 64
MAX_FLOW_NODES = 400  # SpiffWorkflow's parser recurses along flows; ~480 in a row overflow it
MAX_LOOP = 1_000
MAX_TIMER_DAYS = 1_000  # largest number a timer may pass to deadline(...) and friends
MAX_PROBLEMS = 30  # listed one by one; the rest are counted
MAX_SCRIPT = 10_000  # characters of one script
MAX_SCRIPT_TOTAL = 100_000  # characters of all scripts, and of all conditions, in one upload
MAX_EXPRESSION = 1_000  # characters of a condition or timer expression
DEFAULT_LANE = "officer"  # complaint officers take the user tasks of a process drawn without lanes
FORM_PATH = re.compile(r"forms/[\w.-]+\.form", re.UNICODE)
ISO_LIKE = re.compile(r"(R\d*/)?P[\dYMWDTHS.]+|\d{4}-\d\d-\d\dT[\d:.+Z-]+")  # an unquoted timer literal
TIMER_FUNCTIONS = frozenset({"deadline", "at_risk", "end_of_day"})
CONDITION_FUNCTIONS = frozenset({"len", "bool", "str", "int", "float", "abs", "min", "max"})
WAITING_TASKS = ("userTask", "manualTask", "task")  # a plain bpmn:task waits for a person too
SUBPROCESSES = ("subProcess", "transaction")
SPLITTING = ("startEvent", "boundaryEvent")  # besides gateways, the nodes SpiffWorkflow lets fork
UNSUPPORTED = {
    "serviceTask": "service tasks cannot call anything here; use a script task or a message event",
    "businessRuleTask": "business rule tasks need DMN decisions, which cannot be deployed here",
    "complexGateway": "SpiffWorkflow 3.2.0 does not run complex gateways",
    "dataStore": "data stores are not supported; keep data in the case",
    "dataStoreReference": "data stores are not supported; keep data in the case",
}
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
    except ValueError as error:  # e.g. an encoding lxml does not know
        raise InvalidBpmn(f"Not well-formed XML: {error}.") from None
    if root is None:
        raise InvalidBpmn("Not XML: no root element.")
    # The byte check above misses a DOCTYPE behind a long comment or in UTF-16: ask the parser.
    if root.getroottree().docinfo.doctype:
        raise InvalidBpmn("Rejected: DTD/entities not allowed (the file declares a DOCTYPE).")
    _check_shape(root)
    return root


def _xml_error(error: etree.XMLSyntaxError) -> str:
    message = str(error.msg or error).split(", line")[0]
    if "Excessive depth" in message:
        return "Rejected: nesting too deep."
    if "amplification" in message or "entity reference loop" in message:
        return "Rejected: entity expansion (DTD entities are not allowed)."
    if "Start tag expected" in message or "Document is empty" in message:
        return "Not XML: the file does not start with an XML element (is it a BPMN file?)."
    line, column = error.position if error.position else (None, None)
    return f"Not well-formed XML: {message} (line {line}, column {column})."


def _check_shape(root: etree._Element) -> None:
    # XPath runs in C: one pass even over the ~10^6 elements a 5 MB file may hold.
    if root.xpath("boolean(/*" + "/*" * (MAX_DEPTH + 1) + ")"):  # > MAX_DEPTH ancestors
        raise InvalidBpmn(f"Rejected: nesting too deep (more than {MAX_DEPTH} levels).")
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
    if next(root.iter(etree.Entity), None) is not None:  # a reference left unexpanded
        raise InvalidBpmn("Rejected: DTD/entities not allowed (the file uses an entity).")
    included = next(root.iter(*(f"{{{ns}}}*" for ns in XINCLUDE)), None)
    if included is not None:
        raise InvalidBpmn(f"Rejected: XInclude is not allowed (line {included.sourceline}).")


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
    user_tasks = _user_tasks(root, warnings)
    _check_user_tasks(user_tasks, forms, lane_roles, problems)
    _check_timers(root, literal_problem, problems, warnings)
    _check_conditions(root, problems)
    _check_scripts(root, problems)
    _check_loops(root, problems)
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


def visible(text: str | None) -> str:
    """Show control and bidi characters as escapes so they cannot hide in a message."""
    return "".join(
        f"\\u{ord(c):04x}" if unicodedata.category(c) in ("Cc", "Cf") else c for c in text or ""
    )


def _where(element: etree._Element) -> str:
    return f"'{visible(element.get('id'))}' (line {element.sourceline})"


def _main_process(root: etree._Element, problems: list[str]) -> etree._Element:
    processes = root.findall(f"{{{BPMN}}}process")
    if not processes:
        raise InvalidBpmn("The file has no bpmn:process element.")
    # As in SpiffWorkflow, a process without the attribute is executable.
    executable = [p for p in processes if p.get("isExecutable", "true") == "true"]
    if not executable:
        ids = ", ".join(visible(p.get("id")) for p in processes)
        problems.append(
            f"Process {ids} is not executable (isExecutable is not \"true\"). "
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
    for duplicate, where in sorted(lines.items()):
        shown = where[:5] + (["..."] if len(where) > 5 else [])
        problems.append(f"Duplicate id '{visible(duplicate)}' (lines {', '.join(shown)}).")


def _check_flows(root: etree._Element, problems: list[str]) -> None:
    ids = set(root.xpath("//@id"))
    for flow in root.iter(f"{{{BPMN}}}sequenceFlow"):
        for end in ("sourceRef", "targetRef"):
            if flow.get(end) not in ids:
                problems.append(
                    f"Sequence flow {_where(flow)}: {end} points to missing element "
                    f"'{visible(flow.get(end))}'."
                )
    process_ids = {p.get("id") for p in root.iter(f"{{{BPMN}}}process")}
    for call in root.iter(f"{{{BPMN}}}callActivity"):
        if not call.get("calledElement"):
            problems.append(f"Call activity {_where(call)} names no called process (calledElement).")
        elif call.get("calledElement") not in process_ids:
            problems.append(
                f"Call activity {_where(call)}: called process "
                f"'{visible(call.get('calledElement'))}' not found in this file."
            )


def _label(element: etree._Element) -> str:
    """'Service task', 'Exclusive gateway', ... from the element's tag."""
    words = re.sub(r"(?<!^)([A-Z])", r" \1", etree.QName(element).localname).lower()
    return words[0].upper() + words[1:]


def _children(element: etree._Element, *kinds: str) -> list[etree._Element]:
    return [c for c in element if etree.QName(c).localname in kinds and etree.QName(c).namespace == BPMN]


def _check_structure(root: etree._Element, problems: list[str]) -> None:
    """Constructs that SpiffWorkflow 3.2.0 refuses or cannot run, named with element and line."""
    for process in root.iter(f"{{{BPMN}}}process"):
        if _children(process, *FLOW_NODES) and not _children(process, "startEvent"):
            problems.append(f"Process {_where(process)} has no start event.")
    for sub in root.iter(*(f"{{{BPMN}}}{kind}" for kind in SUBPROCESSES)):
        starts = len(_children(sub, "startEvent"))
        if starts != 1:
            problems.append(f"{_label(sub)} {_where(sub)} needs exactly one start event (it has {starts}).")
        if not _children(sub, "endEvent"):
            problems.append(f"{_label(sub)} {_where(sub)} has no end event.")
    for element in root.iter(*(f"{{{BPMN}}}{kind}" for kind in UNSUPPORTED)):
        why = UNSUPPORTED[etree.QName(element).localname]
        problems.append(f"{_label(element)} {_where(element)}: {why}.")
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
                f"{_label(node)} {_where(node)} has {len(flows)} outgoing flows; SpiffWorkflow "
                "3.2.0 does not split after a task or event: add a parallel or exclusive gateway."
            )
        if kind in ("exclusiveGateway", "inclusiveGateway") and len(flows) > 1:
            unconditional = [f for f in flows if f.find(f"{{{BPMN}}}conditionExpression") is None]
            for flow in unconditional:
                if flow.get("id") != node.get("default"):
                    problems.append(
                        f"Sequence flow {_where(flow)} leaves {_label(node).lower()} "
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
                f"{_label(owner)} {_where(owner)}: data association to "
                f"'{visible((ref.text or '').strip())}' ({name}) cannot be resolved; "
                "SpiffWorkflow 3.2.0 only associates data object references."
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


def _user_tasks(root: etree._Element, warnings: list[str]) -> dict[str, UserTask]:
    lanes, side = _lanes(root), _side_paths(root)
    tasks = list(root.iter(*(f"{{{BPMN}}}{kind}" for kind in WAITING_TASKS)))
    # Never an unassignable work item: the tasks of a process drawn without lanes are the officers'.
    processes = root.iter(f"{{{BPMN}}}process")
    with_lanes = {p.get("id") for p in processes if p.find(f".//{{{BPMN}}}lane") is not None}
    laneless = {t.get("id") for t in tasks if _process_of(t).get("id") not in with_lanes}
    if laneless:
        warnings.append(
            f"{len(laneless)} user task(s) are in a process without lanes; "
            f"they go to the '{DEFAULT_LANE}' lane."
        )
    return {
        t.get("id"): UserTask(
            t.get("id"), t.get("name") or t.get("id"),
            DEFAULT_LANE if t.get("id") in laneless else _lane_of(t, lanes), _form_of(t),
            main=t.get("id") not in side and not _in_event_subprocess(t),
        )
        for t in tasks
    }  # fmt: skip


def _process_of(element: etree._Element) -> etree._Element:
    return next(element.iterancestors(f"{{{BPMN}}}process"), element)


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
        if isinstance(node, ast.Call) and not (
            isinstance(node.func, ast.Name) and node.func.id in CONDITION_FUNCTIONS
        ):
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
                f"Condition on flow {_where(flow)}: {visible(_expression(condition))!r} {problem}; "
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
                f"Script of {_where(owner)} is too long ({len(text):,} characters; at most "
                f"{MAX_SCRIPT:,} per script and {MAX_SCRIPT_TOTAL:,} in all)."
            )
            continue
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
    for loop in root.iter(f"{{{BPMN}}}multiInstanceLoopCharacteristics"):
        given = len(_children(loop, "loopCardinality", "loopDataInputRef"))
        if given != 1:
            problems.append(
                f"Multi-instance {_where(loop.getparent())} needs either a loop cardinality or an "
                f"input collection (loopDataInputRef), not {'both' if given else 'neither'}."
            )
    for cardinality in root.iter(f"{{{BPMN}}}loopCardinality"):
        text = _expression(cardinality)
        task = _owner(cardinality)
        if text.isdigit() and int(text) > MAX_LOOP:
            problems.append(
                f"Multi-instance {_where(task)}: cardinality {text} exceeds {MAX_LOOP}."
            )
        elif not text.isdigit() and not text.isidentifier():
            problems.append(
                f"Multi-instance {_where(task)}: cardinality must be a number or a variable name."
            )
