"""Small BPMN files written the way modelers export them (Camunda Modeler, bpmn.io), for tests.

Every user task is in the `officer` lane unless a test says otherwise; timers are written as
Camunda Modeler writes them: `<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">PT10S`.
"""

from __future__ import annotations

from collections.abc import Iterable

HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" '
    'id="Definitions_1" targetNamespace="http://bpmn.io/schema/bpmn" exporter="Camunda Modeler" '
    'exporterVersion="5.31.0">\n'
)

PLACEMENTS = ("boundary", "intermediate", "event_subprocess")


def definitions(*parts: str) -> bytes:
    """A whole file: collaboration and processes, in the order given."""
    return (HEAD + "\n".join(parts) + "\n</bpmn:definitions>\n").encode()


def process(pid: str, body: str, *, lanes: dict[str, Iterable[str]] | None = None, executable: bool = True,
            name: str = "") -> str:  # fmt: skip
    """A process; `lanes` maps lane names to the ids of the nodes drawn in them."""
    lane_set = ""
    if lanes:
        rows = "".join(
            f'<bpmn:lane id="Lane_{pid}_{i}" name="{lane}">'
            + "".join(f"<bpmn:flowNodeRef>{node}</bpmn:flowNodeRef>" for node in nodes)
            + "</bpmn:lane>"
            for i, (lane, nodes) in enumerate(lanes.items())
        )
        lane_set = f'<bpmn:laneSet id="LaneSet_{pid}">{rows}</bpmn:laneSet>'
    flag = "true" if executable else "false"
    return f'<bpmn:process id="{pid}" name="{name or pid}" isExecutable="{flag}">{lane_set}{body}</bpmn:process>'


def flow(fid: str, source: str, target: str, condition: str | None = None) -> str:
    if condition is None:
        return f'<bpmn:sequenceFlow id="{fid}" sourceRef="{source}" targetRef="{target}" />'
    return (
        f'<bpmn:sequenceFlow id="{fid}" sourceRef="{source}" targetRef="{target}">'
        f'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{condition}</bpmn:conditionExpression>'
        "</bpmn:sequenceFlow>"
    )


def chain(*nodes: str, prefix: str = "Flow") -> str:
    """Sequence flows joining the node ids in order."""
    return "".join(flow(f"{prefix}_{a}_{b}", a, b) for a, b in zip(nodes, nodes[1:], strict=False))


def user_task(tid: str, name: str = "") -> str:
    return f'<bpmn:userTask id="{tid}" name="{name or tid}" />'


def timer(kind: str, text: str, tid: str = "TimerDef_1") -> str:
    return (
        f'<bpmn:timerEventDefinition id="{tid}">'
        f'<bpmn:{kind} xsi:type="bpmn:tFormalExpression">{text}</bpmn:{kind}>'
        "</bpmn:timerEventDefinition>"
    )


def timed(kind: str, text: str, placement: str) -> bytes:
    """A process whose timer, once fired, gives the officer `Task_Late`.

    boundary: a non-interrupting timer on `Task_Work`; intermediate: the process waits on the
    timer right after its start; event_subprocess: a non-interrupting timer start event.
    """
    definition = timer(kind, text)
    if placement == "boundary":
        body = (
            '<bpmn:startEvent id="StartEvent_1" />' + user_task("Task_Work") + '<bpmn:endEvent id="EndEvent_1" />'
            f'<bpmn:boundaryEvent id="Timer_1" name="Late" cancelActivity="false" attachedToRef="Task_Work">'
            f"{definition}</bpmn:boundaryEvent>"
            + user_task("Task_Late") + '<bpmn:endEvent id="EndEvent_Late" />'
            + chain("StartEvent_1", "Task_Work", "EndEvent_1") + chain("Timer_1", "Task_Late", "EndEvent_Late")
        )  # fmt: skip
    elif placement == "intermediate":
        body = (
            '<bpmn:startEvent id="StartEvent_1" />'
            f'<bpmn:intermediateCatchEvent id="Timer_1" name="Late">{definition}</bpmn:intermediateCatchEvent>'
            + user_task("Task_Late") + '<bpmn:endEvent id="EndEvent_1" />'
            + chain("StartEvent_1", "Timer_1", "Task_Late", "EndEvent_1")
        )  # fmt: skip
    else:
        body = (
            '<bpmn:startEvent id="StartEvent_1" />' + user_task("Task_Work") + '<bpmn:endEvent id="EndEvent_1" />'
            + chain("StartEvent_1", "Task_Work", "EndEvent_1")
            + '<bpmn:subProcess id="Sub_Late" triggeredByEvent="true">'
            f'<bpmn:startEvent id="Timer_1" name="Late" isInterrupting="false">{definition}</bpmn:startEvent>'
            + user_task("Task_Late") + '<bpmn:endEvent id="EndEvent_Late" />'
            + chain("Timer_1", "Task_Late", "EndEvent_Late") + "</bpmn:subProcess>"
        )  # fmt: skip
    lanes = {"officer": ["StartEvent_1", "Task_Work", "Task_Late", "Timer_1", "EndEvent_1", "EndEvent_Late"]}
    return definitions(process("Process_Timed", body, lanes=lanes))


