# Two commands for a newcomer: `make run` and `make test`. Both create .venv/ when it is
# missing and install the exact versions of requirements/*.txt (hash-checked) into it:
# `make run` the runtime ones only, `make test` the test tools too. `make serve` runs the
# production profile (gunicorn, PostgreSQL, Redis); `make lock` refreshes the lock files.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUNTIME_STAMP := $(VENV)/.installed-runtime
DEV_STAMP := $(VENV)/.installed-dev
FLASK := $(BIN)/flask --app app
HOST ?= 127.0.0.1
PORT ?= 5000
PLAN_YEAR ?= 2025-2026
PIP := $(BIN)/python -m pip --disable-pip-version-check

.PHONY: run serve test lint setup setup-dev db demo lock clean translations translations-update

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# The application runs from this folder (flask --app app, gunicorn wsgi:app): only its
# dependencies are installed, all from the lock files.
$(RUNTIME_STAMP): requirements/runtime.txt | $(BIN)/python
	$(PIP) install --quiet --require-hashes -r requirements/runtime.txt
	touch $(RUNTIME_STAMP)

$(DEV_STAMP): requirements/dev.txt | $(BIN)/python
	$(PIP) install --quiet --require-hashes -r requirements/dev.txt
	touch $(DEV_STAMP) $(RUNTIME_STAMP)

setup: $(RUNTIME_STAMP) translations

setup-dev: $(DEV_STAMP) translations

# The interface's catalogues: translations/<lang>/LC_MESSAGES/messages.po, compiled here
# into the .mo files the app reads (built, never committed). A .mo is rebuilt when its .po
# is newer.
CATALOGUES := $(patsubst %.po,%.mo,$(wildcard translations/*/LC_MESSAGES/messages.po))

translations: $(CATALOGUES)

translations/%/LC_MESSAGES/messages.mo: translations/%/LC_MESSAGES/messages.po | $(RUNTIME_STAMP)
	$(BIN)/pybabel compile --statistics -i $< -o $@

# After changing texts in the code or templates: collect them into messages.pot and merge
# them into every catalogue (then translate the new entries, see README).
translations-update: setup
	$(BIN)/pybabel extract -F babel.cfg -k lazy_gettext -k _l --no-location --sort-output \
		-o translations/messages.pot app templates
	$(BIN)/pybabel update --no-fuzzy-matching --ignore-obsolete -i translations/messages.pot -d translations

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

# The production profile: APP_CONFIG=production, DATABASE_URL and SECRET_KEY from the
# environment (see docs/deploy.md); the schema is brought to head first.
serve: setup
	APP_CONFIG=production $(FLASK) db upgrade
	APP_CONFIG=production $(BIN)/gunicorn --config python:app.ops.gunicorn_conf wsgi:app

lint: setup-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Exact versions, with hashes, of what production installs (runtime.txt, or sentry.txt
# with Sentry) and what the tests run against (dev.txt: the same runtime versions plus
# the test tools).
lock: setup-dev
	$(BIN)/uv pip compile pyproject.toml --generate-hashes --python-version 3.11 --quiet \
		-o requirements/runtime.txt
	$(BIN)/uv pip compile pyproject.toml --extra dev --extra sentry --generate-hashes \
		--python-version 3.11 --quiet -c requirements/runtime.txt -o requirements/dev.txt
	$(BIN)/uv pip compile pyproject.toml --extra sentry --generate-hashes \
		--python-version 3.11 --quiet -c requirements/runtime.txt -o requirements/sentry.txt

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
