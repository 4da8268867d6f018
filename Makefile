# Monk: `make run` starts everything on an embedded SQLite file; `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run test lint bench bench-webhooks clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $@ $(STAMP)

run: $(STAMP)
	$(BIN)/monk migrate
	$(BIN)/monk serve

test: $(TEST_STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/mypy
	$(BIN)/python -m pytest

# The ingestion benchmark (docs/benchmarks.md); PostgreSQL when MONK_BENCH_DATABASE_URL is set.
# BENCH_ARGS passes options, e.g. `make bench BENCH_ARGS=--wallets` (a credit wallet on every contract).
bench: $(STAMP)
	$(BIN)/monk bench $(BENCH_ARGS)

# Webhook delivery (docs/benchmarks.md, "Webhook delivery"); PostgreSQL when MONK_BENCH_DATABASE_URL is set.
bench-webhooks: $(STAMP)
	$(BIN)/monk bench-webhooks

lint: $(TEST_STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/mypy

clean:
	rm -rf $(VENV) monk.db monk.db-wal monk.db-shm
