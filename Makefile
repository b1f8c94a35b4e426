# SAMBOX + SAMIC developer commands. `make setup` then `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

# The fast set (`make smoke`, under a minute on 2 busy cores): one file per area, no training.
SMOKE_TESTS := tests/core/test_config.py tests/core/test_annotation.py tests/core/test_heatmap.py \
	tests/core/test_class_colors.py tests/core/test_exif.py tests/export/test_export_formats.py \
	tests/export/test_export_geometry.py tests/gui/test_gui_icons.py tests/gui/test_gui_layout.py \
	tests/samic/test_losses.py tests/samic/test_conv4d.py tests/samic/test_schedule.py \
	tests/eval/test_metrics.py tests/gui_samic/test_samic_values.py

.PHONY: setup test test-all smoke lint bench screenshots run demo clean

# sam2 (SAM 2.1) ships as source only: the sdist that requirements/sam2.txt pins by hash is
# built against the pinned torch, without its optional CUDA extension (hole filling in video
# post-processing; images do not use it)
setup: $(BIN)/python
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install "torch==2.14.1" "torchvision==0.29.1" "setuptools>=68" wheel
	SAM2_BUILD_CUDA=0 $(BIN)/python -m pip install --no-build-isolation --no-deps \
		--require-hashes -r requirements/sam2.txt
	$(BIN)/python -m pip install -e ".[dev,ray]"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# everything but the `slow` tests (long training runs, each with a faster sibling here):
# under 10 minutes on a busy 2-core machine. First the layers (lint-imports) and the types
# (mypy, configured in pyproject.toml; incremental, so a re-run takes seconds)
test:
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/ruff check samic_core sambox tests scripts
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -m "not slow"

# everything, the `slow` tests included (about 7 more minutes)
test-all:
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/ruff check samic_core sambox tests scripts
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest

smoke:
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q -m "not slow" $(SMOKE_TESTS)

lint:
	$(BIN)/ruff check samic_core sambox tests scripts
	$(BIN)/ruff format --check samic_core sambox tests scripts

bench:
	$(BIN)/python scripts/bench.py

screenshots:
	QT_QPA_PLATFORM=offscreen $(BIN)/python scripts/screenshots.py

run:
	$(BIN)/sambox $(FOLDER)

# a small annotated folder and a tiny random SAM (no downloads), opened in SAMBOX:
# the whole loop in minutes. `make demo DEMO_DIR=path` puts it elsewhere (default ./samic-demo)
demo:
	$(BIN)/python -m sambox.demo $(DEMO_DIR)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache .mypy_cache
