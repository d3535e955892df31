"""SQLite statements and schema spelled for PostgreSQL.

The statement modules of ``lineage.storage`` keep one SQL text for both backends; the
few spellings that differ are rewritten here, once per statement (cached):

- placeholders ``?``, ``:name`` and ``$name`` become psycopg's ``%s`` / ``%(name)s``
  (a literal ``%`` doubles), never inside string literals, quoted names or comments;
- ``INSERT OR IGNORE`` becomes ``... ON CONFLICT DO NOTHING`` and ``INSERT OR REPLACE``
  ``... ON CONFLICT (<primary key>) DO UPDATE SET`` every other column;
- ``group_concat(alias, ',')`` over an ordered subquery becomes ``string_agg(... ORDER BY)``;
- ``json_each(:ids)`` becomes ``json_array_elements_text``;
- the walk's anchor row gets the types and collation of its recursive term;
- an ``INSERT`` into a table with an integer ``id`` gets ``RETURNING id`` (SQLite's ``lastrowid``).

The schema is derived from ``schema.sql`` (so the two cannot drift apart): ``INTEGER`` is
``BIGINT`` (SQLite integers are 64-bit), ``REAL`` is ``DOUBLE PRECISION``, ``TEXT`` sorts
bytewise (``COLLATE "C"``, as SQLite's BINARY, whatever the server's locale), an integer
primary key ``id`` is an identity column, ``WITHOUT ROWID`` goes, views are ``CREATE OR
REPLACE``; the triggers are the PL/pgSQL twins of ``triggers.sql``.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from ..db import schema_sql, statements

# A string literal, a quoted name, a comment, or one of the tokens we rewrite.
_TOKEN = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|--[^\n]*|::|\?|[:$][A-Za-z_]\w*|%")


def placeholders(sql: str) -> str:
    """``sql`` with SQLite's placeholders as psycopg's, and ``%`` escaped."""

    def swap(match: re.Match) -> str:
        token = match.group(0)
        if token == "?":
            return "%s"
        if token == "%":
            return "%%"
        if token[0] == "'":
            return token.replace("%", "%%")  # psycopg reads % everywhere once it has parameters
        if token[0] in ":$" and token != "::":
            return f"%({token[1:]})s"
        return token

    return _TOKEN.sub(swap, sql)


def strip_comments(sql: str) -> str:
    """``sql`` without its ``--`` comments (string literals kept as they are)."""
    return _TOKEN.sub(lambda m: "" if m.group(0).startswith("--") else m.group(0), sql)


_CREATE_TABLE = re.compile(r"CREATE TABLE IF NOT EXISTS (\w+) \((.*)\)", re.DOTALL)


@cache
def primary_keys() -> dict[str, tuple[str, ...]]:
    """{table: its primary key columns}, read from ``schema.sql``."""
    out: dict[str, tuple[str, ...]] = {}
    for statement in statements(schema_sql()):
        match = _CREATE_TABLE.search(strip_comments(statement))
        if match is None:
            continue
        body = match.group(2)
        key = re.search(r"PRIMARY KEY \(([^)]*)\)", body)
        if key is not None:
            out[match.group(1)] = tuple(c.strip() for c in key.group(1).split(","))
        else:
            column = re.search(r"^\s*(\w+)\s+\w+[^,\n]*PRIMARY KEY", body, re.MULTILINE)
            if column is not None:
                out[match.group(1)] = (column.group(1),)
    return out


@cache
def id_tables() -> frozenset[str]:
    """Tables whose primary key is an integer ``id`` the database assigns."""
    tables = set()
    for statement in statements(schema_sql()):
        match = _CREATE_TABLE.search(strip_comments(statement))
        if match is not None and re.search(r"^\s*id\s+INTEGER NOT NULL PRIMARY KEY", match.group(2), re.MULTILINE):
            tables.add(match.group(1))
    return frozenset(tables)


_OR_IGNORE = re.compile(r"\bINSERT OR IGNORE INTO\b", re.IGNORECASE)
_OR_REPLACE = re.compile(r"\bINSERT OR REPLACE INTO (\w+) \(([^)]*)\)", re.IGNORECASE)
_GROUP_CONCAT = re.compile(
    r"\(SELECT group_concat\((\w+), ','\)\s+FROM\s+\(SELECT \1\s+FROM\s+(\w+)\s+(\w+)\s+"
    r"WHERE\s+(.*?)\s+ORDER BY \1\)\)",
    re.DOTALL,
)
_JSON_EACH = re.compile(r"SELECT value FROM json_each\((:\w+)\)")
# A parameter only tested for NULL has no type PostgreSQL can infer (they are all text here).
_NULL_TEST = re.compile(r"(?<![\w)])(:\w+) IS NULL")
_INSERT = re.compile(r"^\s*INSERT INTO (\w+)\b", re.IGNORECASE)


_EXPLICIT_ID = re.compile(r"^\s*INSERT INTO (\w+) \(\s*id\s*,", re.IGNORECASE)


@cache
def explicit_id_table(sql: str) -> str | None:
    """The table an INSERT gives explicit ids to (a copy, an import), when it has an identity ``id``.

    Its identity must then move past them (SQLite's rowid simply continues from the largest).
    """
    match = _EXPLICIT_ID.match(sql)
    return match.group(1) if match is not None and match.group(1) in id_tables() else None


def resync_identity(table: str) -> str:
    """The statement moving ``table``'s identity past its largest id."""
    return (
        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), coalesce((SELECT max(id) FROM {table}), 0) + 1, false)"
    )


