# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: help run test lint bench clean

help:  ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-8s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)  ## migrate the database, publish menus.yaml if needed, serve on :5000
	$(BIN)/ivr serve --host 127.0.0.1 --port 5000

test: $(STAMP)  ## the whole suite (SQLite, and PostgreSQL when its server is installed)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

lint: $(STAMP)  ## ruff, and the shipped menu through the menu linter
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/ivr menus validate menus.yaml

bench: $(STAMP)  ## webhooks vs a bare route, calendar, call log, callbacks, console, voicemail tickets, retention
	$(BIN)/python bench/webhooks_bench.py
	$(BIN)/python bench/hours_bench.py
	$(BIN)/python bench/call_log_bench.py
	$(BIN)/python bench/callbacks_bench.py
	$(BIN)/python bench/console_bench.py
	$(BIN)/python bench/voicemail_bench.py
	$(BIN)/python bench/retention_bench.py

clean:  ## remove the virtualenv and local data
	rm -rf $(VENV) var .pytest_cache .hypothesis
