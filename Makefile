# Two commands on a fresh machine: `make run` and `make test`. Both keep their
# environment in .venv/ at the repository root and rebuild it when pyproject.toml changes.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup run test lint bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@$(PY) -c 'import sys' 2>/dev/null || (rm -rf $(VENV) && $(PYTHON) -m venv $(VENV))
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[pipeline,test]'
	@touch $(STAMP)

run: setup
	$(PY) -m pipeline --store .lineage --data data
	$(PY) -m lineage.cli --store .lineage report --out lineage-report

test: setup
	$(PY) -m pytest

lint: setup
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

bench: setup
	$(PY) bench/ingest.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
