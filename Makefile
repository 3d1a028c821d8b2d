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

.PHONY: run test install install-test browser translations assets clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Re-install only when pyproject.toml changes. Serving needs the app's own dependencies; the test tools
# (pytest, Playwright, Hypothesis, aiosmtpd …) are the `test` extra and come only with `make test`.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

run: install
	$(FLASK) db upgrade
	$(FLASK) seed demo
	SERVER_NAME=$(SERVER_NAME) $(FLASK) run --host $(HOST) --port $(PORT)

# Debian's Chromium for the browser tests (Playwright's own browser download does not work offline).
# Without root or a password-less sudo it says what to install and goes on: the browser tests then skip,
# except under CI=true, where a missing browser fails the run.
BROWSER_PACKAGES := chromium fonts-dejavu-core
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(BROWSER_PACKAGES); \
	  elif sudo -n true 2>/dev/null; then sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(BROWSER_PACKAGES); \
	  elif [ "$$CI" = true ]; then echo "make browser: CI needs Debian's chromium and cannot install it (no root, no sudo)" >&2; exit 1; \
	  else echo "make browser: no root or sudo here, so the browser tests will be skipped."; \
	    echo "  To run them, install Debian's packages: sudo apt-get install $(BROWSER_PACKAGES)"; fi; \
	fi

test: install-test browser
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

translations: install
	$(FLASK) translate extract
	$(FLASK) translate compile

# The purged Bootstrap and the icon sprite (committed; needs Node). Run after using a new Bootstrap class or icon.
assets:
	bash static/build.sh

clean:
	rm -rf $(VENV) instance *.egg-info
