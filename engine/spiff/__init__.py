"""The only package that imports SpiffWorkflow: parse a version, run, snapshot and restore cases.

What SpiffWorkflow does not do for us is done here: its notion of "now", its task ids and its
timestamps come from the engine (`clocks`), so tests move time and histories replay exactly;
the spec is stored once per version, never inside a case (`storage`); every script and
expression runs in the sandbox (`scripts`); `steps` drives a case; `migrating` moves an
instance onto another version's spec.
"""

from engine.spiff.clocks import TaskIds, clock_in_use, running
from engine.spiff.migrating import known_names, recompute_changed_timers, repredict, spec_names
from engine.spiff.scripts import ScriptEngine, script_engine, timer_literal_problem
from engine.spiff.steps import (
    MAX_STEPS,
    PendingTimer,
    ReadyTask,
    Thrown,
    advance,
    complete,
    create,
    data,
    find_task,
    fire_timers,
    is_completed,
    pending_timers,
    ready_tasks,
    send_message,
)
from engine.spiff.storage import Bundle, load_bundle, parse, restore, snapshot
from engine.spiff.timing import ReachedTimer, enclosing, finished, reached_timers

__all__ = [
    "MAX_STEPS", "Bundle", "PendingTimer", "ReachedTimer", "ReadyTask", "ScriptEngine", "TaskIds", "Thrown",
    "advance", "clock_in_use", "complete", "create", "data", "enclosing", "find_task", "finished", "fire_timers",
    "is_completed", "known_names", "load_bundle", "parse", "pending_timers", "reached_timers", "ready_tasks",
    "recompute_changed_timers", "repredict", "restore", "running", "script_engine", "send_message", "snapshot",
    "spec_names", "timer_literal_problem",
]  # fmt: skip
