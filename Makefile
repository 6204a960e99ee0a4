# TRACS — `make run` starts the whole system, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test unit e2e stop logs lint bench screenshots clean

$(STAMP): pyproject.toml
	@# PyICU (name transliteration) has no wheels: it builds against the system ICU. Root on Debian installs it.
	@pkg-config --exists icu-i18n 2>/dev/null || { test "$$(id -u)" = 0 && command -v apt-get >/dev/null \
		&& apt-get update -qq && apt-get install -y -qq libicu-dev pkg-config >/dev/null; } \
		|| { echo "PyICU needs ICU's headers: install libicu-dev and pkg-config (Debian), then run make again"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/tracs up

stop:
	@test -x $(BIN)/tracs && $(BIN)/tracs stop || echo "nothing to stop"

logs:
	$(BIN)/tracs logs

test: $(STAMP)
	$(BIN)/pytest -q -p no:cacheprovider

unit: $(STAMP)
	$(BIN)/pytest -q -p no:cacheprovider tests/unit

e2e: $(STAMP)
	$(BIN)/pytest -q -p no:cacheprovider tests/integration tests/e2e

# The console's pictures in docs/console.md, retaken by its browser tests against a fresh stack.
screenshots: $(STAMP)
	TRACS_CONSOLE_SCREENSHOTS=docs/console $(BIN)/pytest -q -p no:cacheprovider tests/e2e/console

# Figures and ratios, never pass/fail; each benchmark's options: `.venv/bin/python benchmarks/X.py --help`.
bench: $(STAMP)
	@for b in benchmarks/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf var/ .pytest_cache
