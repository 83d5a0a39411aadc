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

from engine import sandbox
from engine.spiff.clocks import engine_clock

MIN_CYCLE_SECONDS = 60
MAX_FAST_CYCLES = 10  # a few quick repetitions are harmless; a flood is not

# --- timer literals (checked at deploy) ---------------------------------------------------


def timer_literal_problem(kind: str, value: str) -> str | None:
    """Why an ISO 8601 timer literal would fail or flood at run time ("warning: ..." if only odd)."""
    parse = TimerEventDefinition
    try:
        if kind == "timeDate":
            moment = datetime.fromisoformat(value)
            if moment.tzinfo is None:
                return f"date {value!r} has no UTC offset (write e.g. {value}+04:00)"
            if moment < engine_clock.get().now():
                return f"warning: date {value} is in the past; the timer fires at once"
        elif kind == "timeDuration":
            parse.parse_iso_duration(value)
        elif kind == "timeCycle":
            cycles, _, duration = parse.parse_iso_recurring_interval(value)
            if cycles < 0:
                return f"cycle {value!r} repeats forever; give a count, e.g. R3/PT1H"
            if duration.total_seconds() < MIN_CYCLE_SECONDS and cycles > MAX_FAST_CYCLES:
                return f"cycle {value!r} repeats more often than once a minute, more than {MAX_FAST_CYCLES} times"
    except Exception:  # SpiffWorkflow raises bare Exception / ValueError / AttributeError here
        return f"{kind} {value!r} is not a valid ISO 8601 value"
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


class ScriptEngine:
    """SpiffWorkflow's script engine over the sandbox, with the functions processes may call."""

    def __init__(self, functions: Mapping[str, Callable[..., Any]]):
        self.spiff = PythonScriptEngine(environment=_SandboxEnvironment(dict(functions)))
