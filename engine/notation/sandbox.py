"""The sandbox every BPMN script and expression runs in.

RestrictedPython compiles the code (no names or attributes starting with "_", no imports,
no `open`/`exec`, no generators, no `finally`; a bare `except` catches Exception only); only
whitelisted builtins and functions exist at run time; operators and methods that can allocate
without bound (`*`, `**`, `<<`, `+`, `%`, `str()`, f-strings, growing string and list methods,
slice assignment) are checked before they run; a trace on the sandboxed frames stops code that
runs past its time, memory or call-depth budget; and what a script leaves behind must be small
enough to store.
"""

from __future__ import annotations

import ast
import copy
import os
import resource
import sys
import time
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from RestrictedPython import compile_restricted_eval, compile_restricted_exec
from RestrictedPython.transformer import RestrictingNodeTransformer

from engine.notation.sandbox_guards import BUILTINS, GUARDS, SandboxError, weight

FILENAME = "<bpmn>"
MAX_SECONDS = 1.0
MAX_MEMORY = 256 * 2**20  # bytes a run may add to the process
MAX_RESULT = 1_000_000  # characters the data a script leaves behind may take as text
CHECK_EVERY = 32  # traced lines between two looks at the clock and the memory
MAX_CALL_DEPTH = 100  # nested calls of script functions: stop well before a RecursionError
MAX_MESSAGE = 1_000  # characters of a script's error message shown
FORBIDDEN_NAMES = frozenset(
    "open exec eval compile globals locals vars getattr setattr delattr type object "
    "input breakpoint help memoryview super classmethod staticmethod property".split()
)


class SandboxTimeout(BaseException):
    """Raised inside sandboxed frames; a BaseException so that `except Exception` cannot swallow it."""


# --- compile time -------------------------------------------------------------------------


class _Policy(RestrictingNodeTransformer):
    """RestrictedPython's policy plus guarded operators and f-strings, no generators."""

    GUARDED = {ast.Mult: "*", ast.Pow: "**", ast.LShift: "<<", ast.Add: "+", ast.Mod: "%"}

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        node = self.node_contents_visit(node)
        symbol = self.GUARDED.get(type(node.op))
        if symbol is None:
            return node
        return _call("_binop_", ast.Constant(symbol), node.left, node.right, like=node)

    def visit_FormattedValue(self, node: ast.FormattedValue) -> ast.AST:
        if node.format_spec is not None:
            self.error(node, "Format specifications in f-strings are not allowed.")
        node = self.node_contents_visit(node)
        node.value = _call("_fvalue_", node.value, like=node.value)
        return node

    def visit_Import(self, node: ast.AST) -> ast.AST:
        self.error(node, "Imports are not allowed in the sandbox.")
        return node

    visit_ImportFrom = visit_Import

    def visit_Yield(self, node: ast.AST) -> ast.AST:
        # A suspended generator's `finally` would run later, outside the time limit.
        self.error(node, "Generators (yield) are not allowed in the sandbox.")
        return node

    visit_YieldFrom = visit_Yield

    def visit_Try(self, node: ast.Try) -> ast.AST:
        # Stopping a script raises inside it, and CPython then stops tracing that thread:
        # nothing may catch the stop and run on untraced (bare except) or run code while it
        # unwinds (finally).
        if node.finalbody:
            self.error(node, "try ... finally is not allowed in the sandbox; use except Exception.")
        for handler in node.handlers:
            if handler.type is None:  # a bare except: catches what went wrong in the script only
                handler.type = ast.copy_location(ast.Name("Exception", ast.Load()), handler)
        return self.node_contents_visit(node)

    def visit_Call(self, node: ast.Call) -> ast.AST:
        if any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords):
            self.error(node, "Calls with *args or **kwargs are not allowed in the sandbox.")
        return super().visit_Call(node)

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id in FORBIDDEN_NAMES:
            self.error(node, f'"{node.id}" is not allowed in the sandbox.')
        return super().visit_Name(node)


def _call(name: str, *args: ast.expr, like: ast.AST) -> ast.Call:
    call = ast.Call(func=ast.Name(name, ast.Load()), args=list(args), keywords=[])
    return ast.fix_missing_locations(ast.copy_location(call, like))


@lru_cache(maxsize=2048)
def _compile(source: str, mode: str) -> Any:
    compiler = compile_restricted_eval if mode == "eval" else compile_restricted_exec
    try:
        result = compiler(source, filename=FILENAME, policy=_Policy)
    except (RecursionError, MemoryError):
        raise SandboxError("the code is nested too deeply") from None
    if result.errors:
        raise SandboxError("; ".join(result.errors))
    return result.code


def check(source: str, mode: str) -> str | None:
    """The reason `source` would be refused, or None; used by validation before a deploy."""
    source = source.strip() if mode == "eval" else source
    try:
        _compile(source, mode)
        return _constant_problem(ast.parse(source))  # compiled above: an expression parses as a script too
    except SandboxError as error:
        return str(error)
    except SyntaxError as error:
        return f"syntax error: {error.msg} (line {error.lineno})"


