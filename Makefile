# co2mix: `make repro` runs the pipeline, `make test` runs the tests.
# Both create .venv and install the locked dependencies first, but only when the venv is
# missing or requirements.lock changed since the install. requirements.lock pins every
# package (direct pins in pyproject.toml, and everything they pull in) with the hashes
# of its files; pip refuses any file whose hash is not listed (--require-hashes).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: install lock repro verify test lint docs format bench report clean

install: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11) and "co2mix needs Python 3.11, found " + sys.version.split()[0])'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	$(BIN)/python -m pip check
	touch $(STAMP)

# after changing a pin in pyproject.toml: resolve again (pip-compile keeps every version
# already in requirements.lock that still fits) and record each file's hashes
lock: $(STAMP)
	CUSTOM_COMPILE_COMMAND="make lock" pip-compile --quiet --generate-hashes --allow-unsafe \
	    --strip-extras --all-build-deps --no-emit-index-url --no-emit-trusted-host \
	    --no-emit-find-links --extra dev -o requirements.lock pyproject.toml

# the plant's pipeline (dvc.yaml) and every dataset profile (profiles/*/dvc.yaml), side by
# side: what `dvc repro --all-pipelines` runs one after the other, with the same results.
# They share no output, and DVC releases its repository lock while a stage's command runs
# (its documented parallel stage execution), so both cores work where one would idle
# through the many single-threaded stages: 113 s -> 65 s on two cores (docs/benchmarks.md).
# A pipeline that fails fails `make repro`, after the others have finished.
PIPELINES := dvc.yaml $(sort $(wildcard profiles/*/dvc.yaml))

repro: $(STAMP)
	@$(MAKE) --no-print-directory -j$(words $(PIPELINES)) --output-sync=line \
	    $(addprefix repro-pipeline/,$(PIPELINES))

# one pipeline: make repro-pipeline/profiles/diamonds/dvc.yaml
repro-pipeline/%:
	dvc --wait-for-lock repro $*

# reproduced metrics against the committed ones, within the declared tolerance
# (src/co2mix/reporting/tolerances.py); dvc.lock's commands, params and code hashes exactly
verify: $(STAMP)
	co2mix verify

test: $(STAMP)
	pytest

# the documentation site: reference pages generated from the code, built with --strict
# (a broken link or a page missing from the nav fails) into site/, readable offline
docs: $(STAMP)
	co2mix docs-reference
	NO_MKDOCS_2_WARNING=1 mkdocs build --strict --quiet

lint: docs
	detect-secrets-hook --baseline .secrets.baseline $$(git ls-files)
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
	python bench/bench_feed.py

# The pull-request report, as CI posts it: make report [BASE=origin/main]; and the docs'
# example, the committed results' report against no base (tests/test_report.py keeps it current)
BASE ?= main
report: $(STAMP)
	python -m co2mix.reporting --base $(BASE) --out report.md
	python -m co2mix.reporting --out docs/example-report.md
	@echo "wrote report.md (against $(BASE)) and docs/example-report.md (the committed results)"

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
