# The two commands: `make run` (whole system, embedded) and `make test` (the test suite).
VENV ?= .venv
PY := $(VENV)/bin/python

$(VENV)/.installed: requirements.lock pyproject.toml
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --require-hashes -r requirements.lock
	$(VENV)/bin/pip install --quiet --no-deps -e .
	touch $@

.PHONY: run test lint bench lock
run: $(VENV)/.installed
	$(PY) -m services.launcher run

test: $(VENV)/.installed
	tools/ensure-postgres.sh
	$(PY) -m pytest -q

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

bench: $(VENV)/.installed
	$(PY) -m bench

lock:
	uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 -o requirements.lock
