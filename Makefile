# Set-up and checks. `make demo` and `make test` work from a fresh clone: each creates .venv.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test check bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamp files re-run the install whenever pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

demo: $(VENV)/.installed
	$(BIN)/driftpilot demo

test: $(VENV)/.installed-dev
	PATH="$(abspath $(BIN)):$$PATH" bash scripts/check

bench: $(VENV)/.installed-dev
	$(BIN)/python benchmarks/bench_compare.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache driftpilot-demo
