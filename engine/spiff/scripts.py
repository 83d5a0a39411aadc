"""Scripts and expressions in the sandbox, and the timer literals checked at deploy."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    TimerEventDefinition,
)

from engine.notation import sandbox
from engine.notation.bpmn import timer_literal
from engine.spiff.clocks import engine_clock

MIN_CYCLE_SECONDS = 60
MAX_FAST_CYCLES = 10  # a few quick repetitions are harmless; a flood is not

# --- timer literals (checked at deploy) ---------------------------------------------------


def timer_literal_problem(kind: str, value: str) -> str | None:
    """Why an ISO 8601 timer value would fail or flood at run time ("warning: ..." if only odd).

    A date must carry its UTC offset: SpiffWorkflow would take a date without one in the
    server's own zone, so such a date is refused rather than guessed.
    """
    try:
        if kind == "timeDate":
            return _date_problem(value)
        if kind == "timeDuration":
            TimerEventDefinition.parse_iso_duration(value)
        elif kind == "timeCycle":
            return _cycle_problem(value)
    except Exception:  # SpiffWorkflow raises bare Exception / ValueError / AttributeError here
        return f"{kind} {value!r} is not a valid ISO 8601 value"
    return None


def _date_problem(value: str) -> str | None:
    if not isinstance(TimerEventDefinition.parse_time_or_duration(value), datetime):
        raise ValueError(value)  # e.g. a duration given as timeDate
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        return f"date {value!r} has no UTC offset (write it with one, e.g. {value}+04:00 for Baku time)"
    if moment < engine_clock.get().now():
        return f"warning: date {value} is in the past; the timer fires at once"
    return None


def _cycle_problem(value: str) -> str | None:
    cycles, _, duration = TimerEventDefinition.parse_iso_recurring_interval(value)
    for part in value.split("/")[1:]:
        if not part.upper().startswith("P") and datetime.fromisoformat(part).tzinfo is None:
            return f"cycle {value!r}: date {part!r} has no UTC offset (write it with one, e.g. {part}+04:00)"
    if cycles < 0:
        return f"cycle {value!r} repeats forever; give a count, e.g. R3/PT1H"
    if duration.total_seconds() < MIN_CYCLE_SECONDS and cycles > MAX_FAST_CYCLES:
        return f"cycle {value!r} repeats more often than once a minute, more than {MAX_FAST_CYCLES} times"
    return None


# --- scripts and expressions --------------------------------------------------------------


class _SandboxEnvironment(BasePythonScriptEngineEnvironment):
    """Every script and expression in a process runs in engine.sandbox, with whitelisted functions."""

    def evaluate(self, expression: str, context: dict, external_context: dict | None = None) -> Any:
        return sandbox.evaluate(expression, {**context, **(external_context or {}), **self.globals})

    def execute(self, script: str, context: dict, external_context: dict | None = None) -> bool:
        names = {**context, **(external_context or {}), **self.globals}
        result = sandbox.execute(script, names)
        hidden = set(self.globals) | set(external_context or {})
        context.clear()
        context.update({k: v for k, v in result.items() if k not in hidden and not callable(v)})
        return True

    def call_service(self, context: dict, **kwargs: Any) -> Any:
        raise sandbox.SandboxError("service tasks cannot call anything from the sandbox")


class _Engine(PythonScriptEngine):
    """Reads a timer written as an unquoted ISO 8601 value (`PT10S`, as modelers write it) as that value.

    SpiffWorkflow evaluates every timer text as Python, where `PT10S` is an unknown name and
    `R3/PT1H` a division; any other expression goes to the sandbox as before.
    """

    def evaluate(self, task: Any, expression: str, external_context: dict | None = None) -> Any:
        if expression in _timer_texts(task.task_spec):
            literal = timer_literal(expression)
            if literal is not None:
                return literal
        return super().evaluate(task, expression, external_context)


def _timer_texts(spec: Any) -> set[str]:
    definition = getattr(spec, "event_definition", None)
    definitions = getattr(definition, "event_definitions", None) or [definition]
    return {d.expression for d in definitions if isinstance(d, TimerEventDefinition)}


def script_engine(policy: Any) -> ScriptEngine:
    """The script engine of a policy, built once: its functions close over the policy's calendar.

    Kept on the (frozen) policy itself, as a cached_property would, so the kernel needs no adapter."""
    engine = policy.__dict__.get("_script_engine")
    if engine is None:
        engine = policy.__dict__["_script_engine"] = ScriptEngine(policy.process_functions())
    return engine


class ScriptEngine:
    """SpiffWorkflow's script engine over the sandbox, with the functions processes may call."""

    def __init__(self, functions: Mapping[str, Callable[..., Any]]):
        self.spiff = _Engine(environment=_SandboxEnvironment(dict(functions)))
