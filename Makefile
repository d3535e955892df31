# Two commands on a fresh machine: `make run` and `make test`. Both keep their
# environment in .venv/ at the repository root and rebuild it when pyproject.toml changes.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup sqlite3-shell run test lint bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@$(PY) -c 'import sys' 2>/dev/null || (rm -rf $(VENV) && $(PYTHON) -m venv $(VENV))
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[pipeline,test]'
	@touch $(STAMP)

# The tests run queries/*.sql in the sqlite3 shell (tests/test_queries_sql.py): install
# Debian's sqlite3 package when the shell is missing (as root, or through sudo).
sqlite3-shell:
	@command -v sqlite3 >/dev/null 2>&1 || { \
		echo "installing the sqlite3 shell (Debian package sqlite3)"; \
		sudo=$$([ "$$(id -u)" -eq 0 ] || echo sudo); \
		$$sudo apt-get update -q && $$sudo apt-get install -y -q --no-install-recommends sqlite3; }

run: setup
	$(PY) -m pipeline --store .lineage --data data
	$(PY) -m lineage.cli --store .lineage report --out lineage-report

test: setup sqlite3-shell
	$(PY) -m pytest

lint: setup
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/mypy lineage

bench: setup
	$(PY) bench/ingest.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
