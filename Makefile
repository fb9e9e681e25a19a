# Two commands matter: `make run` and `make test`. Everything installs from this repo's files.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
CLI := $(VENV)/bin/strategy-assistant
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: setup run ingest serve test test-fast lint format eval bench browser postgres clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	@# The pinned CPU wheel first: an unpinned torch would pull a multi-GB CUDA build.
	$(PIP) install --quiet torch==2.13.0
	$(PIP) install --quiet -e '.[dev]'
	@touch $(STAMP)

setup: $(STAMP)

ingest: setup
	$(CLI) ingest corpus

run: ingest
	$(CLI) serve

serve: setup
	$(CLI) serve

# Headless Chromium for the browser tests (Debian packages; needs root, as on CI).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null) \
	      || echo "warning: could not install chromium; browser tests will be skipped"; \
	  else echo "note: chromium not installed and not root; browser tests will be skipped"; fi; }

# PostgreSQL for the shared-state tests (Debian's package: initdb and postgres under
# /usr/lib/postgresql/*/bin; the tests start their own throwaway cluster; needs root, as on CI).
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null) \
	      || echo "warning: could not install postgresql; shared-state tests will be skipped"; \
	  else echo "note: postgresql not installed and not root; shared-state tests will be skipped"; fi; }

test: setup browser postgres
	$(PY) -m pytest $(PYTEST_ARGS)

# The fast tier: tests/unit, on fakes (no real model, server process, browser or Chroma server).
test-fast: setup
	$(PY) -m pytest tests/unit $(PYTEST_ARGS)

lint: setup
	$(VENV)/bin/ruff check assistant ingest eval ui tests
	$(VENV)/bin/ruff format --check assistant ingest eval ui tests

format: setup
	$(VENV)/bin/ruff check --fix assistant ingest eval ui tests
	$(VENV)/bin/ruff format assistant ingest eval ui tests

eval: setup
	$(CLI) eval

clean:
	rm -rf data test-artifacts .pytest_cache
