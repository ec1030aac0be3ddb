# The two commands a newcomer needs:  `make demo`  and  `make test`.
PYTHON ?= $(shell command -v python3.12 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1:8000
AXE    := tests/browser/axe/node_modules/axe-core/axe.min.js

.PHONY: demo test install lint bench clean stack stack-stop stack-status stack-reset

$(BIN)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

# axe-core for the accessibility tests, pinned by tests/browser/axe/package-lock.json. Without
# npm they are skipped (and fail under REQUIRE_BROWSER=1, as in CI).
$(AXE): tests/browser/axe/package.json tests/browser/axe/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  npm ci --prefix tests/browser/axe --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm not found: install Node.js for the accessibility tests (tests/browser/test_accessibility.py)"; fi

install: $(BIN)/.installed $(AXE)

## Demo: virtualenv, install, migrate the SQLite default, seed, serve on http://127.0.0.1:8000
demo: install
	DEBUG=1 $(BIN)/python manage.py migrate --noinput
	DEBUG=1 $(BIN)/python manage.py seed_demo $(SEED_ARGS)
	DEBUG=1 $(BIN)/python manage.py runserver $(HOST)

## The whole test suite (SQLite by default; set DATABASE_URL=postgres://... for PostgreSQL)
test: install
	$(BIN)/pytest $(PYTEST_ARGS)

## The on-sale rush benchmark against the local PostgreSQL (see README); BENCH_ARGS=--quick for ~2 min
bench: install
	$(BIN)/python -m tools.bench.onsale $(BENCH_ARGS)

## The production topology on this machine (README, "make stack"): nginx on 127.0.0.1:8080,
## Pushpin, STACK_INSTANCES (2) gunicorn instances, PgBouncer, the workers; all files in .stack/
stack: install
	$(BIN)/python tools/stack.py up

stack-stop:
	$(BIN)/python tools/stack.py down

stack-status:
	$(BIN)/python tools/stack.py status

## Stop the stack and drop its database (the next `make stack` seeds it again)
stack-reset:
	$(BIN)/python tools/stack.py reset

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-* staticfiles tests/browser/axe/node_modules