def caller(pid: str, targets: list[str]) -> str:
    """A process that calls the given processes one after another, then ends."""
    calls = [f"Call_{pid}_{i}_{target}" for i, target in enumerate(targets)]
    nodes = ["Start_" + pid, *calls, "End_" + pid]
    body = (
        f'<bpmn:startEvent id="Start_{pid}" />'
        + "".join(f'<bpmn:callActivity id="{c}" calledElement="{t}" />' for c, t in zip(calls, targets, strict=True))
        + f'<bpmn:endEvent id="End_{pid}" />' + chain(*nodes, prefix=f"Flow_{pid}")
    )  # fmt: skip
    return process(pid, body)


def calling(calls: dict[str, list[str]]) -> bytes:
    """Processes that call one another: process id -> the processes it calls, in order."""
    return definitions(*(caller(pid, targets) for pid, targets in calls.items()))


PARTICIPANTS = (
    '<bpmn:collaboration id="Collaboration_1">'
    '<bpmn:participant id="Participant_Shop" name="Complaint desk" processRef="Process_Shop" />'
    '<bpmn:participant id="Participant_Customer" name="Customer" processRef="Process_Customer" />'
    '<bpmn:messageFlow id="MessageFlow_1" sourceRef="Task_Complain" targetRef="Task_Handle" />'
    "</bpmn:collaboration>"
)


def collaboration(
    *, shop_lane: str = "officer", shop_executable: bool = True, customer_executable: bool = False
) -> bytes:
    """Two pools as bpmn.io exports them: the complaint desk (runs) and the customer (documents)."""
    return definitions(PARTICIPANTS, shop(shop_lane, shop_executable), customer(customer_executable))


def shop(lane: str = "officer", executable: bool = True) -> str:
    """The complaint desk: one user task of `lane`."""
    body = (
        '<bpmn:startEvent id="StartEvent_Shop" />' + user_task("Task_Handle", "Handle the complaint")
        + '<bpmn:endEvent id="EndEvent_Shop" />' + chain("StartEvent_Shop", "Task_Handle", "EndEvent_Shop")
    )  # fmt: skip
    return process("Process_Shop", body, lanes={lane: ["StartEvent_Shop", "Task_Handle"]}, executable=executable)


def customer(executable: bool = False) -> str:
    """The customer's pool, with what a documentation pool may hold and an executable one may not.

    A lane that is no role, a task in no lane, an empty timer, a service task, a gateway
    without conditions, a script with an import.
    """
    body = (
        '<bpmn:startEvent id="StartEvent_Customer" />' + user_task("Task_Complain", "Complain")
        + user_task("Task_Wait", "Wait for an answer") + '<bpmn:serviceTask id="Task_Tweet" />'
        + '<bpmn:intermediateCatchEvent id="Timer_Patience"><bpmn:timerEventDefinition id="TimerDef_Empty" />'
        + "</bpmn:intermediateCatchEvent>"
        + '<bpmn:scriptTask id="Task_Script"><bpmn:script>import os</bpmn:script></bpmn:scriptTask>'
        + '<bpmn:exclusiveGateway id="Gateway_Happy" /><bpmn:endEvent id="EndEvent_Customer" />'
        + chain("StartEvent_Customer", "Task_Complain", "Gateway_Happy")
        + flow("Flow_Happy", "Gateway_Happy", "EndEvent_Customer") + flow("Flow_Unhappy", "Gateway_Happy", "Task_Wait")
        + chain("Task_Wait", "Timer_Patience", "Task_Tweet", "Task_Script", "EndEvent_Customer")
    )  # fmt: skip
    return process("Process_Customer", body, lanes={"Customer": ["Task_Complain"]}, executable=executable)
