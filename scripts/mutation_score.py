"""The last step of `make mutate`: the score over the modules of [tool.mutmut], survivors listed.

Reads mutmut's results in mutants/ and the reviewed equivalent mutants of
tests/mutation_equivalents.toml (a mutant that changes no behaviour a user could see, with the
reason). A mutant counts as killed when a test failed or timed out on it; equivalents are left
out of the total. The last line is machine-readable:

    mutation_score=0.912 killed=2950 total=3235 survived=285 equivalent=12
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

from mutmut.__main__ import walk_mutatable_files
from mutmut.mutation.data import SourceFileMutationData
from mutmut.mutation.diff_apply import get_diff_for_mutant
from mutmut.stats import status_by_exit_code

EQUIVALENTS = Path("tests/mutation_equivalents.toml")
CAUGHT = {"killed", "timeout", "segfault", "caught by type check"}


def main() -> int:
    statuses = _statuses()
    if not statuses:
        print("no mutation results in mutants/: run `make mutate` first", file=sys.stderr)
        return 2
    equivalent = _equivalents(statuses)
    unchecked = [name for name, status in statuses.items() if status == "not checked"]
    survivors = sorted(n for n, s in statuses.items() if s not in CAUGHT and n not in equivalent)
    total = len(statuses) - len(equivalent)
    killed = total - len(survivors)
    for name in survivors:
        print(f"survived ({statuses[name]}): {name}\n    {_change(name)}")
    print(f"{len(equivalent)} equivalent mutants left out ({EQUIVALENTS}); {len(unchecked)} not checked")
    print(f"mutation_score={killed / total:.3f} killed={killed} total={total} survived={len(survivors)} "
          f"equivalent={len(equivalent)}")  # fmt: skip
    return 0


def _statuses() -> dict[str, str]:
    found = {}
    for path in walk_mutatable_files():
        data = SourceFileMutationData(path=path)
        data.load()
        found |= {name: status_by_exit_code[code] for name, code in data.exit_code_by_key.items()}
    return found


def _equivalents(statuses: dict[str, str]) -> set[str]:
    """The reviewed equivalents that still are what was reviewed: same name, same change."""
    listed = tomllib.loads(EQUIVALENTS.read_text()).get("equivalent", []) if EQUIVALENTS.exists() else []
    kept = set()
    for entry in listed:
        name = entry["mutant"]
        if name not in statuses:
            print(f"note: equivalent {name} is no longer generated: remove it from {EQUIVALENTS}")
        elif _change(name) != entry["change"]:
            print(f"note: {name} now changes {_change(name)!r}, not {entry['change']!r}: review it again")
        else:
            kept.add(name)
    return kept


def _change(name: str) -> str:
    """The mutated line as the mutant has it."""
    diff = get_diff_for_mutant(name).splitlines()
    return next((line[1:].strip() for line in diff if line.startswith("+") and not line.startswith("+++")), "?")


if __name__ == "__main__":
    sys.exit(main())
