# Two commands for a newcomer: `make run` and `make test`. Only Python 3.11+ is needed.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
export PORT

.DEFAULT_GOAL := help
.PHONY: help install run test fmt typecheck bench

help: ## List the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Helpdesk needs Python 3.11 or newer as $(PYTHON)"; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $@

install: $(VENV)/.installed ## Create .venv and install Helpdesk with its tools

run: install ## Start PostgreSQL, Redis, web, worker and beat with demo data (http://acme.localhost:8000/)
	DEBUG=$${DEBUG:-true} PUBLIC_PORT=$${PUBLIC_PORT:-$(PORT)} $(PY) -m helpdesk.embedded supervise

test: install ## Lint, then the whole suite (embedded services unless DATABASE_URL/REDIS_URL are set)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache
	$(PY) -m helpdesk.embedded exec-with-services $(PY) -m pytest $(PYTEST_ARGS)

fmt: install ## Format and fix the code
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

typecheck: install ## Optional: mypy with django-stubs
	$(PY) -m pip install --quiet --disable-pip-version-check mypy django-stubs
	$(VENV)/bin/mypy helpdesk tickets sla knowledge escalations integrations reports

bench: install ## Measure the figures in bench/README.md and print one table
	$(PY) -m helpdesk.embedded exec-with-services $(PY) bench/run.py $(BENCH_ARGS)
