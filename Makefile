# Two commands for a newcomer: `make run` and `make test`. Both create .venv/ when it is
# missing and (re)install the project into it when pyproject.toml changed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
FLASK := $(BIN)/flask --app app
HOST ?= 127.0.0.1
PORT ?= 5000
PLAN_YEAR ?= 2025-2026

.PHONY: run test lint setup db demo clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

db: setup
	$(FLASK) db upgrade
	$(FLASK) members load
	$(FLASK) workplan import data/workplans/$(PLAN_YEAR).txt --year $(PLAN_YEAR) --quiet
	$(FLASK) surveys sync

demo: db
	$(FLASK) demo load --year $(PLAN_YEAR)
	$(FLASK) rounds dispatch

run: demo
	$(FLASK) run --host $(HOST) --port $(PORT)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
