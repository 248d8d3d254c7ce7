# Two commands do all set-up on a fresh machine: `make workshop` and `make test`.

# Newest first: make uses the newest of these it finds (scripts/pick-python), or says what to
# install. `make PYTHON=/path/to/python3.X` chooses one; an existing .venv is kept as it is.
SUPPORTED_PYTHONS := 3.13 3.12 3.11
VERSION := -c 'import sys; print("%d.%d" % sys.version_info[:2])'
ifeq ($(origin PYTHON),undefined)
PYTHON := $(shell sh scripts/pick-python $(SUPPORTED_PYTHONS))
endif
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Coverage data of every Python process the tests start (pyproject.toml: [tool.coverage]).
COVERAGE := COVERAGE_FILE=$(CURDIR)/.coverage $(BIN)/python -m coverage
LOCAL_CLOUD := */mysfits/local/*
LIBRARY := --omit='$(LOCAL_CLOUD)'
LOCAL := --include='$(LOCAL_CLOUD)'
TARGET_LIBRARY := 85
TARGET_LOCAL_CLOUD := 75

.PHONY: workshop test lint test-other-python other-python-tests coverage-report lab benchmark \
	system-deps clean

$(STAMP): pyproject.toml service/requirements.txt
	@test -n "$(PYTHON)" || { sh scripts/pick-python $(SUPPORTED_PYTHONS); exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || { \
	  echo "no venv made with $(PYTHON): on Debian or Ubuntu, apt-get install python3-venv"; exit 1; }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,lab]"
	touch $(STAMP)

## Run every notebook headless on the embedded local cloud.
workshop: $(STAMP)
	$(BIN)/mysfits run --target local

## A Chromium or Chrome for the browser tests: found (tests/browser/chromium.py), else Debian's
## `chromium` installed where apt-get exists (needs root or sudo), else how to get one is printed.
system-deps: $(STAMP)
	@$(BIN)/python -m tests.browser.chromium >/dev/null 2>&1 || { \
	  command -v apt-get >/dev/null 2>&1 || { $(BIN)/python -m tests.browser.chromium; exit 1; }; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; }

## Unit, service, integration, notebook (nbval) and browser tests, in random order within each
## module (pytest-randomly; rerun one order with -p randomly --randomly-seed=N), under coverage.
## Test files run in parallel, one per CPU up to four (pytest-xdist; conftest.py keeps each file,
## and the notebook series, on one worker): most of a test's time is spent waiting on a cloud.
PARALLEL := -n auto --maxprocesses=4 --dist loadscope
test: $(STAMP) system-deps lint
	rm -f .coverage .coverage.*
	$(COVERAGE) run -m pytest $(PARALLEL)
	@$(MAKE) --no-print-directory coverage-report

## Style and types: ruff (lint and format, lines at most 100) and mypy, configured in pyproject.toml.
lint: $(STAMP)
	$(BIN)/ruff check lib service streaming tests benchmarks conftest.py
	$(BIN)/ruff format --check lib service streaming tests benchmarks conftest.py
	$(BIN)/mypy

## Line and branch coverage of lib/mysfits in every process the tests ran; below a target fails.
coverage-report:
	@if ls .coverage.* >/dev/null 2>&1; then $(COVERAGE) combine --quiet; fi
	@$(COVERAGE) report --sort=cover --skip-covered > coverage.txt
	@echo "coverage, line and branch (per file: coverage.txt):"
	@echo "  lib/mysfits outside local/: $$($(COVERAGE) report --format=total $(LIBRARY))%" \
	  "(target $(TARGET_LIBRARY)%)"
	@echo "  lib/mysfits/local/:         $$($(COVERAGE) report --format=total $(LOCAL))%" \
	  "(target $(TARGET_LOCAL_CLOUD)%)"
	@$(COVERAGE) report $(LIBRARY) --fail-under=$(TARGET_LIBRARY) >/dev/null || { \
	  echo "lib/mysfits outside local/ is below its coverage target: see coverage.txt"; exit 1; }
	@$(COVERAGE) report $(LOCAL) --fail-under=$(TARGET_LOCAL_CLOUD) >/dev/null || { \
	  echo "lib/mysfits/local/ is below its coverage target: see coverage.txt"; exit 1; }

## Unit, service and streaming tests on a second supported Python, the oldest found (CI runs this), in
## its own .venv-pyX.Y, made once and kept while pyproject.toml is unchanged.
test-other-python: $(STAMP)
	@current=$$($(BIN)/python $(VERSION)); \
	other=$$(sh scripts/pick-python --except $$current $(sort $(SUPPORTED_PYTHONS))); \
	if [ -z "$$other" ]; then echo "no second supported Python found: skipped"; \
	else $(MAKE) --no-print-directory other-python-tests OTHER_PYTHON=$$other \
	  OTHER_VENV=.venv-py$$($$other $(VERSION)); fi

other-python-tests: $(OTHER_VENV)/.installed
	$(OTHER_VENV)/bin/python -m pytest $(PARALLEL) tests/unit tests/service tests/streaming

$(OTHER_VENV)/.installed: pyproject.toml service/requirements.txt
	test -x $(OTHER_VENV)/bin/python || $(OTHER_PYTHON) -m venv $(OTHER_VENV)
	$(OTHER_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(OTHER_VENV)/bin/python -m pip install --quiet -e ".[test]"
	touch $@

## The local cloud in the background, then JupyterLab on the notebooks.
lab: $(STAMP)
	$(BIN)/mysfits local start --detach
	$(BIN)/jupyter lab notebooks/

## Throughput and latency figures, printed as ratios against a baseline measured in the same run.
benchmark: $(STAMP)
	$(BIN)/python benchmarks/local_cloud_startup.py
	$(BIN)/python benchmarks/notebook_runtime.py
	$(BIN)/python benchmarks/api_throughput.py
	$(BIN)/python benchmarks/api_throughput.py --table
	$(BIN)/python benchmarks/api_gateway.py
	$(BIN)/python benchmarks/pipeline_release.py
	$(BIN)/python benchmarks/lambda_invoke.py
	$(BIN)/python benchmarks/firehose_ingest.py
	$(BIN)/python benchmarks/click_loading.py
	$(BIN)/python benchmarks/click_enrichment.py
	$(BIN)/python benchmarks/click_stream_throughput.py

clean:
	-test -x $(BIN)/mysfits && $(BIN)/mysfits local stop
	rm -rf $(VENV) .venv-py3.* runs .pytest_cache .hypothesis lib/*.egg-info
	rm -f .coverage .coverage.* coverage.txt
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
