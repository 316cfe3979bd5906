# Quickstart: `make run` serves the API on an embedded SQLite database; `make test` runs the suite.
PYTHON ?= python3
HOST ?= 127.0.0.1
PORT ?= 8000
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run demo test lint fmt migrate openapi bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@ $(VENV)/.installed

run: $(VENV)/.installed  ## migrate the database, then serve on HOST:PORT
	$(BIN)/crm serve --host $(HOST) --port $(PORT)

demo: $(VENV)/.installed  ## fill the `default` workspace with a made-up shop (SIZE=large: bigger)
	$(BIN)/crm demo --size $(or $(SIZE),small)

test: $(VENV)/.installed-dev  ## lint, then every test on SQLite and PostgreSQL
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest

lint: $(VENV)/.installed-dev  ## ruff, then mypy in strict mode
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

fmt: $(VENV)/.installed-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

migrate: $(VENV)/.installed
	$(BIN)/crm migrate

openapi: $(VENV)/.installed  ## regenerate openapi/openapi.json from the app
	$(BIN)/crm openapi --output openapi/openapi.json

bench: $(VENV)/.installed-dev  ## benchmarks on PostgreSQL; figures in bench/results/
	$(BIN)/python -m bench.reads
	$(BIN)/python -m bench.batch
	$(BIN)/python -m bench.kpis

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
