# Two entry points for a fresh Debian machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
# The domain and the simulator core compiled with mypyc into build/native (needs gcc and the
# Python headers); src/standardiste/native.py loads it only while it matches the sources.
NATIVE := build/native/sources.sha256
NATIVE_SRC := $(wildcard src/standardiste/domain/*.py) \
	$(addprefix src/standardiste/sim/,engine.py collector.py variates.py)

.PHONY: demo test lint bench clean native

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q -U pip
	$(VENV)/bin/pip install -q -e '.[test]'
	rm -f $(VENV)/.installed-* && touch $(STAMP)

$(NATIVE): $(STAMP) $(NATIVE_SRC)
	STANDARDISTE_PURE=1 $(VENV)/bin/python -c 'from standardiste.native import build; build()'

native: $(NATIVE)

# The demo also runs without a C compiler (pure Python, slower simulator).
demo: $(STAMP)
	@$(MAKE) --no-print-directory native || echo "native build skipped: running pure Python"
	$(VENV)/bin/standardiste demo --traffic

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/mypy

# Browser tests run in their own process: Playwright's sync API leaves an event loop marked
# as running, which asyncio tests in the same process would trip over.
test: $(STAMP) $(NATIVE) lint
	$(VENV)/bin/pytest -q tests/unit tests/integration
	$(VENV)/bin/pytest -q tests/e2e

bench: $(STAMP) $(NATIVE)
	for b in bench/*.py; do $(VENV)/bin/python $$b || exit 1; done

clean:
	rm -rf $(VENV) data build *.egg-info
