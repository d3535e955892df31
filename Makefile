# Two commands on a fresh machine: `make run` and `make test`. Both keep their
# environment in .venv/ at the repository root and rebuild it when pyproject.toml changes.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup system-tools run test lint bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@$(PY) -c 'import sys' 2>/dev/null || (rm -rf $(VENV) && $(PYTHON) -m venv $(VENV))
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[pipeline,test]'
	@touch $(STAMP)

# System tools the tests use, from Debian's packages when missing (as root, or through sudo):
# the sqlite3 shell runs queries/*.sql (tests/test_queries_sql.py); Graphviz's dot program
# must draw the report's graphs as the bundled library does (tests/test_report.py); the
# PostgreSQL server binaries (initdb, pg_ctl) run the team-store tests (tests/helpers/postgres.py).
system-tools:
	@missing=""; \
	command -v sqlite3 >/dev/null 2>&1 || missing="$$missing sqlite3"; \
	command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	command -v dot >/dev/null 2>&1 || missing="$$missing graphviz"; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		sudo=$$([ "$$(id -u)" -eq 0 ] || echo sudo); \
		$$sudo apt-get update -q && $$sudo apt-get install -y -q --no-install-recommends $$missing; \
	fi

run: setup
	$(PY) -m pipeline --store .lineage --data data
	$(PY) -m lineage.cli --store .lineage report --out lineage-report

test: setup system-tools
	$(PY) -m pytest

lint: setup
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/mypy lineage

bench: setup
	$(PY) bench/ingest.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
