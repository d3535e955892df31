"""The architecture as checked contracts: SQL only in the storage layer, layers only look down.

``lineage/storage/`` owns every SQL statement the package runs; elsewhere SQL may only
live in ``lineage/queries/*.sql`` and ``lineage/schema.sql`` (and be what a user hands to
``store.sql``). The import-linter contracts in pyproject.toml (``lint-imports``) forbid
import cycles and back edges; ``make lint`` runs them too.
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# A statement, not a word: each pattern needs the keywords SQL puts together, in upper case
# as lineage writes SQL (so prose such as "select one from the list" is no statement).
SQL_STATEMENT = re.compile(
    r"(?s)\bSELECT\b.+?\bFROM\b"
    r"|\bINSERT\s+(OR\s+\w+\s+)?INTO\b"
    r"|\bUPDATE\s+\w+\s+SET\b"
    r"|\bDELETE\s+FROM\b"
    r"|\bCREATE\s+(UNIQUE\s+|TEMP\s+|TEMPORARY\s+)?(TABLE|INDEX|VIEW|TRIGGER)\b"
    r"|\bDROP\s+(TABLE|INDEX|VIEW|TRIGGER)\b"
    r"|\bALTER\s+TABLE\b"
    r"|\bWITH\s+RECURSIVE\b"
    r"|\bATTACH\s+(DATABASE\s+)?'"
    r"|\bPRAGMA\s+\w+"
    r"|\bBEGIN\s+(IMMEDIATE|EXCLUSIVE|DEFERRED)\b"
    r"|\bVACUUM\b",
)
# Fragments pasted into a statement elsewhere ("WHERE id = ?"), as the code writes SQL: upper case.
SQL_FRAGMENT = re.compile(r"\b(WHERE|AND|OR|ORDER BY|JOIN)\b[^\n]*(\?|:\w+\b)")


def sql_strings(source: str) -> list[tuple[int, str]]:
    """(line, text) of every string literal in ``source`` that holds SQL (docstrings excepted)."""
    tree = ast.parse(source)
    docstrings = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and body:
            first = body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docstrings.add(id(first.value))
    found = []
    for node in ast.walk(tree):
        text = node.value if isinstance(node, ast.Constant) and id(node) not in docstrings else None
        if isinstance(text, str) and (SQL_STATEMENT.search(text) or SQL_FRAGMENT.search(text)):
            found.append((node.lineno, text))
    return found


def python_files() -> list[Path]:
    files = sorted((ROOT / "lineage").rglob("*.py")) + sorted((ROOT / "pipeline").rglob("*.py"))
    return [p for p in files if "storage" not in p.relative_to(ROOT).parts[:2]]


def test_the_scanner_finds_statements_and_fragments():
    planted = '''
X = "SELECT id FROM runs"
Y = f"UPDATE runs SET name = ? WHERE id = ?"
Z = "WHERE id = ?"
def f():
    """SELECT name FROM runs in a docstring is documentation."""
    return "select it from the list"
'''
    assert sorted(line for line, _ in sql_strings(planted)) == [2, 3, 4]


def test_no_sql_outside_the_storage_layer():
    offenders = [
        f"{path.relative_to(ROOT)}:{line}: {text.strip()[:60]!r}"
        for path in python_files()
        for line, text in sql_strings(path.read_text(encoding="utf-8"))
    ]
    assert offenders == [], "SQL belongs in lineage/storage/ (or queries/*.sql):\n" + "\n".join(offenders)


def test_the_storage_layer_holds_the_statements():
    """The scanner looks where the SQL is: it finds statements in the storage modules."""
    storage = sorted((ROOT / "lineage" / "storage").glob("*.py"))
    holding = {p.stem for p in storage if sql_strings(p.read_text(encoding="utf-8"))}
    assert {"db", "versions", "runs", "blobs", "edges", "upkeep", "records", "registry"} <= holding


def lint_imports() -> str | None:
    exe = Path(sys.executable).with_name("lint-imports")
    return str(exe) if exe.exists() else shutil.which("lint-imports")


def test_import_contracts_hold():
    """No import cycle, no back edge: the contracts of pyproject.toml, as ``make lint`` runs them."""
    exe = lint_imports()
    if exe is None:
        pytest.fail("import-linter is not installed: pip install -e '.[test]'")
    done = subprocess.run([exe, "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_back_edge_breaks_a_contract(tmp_path):
    """The checker sees this code's imports: a contract that puts the CLI under storage breaks."""
    exe = lint_imports()
    if exe is None:
        pytest.fail("import-linter is not installed: pip install -e '.[test]'")
    config = tmp_path / "upside-down.toml"
    config.write_text(
        '[tool.importlinter]\nroot_packages = ["lineage"]\nexclude_type_checking_imports = true\n\n'
        '[[tool.importlinter.contracts]]\nname = "upside down"\ntype = "layers"\n'
        'containers = ["lineage"]\nlayers = ["storage", "cli"]\n',
        encoding="utf-8",
    )
    done = subprocess.run([exe, "--no-cache", "--config", str(config)], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode != 0
    assert "lineage.cli" in done.stdout and "BROKEN" in done.stdout
