"""The sandbox's run-time guards: operators, methods and builtins that could allocate without
bound are checked before they run; only whitelisted builtins exist."""

from __future__ import annotations

import operator
import re
import types
from collections.abc import Callable
from typing import Any

from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr,
)

MAX_LENGTH = 100_000  # characters / items of any one value a script builds
MAX_INT_BITS = 4_096
MAX_NESTING = 50  # levels of lists and dicts in the data a script shows or leaves


class SandboxError(Exception):
    """Code that the sandbox refused to compile or stopped while running."""


_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "*": operator.mul, "**": operator.pow, "<<": operator.lshift,
    "+": operator.add, "%": operator.mod,
}  # fmt: skip
_SIZED = (str, bytes, list, tuple)
_MISSING = object()  # no default given: a missing attribute is an AttributeError, as in Python
_CONVERSION = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d*)(?:\.(\*|\d*))?")


def _too_long(length: int) -> None:
    if length > MAX_LENGTH:
        raise SandboxError(f"a value of {length:,} items exceeds the limit of {MAX_LENGTH:,}")


def weight(value: Any, limit: int) -> int:
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
    total = len(text) + weight(args, MAX_LENGTH)
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
    _too_long(weight(value, MAX_LENGTH))
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
            _too_long(weight(args[0], MAX_LENGTH))
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
        items = list(args[0])  # a generator, once
        _too_long(len(owner) + len(items))
        return (items,)
    if name == "replace" and len(args) >= 2 and isinstance(args[0], _SIZED) and isinstance(args[1], _SIZED):
        count = owner.count(args[0])  # an empty text occurs len(owner) + 1 times
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


def _getattr(obj: Any, name: str, default: Any = _MISSING) -> Any:
    if name == "mro":  # str.mro() would hand out the unguarded str type
        raise SandboxError('"mro" is not allowed in the sandbox')
    value = safer_getattr(obj, name, _MISSING)
    if value is _MISSING:  # RestrictedPython's default would quietly turn a misspelt name into None
        if default is _MISSING:
            raise AttributeError(f"{type(obj).__name__!r} object has no attribute {name!r}")
        return default
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
    return round(number, ndigits)


def _sum(items: Any, start: Any = 0) -> Any:
    if not isinstance(start, int | float):  # sum(lists, []) copies quadratically, in C
        raise SandboxError("sum() adds numbers only")
    return sum(items, start)


BUILTINS: dict[str, Any] = {
    name: __builtins__[name] if isinstance(__builtins__, dict) else getattr(__builtins__, name)
    for name in (
        "abs all any bool dict divmod enumerate filter float int isinstance len list map max "
        "min reversed set sorted tuple zip ord chr "
        "Exception ValueError TypeError KeyError IndexError ZeroDivisionError"
    ).split()
}
BUILTINS.update({
    "range": _range, "pow": _pow, "round": _round, "sum": _sum, "str": _Str,
    "True": True, "False": False, "None": None,
})  # fmt: skip

GUARDS: dict[str, Any] = {
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
