# smartdiplomacy — the two commands: `make run` and `make test` (`make help` lists them all).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
# `make run IATI=1` also imports the 401 real IATI activities shipped in iati/sample/.
SEED_ARGS := $(if $(IATI),--iati,)
step = @printf '\n==> %s\n' "$(1)"

.PHONY: help run setup test lint format lock clean-db bench

## run: install, build static assets, migrate, load the demo once, serve http://127.0.0.1:8000
run: setup
	$(call step,Serving http://$(HOST):$(PORT)/ (Ctrl-C to stop; sign in with the demo users above))
	@$(PY) manage.py runserver $(HOST):$(PORT)

## setup: everything `run` does before serving (installs, static assets, migrate, demo data)
setup: $(VENV)/.installed static/vendor/.built
	$(call step,Database: applying migrations (first time: about a minute on SQLite))
	@$(PY) manage.py migrate --noinput
	$(call step,Demo data: loading the scenario once (first time: about a minute; then seconds))
	@$(PY) manage.py seed_demo $(SEED_ARGS)

## test: the whole suite (service tests run when DATABASE_URL / CELERY_BROKER_URL point at them)
# On TEST_WORKERS processes (pytest-xdist, one test database each): the do-no-harm harness, a
# third of the suite's time in one test, runs beside the rest. `--dist load` hands tests out in
# pytest-django's order, so on each process the transactional tests (which empty the database
# when they end) still come after all the others.
TEST_WORKERS ?= auto
test: $(VENV)/.installed static/vendor/.built
	$(PY) -m pytest -n $(TEST_WORKERS) --maxprocesses 4 --dist load $(PYTEST_ARGS)

## bench: the headline benchmarks at reduced sizes (< 10 min), one table with load and same-run ratios
# DATABASE_URL must name a scratch PostgreSQL database (its synthetic registry is replaced);
# CACHE_URL a Redis database (the scores API's cache).
bench: $(VENV)/.installed
	$(PY) benchmarks/run_all.py $(BENCH_ARGS)

## lint: ruff, the one-way layer contracts (import-linter), types (mypy), migrations, code sizes
lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/mypy
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest tests/test_code_size.py -q -p no:cacheprovider

## format: ruff format and ruff check --fix
format: $(VENV)/.installed
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

## lock: re-resolve requirements.lock from pyproject.toml (exact pins for every package)
lock:
	$(PYTHON) -m venv /tmp/smartdiplomacy-piptools && /tmp/smartdiplomacy-piptools/bin/pip install -q pip-tools
	/tmp/smartdiplomacy-piptools/bin/pip-compile --quiet --extra dev --strip-extras \
		--no-emit-index-url --no-emit-find-links --output-file requirements.lock pyproject.toml

## clean-db: delete the local SQLite database (the next `make run` loads the demo again)
clean-db:
	rm -f db.sqlite3 db.sqlite3-wal db.sqlite3-shm

## help: this list
help:
	@printf 'smartdiplomacy: make TARGET\n\n'
	@sed -n 's/^## \([a-z-]*\): \(.*\)/  \1\t\2/p' $(MAKEFILE_LIST) | expand -t 12

# pip names each package as it fetches it; "already satisfied" lines (a re-run) are left out.
$(VENV)/.installed: requirements.lock
	$(call step,Python packages: $(shell grep -c '^[a-z]' requirements.lock) pinned packages into $(VENV) (first time: about 3-5 minutes; pip names each one))
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@set -o pipefail; $(PY) -m pip install --no-input --disable-pip-version-check --progress-bar off \
		-r requirements.lock | { grep -v '^Requirement already satisfied' || true; }
	@touch $@

static/vendor/.built: package.json package-lock.json scripts/build-static.mjs
	$(call step,Static assets: npm packages and static/vendor (first time: under a minute))
	@npm ci --no-audit --no-fund
	@npm run --silent build
