# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SAMPLE := data/sample
export PREFECT_HOME ?= $(CURDIR)/.prefect
export DO_NOT_TRACK := 1
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export PREFECT_LOGGING_LEVEL ?= WARNING

.PHONY: run test fuzz bench bench-startup clean server server-stop

# uv compiles what it installs (pyproject's tool.uv compile-bytecode) and compileall this
# project's own modules: where PYTHONDONTWRITEBYTECODE is set, nothing else ever would, and each
# command would compile Prefect again. `local_server prepare` migrates, once per machine and
# Prefect version, the empty database each new local server copies (about 10 s saved on a
# first command).
# The versions CI tested, exactly: uv.lock (`uv lock` after a change to the dependencies in
# pyproject.toml; `--locked` refuses a lock that no longer matches). uv itself comes from the
# package index into the same .venv (--inexact: the sync keeps it and pip).
$(STAMP): pyproject.toml uv.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet 'uv>=0.13,<0.14'
	$(BIN)/uv sync --quiet --locked --inexact --extra test
	$(BIN)/python -m compileall -q enrollment_migrate flows schemas
	$(BIN)/python -m flows.local_server prepare
	touch $(STAMP)

# The demo gets a warehouse of its own, made afresh each time, so that it can run again.
DEMO := --db data/demo/warehouse.duckdb --reports data/demo/reports

run: $(STAMP)
	rm -rf data/demo && mkdir -p data/demo
	$(BIN)/enrollment-migrate $(DEMO) portal load --users $(SAMPLE)/portal_users.csv \
		--courses $(SAMPLE)/portal_courses.csv --enrollments $(SAMPLE)/portal_enrollments.csv \
		--learning-paths $(SAMPLE)/portal_learning_paths.csv --settings $(SAMPLE)/portal_settings.csv
	@echo "--- A file with problems: validate says what to fix and what is not ready (exit status 1)"
	$(BIN)/enrollment-migrate $(DEMO) validate $(SAMPLE)/migration_with_problems.csv --import-date 2025-01-15; \
		test $$? -eq 1
	@echo "--- The sample file: validated and applied in one transaction"
	$(BIN)/enrollment-migrate $(DEMO) run $(SAMPLE)/migration.csv --import-date 2025-01-15
	$(BIN)/enrollment-migrate $(DEMO) runs

# On every core (pytest-xdist), each worker with its own PREFECT_HOME, Prefect harness and
# temporary folders (tests/conftest.py). worksteal: a worker left idle takes tests queued for the
# other, which ends the run about ten seconds sooner than an even split. PYTEST_ARGS adds
# options, e.g. --durations=20 (docs/performance.md, "The test suite's time").
PYTEST_ARGS ?=
test: $(STAMP)
	$(BIN)/python -m pytest -n auto --dist worksteal $(PYTEST_ARGS)

# The property tests of bad input with thousands of generated files each (minutes, not in `make test`).
fuzz: $(STAMP)
	HYPOTHESIS_PROFILE=fuzz $(BIN)/python -m pytest -q -p no:cacheprovider --hypothesis-show-statistics \
		tests/enrollment_migrate/test_bad_input.py tests/enrollment_migrate/prepare/test_prepare_bad_input.py

# validate, run and rollback at 1M and 10M rows against a Polars baseline (docs/performance.md).
# What a command costs from a fresh shell is `make bench-startup`'s.
bench: $(STAMP)
	$(BIN)/python bench/run.py --rows 1000000 --rows 10000000
	@echo "Start-up of each command (from a fresh shell, with and without PYTHONDONTWRITEBYTECODE): make bench-startup"

# Each command from a fresh shell, best of 5, with and without PYTHONDONTWRITEBYTECODE, against the
# targets of issue 22 (about 10 minutes; isolated PREFECT_HOME, warehouses and servers, all removed
# after): bench/results/startup.{json,md} and docs/performance.md's "Start-up" section.
bench-startup: $(STAMP)
	$(BIN)/python bench/startup.py

# A local Prefect server (SQLite in $(PREFECT_HOME), 127.0.0.1 only) with the deployments served
# on this machine; Ctrl-C stops both. The flow runs log at INFO so that the UI shows their logs.
PREFECT_PORT ?= 4200
SERVER_LOG_LEVEL ?= INFO

server: $(STAMP)
	PREFECT_LOGGING_LEVEL=$(SERVER_LOG_LEVEL) $(BIN)/python -m flows.serve --local-server --port $(PREFECT_PORT)

# Stop the local Prefect server (the commands' and `make server`'s; it also stops when idle).
server-stop: $(STAMP)
	$(BIN)/python -m flows.serve --stop

clean:
	rm -rf $(VENV) .prefect data/warehouse.duckdb* data/reports data/demo
