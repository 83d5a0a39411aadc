"""What runs inside the processes: timers, conditions, scripts and loops, checked before deploy.

Timers are ISO 8601 values, quoted or not (Camunda Modeler writes `PT10S`), or a call of a
working-day function on case data; conditions are comparisons over case data; scripts must
pass the sandbox's compile-time check; loops are bounded.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Sequence

from lxml import etree

from engine.notation import sandbox
from engine.notation.bpmn import (
    BPMN,
    CONDITION_FUNCTIONS,
    MAX_EXPRESSION,
    MAX_LOOP,
    MAX_SCRIPT,
    MAX_SCRIPT_TOTAL,
    MAX_TIMER_DAYS,
    SPIFF,
    TIMER_FUNCTIONS,
    children_of,
    timer_literal,
    visible,
    where,
    within,
)

TIME_KINDS = ("timeDate", "timeDuration", "timeCycle")

LiteralProblem = Callable[[str, str], "str | None"]


def _expression(element: etree._Element) -> str:
    return (element.text or "").strip()


def check_timers(
    processes: Sequence[etree._Element], literal_problem: LiteralProblem, problems: list[str], warnings: list[str]
) -> None:
    for definition in within(processes, "timerEventDefinition"):
        label = f"Timer {where(definition.getparent())}"
        specs = children_of(definition, *TIME_KINDS)
        if len(specs) > 1:
            problems.append(f"{label} has {len(specs)} time expressions; give one of {', '.join(TIME_KINDS)}.")
            continue
        if not specs or not _expression(specs[0]):
            problems.append(f"{label} has no time expression.")
            continue
        problem = timer_problem(etree.QName(specs[0]).localname, _expression(specs[0]), literal_problem)
        if problem and problem.startswith("warning: "):
            warnings.append(f"{label}: {problem[9:]}")
        elif problem:
            problems.append(f"{label}: {problem}")


def timer_problem(kind: str, text: str, literal_problem: LiteralProblem) -> str | None:
    """Why a timer text would fail, flood or escape ("warning: ..." if only odd), or None."""
    if len(text) > MAX_EXPRESSION:
        return f"expression is too long (at most {MAX_EXPRESSION:,} characters)."
    value = timer_literal(text)
    if value is None:
        try:
            tree = ast.parse(text, mode="eval").body
        except (SyntaxError, RecursionError, MemoryError) as error:
            return f"expression {visible(text)!r} is not valid ({_syntax(error)})."
        if isinstance(tree, ast.Constant) and isinstance(tree.value, str):
            value = tree.value
        elif _is_case_data(tree) or _is_timer_call(tree):
            return None
        else:
            return (
                f"expression {visible(text)!r} must be an ISO 8601 value (e.g. PT2H, R3/PT1H or "
                f"2026-03-20T18:00:00+04:00), a case data name or a call of "
                f"{', '.join(sorted(TIMER_FUNCTIONS))} on case data, e.g. deadline(received_at, 3)."
            )
    problem = literal_problem(kind, value)
    return visible(problem) if problem else None


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


def check_conditions(processes: Sequence[etree._Element], problems: list[str]) -> None:
    budget = MAX_SCRIPT_TOTAL  # checking is ~0.5 ms per 1,000 characters: bound the work
    for condition in within(processes, "conditionExpression"):
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


def check_scripts(processes: Sequence[etree._Element], problems: list[str]) -> None:
    scripts = [(s.getparent(), s.text or "") for s in within(processes, "script")]
    for process in processes:
        for extra in process.iter(f"{{{SPIFF}}}preScript", f"{{{SPIFF}}}postScript"):
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


def check_loops(processes: Sequence[etree._Element], problems: list[str]) -> None:
    for loop in within(processes, "standardLoopCharacteristics"):
        maximum = loop.get("loopMaximum")
        if not (maximum and maximum.isdigit() and int(maximum) <= MAX_LOOP):
            problems.append(f"Loop of {where(loop.getparent())} needs loopMaximum between 1 and {MAX_LOOP}.")
    for loop in within(processes, "multiInstanceLoopCharacteristics"):
        given = len(children_of(loop, "loopCardinality", "loopDataInputRef"))
        if given != 1:
            problems.append(
                f"Multi-instance {where(loop.getparent())} needs either a loop cardinality or an "
                f"input collection (loopDataInputRef), not {'both' if given else 'neither'}."
            )
    for cardinality in within(processes, "loopCardinality"):
        text = _expression(cardinality)
        task = _owner(cardinality)
        if text.isdigit() and int(text) > MAX_LOOP:
            problems.append(f"Multi-instance {where(task)}: cardinality {text} exceeds {MAX_LOOP}.")
        elif not text.isdigit() and not text.isidentifier():
            problems.append(f"Multi-instance {where(task)}: cardinality must be a number or a variable name.")
