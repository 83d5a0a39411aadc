"""The sandbox every BPMN script and expression runs in.

RestrictedPython compiles the code (no names or attributes starting with "_", no imports,
no `open`/`exec`); only whitelisted builtins and functions exist at run time; operators that
can allocate without bound (`*`, `**`, `<<`, `+`, `%`) and growing string methods are checked
before they run; and a trace on the sandboxed frames stops code that runs past its time budget.
"""

from __future__ import annotations

import ast
import copy
import operator
import re
import sys
import time
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from RestrictedPython import compile_restricted_eval, compile_restricted_exec
from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr,
)
from RestrictedPython.transformer import RestrictingNodeTransformer

FILENAME = "<bpmn>"
MAX_SECONDS = 1.0
MAX_LENGTH = 100_000  # characters / items of any one value a script builds
MAX_INT_BITS = 4_096
FORBIDDEN_NAMES = frozenset(
    "open exec eval compile globals locals vars getattr setattr delattr type object "
    "input breakpoint help memoryview super classmethod staticmethod property".split()
)


class SandboxError(Exception):
    """Code that the sandbox refused to compile or stopped while running."""


class SandboxTimeout(BaseException):
    """Raised inside sandboxed frames; a BaseException so that `except Exception` cannot swallow it."""


# --- compile time -------------------------------------------------------------------------


class _Policy(RestrictingNodeTransformer):
    """RestrictedPython's policy plus guarded operators and no format specifications."""

    GUARDED = {ast.Mult: "*", ast.Pow: "**", ast.LShift: "<<", ast.Add: "+", ast.Mod: "%"}

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        node = self.node_contents_visit(node)
        symbol = self.GUARDED.get(type(node.op))
        if symbol is None:
            return node
        call = ast.Call(
            func=ast.Name("_binop_", ast.Load()),
            args=[ast.Constant(symbol), node.left, node.right],
            keywords=[],
        )
        return ast.fix_missing_locations(ast.copy_location(call, node))

    def visit_FormattedValue(self, node: ast.FormattedValue) -> ast.AST:
        if node.format_spec is not None:
            self.error(node, "Format specifications in f-strings are not allowed.")
        return self.node_contents_visit(node)

    def visit_Import(self, node: ast.AST) -> ast.AST:
        self.error(node, "Imports are not allowed in the sandbox.")
        return node

    visit_ImportFrom = visit_Import

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id in FORBIDDEN_NAMES:
            self.error(node, f'"{node.id}" is not allowed in the sandbox.')
        return super().visit_Name(node)


@lru_cache(maxsize=2048)
def _compile(source: str, mode: str) -> Any:
    compiler = compile_restricted_eval if mode == "eval" else compile_restricted_exec
    result = compiler(source, filename=FILENAME, policy=_Policy)
    if result.errors:
        raise SandboxError("; ".join(result.errors))
    return result.code


def check(source: str, mode: str) -> str | None:
    """The reason `source` would be refused, or None; used by validation before a deploy."""
    try:
        _compile(source.strip() if mode == "eval" else source, mode)
    except SandboxError as error:
        return str(error)
    except SyntaxError as error:
        return f"syntax error: {error.msg} (line {error.lineno})"
    return None


# --- run time guards --------------------------------------------------------------------

_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "*": operator.mul, "**": operator.pow, "<<": operator.lshift,
    "+": operator.add, "%": operator.mod,
}  # fmt: skip
_SIZED = (str, bytes, list, tuple)
_WIDE_FORMAT = re.compile(r"%[-#0 +]*(\*|\d{5,})")


def _too_long(length: int) -> None:
    if length > MAX_LENGTH:
        raise SandboxError(f"a value of {length:,} items exceeds the limit of {MAX_LENGTH:,}")


def _int_bits(value: Any) -> int:
    return abs(value).bit_length() if isinstance(value, int) else 0


def _binop(symbol: str, left: Any, right: Any) -> Any:
    if symbol == "*":
        if isinstance(left, _SIZED) and isinstance(right, int):
            _too_long(len(left) * right)
        elif isinstance(right, _SIZED) and isinstance(left, int):
            _too_long(len(right) * left)
        elif _int_bits(left) + _int_bits(right) > MAX_INT_BITS:
            raise SandboxError("number too large")
    elif symbol == "**" and isinstance(right, int | float) and abs(right) > 1:
        if isinstance(left, int) and abs(left) > 1 and _int_bits(left) * right > MAX_INT_BITS:
            raise SandboxError("number too large")
    elif symbol == "<<" and isinstance(right, int) and right + _int_bits(left) > MAX_INT_BITS:
        raise SandboxError("number too large")
    elif symbol == "+" and isinstance(left, _SIZED) and isinstance(right, _SIZED):
        _too_long(len(left) + len(right))
    elif symbol == "%" and isinstance(left, str) and _WIDE_FORMAT.search(left):
        raise SandboxError("format width too large")
    return _OPS[symbol](left, right)


