#!/usr/bin/env bash
# make mutate: mutation testing of the modules that carry a promise to users ([tool.mutmut] in
# pyproject.toml), then the score. Long (about an hour on two cores); not part of make test.
#   scripts/mutate.sh                      every mutant, from a fresh copy
#   scripts/mutate.sh 'engine.casework.status*'   only these mutants, keeping earlier results
set -euo pipefail
cd "$(dirname "$0")/.."
export COMPLAINTS_SHARED="${COMPLAINTS_SHARED:-$(cd .. && pwd)/shared}"
mkdir -p mutants
if [ "$#" -eq 0 ]; then rm -rf mutants; mkdir mutants; fi
test -x .venv/bin/mutmut || .venv/bin/python -m pip install --quiet -c constraints.txt -e '.[test,mutate]'
.venv/bin/mutmut run --max-children "$(nproc)" "$@"
.venv/bin/python scripts/mutation_score.py
