# Leadflow: `make run` for the demo, `make test` for the suite. Both set everything up on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CHROMIUM := /usr/bin/chromium

# The lock files pin every package, dependencies of dependencies included, with their hashes; `make lock` remakes
# them from requirements.txt (runtime) and requirements-test.txt (tests and tools) with uv.
LOCKS := requirements.lock requirements-test.lock
UV := $(BIN)/uv
UV_VERSION := 0.13.9
LOCK := UV_CUSTOM_COMPILE_COMMAND="make lock" $(UV) pip compile --quiet --generate-hashes --universal --python-version 3.11

.PHONY: install lock run prod test test-fast lint format audit browser bench clean

# Exactly what CI tested: pip refuses any package that is not in the lock or whose hash differs.
$(VENV)/.installed: $(LOCKS)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes -r requirements-test.lock
	touch $@

install: $(VENV)/.installed

# After changing a pin in requirements*.txt. Versions already locked are kept unless a pin asks for another one.
lock:
	test -x $(BIN)/pip || $(PYTHON) -m venv $(VENV)
	test -x $(UV) || $(BIN)/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(LOCK) requirements.txt -o requirements.lock
	$(LOCK) requirements-test.txt -c requirements.lock -o requirements-test.lock

# The demo: SQLite, demo data, an admin login printed, then the web server and the job cluster together.
run: install
	DEBUG=true $(BIN)/python manage.py migrate --noinput
	DEBUG=true $(BIN)/python manage.py ensure_admin
	DEBUG=true $(BIN)/python manage.py seed_demo
	DEBUG=true $(BIN)/python manage.py sync_schedules
	@DEBUG=true $(BIN)/python manage.py ensure_admin
	DEBUG=true bin/serve

# Production (see README, Production): DEBUG off, settings from the environment or .env; static files collected,
# migrations and schedules applied, then gunicorn and the job cluster (bin/serve --prod, the Procfile's commands).
prod: install
	bin/serve --prod

# Browser tests drive Debian's Chromium; install it when missing (needs root, as on CI and dev machines).
browser:
	@test -x $(CHROMIUM) || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "Browser tests need Chromium at $(CHROMIUM): sudo apt-get install chromium"; exit 1; fi; }

# Three test processes on two cores: many tests wait on servers, clusters and browsers (SQLite: 10 min, not 15).
test: install browser
	$(BIN)/pytest -n 3 --dist loadfile -q

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Known vulnerabilities in the locked packages (accepted ones in .pip-audit-accept.toml); see README.
audit: install
	bin/audit-deps

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install
	$(BIN)/python bench/pages.py
	$(BIN)/python bench/import_csv.py
	$(BIN)/python bench/enrich.py
	$(BIN)/python bench/score.py
	$(BIN)/python bench/ai.py
	$(BIN)/python bench/write.py
	$(BIN)/python bench/send.py
	$(BIN)/python bench/privacy.py

clean:
	rm -rf $(VENV) db.sqlite3* staticfiles