def _inplacevar(symbol: str, left: Any, right: Any) -> Any:
    plain = symbol[:-1]
    if plain in _OPS:
        return _binop(plain, left, right)
    return {"-": operator.sub, "/": operator.truediv, "//": operator.floordiv}[plain](
        left, right
    )


def _sized_method(method: Callable[..., Any], name: str, owner: Any) -> Callable[..., Any]:
    def guarded(*args: Any) -> Any:
        if name == "join":
            items = list(args[0])
            _too_long(sum(len(i) for i in items if isinstance(i, _SIZED)) + len(owner) * len(items))
            return method(items)
        if name == "replace" and len(args) >= 2 and isinstance(args[1], _SIZED):
            _too_long(len(owner) * max(1, len(args[1])))
        if name in ("ljust", "rjust", "center", "zfill") and args and isinstance(args[0], int):
            _too_long(args[0])
        if name == "expandtabs":
            _too_long(len(owner) * (args[0] if args else 8))
        return method(*args)

    return guarded


_GROWING = frozenset({"join", "replace", "ljust", "rjust", "center", "zfill", "expandtabs"})


def _getattr(obj: Any, name: str, default: Any = None) -> Any:
    value = safer_getattr(obj, name, default)
    if name in _GROWING and isinstance(obj, str | bytes):
        return _sized_method(value, name, obj)
    return value


def _range(*args: int) -> range:
    result = range(*args)
    _too_long(len(result))
    return result


def _pow(base: Any, exp: Any, mod: Any = None) -> Any:
    return pow(base, exp, mod) if mod is not None else _binop("**", base, exp)


_BUILTINS: dict[str, Any] = {
    name: __builtins__[name] if isinstance(__builtins__, dict) else getattr(__builtins__, name)
    for name in (
        "abs all any bool dict divmod enumerate filter float int isinstance len list map max "
        "min reversed round set sorted str sum tuple zip ord chr "
        "Exception ValueError TypeError KeyError IndexError ZeroDivisionError"
    ).split()
}
_BUILTINS.update({"range": _range, "pow": _pow, "True": True, "False": False, "None": None})

_GUARDS: dict[str, Any] = {
    "_getattr_": _getattr,
    "_getitem_": default_guarded_getitem,
    "_getiter_": default_guarded_getiter,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_write_": full_write_guard,
    "_inplacevar_": _inplacevar,
    "_binop_": _binop,
}


# --- running ------------------------------------------------------------------------------


def evaluate(expression: str, names: Mapping[str, Any]) -> Any:
    """Evaluate an expression with only `names` (data and whitelisted functions) in scope."""
    code = _compile_or_raise(expression.strip(), "eval")
    scope = _scope(names)
    return _bounded(lambda: eval(code, scope))  # noqa: S307 - restricted code, guarded scope


def execute(script: str, names: Mapping[str, Any]) -> dict[str, Any]:
    """Run a script; returns the variables it leaves behind (its new task data)."""
    code = _compile_or_raise(script, "exec")
    scope = _scope(names)
    _bounded(lambda: exec(code, scope))  # noqa: S102 - restricted code, guarded scope
    return {k: v for k, v in scope.items() if k != "__builtins__" and k not in _GUARDS}


def _compile_or_raise(source: str, mode: str) -> Any:
    try:
        return _compile(source, mode)
    except SyntaxError as error:
        raise SandboxError(f"syntax error: {error.msg} (line {error.lineno})") from None


def _scope(names: Mapping[str, Any]) -> dict[str, Any]:
    # Deep copies: 3.2 shares nested task data between tasks, so scripts must not mutate it.
    scope = {k: v if callable(v) else copy.deepcopy(v) for k, v in names.items()}
    scope.update(_GUARDS)
    scope["__builtins__"] = _BUILTINS
    return scope


def _bounded(run: Callable[[], Any]) -> Any:
    """Run with a trace on sandboxed frames that stops them after MAX_SECONDS."""
    deadline = time.monotonic() + MAX_SECONDS
    lines = 0

    def local(frame: Any, event: str, arg: Any) -> Any:
        nonlocal lines
        lines += 1
        if lines % 256 == 0 and time.monotonic() > deadline:
            lines = -(10**9)  # keep raising on every later line, even inside `except:`
        if lines < 0:
            raise SandboxTimeout
        return local

    def calls(frame: Any, event: str, arg: Any) -> Any:
        return local if frame.f_code.co_filename == FILENAME else None

    previous = sys.gettrace()
    sys.settrace(calls)
    try:
        return run()
    except SandboxTimeout:
        raise SandboxError(f"stopped after {MAX_SECONDS:g} s (time limit)") from None
    except MemoryError:
        raise SandboxError("stopped: out of memory") from None
    except SandboxError:
        raise
    except Exception as error:  # the script's own error, reported without a traceback
        raise SandboxError(f"{type(error).__name__}: {error}") from None
    finally:
        sys.settrace(previous)
