# Two entry points for a fresh Debian machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q -U pip
	$(VENV)/bin/pip install -q -e '.[test]'
	rm -f $(VENV)/.installed-* && touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/standardiste demo --traffic

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/mypy

# Browser tests run in their own process: Playwright's sync API leaves an event loop marked
# as running, which asyncio tests in the same process would trip over.
test: $(STAMP) lint
	$(VENV)/bin/pytest -q tests/unit tests/integration
	$(VENV)/bin/pytest -q tests/e2e

bench: $(STAMP)
	for b in bench/*.py; do $(VENV)/bin/python $$b || exit 1; done

clean:
	rm -rf $(VENV) data build *.egg-info