def _constant_problem(tree: ast.AST) -> str | None:
    """Work out operations on literals now, e.g. 'x' * 10**10, so an upload hears of them."""
    todo = [tree]
    while todo:
        node = todo.pop()
        if isinstance(node, ast.BinOp) and all(_literal(n) for n in ast.walk(node)):
            try:
                evaluate(ast.unparse(node), {})
            except SandboxError as error:
                if "limit" in str(error) or "too large" in str(error):
                    return f"line {node.lineno}: {error}"
            continue
        todo.extend(ast.iter_child_nodes(node))
    return None


_LITERAL = (ast.Constant, ast.BinOp, ast.UnaryOp, ast.List, ast.Tuple, ast.Load, ast.operator, ast.unaryop)


def _literal(node: ast.AST) -> bool:
    return isinstance(node, _LITERAL)


# --- running ------------------------------------------------------------------------------


def evaluate(expression: str, names: Mapping[str, Any]) -> Any:
    """Evaluate an expression with only `names` (data and whitelisted functions) in scope."""
    code = _compile_or_raise(expression.strip(), "eval")
    scope = _scope(names)
    result = _bounded(lambda: eval(code, scope))  # noqa: S307 - restricted code, guarded scope
    _check_result(result)
    return result


def execute(script: str, names: Mapping[str, Any]) -> dict[str, Any]:
    """Run a script; returns the variables it leaves behind (its new task data)."""
    code = _compile_or_raise(script, "exec")
    scope = _scope(names)
    _bounded(lambda: exec(code, scope))  # noqa: S102 - restricted code, guarded scope
    result = {k: v for k, v in scope.items() if k != "__builtins__" and k not in GUARDS}
    _check_result([v for v in result.values() if not callable(v)])
    return result


def _check_result(value: Any) -> None:
    # The engine stores and shows what a script leaves: a list holding one long text
    # 100,000 times is small in memory but huge as JSON.
    if weight(value, MAX_RESULT) > MAX_RESULT:
        raise SandboxError(f"the script left more data than the limit of {MAX_RESULT:,} characters")


def _compile_or_raise(source: str, mode: str) -> Any:
    try:
        return _compile(source, mode)
    except SyntaxError as error:
        raise SandboxError(f"syntax error: {error.msg} (line {error.lineno})") from None


def _scope(names: Mapping[str, Any]) -> dict[str, Any]:
    # Deep copies: 3.2 shares nested task data between tasks, so scripts must not mutate it.
    scope = {k: v if callable(v) else copy.deepcopy(v) for k, v in names.items()}
    scope.update(GUARDS)
    scope["__builtins__"] = BUILTINS
    return scope


_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _memory() -> int:
    """Resident bytes of this process now (the peak where /proc is missing)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * _PAGE
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _bounded(run: Callable[[], Any]) -> Any:
    """Run with a trace on sandboxed frames that stops them after MAX_SECONDS or MAX_MEMORY.

    The stop is a SandboxTimeout raised in the script's frame. CPython removes a trace
    function that raises, so the stop must never be caught by the script (see _Policy.visit_Try)
    and a RecursionError must never be raised inside the trace (hence MAX_CALL_DEPTH).
    """
    deadline, ceiling = time.monotonic() + MAX_SECONDS, 0  # memory read at the first check only:
    lines, depth, stopped = 0, 0, ""  # most expressions end long before it

    def local(frame: Any, event: str, arg: Any) -> Any:
        nonlocal lines, depth, stopped, ceiling
        if event == "return":
            depth -= 1
            return local
        lines += 1
        if lines % CHECK_EVERY == 0:
            ceiling = ceiling or _memory() + MAX_MEMORY
            if time.monotonic() > deadline:
                stopped = f"stopped after {MAX_SECONDS:g} s (time limit)"
            elif _memory() > ceiling:
                stopped = f"stopped: more than {MAX_MEMORY // 2**20} MB of memory (memory limit)"
        if stopped:
            raise SandboxTimeout
        return local

    def calls(frame: Any, event: str, arg: Any) -> Any:
        nonlocal depth, stopped
        if frame.f_code.co_filename != FILENAME:
            return None
        depth += 1
        if depth > MAX_CALL_DEPTH:
            stopped = "stopped: functions call each other too deeply"
            raise SandboxTimeout
        return local

    previous = sys.gettrace()
    sys.settrace(calls)
    try:
        return run()
    except SandboxError:
        raise
    except (SandboxTimeout, Exception) as error:  # reported without a traceback
        raise _failure(error, stopped) from None
    finally:
        sys.settrace(previous)


def _failure(error: BaseException, stopped: str) -> SandboxError:
    """What the user reads when a script was stopped, ran out of room, or failed by itself."""
    if isinstance(error, MemoryError):
        return SandboxError("stopped: out of memory")
    if isinstance(error, RecursionError):
        return SandboxError("stopped: functions call each other too deeply")
    if stopped:  # our stop, or e.g. a NameError raised while the script was handling it
        return SandboxError(stopped)
    return SandboxError(f"{type(error).__name__}: {_describe(error)}")


def _describe(error: Exception) -> str:
    """The error's message, unless a script made it huge (str() of it would be huge too)."""
    if weight(error.args, MAX_MESSAGE) > MAX_MESSAGE:
        return "(message too long to show)"
    return str(error)
