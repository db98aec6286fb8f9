# One command each: `make demo` sets up and runs an example; `make test` sets up and runs the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup setup-test demo test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

setup: $(BIN)/python
	$(BIN)/pip install --quiet -e .

setup-test: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'

# Exit status 1 from `reason verify` means "some claim was not proved", which the demo expects.
# Then one fork/join run with solver workers; its run directory (bundle, graph, ledger) is kept.
demo: setup
	$(BIN)/reason verify --file examples/claims.txt || [ $$? -eq 1 ]
	$(BIN)/reason run --task examples/task.json --out runs/demo
	$(BIN)/reason check runs/demo/bundle.json

lint: setup-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: setup-test lint
	$(BIN)/pytest

bench: setup-test
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python bench/verify_vs_mathverify.py
	$(BIN)/python bench/engine_overhead.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache .hypothesis runs
