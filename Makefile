# SAMBOX + SAMIC developer commands. `make setup` then `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export QT_QPA_PLATFORM ?= offscreen

.PHONY: setup test lint bench screenshots run clean

setup: $(BIN)/python
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e ".[dev]"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

test:
	$(BIN)/lint-imports
	$(BIN)/ruff check samic_core sambox tests scripts
	$(BIN)/python -m pytest

lint:
	$(BIN)/ruff check samic_core sambox tests scripts
	$(BIN)/ruff format --check samic_core sambox tests scripts

bench:
	$(BIN)/python scripts/bench.py

screenshots:
	$(BIN)/python scripts/screenshots.py

run:
	QT_QPA_PLATFORM= $(BIN)/sambox $(FOLDER)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
