"""The store's SQLite database: opening, schema creation, migrations and transactions.

Every write runs in ``BEGIN IMMEDIATE`` with a busy timeout, so concurrent writers queue
instead of failing, and readers (WAL mode) never block them.
"""

from __future__ import annotations

import os
import re
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..errors import LineageError, NotFoundError, ReadOnlyStoreError, SchemaVersionError, StoreFullError

BUSY_TIMEOUT_S = 60.0
DB_NAME = "lineage.db"


def schema_sql() -> str:
    """The text of ``schema.sql`` as shipped inside the package."""
    return (Path(__file__).parent.parent / "schema.sql").read_text(encoding="utf-8")


def _schema_version(sql: str) -> int:
    match = re.search(r"PRAGMA\s+user_version\s*=\s*(\d+)", sql)
    if match is None:
        raise RuntimeError("schema.sql does not set PRAGMA user_version")
    return int(match.group(1))


SCHEMA_VERSION = _schema_version(schema_sql())

# Lineage queries materialize small intermediate tables and sort their rows: kept in
# memory, each query saves creating and deleting temp files (4x faster at 100k versions).
TEMP_IN_MEMORY = "PRAGMA temp_store = MEMORY"


def statements(script: str) -> list[str]:
    """Split a SQL script into complete statements (so they can run in our transaction)."""
    out, current = [], ""
    for line in script.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            out.append(current.strip())
            current = ""
    if current.strip() and not all(ln.strip().startswith("--") or not ln.strip() for ln in current.splitlines()):
        raise ValueError(f"incomplete SQL statement: {current.strip()[:60]!r}")
    return out


def _schema_part(names: str) -> str:
    """The statements of schema.sql that create the tables, views or triggers ``names`` matches."""
    wanted = re.compile(rf"^CREATE (TABLE|VIEW|TRIGGER) IF NOT EXISTS ({names})\b", re.MULTILINE)
    return "\n".join(s for s in statements(schema_sql()) if wanted.search(s))


# Every row the refs table should hold, (ref, kind, id, label), computed from runs, versions
# and aliases with the labels of run_labels and version_refs (what its triggers keep it equal
# to): fills it in when a store is upgraded, and fsck compares.
REFS_FROM_ROWS = """
    SELECT 'run:' || run_id, 'run', run_id, label FROM run_labels
    UNION ALL
    SELECT 'run:' || name, 'run', run_id, label FROM run_labels
    UNION ALL
    SELECT ref, 'version', CAST(version_id AS TEXT), label FROM version_refs
    UNION ALL
    SELECT qualified_ref, 'version', CAST(version_id AS TEXT), label FROM version_refs
    UNION ALL
    SELECT p.prefix || ':' || al.alias, 'version', CAST(al.version_id AS TEXT), v.label
    FROM aliases al JOIN version_refs v ON v.version_id = al.version_id
    JOIN artifact_prefixes p ON p.artifact_id = al.artifact_id
    UNION ALL
    SELECT p.prefix, 'version', CAST(al.version_id AS TEXT), v.label
    FROM aliases al JOIN version_refs v ON v.version_id = al.version_id
    JOIN artifact_prefixes p ON p.artifact_id = al.artifact_id WHERE al.alias = 'latest'
"""
# The refs table's triggers (schema.sql), dropped before a migration recreates them.
REFS_TRIGGERS = tuple(re.findall(r"^CREATE TRIGGER IF NOT EXISTS (refs_\w+)", schema_sql(), re.MULTILINE))
# The refs table and its triggers as schema.sql defines them, filled in (from any version since 6).
CREATE_REFS = (
    _schema_part(r"refs|artifact_prefixes|refs_\w+")
    + f"\nINSERT OR IGNORE INTO refs (ref, kind, id, label) {REFS_FROM_ROWS};"
)

# Every row the walks' tables upstream and downstream should hold, computed from produced,
# consumed and the labels (what their triggers keep them equal to): fills them in when a
# store is upgraded, and fsck compares.
UPSTREAM_FROM_ROWS = """
    SELECT 'version:' || p.version_id, 'run:' || p.run_id, r.label
    FROM produced p JOIN run_labels r ON r.run_id = p.run_id
    UNION ALL
    SELECT 'run:' || c.run_id, 'version:' || c.version_id, v.label
    FROM consumed c JOIN version_refs v ON v.version_id = c.version_id
"""
DOWNSTREAM_FROM_ROWS = """
    SELECT 'version:' || c.version_id, 'run:' || c.run_id, r.label
    FROM consumed c JOIN run_labels r ON r.run_id = c.run_id
    UNION ALL
    SELECT 'run:' || p.run_id, 'version:' || p.version_id, v.label
    FROM produced p JOIN version_refs v ON v.version_id = p.version_id
"""

