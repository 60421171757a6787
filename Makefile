# kfp-tf-components — every command sets up what it needs first.
#   make run    set up, then run the training pipeline locally on the bundled penguins
#   make test   set up, then run the whole test suite (end-to-end tests included)
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
LOCK := requirements/runtime.lock
STAMP := $(VENV)/.installed
WORKDIR ?= local_runs
PYTEST_ARGS ?=

.DEFAULT_GOAL := help

.PHONY: help
help: ## show this help
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  make %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(BIN)/uv:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv

# --compile-bytecode: with PYTHONDONTWRITEBYTECODE set (as on these machines) nothing
# caches .pyc files, and every task would compile TensorFlow's sources again on import
# (12 s instead of 5 s for TFDV here).
$(STAMP): $(LOCK) pyproject.toml | $(BIN)/uv
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -r $(LOCK)
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	@touch $(STAMP)

.PHONY: setup
setup: $(STAMP) ## create .venv with the pinned runtime stack (requirements/runtime.lock)

.PHONY: run
run: setup ## run the training pipeline locally on the bundled penguin data
	$(BIN)/kfp-tf run training --workdir $(WORKDIR)

.PHONY: test
test: setup ## run the whole test suite (unit, compile drift, end-to-end)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

.PHONY: test-fast
test-fast: setup ## run the tests not marked slow
	$(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

.PHONY: bench
bench: setup ## benchmark the local penguin run (warm worker vs cold tasks) and authoring
	$(BIN)/python benchmarks/run.py

.PHONY: bench-scale
bench-scale: setup ## ingest + statistics + validate on 1,000,000 rows vs tfdv.generate_statistics_from_csv
	$(BIN)/python benchmarks/scale.py

.PHONY: compile
compile: setup ## regenerate compiled/ (pipelines and component YAML) from the source
	$(BIN)/kfp-tf compile

.PHONY: lock
lock: | $(BIN)/uv ## re-resolve requirements/runtime.in into requirements/runtime.lock
	$(BIN)/uv pip compile --quiet --python-version 3.11 requirements/runtime.in -o $(LOCK)

.PHONY: clean
clean: ## remove local runs and caches (keeps .venv)
	rm -rf $(WORKDIR) .pytest_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
