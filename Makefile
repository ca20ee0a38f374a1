# Leadflow: `make run` for the demo, `make test` for the suite. Both set everything up on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CHROMIUM := /usr/bin/chromium

.PHONY: install run test test-fast lint format browser bench clean

$(VENV)/.installed: requirements.txt requirements-test.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-test.txt
	touch $@

install: $(VENV)/.installed

# The demo: SQLite, demo data, an admin login printed, then the web server and the job cluster together.
run: install
	DEBUG=true $(BIN)/python manage.py migrate --noinput
	DEBUG=true $(BIN)/python manage.py ensure_admin
	DEBUG=true $(BIN)/python manage.py seed_demo
	DEBUG=true $(BIN)/python manage.py sync_schedules
	@DEBUG=true $(BIN)/python manage.py ensure_admin
	DEBUG=true bin/serve

# Browser tests drive Debian's Chromium; install it when missing (needs root, as on CI and dev machines).
browser:
	@test -x $(CHROMIUM) || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "Browser tests need Chromium at $(CHROMIUM): sudo apt-get install chromium"; exit 1; fi; }

test: install browser
	$(BIN)/pytest -n 2 --dist loadfile -q

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install
	$(BIN)/python bench/pages.py
	$(BIN)/python bench/import_csv.py

clean:
	rm -rf $(VENV) db.sqlite3* staticfiles
