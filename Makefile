# Loop — developer commands. `make run` and `make test` are the two you need.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
PG_URL ?= postgres://postgres@127.0.0.1:5432/postgres

.PHONY: help install run migrate serve test test-sqlite test-pg lint bench clean

help:
	@echo "make run       set up everything (venv, install, migrate, seed, admin + API key) and serve on http://$(HOST):$(PORT)"
	@echo "make test      run the test suite (SQLite; set DATABASE_URL for PostgreSQL)"
	@echo "make test-pg   run the test suite on PostgreSQL ($(PG_URL))"
	@echo "make serve     production-like: gunicorn with gunicorn.conf.py"
	@echo "make bench     run the benchmarks (see docs/benchmarks.md)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Re-install only when the dependency lists change.
$(VENV)/.installed: $(BIN)/python pyproject.toml $(wildcard client/pyproject.toml)
	$(BIN)/pip install --quiet -e '.[dev]'
	@if [ -f client/pyproject.toml ]; then $(BIN)/pip install --quiet -e ./client; fi
	@touch $@

install: $(VENV)/.installed

migrate: install
	$(BIN)/python manage.py migrate --noinput

run: migrate
	$(BIN)/python manage.py bootstrap
	@if $(BIN)/python manage.py help seed_demo >/dev/null 2>&1; then $(BIN)/python manage.py seed_demo --if-empty; fi
	DEBUG=true $(BIN)/python manage.py runserver $(HOST):$(PORT)

# Production-like: DEBUG off, whitenoise-served static files, gunicorn as configured in
# gunicorn.conf.py (override with WEB_CONCURRENCY, LOOP_WORKER_CLASS, LOOP_THREADS).
serve: migrate
	$(BIN)/python manage.py collectstatic --noinput -v0
	DEBUG=false LOOP_BIND=$(HOST):$(PORT) $(BIN)/gunicorn -c gunicorn.conf.py loop_project.wsgi

# The benchmark (docs/benchmarks.md): PostgreSQL on 127.0.0.1, pgbouncer, databases loop_bench*.
# `make bench QUICK=1` is the <= 3-minute run; BENCH_ARGS passes anything else (e.g. --sizes 10000).
bench: install
	$(BIN)/python -m bench $(if $(QUICK),--quick) $(BENCH_ARGS)

test: install
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest

test-sqlite: install
	env -u DATABASE_URL $(BIN)/pytest

test-pg: install
	DATABASE_URL=$(PG_URL) $(BIN)/pytest

lint: install
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) staticfiles .pytest_cache
