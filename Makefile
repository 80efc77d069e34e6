# `make site` and `make test` do all the set-up they need: a virtualenv with the pinned
# Python packages (requirements.txt) and lunr.js from the npm registry (package-lock.json).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed

.PHONY: setup site test lint serve bench clean

setup: $(PY_STAMP) $(NODE_STAMP)

$(PY_STAMP): requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

site: setup
	$(BIN)/python build.py

serve: setup
	$(BIN)/python build.py serve

# The suite, then the build, ingest and incremental tests again with every pool of workers
# forced (PAPERSHELF_PARALLEL=always): the suite's catalogs are too small to start them.
PARALLEL_TESTS := tests/test_incremental.py tests/test_site.py tests/test_equivalence.py tests/test_ingest.py

# Linters for the Python and the JavaScript, and the type checker (configured in ruff.toml,
# eslint.config.js and mypy.ini).
lint: setup
	$(BIN)/ruff check
	$(BIN)/mypy
	npx --no-install eslint

# The Node.js unit tests of the browser's search code, then the suite.
test: lint
	node --test tests/js/
	$(BIN)/python -m pytest
	PAPERSHELF_PARALLEL=always $(BIN)/python -m pytest -q $(PARALLEL_TESTS)

bench: setup
	$(BIN)/python -m benchmarks.bench

clean:
	rm -rf site .site-* .cache test-output
