"""What a BPMN upload is: safe XML loading and the facts the application reads from it.

Everything here reads the XML only; the checks are in engine/notation/bpmn_checks/ and
SpiffWorkflow's own parse is in engine/spiff/storage.py.

Documented defaults: a process without `isExecutable` is executable (as in SpiffWorkflow);
a process drawn without any lane gives its user tasks to the DEFAULT_LANE, with a warning.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from lxml import etree

from engine.kernel.errors import InvalidBpmn

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


# A timer text that is a whole ISO 8601 duration (P..), repeating interval (R../..) or date
# (2026-.., 2026W..) is that literal value, quoted or not, as Camunda Modeler writes it.
ISO_LITERAL = re.compile(r"(R\d*/)?(P[\dT]|\d{4}-?(\d\d|W\d))[\dA-Za-z:.,+/-]*")


MAX_NESTING = 20  # subprocesses and call activities inside one another, at deploy and at run time


TIMER_FUNCTIONS = frozenset({"deadline", "at_risk", "end_of_day"})


CONDITION_FUNCTIONS = frozenset({"len", "bool", "str", "int", "float", "abs", "min", "max"})


WAITING_TASKS = ("userTask", "manualTask", "task")  # a plain bpmn:task waits for a person too


SUBPROCESSES = ("subProcess", "transaction")


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
        raise InvalidBpmn(f"Rejected: upload size limit ({len(data):,} bytes; at most {MAX_BYTES:,}).")
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
                f"Not a BPMN 2.0 document: the namespace is '{qname.namespace or 'none'}', expected '{BPMN}'."
            )
        raise InvalidBpmn(f"Not a BPMN 2.0 definitions document: the root element is <{qname.localname}>.")
    if next(root.iter(etree.Entity), None) is not None:  # a reference left unexpanded
        raise InvalidBpmn("Rejected: DTD/entities not allowed (the file uses an entity).")
    included = next(root.iter(*(f"{{{ns}}}*" for ns in XINCLUDE)), None)
    if included is not None:
        raise InvalidBpmn(f"Rejected: XInclude is not allowed (line {included.sourceline}).")


def visible(text: str | None) -> str:
    """Show control and bidi characters as escapes so they cannot hide in a message."""
    return "".join(f"\\u{ord(c):04x}" if unicodedata.category(c) in ("Cc", "Cf") else c for c in text or "")


def where(element: etree._Element) -> str:
    return f"'{visible(element.get('id'))}' (line {element.sourceline})"


def label(element: etree._Element) -> str:
    """'Service task', 'Exclusive gateway', ... from the element's tag."""
    words = re.sub(r"(?<!^)([A-Z])", r" \1", etree.QName(element).localname).lower()
    return words[0].upper() + words[1:]


def children_of(element: etree._Element, *kinds: str) -> list[etree._Element]:
    return [c for c in element if etree.QName(c).localname in kinds and etree.QName(c).namespace == BPMN]


def _lanes(processes: Sequence[etree._Element]) -> dict[str, str]:
    lanes: dict[str, str] = {}
    for ref in within(processes, "flowNodeRef"):
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


def timer_literal(text: str | None) -> str | None:
    """The ISO 8601 value an unquoted timer text is (e.g. PT10S); None for an expression."""
    text = (text or "").strip()
    return text if ISO_LITERAL.fullmatch(text) else None


def within(processes: Sequence[etree._Element], *kinds: str) -> Iterator[etree._Element]:
    """The BPMN elements of these kinds inside the given processes, in document order."""
    tags = [f"{{{BPMN}}}{kind}" for kind in kinds]
    for process in processes:
        yield from process.iter(*tags)


def read_user_tasks(processes: Sequence[etree._Element], warnings: list[str]) -> dict[str, UserTask]:
    """The waiting tasks of the processes that run: lane, form, and whether on the main path."""
    lanes, side = _lanes(processes), _side_paths(processes)
    tasks = list(within(processes, *WAITING_TASKS))
    # Never an unassignable work item: the tasks of a process drawn without lanes are the officers'.
    with_lanes = {p.get("id") for p in processes if p.find(f".//{{{BPMN}}}lane") is not None}
    laneless = {t.get("id") for t in tasks if _process_of(t).get("id") not in with_lanes}
    if laneless:
        warnings.append(
            f"{len(laneless)} user task(s) are in a process without lanes; they go to the '{DEFAULT_LANE}' lane."
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


def _side_paths(processes: Sequence[etree._Element]) -> set[str]:
    """Ids of the elements reachable from boundary events: escalations beside the main path."""
    targets: dict[str, list[str]] = {}
    for flow in within(processes, "sequenceFlow"):
        targets.setdefault(flow.get("sourceRef"), []).append(flow.get("targetRef"))
    todo = [e.get("id") for e in within(processes, "boundaryEvent")]
    seen: set[str] = set()
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo.extend(targets.get(node, []))
    return seen
