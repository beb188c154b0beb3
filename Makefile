# Quarterdeck: `make demo` to try it, `make test` to check it. Both start from a bare machine
# with Python 3.11 and make; each step reuses what an earlier run left.

SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt 2>/dev/null | cksum | cut -d' ' -f1)
AXE := node_modules/axe-core/axe.min.js
# The demo runs with DEBUG on: the embedded broker, an SQLite file and the local mailbox.
DEMO_ENV := DEBUG=1
# A throwaway key that passes Django's deployment checks; it never signs anything.
DEPLOY_CHECK_ENV := DEBUG=0 ALLOWED_HOSTS=quarterdeck.example.com \
	SECRET_KEY=deploy-check-only-Zq8vX2mL5nR7tY1uW4kP9sD3fG6hJ0aB-not-a-real-key

.PHONY: help install demo test lint format browser-deps chromium clean

help:
	@echo "make demo   start Quarterdeck with demo data on http://127.0.0.1:8000"
	@echo "make test   run the whole test suite, ruff and the migration and deploy checks"

$(STAMP):
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "Installing Python packages into $(VENV) ..."
	@$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	@$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $@

install: $(STAMP)

demo: $(STAMP)
	@$(DEMO_ENV) $(PY) manage.py migrate --noinput -v0
	@$(DEMO_ENV) $(PY) manage.py load_demo
	@echo
	@echo "  Quarterdeck is starting on http://127.0.0.1:8000"
	@echo "  Sign in with any of these (password: demo):"
	@echo "    admin@example.com     org admin"
	@echo "    leader@example.com    lead of the company"
	@echo "    lead@example.com      lead of a team"
	@echo "    engineer@example.com  engineer in that team, owns key results"
	@echo "  Sent email shows at http://127.0.0.1:8000/mailbox/"
	@echo "  Ctrl-C stops the web server and the worker."
	@echo
	@$(DEMO_ENV) bash -c 'trap "kill \$$(jobs -p) 2>/dev/null; wait" EXIT; \
		$(BIN)/celery -A config.celery_app worker --beat --concurrency 1 --loglevel WARNING \
			--schedule var/celerybeat-schedule & \
		$(PY) manage.py runserver 127.0.0.1:8000 --noreload & \
		wait -n'

# Browser tests need axe-core (npm) and Debian's Chromium; without them they are skipped and
# pytest says so.
$(AXE): package.json package-lock.json
	@if command -v npm >/dev/null; then npm ci --no-audit --no-fund --loglevel=error; \
	else echo "npm not found: browser tests will be skipped (they need axe-core from npm)"; fi

chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "Installing Debian's chromium for the browser tests ..."; \
			(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null) \
				|| echo "apt-get could not install chromium: browser tests will be skipped"; \
		elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then \
			(sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null) \
				|| echo "apt-get could not install chromium: browser tests will be skipped"; \
		else echo "chromium is missing and apt-get needs root: browser tests will be skipped"; fi; \
	fi

browser-deps: $(AXE) chromium

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: $(STAMP) browser-deps lint
	DJANGO_SETTINGS_MODULE=config.settings_test $(PY) manage.py makemigrations --check --dry-run
	$(DEPLOY_CHECK_ENV) $(PY) manage.py check --deploy --fail-level WARNING
	$(PY) -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) node_modules var
