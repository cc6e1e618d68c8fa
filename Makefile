# Everything runs from the project's own virtualenv in .venv, made on first use.
# Nothing configured: SQLite, in-memory cache and channel layer, eager tasks.
# Set DATABASE_URL / REDIS_URL (or a .env file) to use Postgres and Redis.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
# `make run` listens on loopback: DEBUG is on and the demo passwords are public.
# HOST=0.0.0.0 to reach it from another machine (a phone on the LAN), knowingly.
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run migrate seed test test-sqlite e2e browser lint fmt schema client fuzz audit worker beat bench clean

# (Re)install whenever a requirements file changes.
$(INSTALLED): requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "Python 3.11 or newer is needed (found: $$($(PYTHON) --version))"; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

install: $(INSTALLED)

migrate: install
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo

# API, docs and the /ws/ socket on http://localhost:8000 (daphne behind runserver).
run: seed
	@echo "API on http://localhost:$(PORT)/api/v1/, docs on http://localhost:$(PORT)/api/docs/, socket on ws://localhost:$(PORT)/ws/"
	$(PY) manage.py runserver $(HOST):$(PORT)

# The whole suite. Real Postgres / Redis on 127.0.0.1 are used when they answer.
test: install
	$(PY) -m pytest $(PYTEST_ARGS)

# The whole suite again on the embedded default, whatever answers or is set:
# SQLite (the test database in memory), in-memory cache and channel layer. Only
# tests marked requires_postgres / requires_redis are skipped. CI runs both.
test-sqlite: install
	DATABASE_URL=sqlite://:memory: REDIS_URL= REQUIRE_SERVICES= $(PY) -m pytest $(PYTEST_ARGS)

e2e: install
	$(PY) -m pytest -m e2e $(PYTEST_ARGS)

# Only the tests that drive headless Chromium (Debian's `chromium` package).
browser: install
	$(PY) -m pytest -m browser $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

fmt: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# The OpenAPI document, validated, to openapi.yaml.
schema: install
	$(PY) manage.py spectacular --validate --fail-on-warn --file openapi.yaml

# The typed TypeScript client (clients/typescript): its npm packages as locked
# (`npm ci` only when package-lock.json changed), types generated from the OpenAPI
# document by openapi-typescript, then `tsc --noEmit`. Needs Node.js 20 and npm.
CLIENT := clients/typescript

$(CLIENT)/node_modules/.package-lock.json: $(CLIENT)/package.json $(CLIENT)/package-lock.json
	@node -e 'process.exit(Number(process.versions.node.split(".")[0]) < 20 ? 1 : 0)' 2>/dev/null \
		|| { echo "Node.js 20 and npm are needed (found: $$(node --version 2>/dev/null || echo none))"; exit 1; }
	cd $(CLIENT) && npm ci --no-audit --no-fund

client: install $(CLIENT)/node_modules/.package-lock.json
	cd $(CLIENT) && PYTHON=$(abspath $(PY)) node scripts/generate.mjs
	cd $(CLIENT) && node_modules/.bin/tsc --noEmit
	@echo "typed client: types generated and type-checked"

# schemathesis against the schema, as an authenticated user, fixed seed,
# FUZZ_EXAMPLES (default 5) per operation (tests/core/test_schemathesis.py).
fuzz: install
	FUZZ=1 $(PY) -m pytest tests/core/test_schemathesis.py $(PYTEST_ARGS)

# pip-audit over the pinned requirements (tools/audit.py): exit 0 only when every
# package was checked; 1 on a known vulnerability; 3 when no vulnerability service
# answered for some package (incomplete, not a pass).
audit: install
	$(PY) tools/audit.py

# Background jobs need a broker: set REDIS_URL (without it tasks run in-process).
worker: install
	$(VENV)/bin/celery -A config worker --loglevel INFO

beat: install
	$(VENV)/bin/celery -A config beat --loglevel INFO

bench: install
	$(PY) bench/http_baseline.py

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache $(CLIENT)/node_modules $(CLIENT)/generated $(CLIENT)/dist
