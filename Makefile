# Corridor: `make run` for a demo on this machine, `make test` for the test suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
export CORRIDOR_VAR ?= $(CURDIR)/var
# Long load, crash and attack tests are marked `slow`: CI runs them (.ci/run), a
# laptop's `make test` skips them unless PYTEST_ARGS says otherwise.
PYTEST_ARGS ?= -m "not slow"
# Two workers (pytest-xdist), each with its own test database, key agent and var/.
# The slow tests marked `timing` compare durations: CI runs them with PYTEST_WORKERS= (one process).
PYTEST_WORKERS ?= -n 2

.PHONY: run test install install-test lint check clean-demo bench messages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml verifier/pyproject.toml
	$(BIN)/pip install -q -e ./verifier -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install -q -e ./verifier -e '.[test]'
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

run: install
	CORRIDOR_DEMO=1 $(BIN)/corridor demo --cases 300 --seed 1
	@echo "Staff pages: http://$${CORRIDOR_BIND:-127.0.0.1:8000}/staff/  Public intake: http://$${CORRIDOR_BIND:-127.0.0.1:8000}/"
	@echo "Demo sign-ins: $(CORRIDOR_VAR)/demo-credentials.txt  (codes: .venv/bin/corridor totp USERNAME)"
	CORRIDOR_DEMO=1 $(BIN)/corridor serve --unseal-passphrase-file $(CORRIDOR_VAR)/demo-passphrase

test: install-test
	$(BIN)/pytest $(PYTEST_WORKERS) $(PYTEST_ARGS)

lint: install-test
	$(BIN)/ruff check corridor bench conftest.py
	$(BIN)/corridor makemigrations --check --dry-run

bench: install-test
	$(BIN)/python -m bench.run_all

clean-demo:
	rm -rf $(CORRIDOR_VAR)

# Extract and compile translations for one app (APP=intake) or all of them.
APPS := $(if $(APP),$(APP),crypto accounts audit web intake exposure cases housing evidence funds reports api)
messages: install
	@for app in $(APPS); do \
	  (cd corridor/$$app && mkdir -p locale && CORRIDOR_TESTING=1 DJANGO_SETTINGS_MODULE=corridor.settings \
	   ../../$(BIN)/django-admin makemessages -l ru -l en --no-obsolete -e html,txt,py,typ >/dev/null && \
	   CORRIDOR_TESTING=1 DJANGO_SETTINGS_MODULE=corridor.settings ../../$(BIN)/django-admin compilemessages >/dev/null) || exit 1; \
	done
