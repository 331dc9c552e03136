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

.PHONY: run test bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

# The demo gets a warehouse of its own, made afresh each time, so that it can run again.
DEMO := --db data/demo/warehouse.duckdb --reports data/demo/reports

run: $(STAMP)
	rm -rf data/demo
	$(BIN)/enrollment-migrate $(DEMO) portal load --users $(SAMPLE)/portal_users.csv \
		--courses $(SAMPLE)/portal_courses.csv --enrollments $(SAMPLE)/portal_enrollments.csv
	$(BIN)/enrollment-migrate $(DEMO) run $(SAMPLE)/migration.csv --import-date 2025-01-15
	$(BIN)/enrollment-migrate $(DEMO) runs

test: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python bench/validate_million_rows.py

clean:
	rm -rf $(VENV) .prefect data/warehouse.duckdb* data/reports data/demo
