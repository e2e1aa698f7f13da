# Two entry points for a fresh Debian machine with Python 3.11:
#   make run   - set up .venv and start the gateway on simulated modems
#   make test  - set up .venv and run lint, type checks and every test
# For the edit loop: make check (lint, types, fast tests, under a minute). After changing a dependency in
# pyproject.toml: make lock (CI refuses a stale lock). make deb builds the station's Debian package.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# The lock is resolved for the stations' Python (Debian 12's 3.11) on Linux, whatever machine runs make lock.
UV_COMPILE := $(BIN)/uv pip compile pyproject.toml --quiet --generate-hashes --python-version 3.11 \
	--python-platform linux --custom-compile-command "make lock"

.PHONY: run test check lint lock-check typecheck pytest pytest-fast bench sim lock lock-upgrade deb deb-check clean \
	screenshots

# The pinned, hashed development set, then the project itself without letting pip resolve anything.
$(STAMP): pyproject.toml requirements/dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements/dev.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python -m gateway.demo

sim: $(STAMP)
	$(BIN)/vigicommerce-sim --modems 4

lock-check:
	$(PYTHON) tools/lock.py check

lint: lock-check $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest

# Everything but the tests marked slow (daemon, end-to-end, simulator at protocol speed, crash, benchmarks), on
# SQLite only (the PostgreSQL variants share one database, which two processes would drop under each other).
pytest-fast: $(STAMP)
	env -u VIGI_TEST_POSTGRES_URL $(BIN)/pytest -q -m "not slow" -n 2 -rfE --durations=5

test: lint typecheck pytest

check: lint typecheck pytest-fast

# The console's main pages in Debian's chromium (Playwright), written to docs/console/*.png for the README.
screenshots: $(STAMP)
	VIGI_SCREENSHOTS=docs/console $(BIN)/pytest tests/console/test_screenshots.py -q -p no:cacheprovider

bench: $(STAMP)
	$(BIN)/python -m bench

# The station's set (runtime dependencies and the PostgreSQL driver), then the development set constrained to
# the same versions. Existing pins are kept; `make lock-upgrade` moves everything to the newest releases.
lock: $(STAMP)
	$(UV_COMPILE) --extra postgres -o requirements/runtime.txt $(UV_FLAGS)
	$(UV_COMPILE) --extra postgres --extra test -c requirements/runtime.txt -o requirements/dev.txt $(UV_FLAGS)
	$(PYTHON) tools/lock.py stamp

lock-upgrade:
	$(MAKE) lock UV_FLAGS=--upgrade

# The station's package (docs/install.md): Debian tools only, from requirements/runtime.txt.
deb:
	bash packaging/build-deb.sh

# CI: install the package on this machine, use the installed command, remove and purge it (root only).
deb-check: deb
	bash packaging/check-deb.sh

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build dist