# Forward migrations: MIGRATIONS[n] takes a store from version n to n + 1. Each runs in
# the same transaction as the others and the version bump.
MIGRATIONS: dict[int, str] = {
    1: "CREATE INDEX IF NOT EXISTS runs_by_name ON runs (name);",
    2: "DROP INDEX IF EXISTS runs_by_state;\n"
    "CREATE INDEX IF NOT EXISTS runs_running ON runs (host) WHERE state = 'running';",
    # 4: reference entries, run groups and tags, version tags and ttl, the model registry.
    3: _schema_part(r"reference_files|registry_links|registry_aliases")
    + "\nCREATE INDEX IF NOT EXISTS registry_links_by_version ON registry_links (version_id);\n"
    "ALTER TABLE runs ADD COLUMN group_name TEXT;\n"
    "ALTER TABLE runs ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';\n"
    "ALTER TABLE versions ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';\n"
    "ALTER TABLE versions ADD COLUMN expires_at TEXT;",
    # 5: the OpenLineage events live emission could not deliver.
    4: _schema_part(r"openlineage_backlog"),
    # 6: the refs table with its view and triggers as schema.sql defines them, filled in.
    5: CREATE_REFS,
    # 7: file_state is a cache: rebuilt with ctime in its key, old entries (which could
    # name stale content) are dropped and the files are hashed once more.
    6: "DROP TABLE IF EXISTS file_state;\n" + _schema_part("file_state"),
    # 8: store_settings (the blob root of a store whose blobs are not beside it).
    7: _schema_part("store_settings"),
    # 9: upstream and downstream, the edges as the walks read them, with their triggers, filled in.
    8: _schema_part(r"upstream|downstream|walks_\w+")
    + f"\nINSERT OR IGNORE INTO upstream (node, next, next_label) {UPSTREAM_FROM_ROWS};"
    + f"\nINSERT OR IGNORE INTO downstream (node, next, next_label) {DOWNSTREAM_FROM_ROWS};",
    # 10: folder_state, the re-log cache of folders added whole (filled by the next add_dir).
    9: _schema_part("folder_state"),
    # 11: run_counts, each project's run count (a run's default name), with its trigger, filled in.
    10: _schema_part(r"run_counts|run_counts_add")
    + "\nINSERT OR REPLACE INTO run_counts (project, runs) SELECT project, count(*) FROM runs GROUP BY project;",
    # 12: refs with each node's label, its triggers recreated (PostgreSQL replaces them, by name).
    11: "".join(f"DROP TRIGGER IF EXISTS {name};\n" for name in REFS_TRIGGERS) + "DROP TABLE refs;\n" + CREATE_REFS,
}


CHUNK = 500  # bound parameters per IN (...) list, well under SQLite's limit


def chunks(items: list, size: int = CHUNK) -> Iterator[list]:
    """``items`` in slices of at most ``size``: one ``IN (?, ...)`` query each."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def marks(items: list) -> str:
    """``?, ?, ...``: one placeholder per item, for ``IN (...)``."""
    return ",".join("?" * len(items))


def now() -> str:
    """The current time as stored: ISO 8601 UTC with microseconds, sortable as text."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def damaged(path: Path, exc: sqlite3.DatabaseError) -> LineageError:
    """The one-line error for a database file SQLite cannot read."""
    return LineageError(f"store database {path} is damaged or not a lineage store ({exc}): restore it from a copy")


def _code(exc: sqlite3.Error) -> int:
    return (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF


def storage_error(path: Path, exc: sqlite3.DatabaseError) -> LineageError:
    """The honest one-line error for a database SQLite cannot open, read or write.

    Only a file SQLite finds malformed is called damaged: a full disk or a store this
    process may not write is no reason to restore anything.
    """
    code = _code(exc)
    if code == sqlite3.SQLITE_FULL:
        return StoreFullError(f"the disk holding store {path.parent} is full ({exc}): free some space and try again")
    if code in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PERM) or (
        code == sqlite3.SQLITE_CANTOPEN and path.exists() and not writable(path)
    ):
        return ReadOnlyStoreError(
            f"store {path.parent} is read-only here ({exc}): reading works; "
            "to change it, use it where it can be written"
        )
    if code in (sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN):
        return LineageError(f"cannot use store database {path} ({exc}): check the disk and the file's permissions")
    return damaged(path, exc)


