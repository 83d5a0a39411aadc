"""make lint: modules of at most 300 lines and functions of at most 50, so each reads at a sitting."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

MAX_MODULE, MAX_FUNCTION = 300, 50
ROOTS = ("engine", "persistence", "web", "bootstrap.py", "wsgi.py")


def main() -> int:
    too_long = []
    for root in ROOTS:
        paths = [Path(root)] if root.endswith(".py") else sorted(Path(root).rglob("*.py"))
        for path in paths:
            if "migrations/versions" in path.as_posix():
                continue  # generated once, never edited
            text = path.read_text()
            if len(text.splitlines()) > MAX_MODULE:
                too_long.append(f"{path}: {len(text.splitlines())} lines (at most {MAX_MODULE})")
            for node in ast.walk(ast.parse(text)):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    length = node.end_lineno - node.lineno + 1  # type: ignore[operator]
                    if length > MAX_FUNCTION:
                        too_long.append(f"{path}:{node.lineno} {node.name}: {length} lines (at most {MAX_FUNCTION})")
    print("\n".join(too_long) or "sizes: every module and function within bounds")
    return 1 if too_long else 0


if __name__ == "__main__":
    sys.exit(main())
