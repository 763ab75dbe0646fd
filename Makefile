# smartdiplomacy — the two commands: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
# `make run IATI=1` also imports the 401 real IATI activities shipped in stakeholders/iati/sample/.
SEED_ARGS := $(if $(IATI),--iati,)

.PHONY: run setup test lint format lock clean-db bench

## run: install, build static assets, migrate, load the demo once, serve http://127.0.0.1:8000
run: setup
	@echo "Serving http://$(HOST):$(PORT)/  (Ctrl-C to stop)"
	$(PY) manage.py runserver $(HOST):$(PORT)

setup: $(VENV)/.installed static/vendor/.built
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo $(SEED_ARGS)

## test: the whole suite (service tests run when DATABASE_URL / CELERY_BROKER_URL point at them)
test: $(VENV)/.installed static/vendor/.built
	$(PY) -m pytest $(PYTEST_ARGS)

## bench: the headline benchmarks at reduced sizes (< 10 min on 2 cores), one table of figures,
## same-run references, ratios and load. DATABASE_URL must name a scratch PostgreSQL database
## (its synthetic registry is replaced); CACHE_URL a Redis database (the scores API's cache).
bench: $(VENV)/.installed
	$(PY) benchmarks/run_all.py $(BENCH_ARGS)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run

format: $(VENV)/.installed
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

## lock: re-resolve requirements.lock from pyproject.toml (exact pins for every package)
lock:
	$(PYTHON) -m venv /tmp/smartdiplomacy-piptools && /tmp/smartdiplomacy-piptools/bin/pip install -q pip-tools
	/tmp/smartdiplomacy-piptools/bin/pip-compile --quiet --extra dev --strip-extras \
		--no-emit-index-url --no-emit-find-links --output-file requirements.lock pyproject.toml

$(VENV)/.installed: requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -r requirements.lock
	touch $@

static/vendor/.built: package.json package-lock.json scripts/build-static.mjs
	npm ci --no-audit --no-fund
	npm run build

clean-db:
	rm -f db.sqlite3 db.sqlite3-wal db.sqlite3-shm
