# Two commands do all set-up on a fresh machine: `make workshop` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: workshop test lab benchmark system-deps clean

$(STAMP): pyproject.toml service/requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Python 3.11 is required (set PYTHON=python3.11)")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,lab]"
	touch $(STAMP)

## Run every notebook headless on the embedded local cloud.
workshop: $(STAMP)
	$(BIN)/mysfits run --target local

## Install Debian's Chromium for the browser tests when it is missing (needs root or sudo).
system-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; }

## Unit, integration, notebook (nbval) and browser tests.
test: $(STAMP) system-deps
	$(BIN)/python -m pytest

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
	$(BIN)/python benchmarks/pipeline_release.py

clean:
	-test -x $(BIN)/mysfits && $(BIN)/mysfits local stop
	rm -rf $(VENV) runs .pytest_cache .hypothesis lib/*.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
