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
import operator
import os
import re
import resource
import sys
import time
import types
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
MAX_MEMORY = 256 * 2**20  # bytes a run may add to the process
MAX_LENGTH = 100_000  # characters / items of any one value a script builds
MAX_RESULT = 1_000_000  # characters the data a script leaves behind may take as text
MAX_INT_BITS = 4_096
CHECK_EVERY = 32  # traced lines between two looks at the clock and the memory
MAX_CALL_DEPTH = 100  # nested calls of script functions: stop well before a RecursionError
MAX_NESTING = 50  # levels of lists and dicts in the data a script shows or leaves
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
        return _constant_problem(ast.parse(source, mode=mode))
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


# --- run time guards --------------------------------------------------------------------

_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "*": operator.mul, "**": operator.pow, "<<": operator.lshift,
    "+": operator.add, "%": operator.mod,
}  # fmt: skip
_SIZED = (str, bytes, list, tuple)
_CONVERSION = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d*)(?:\.(\*|\d*))?")


def _too_long(length: int) -> None:
    if length > MAX_LENGTH:
        raise SandboxError(f"a value of {length:,} items exceeds the limit of {MAX_LENGTH:,}")


def _weight(value: Any, limit: int) -> int:
    """Roughly how long `value` is as text (str(), JSON), counted only up to just past `limit`."""
    total, todo = 0, [(value, 0)]
    while todo and total <= limit:
        item, level = todo.pop()
        if level > MAX_NESTING:  # str() and JSON of it would recurse past Python's limit
            raise SandboxError(f"data nested more than {MAX_NESTING} levels deep")
        if isinstance(item, str | bytes):
            total += len(item)
        elif isinstance(item, dict):
            total += 2 + 4 * len(item)
            todo.extend((v, level + 1) for pair in item.items() for v in pair)
        elif isinstance(item, list | tuple | set | frozenset):
            total += 2 + 2 * len(item)
            todo.extend((v, level + 1) for v in item)
        elif isinstance(item, int):
            total += item.bit_length() // 3 + 1
        elif isinstance(item, types.GeneratorType):
            raise SandboxError("a generator cannot be kept or shown; make a list of it")
        else:
            total += 24
    return total


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
    elif symbol == "%" and isinstance(left, str | bytes):
        _check_format(left, right)
    return _OPS[symbol](left, right)


def _check_format(template: str | bytes, args: Any) -> None:
    """`template % args` makes at most the template, every width and precision, and the args."""
    text = template.decode("latin-1") if isinstance(template, bytes) else template
    total = len(text) + _weight(args, MAX_LENGTH)
    for width, precision in _CONVERSION.findall(text):
        if "*" in (width, precision):
            raise SandboxError("format widths taken from the arguments (*) are not allowed")
        if len(width) > 6 or len(precision) > 6:
            raise SandboxError("format width too large")
        total += int(width or 0) + int(precision or 0)
    _too_long(total)


_PLAIN_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "-": operator.sub, "/": operator.truediv, "//": operator.floordiv, ">>": operator.rshift,
    "|": operator.or_, "&": operator.and_, "^": operator.xor, "@": operator.matmul,
}  # fmt: skip


def _inplacevar(symbol: str, left: Any, right: Any) -> Any:
    plain = symbol[:-1]
    return _binop(plain, left, right) if plain in _OPS else _PLAIN_OPS[plain](left, right)


def _fvalue(value: Any) -> Any:
    """An f-string placeholder: refuse values whose text would be huge."""
    _too_long(_weight(value, MAX_LENGTH))
    return value


class _StrType(type):
    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, str)

    def __subclasscheck__(cls, sub: type) -> bool:
        return issubclass(sub, str)


class _Str(str, metaclass=_StrType):
    """`str` as scripts see it: isinstance works as usual, and str(x) refuses a huge result."""

    def __new__(cls, *args: Any) -> str:  # type: ignore[misc]
        if len(args) == 1:
            _too_long(_weight(args[0], MAX_LENGTH))
        return str(*args)


def _growth(name: str, owner: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...]:
    """Check what a growing method would make; returns the (possibly materialized) arguments."""
    if name == "join":
        items, total = [], 0
        for item in args[0]:  # one by one: a generator may yield without end
            total += (len(item) if isinstance(item, _SIZED) else 0) + len(owner)
            _too_long(total)
            items.append(item)
        return (items,)
    if name == "extend":
        items = args[0] if isinstance(args[0], (*_SIZED, dict, set)) else list(args[0])
        _too_long(len(owner) + len(items))
        return (items,)
    if name == "replace" and len(args) >= 2 and isinstance(args[0], _SIZED) and isinstance(args[1], _SIZED):
        count = owner.count(args[0]) if args[0] else len(owner) + 1
        if len(args) > 2 and isinstance(args[2], int) and args[2] >= 0:
            count = min(count, args[2])
        _too_long(len(owner) + count * max(0, len(args[1]) - len(args[0])))
    if name in ("ljust", "rjust", "center", "zfill") and args and isinstance(args[0], int):
        _too_long(args[0])
    if name == "expandtabs":
        _too_long(len(owner) * (args[0] if args else kwargs.get("tabsize", 8)))
    if name == "translate" and args and isinstance(args[0], dict):
        longest = max((len(v) for v in args[0].values() if isinstance(v, str)), default=1)
        _too_long(len(owner) * max(1, longest))
    if name == "to_bytes":
        _too_long(args[0] if args else kwargs.get("length", 1))
    return args


