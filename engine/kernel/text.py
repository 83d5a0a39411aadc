"""Text a person or a client typed: what can be stored, checked the same way everywhere.

PostgreSQL refuses NUL in text and UTF-8 cannot encode a lone surrogate (`"\\ud800"` in JSON,
undecodable bytes in a command-line argument), so either would fail deep inside a transaction:
both are refused where text comes in, naming the field. Other characters, HTML and control
characters included, are stored as given and escaped where they are shown; one-line fields
(names, contacts, ids) also refuse line breaks, which would break the headers of a letter.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from marshmallow import ValidationError

UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
LINE_BREAK = re.compile("[\r\n]")
MAX_DEPTH = 32  # nesting of JSON bodies: ours are flat; deeper is an attack or a bug


def unstorable(value: str) -> str | None:
    """Why `value` cannot be stored at all (NUL, lone surrogate), or None."""
    found = UNSTORABLE.search(value)
    if found is None:
        return None
    return f"Contains a character that cannot be stored (U+{ord(found.group()):04X}: NUL or broken text)."


def problem(value: str, *, one_line: bool = False) -> str | None:
    """Why `value` may not be taken as typed text, or None."""
    if one_line and LINE_BREAK.search(value):
        return "Must be on one line."
    return unstorable(value)


def one_line(value: str) -> None:
    """Marshmallow validator for one-line text (names, contacts, ids)."""
    reason = problem(value, one_line=True)
    if reason:
        raise ValidationError(reason)


def multi_line(value: str) -> None:
    """Marshmallow validator for free text (descriptions, notes, letters)."""
    reason = problem(value)
    if reason:
        raise ValidationError(reason)


def cleaned(value: str) -> str:
    """Text that must be taken whatever it holds (received e-mail): unstorable characters replaced."""
    return UNSTORABLE.sub("\ufffd", value)


def strings(data: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(field path, string) for every key and string value in nested JSON-like data, without recursion."""
    stack = [(path, data)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, str):
            yield where or "(body)", value
        elif isinstance(value, dict):
            for key, inner in value.items():
                name = f"{where}.{key}" if where else str(key)
                yield name, str(key)
                stack.append((name, inner))
        elif isinstance(value, list):
            stack.extend((f"{where}[{i}]", inner) for i, inner in enumerate(value))


def too_deep(document: str, limit: int = MAX_DEPTH) -> str | None:
    """The top-level field of a JSON document whose value nests deepest, if deeper than `limit`.

    Reads only the brackets and strings (a regular expression), so it cannot recurse itself.
    """
    depth, key, last_string = 0, None, None
    deepest: tuple[int, str | None] = (limit, None)
    for token in re.finditer(r'"(?:[^"\\]|\\.)*"|[\[\]{}:]', document):
        symbol = token.group()
        if symbol in "[{":
            depth += 1
            if depth > deepest[0]:
                deepest = (depth, key or "(body)")
        elif symbol in "]}":
            depth -= 1
        elif symbol == ":" and depth == 1 and last_string is not None:
            key = last_string[1:-1]
        last_string = symbol if symbol.startswith('"') else None
    return deepest[1]
