# The two commands of the README: `make run` and `make test`. Everything else supports them.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test install lint bench topology mutate clean

$(STAMP): pyproject.toml constraints.txt web/assets/package-lock.json
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	scripts/vendor-assets.sh
	$(BIN)/pybabel compile --use-fuzzy -d web/translations
	touch $(STAMP)

install: $(STAMP)

## Install, set up the SQLite database, deploy the process, create demo users, serve on :5000.
run: $(STAMP)
	COMPLAINTS_DEMO=1 $(BIN)/complaints run --host 127.0.0.1 --port 5000

## Install, make sure PostgreSQL runs, pass the checks and the whole test suite.
test: $(STAMP)
	scripts/ensure-postgres.sh
	scripts/ensure-chromium.sh
	$(BIN)/ruff check engine persistence web tests bench scripts bootstrap.py wsgi.py
	$(BIN)/lint-imports
	$(BIN)/python scripts/check_sizes.py
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check engine persistence web tests bench scripts bootstrap.py wsgi.py
	$(BIN)/lint-imports
	$(BIN)/python scripts/check_sizes.py

bench: $(STAMP)
	scripts/ensure-postgres.sh
	$(BIN)/python -m bench.full_case

## The production topology without Docker: PostgreSQL, gunicorn web, N timer workers.
topology: $(STAMP)
	scripts/ensure-postgres.sh
	scripts/topology.sh

## Mutation testing of the engine's promises (long; not part of test): ends with mutation_score=.
mutate: $(STAMP)
	scripts/ensure-postgres.sh
	scripts/mutate.sh

clean:
	rm -rf $(VENV) instance .pytest_cache mutants