_GROWING: dict[type, frozenset[str]] = {
    str: frozenset({"join", "replace", "ljust", "rjust", "center", "zfill", "expandtabs", "translate"}),
    bytes: frozenset({"join", "replace", "ljust", "rjust", "center", "zfill", "expandtabs"}),
    list: frozenset({"extend"}),
    int: frozenset({"to_bytes"}),
}


def _growing(obj: Any, name: str) -> bool:
    kind = obj if isinstance(obj, type) else type(obj)
    return any(issubclass(kind, base) and name in names for base, names in _GROWING.items())


def _getattr(obj: Any, name: str, default: Any = None) -> Any:
    if name == "mro":  # str.mro() would hand out the unguarded str type
        raise SandboxError('"mro" is not allowed in the sandbox')
    value = safer_getattr(obj, name, default)
    if not _growing(obj, name):
        return value
    if isinstance(obj, type):  # str.join(sep, items): the same checks as sep.join(items)
        return lambda owner, *args, **kwargs: _getattr(owner, name)(*args, **kwargs)

    def guarded(*args: Any, **kwargs: Any) -> Any:
        return value(*_growth(name, obj, args, kwargs), **kwargs)

    return guarded


class _ListWriter:
    """`lst[a:b] = items` as scripts may do it: the list may not grow past the limit."""

    __slots__ = ("target",)

    def __init__(self, target: list[Any]):
        self.target = target

    def __setitem__(self, key: Any, value: Any) -> None:
        if isinstance(key, slice):
            value = list(value)
            _too_long(len(self.target) + len(value))
        self.target[key] = value

    def __delitem__(self, key: Any) -> None:
        del self.target[key]


def _write(obj: Any) -> Any:
    return _ListWriter(obj) if isinstance(obj, list) else full_write_guard(obj)


def _range(*args: int) -> range:
    result = range(*args)
    _too_long(len(result))
    return result


def _pow(base: Any, exp: Any, mod: Any = None) -> Any:
    if mod is None:
        return _binop("**", base, exp)
    if max(_int_bits(base), _int_bits(exp), _int_bits(mod)) > MAX_INT_BITS:
        raise SandboxError("number too large")
    return pow(base, exp, mod)


def _round(number: Any, ndigits: Any = None) -> Any:
    if isinstance(ndigits, int) and abs(ndigits) > 1_000:  # round(1, -10**8) computes 10**10**8
        raise SandboxError("number of digits too large")
    return round(number) if ndigits is None else round(number, ndigits)


def _sum(items: Any, start: Any = 0) -> Any:
    if not isinstance(start, int | float):  # sum(lists, []) copies quadratically, in C
        raise SandboxError("sum() adds numbers only")
    return sum(items, start)


_BUILTINS: dict[str, Any] = {
    name: __builtins__[name] if isinstance(__builtins__, dict) else getattr(__builtins__, name)
    for name in (
        "abs all any bool dict divmod enumerate filter float int isinstance len list map max "
        "min reversed set sorted tuple zip ord chr "
        "Exception ValueError TypeError KeyError IndexError ZeroDivisionError"
    ).split()
}
_BUILTINS.update({
    "range": _range, "pow": _pow, "round": _round, "sum": _sum, "str": _Str,
    "True": True, "False": False, "None": None,
})  # fmt: skip

_GUARDS: dict[str, Any] = {
    "_getattr_": _getattr,
    "_getitem_": default_guarded_getitem,
    "_getiter_": default_guarded_getiter,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_write_": _write,
    "_inplacevar_": _inplacevar,
    "_binop_": _binop,
    "_fvalue_": _fvalue,
}


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
    result = {k: v for k, v in scope.items() if k != "__builtins__" and k not in _GUARDS}
    _check_result([v for v in result.values() if not callable(v)])
    return result


def _check_result(value: Any) -> None:
    # The engine stores and shows what a script leaves: a list holding one long text
    # 100,000 times is small in memory but huge as JSON.
    if _weight(value, MAX_RESULT) > MAX_RESULT:
        raise SandboxError(f"the script left more data than the limit of {MAX_RESULT:,} characters")


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


_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _memory() -> int:
    """Resident bytes of this process now (the peak where /proc is missing)."""
    try:
        with open("/proc/self/statm", "rb") as statm:
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
    except SandboxTimeout:
        raise SandboxError(stopped) from None
    except MemoryError:
        raise SandboxError("stopped: out of memory") from None
    except RecursionError:
        raise SandboxError("stopped: functions call each other too deeply") from None
    except SandboxError:
        raise
    except Exception as error:  # the script's own error, reported without a traceback
        if stopped:  # e.g. a NameError raised while the script was handling our stop
            raise SandboxError(stopped) from None
        raise SandboxError(f"{type(error).__name__}: {_describe(error)}") from None
    finally:
        sys.settrace(previous)


def _describe(error: Exception) -> str:
    """The error's message, unless a script made it huge (str() of it would be huge too)."""
    if _weight(error.args, 1_000) > 1_000:
        return "(message too long to show)"
    return str(error)
