# SAMBOX + SAMIC developer commands. `make setup` then `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup test lint bench screenshots run clean

setup: $(BIN)/python
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e ".[dev,ray]"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

test:
	$(BIN)/lint-imports
	$(BIN)/ruff check samic_core sambox tests scripts
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest

lint:
	$(BIN)/ruff check samic_core sambox tests scripts
	$(BIN)/ruff format --check samic_core sambox tests scripts

bench:
	$(BIN)/python scripts/bench.py

screenshots:
	QT_QPA_PLATFORM=offscreen $(BIN)/python scripts/screenshots.py

run:
	$(BIN)/sambox $(FOLDER)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
