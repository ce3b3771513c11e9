# Koers: `make demo` serves a demo tenant; `make test` runs the whole suite (SQLite, then
# PostgreSQL with a real Celery worker on Redis). Both create .venv and install what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
# The application connects as PG_APP_ROLE (no owner, no BYPASSRLS: row-level security applies);
# migrations and the test database run as the owner (docs/security.md).
PG_APP_ROLE ?= koers_app
PG_URL ?= postgres://$(PG_APP_ROLE)@127.0.0.1:5432/koers
PG_OWNER_URL ?= postgres://postgres@127.0.0.1:5432/koers
PG_ADMIN_URL ?= postgres://postgres@127.0.0.1:5432/postgres
TEST_BROKER ?= redis://127.0.0.1:6379/15
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install demo test lint test-sqlite test-postgres chromium services pg-roles clean bench

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	$(BIN)/python -m pip install -q --no-deps lifetimes==0.11.3
	rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput -v0
	$(BIN)/python manage.py seed_demo
	@echo "Serving Koers at http://127.0.0.1:8000 (tasks run in-process; Ctrl-C stops)"
	CELERY_TASK_ALWAYS_EAGER=1 $(BIN)/python manage.py runserver 127.0.0.1:8000

chromium:
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium; }

services:
	@bash scripts/ensure-services.sh

pg-roles: services
	@bash scripts/pg-roles.sh $(PG_ADMIN_URL) $(PG_APP_ROLE)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run

test-sqlite: install chromium
	DATABASE_URL=sqlite:///var/test.sqlite3 $(BIN)/pytest -m "not integration"

test-postgres: install chromium services pg-roles
	DATABASE_URL=$(PG_URL) DATABASE_OWNER_URL=$(PG_OWNER_URL) CELERY_BROKER_URL=$(TEST_BROKER) \
		$(BIN)/pytest

test: lint test-sqlite test-postgres

bench: install services
	DATABASE_URL=$(PG_OWNER_URL) $(BIN)/python -m bench

clean:
	rm -rf $(VENV) var/*.sqlite3* var/static