def writable(path: Path) -> bool:
    """True if this process may write the database and create its -wal and -shm files beside it."""
    return os.access(path.parent, os.W_OK) and (not path.exists() or os.access(path, os.W_OK))


def _connect(path: Path, read_only: bool) -> sqlite3.Connection:
    options: dict[str, Any] = {"timeout": BUSY_TIMEOUT_S, "isolation_level": None, "check_same_thread": False}
    if not read_only:
        return sqlite3.connect(path, **options)
    uri = path.resolve().as_uri()
    con = sqlite3.connect(f"{uri}?mode=ro", uri=True, **options)
    try:
        con.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return con
    except sqlite3.OperationalError as exc:
        con.close()
        if (
            _code(exc) not in (sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_READONLY)
            or path.with_name(path.name + "-wal").exists()
        ):
            raise
    # A WAL database in a folder we cannot write, with no -wal or -shm beside it: nothing
    # is being written to it now (a writer would have made them), so read it as it is.
    return sqlite3.connect(f"{uri}?mode=ro&immutable=1", uri=True, **options)


class Database:
    """One connection to a store's ``lineage.db``, shared by the threads of a process."""

    dialect = "sqlite"  # PgDatabase: "postgresql" (the few statements that differ look at it)

    def __init__(self, path: Path, create: bool):
        self.path = path
        if not path.exists() and not create:
            raise NotFoundError(f"no lineage store at {path.parent}: log a run or run 'lineage init' first")
        # An existing file of 0 bytes is not a new store if blobs exist (see _refuse_foreign).
        self._found_empty = path.exists() and path.stat().st_size == 0
        self.read_only = not writable(path)
        if self.read_only and (create or not path.exists()):
            raise ReadOnlyStoreError(f"cannot create a store in {path.parent}: the folder is read-only here")
        try:
            self.con = _connect(path, self.read_only)
            self.lock = threading.RLock()
            self.con.execute("PRAGMA foreign_keys = ON")
            # Run bookkeeping (start, log, summary) commits without an fsync: after a power
            # cut the database is intact, at worst missing its last few metric rows.
            # Transactions that make versions visible ask for durability: write(durable=True).
            self.con.execute("PRAGMA synchronous = NORMAL")
            self.con.execute(TEMP_IN_MEMORY)
            self._prepare()
        except BaseException as exc:
            # Closed at once, so a refused store keeps no -wal/-shm files of ours.
            if getattr(self, "con", None) is not None:
                self.con.close()
            if isinstance(exc, sqlite3.DatabaseError):
                raise storage_error(path, exc) from None
            raise

    def _prepare(self) -> None:
        version = self.con.execute("PRAGMA user_version").fetchone()[0]
        if version == SCHEMA_VERSION:
            self._refuse_not_lineage(version)
            return
        if version > SCHEMA_VERSION:
            raise SchemaVersionError(
                f"store {self.path.parent} has schema version {version}, newer than this lineage's "
                f"{SCHEMA_VERSION}: upgrade lineage to open it"
            )
        if version == 0:
            self._refuse_foreign()
        else:
            self._refuse_not_lineage(version)
        if self.read_only:
            raise ReadOnlyStoreError(
                f"store {self.path.parent} has schema version {version} and is read-only here: open it once "
                f"where it can be written, to upgrade it to version {SCHEMA_VERSION}"
            )
        with self.write() as con:
            version = con.execute("PRAGMA user_version").fetchone()[0]
            if version == 0:
                if con.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
                    raise SchemaVersionError(f"{self.path} is a SQLite file but not a lineage store")
                for statement in statements(schema_sql()):
                    con.execute(statement)
            else:
                try:
                    migrate(con, version)
                except sqlite3.DatabaseError as exc:
                    raise SchemaVersionError(
                        f"upgrading store {self.path.parent} from schema version {version} failed ({exc}); "
                        "it was left unchanged"
                    ) from None
        # Only now, once the store is ours and upgraded: a refused database keeps its journal mode.
        if self.con.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            self._use_wal()

    def _refuse_not_lineage(self, version: int) -> None:
        """Refuse a database that claims a schema version but holds no lineage tables."""
        tables = {row[0] for row in self.con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not {"runs", "artifacts", "versions"} <= tables:
            raise SchemaVersionError(
                f"{self.path} is a SQLite file but not a lineage store (schema version {version}, "
                "but no lineage tables): it was left unchanged"
            )

    def _refuse_foreign(self) -> None:
        """Before writing anything, refuse a database that is not a new store's."""
        if self.con.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
            if self.con.execute("PRAGMA user_version").fetchone()[0] == 0:
                raise SchemaVersionError(f"{self.path} is a SQLite file but not a lineage store")
            return
        # A database file emptied to 0 bytes next to stored blobs was truncated, not new:
        # making it a new empty store would orphan every blob (and gc would free them).
        blobs = self.path.parent / "blobs"
        if self._found_empty and blobs.is_dir() and any(len(name) == 2 for name in os.listdir(blobs)):
            raise LineageError(
                f"store database {self.path} is empty but {blobs} holds files: the database was truncated; "
                "restore it from a copy (or delete the empty file to start a new store)"
            )

    def _use_wal(self) -> None:
        # Switching to WAL takes an exclusive lock and SQLite answers SQLITE_BUSY at once,
        # without calling the busy handler: processes opening a new store together retry.
        deadline = time.monotonic() + BUSY_TIMEOUT_S
        while True:
            try:
                self.con.execute("PRAGMA journal_mode = WAL").fetchone()
                return
            except sqlite3.OperationalError as exc:
                if exc.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY or time.monotonic() > deadline:
                    raise
            time.sleep(0.005)

    @contextmanager
    def write(self, durable: bool = False) -> Iterator[sqlite3.Connection]:
        """A write transaction: ``BEGIN IMMEDIATE``, committed on success, else rolled back.

        ``durable`` makes the commit wait for an fsync of the WAL (SQLite's
        ``synchronous = FULL``), which also makes every earlier commit durable.
        """
        if self.read_only:
            raise ReadOnlyStoreError(
                f"store {self.path.parent} is read-only here: reading works; "
                "to change it, use it where it can be written"
            )
        with self.lock:
            try:
                if durable:
                    self.con.execute("PRAGMA synchronous = FULL")
                try:
                    self.con.execute("BEGIN IMMEDIATE")
                    try:
                        yield self.con
                    except BaseException:
                        if self.con.in_transaction:
                            self.con.execute("ROLLBACK")
                        raise
                    self.con.execute("COMMIT")
                finally:
                    if durable:
                        self.con.execute("PRAGMA synchronous = NORMAL")
            except sqlite3.OperationalError as exc:
                if _code(exc) in (sqlite3.SQLITE_FULL, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PERM):
                    if self.con.in_transaction:
                        self.con.execute("ROLLBACK")
                    raise storage_error(self.path, exc) from None
                raise

    def read(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[Any]:
        """Run a query and return all its rows."""
        with self.lock:
            return self.con.execute(sql, params).fetchall()

    def read_one(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Any:
        """Run a query and return its first row (a tuple), or None."""
        with self.lock:
            return self.con.execute(sql, params).fetchone()

    def close(self) -> None:
        with self.lock:
            self.con.close()


def migrate(con: sqlite3.Connection, version: int) -> None:
    """Bring a store from ``version`` to SCHEMA_VERSION inside the caller's transaction."""
    for step in range(version, SCHEMA_VERSION):
        if step not in MIGRATIONS:
            raise SchemaVersionError(f"no migration from schema version {step}: this store cannot be upgraded")
        for statement in statements(MIGRATIONS[step]):
            con.execute(statement)
    con.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def connect_read_only(path: Path) -> sqlite3.Connection:
    """A connection that cannot write (for ``store.sql`` and ``lineage sql``)."""
    if not path.exists():
        raise NotFoundError(f"no lineage store at {path.parent}")
    try:
        con = _connect(path, read_only=True)
    except sqlite3.DatabaseError as exc:
        raise storage_error(path, exc) from None
    con.execute("PRAGMA query_only = ON")
    con.execute(TEMP_IN_MEMORY)
    return con


def table_names(db: Database) -> list[str]:
    """Names of the store's tables and views (SQLite's own excluded), sorted."""
    if db.dialect == "postgresql":
        rows = db.read(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
            "AND table_name <> 'lineage_schema' ORDER BY table_name"
        )
        return [row[0] for row in rows]
    rows = db.read(
        "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%' ORDER BY name"
    )
    return [row[0] for row in rows]


def select_all(name: str) -> str:
    """The statement reading every row of table or view ``name`` (a plain name: checked by the caller)."""
    return f'SELECT * FROM "{name}"'


def _quote(text: str) -> str:
    return text.replace("'", "''")


def attach_duckdb(con, extension: Path, path: Path) -> None:
    """Make a DuckDB connection read the store's database (schema ``lineage``, read-only) with ``extension``."""
    con.execute(f"LOAD '{_quote(str(extension))}'")
    con.execute(f"ATTACH '{_quote(str(path))}' AS lineage (TYPE sqlite, READ_ONLY)")
    con.execute("USE lineage")
