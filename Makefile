# The two commands of the README:  make run  (serve with demo data)  and  make test  (every test).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := APP_ENV=development $(BIN)/flask --app wsgi
HOST   ?= 127.0.0.1
PORT   ?= 5000
# Links in e-mails and the host requests must name (TRUSTED_HOSTS) follow the address the dev server serves on.
SERVER_NAME ?= $(HOST):$(PORT)
# Test processes (pytest-xdist); each gets a database of its own. 0 runs everything in one process.
TEST_WORKERS ?= auto

.PHONY: run test install install-test browser translations clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Re-install only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

run: install
	$(FLASK) db upgrade
	$(FLASK) seed demo
	SERVER_NAME=$(SERVER_NAME) $(FLASK) run --host $(HOST) --port $(PORT)

# Debian's Chromium for the browser tests (Playwright's own browser download does not work offline).
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core; fi; \
	fi

test: install browser
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

translations: install
	$(FLASK) translate extract
	$(FLASK) translate compile

clean:
	rm -rf $(VENV) instance *.egg-info
