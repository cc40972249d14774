# co2mix: `make repro` runs the pipeline, `make test` runs the tests.
# Both create .venv and install the pinned dependencies first, but only when the
# venv is missing or pyproject.toml (where the pins live) changed since the install.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: install repro verify test lint format bench report clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11) and "co2mix needs Python 3.11, found " + sys.version.split()[0])'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# the plant's pipeline (dvc.yaml) and every dataset profile (profiles/*/dvc.yaml)
repro: $(STAMP)
	dvc repro --all-pipelines

# reproduced metrics against the committed ones, within the declared tolerance
# (src/co2mix/reporting/tolerances.py); dvc.lock's commands, params and code hashes exactly
verify: $(STAMP)
	co2mix verify

test: $(STAMP)
	pytest

lint: $(STAMP)
	ruff check .
	ruff format --check .
	lint-imports
	mypy

format: $(STAMP)
	ruff check --fix .
	ruff format .

bench: $(STAMP)
	python bench/bench_generate.py
	python bench/bench_check_speed.py
	python bench/bench_check_detection.py
	python bench/bench_scenarios.py
	python bench/bench_optimize_throughput.py
	python bench/bench_imputation.py
	python bench/bench_scale.py
	python bench/bench_xgboost_search.py
	python bench/bench_dask.py
	python bench/bench_real_data.py
	python bench/bench_pipeline.py
	python bench/bench_serve.py

# The pull-request report, as CI posts it: make report [BASE=origin/main]
BASE ?= main
report: $(STAMP)
	python -m co2mix.reporting --base $(BASE) --out report.md
	@echo "wrote report.md (against $(BASE))"

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