@cache
def statement(sql: str) -> tuple[str, bool]:
    """(``sql`` for PostgreSQL, True if it returns the new row's id for ``lastrowid``)."""
    text = sql.rstrip().rstrip(";")
    if _OR_IGNORE.search(text):
        text = _OR_IGNORE.sub("INSERT INTO", text) + " ON CONFLICT DO NOTHING"
    match = _OR_REPLACE.search(text)
    if match is not None:
        table, columns = match.group(1), [c.strip() for c in match.group(2).split(",")]
        key = primary_keys()[table]
        rest = [c for c in columns if c not in key]
        update = ", ".join(f"{c} = excluded.{c}" for c in rest)
        action = f"DO UPDATE SET {update}" if rest else "DO NOTHING"
        text = f"INSERT INTO {text[match.start(1) :]} ON CONFLICT ({', '.join(key)}) {action}"
    text = _NULL_TEST.sub(r"CAST(\1 AS TEXT) IS NULL", text)
    text = _GROUP_CONCAT.sub(r"(SELECT string_agg(\1, ',' ORDER BY \1) FROM \2 \3 WHERE \4)", text)
    text = _JSON_EACH.sub(
        r"SELECT CAST(value AS BIGINT) FROM json_array_elements_text(CAST(\1 AS json)) AS value", text
    )
    insert = _INSERT.match(text)
    returning = (
        insert is not None
        and insert.group(1) in id_tables()
        and "RETURNING" not in text.upper()
        and explicit_id_table(sql) is None
    )
    if returning:
        text += " RETURNING id"
    return placeholders(text), returning


def _table_ddl(sql: str) -> str:
    sql = re.sub(r"\)\s*WITHOUT ROWID\s*;?\s*$", ")", sql.rstrip().rstrip(";"))
    sql = re.sub(r"\bid\s+INTEGER NOT NULL PRIMARY KEY", "id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", sql)
    sql = re.sub(r"\bINTEGER\b", "BIGINT", sql)
    sql = re.sub(r"\bREAL\b", "DOUBLE PRECISION", sql)
    return re.sub(r"\bTEXT\b(?!\))", 'TEXT COLLATE "C"', sql)


TRIGGERS = Path(__file__).with_name("triggers.sql")


def schema_statements(sql: str | None = None) -> list[str]:
    """The statements creating the PostgreSQL schema of ``sql`` (default: all of ``schema.sql``).

    Tables, indexes and views are translated; a trigger is taken from ``triggers.sql``
    (its function and its ``CREATE OR REPLACE TRIGGER``), by name.
    """
    out: list[str] = []
    triggers = trigger_statements()
    for raw in statements(schema_sql() if sql is None else sql):
        text = strip_comments(raw).strip()
        # A migration drops a trigger before recreating it (SQLite's CREATE TRIGGER IF NOT EXISTS
        # keeps an old one); PostgreSQL's twin is a CREATE OR REPLACE, by the same name.
        if text.upper().startswith(("PRAGMA", "DROP TRIGGER")):
            continue
        if text.startswith("CREATE TABLE"):
            out.append(_table_ddl(text))
        elif text.startswith("CREATE VIEW IF NOT EXISTS"):
            view = text.replace("CREATE VIEW IF NOT EXISTS", "CREATE OR REPLACE VIEW", 1)
            out.append(statement(view)[0])
        elif text.startswith("CREATE TRIGGER IF NOT EXISTS"):
            name = text.split()[5]
            out.append(triggers[name])
        elif text.startswith("ALTER TABLE"):
            out.append(_table_ddl(text))
        else:
            out.append(statement(text)[0])
    return out


@cache
def trigger_statements() -> dict[str, str]:
    """{trigger name: its function and trigger, as one script} from ``triggers.sql``."""
    text = TRIGGERS.read_text(encoding="utf-8")
    out = {}
    for part in re.split(r"^-- trigger: ", text, flags=re.MULTILINE)[1:]:
        name, body = part.split("\n", 1)
        out[name.strip()] = body.strip()
    return out
