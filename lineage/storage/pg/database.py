"""``PgDatabase``: the ``Database`` twin for a store kept in a PostgreSQL database.

One autocommit psycopg connection per process, shared by its threads under one lock,
like the SQLite handle. ``write()`` is one transaction (``BEGIN`` ... ``COMMIT``) that
first takes a transaction-scoped advisory lock, so writers queue one at a time exactly as
SQLite's ``BEGIN IMMEDIATE`` makes them (the statements read, then write: a version
number is ``max + 1`` read inside the transaction) while readers never wait (MVCC).
A commit is durable (``synchronous_commit``); the bookkeeping writes SQLite commits
without an fsync (``durable=False``) commit here with ``synchronous_commit = off``.

A write runs in psycopg's pipeline mode: its statements are sent as they come and the
client waits only where it reads a result (a row, an id, a count) and once at the end,
for the ``COMMIT`` sent with the last statements; ``BEGIN`` and the lock travel with the
first read. A run's start is then two round trips, a version's commit three. A
statement the server refuses is reported where its transaction next waits (a later read,
or the commit): the whole transaction is rolled back, as any failed write is. (A psycopg
whose libpq has no pipeline mode, before 14, runs each statement in turn.)

Schema creation and upgrades run once however many processes open a new database at the
same moment: in one transaction under a second advisory lock, re-reading the version first.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit, urlunsplit

from ...errors import LineageError, NotFoundError, SchemaVersionError
from .. import db as sqlite_db
from . import dialect

WRITE_KEY = 0x6C696E6501  # pg_advisory_xact_lock key of the one writer at a time ("line" 1)
SCHEMA_KEY = 0x6C696E6502  # ... of schema creation and migration
VERSION_TABLE = "lineage_schema"  # one row: the schema version (SQLite's PRAGMA user_version)


def psycopg_module():
    """psycopg, or a one-line error saying how to install it."""
    try:
        import psycopg
    except ImportError:
        raise LineageError(
            "a postgresql:// store needs psycopg, which is not installed: pip install lineage[team]"
        ) from None
    return psycopg


def redact(url: str) -> str:
    """``url`` without its password (for messages and status)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    user = netloc[0].split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}@{netloc[1]}"))


def connect_error(url: str, exc: Exception) -> LineageError:
    """The one-line error for a PostgreSQL server that refused or could not be reached."""
    message = " ".join(str(exc).split())
    where = redact(url)
    if "does not exist" in message and "database" in message:
        return NotFoundError(f"no PostgreSQL database for store {where} ({message}): create it first (createdb)")
    if (
        "authentication failed" in message
        or "password" in message
        or ("role" in message and "does not exist" in message)
    ):
        return LineageError(
            f"PostgreSQL refused the login to store {where} ({message}): check the user and password "
            "(in the URL, $PGPASSWORD or ~/.pgpass)"
        )
    return LineageError(f"cannot reach the PostgreSQL server of store {where} ({message}): check it runs and the URL")


def connect(url: str):
    """An autocommit psycopg connection with SQLite's result types (integers for booleans and sums)."""
    psycopg = psycopg_module()
    try:
        raw = psycopg.connect(url, autocommit=True, connect_timeout=30)
    except psycopg.Error as exc:
        raise connect_error(url, exc) from None
    # Lineage reads are index walks the planner over-costs on big stores: JIT compiling
    # them took 12 ms of a 13 ms impact walk at 1M versions (bench/postgres.py).
    raw.execute("SET jit = off")
    raw.adapters.register_loader("numeric", _loaders()[0])
    raw.adapters.register_loader("bool", _loaders()[1])
    return raw


_LOADERS: list = []


def _loaders() -> list:
    if not _LOADERS:
        from psycopg.adapt import Loader

        class Numeric(Loader):  # sum() of integers is numeric: an int, as SQLite returns it
            def load(self, data):
                text = bytes(data)
                return int(text) if text.lstrip(b"-").isdigit() else float(text)

        class Boolean(Loader):  # x IS NULL is a boolean: 0 or 1, as SQLite returns it
            def load(self, data):
                return 1 if bytes(data) == b"t" else 0

        _LOADERS.extend([Numeric, Boolean])
    return _LOADERS


class Result:
    """What ``execute`` returns: a cursor with SQLite's ``lastrowid`` and ``rowcount``.

    Inside a pipelined write the statement's result may not have come back yet: each
    read here waits for it (and reports a refused statement as the store's one-line error).
    """

    def __init__(self, cursor, returning: bool, con: Connection):
        self.cursor = cursor
        self._returning = returning
        self._con = con
        self._lastrowid: int | None = None

    @property
    def lastrowid(self) -> int | None:
        if self._returning and self._lastrowid is None:
            self._lastrowid = self._con.fetch(self.cursor.fetchone)[0]
        return self._lastrowid

    @property
    def rowcount(self) -> int:
        self._con.wait_all()
        return self.cursor.rowcount

    @property
    def description(self) -> Any:
        if self.cursor.pgresult is None:
            self._con.wait_all()
        return self.cursor.description

    def _rows(self, read: Any, empty: Any) -> Any:
        if self._returning:  # its one row is lastrowid's, as SQLite's INSERT returns none
            _ = self.lastrowid
            return empty
        return self._con.fetch(lambda: read() if self.description else empty)

    def fetchone(self) -> Any:
        return self._rows(self.cursor.fetchone, None)

    def fetchall(self) -> list[Any]:
        return self._rows(self.cursor.fetchall, [])

    def fetchmany(self, size: int) -> list[Any]:
        return self._rows(lambda: self.cursor.fetchmany(size), [])

    def __iter__(self) -> Iterator[Any]:
        return iter(self.fetchall())


class Counted:
    """What ``executemany`` returns: the rows changed in all (``rowcount``), once they are known."""

    def __init__(self, cursor, con: Connection):
        self.cursor = cursor
        self._con = con

    @property
    def rowcount(self) -> int:
        self._con.wait_all()
        return self.cursor.rowcount


class Connection:
    """The statement side of a ``sqlite3.Connection``, over psycopg: SQLite text is translated."""

    def __init__(self, raw, where: str):
        self.raw = raw
        self.where = where
        self.pipeline: Any = None  # psycopg's Pipeline while a write runs in pipeline mode

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Result:
        text, returning = dialect.statement(sql)
        cursor = self.raw.cursor()
        try:
            cursor.execute(text, params if params is not None else ())
            result = Result(cursor, returning, self)
            self._resync(sql)
        except self._errors() as exc:
            raise self.error(exc) from None
        return result

    def executemany(self, sql: str, rows: Any) -> Any:
        """Run ``sql`` once per row; what it returns tells the rows changed in all (``rowcount``)."""
        text, _ = dialect.statement(sql)
        rows = list(rows)
        cursor = self.raw.cursor()
        if rows:
            try:
                cursor.executemany(text, rows)
                self._resync(sql)
            except self._errors() as exc:
                raise self.error(exc) from None
        return Counted(cursor, self)

    def fetch(self, read: Any) -> Any:
        """``read()`` of a result (waiting for it in a pipeline), a refused statement as the one-line error."""
        try:
            return read()
        except self._errors() as exc:
            raise self.error(exc) from None

    def wait_all(self) -> None:
        """In a pipelined write, wait for the results of every statement sent so far."""
        if self.pipeline is not None:
            self.fetch(self.pipeline.sync)

    def _resync(self, sql: str) -> None:
        table = dialect.explicit_id_table(sql)
        if table is not None:
            self.raw.execute(dialect.resync_identity(table))

    def _errors(self) -> type[Exception]:
        return psycopg_module().Error

    def error(self, exc: Exception) -> LineageError:
        """The one-line error for a statement PostgreSQL refused (or a lost connection)."""
        message = " ".join(str(exc).split())
        return LineageError(f"PostgreSQL store {self.where}: {message}")

    @property
    def in_transaction(self) -> bool:
        return self.raw.info.transaction_status != 0  # psycopg.pq.TransactionStatus.IDLE


class PgDatabase(sqlite_db.Database):
    """One connection to a store's PostgreSQL database, shared by the threads of a process."""

    dialect = "postgresql"

    def __init__(self, url: str, create: bool):  # not super().__init__: that opens SQLite
        self.url = url
        self.where = redact(url)
        self.path = cast(Path, self.where)  # what messages name (fsck's "database ..." lines)
        self.read_only = False
        self._found_empty = False
        self.lock = threading.RLock()
        self.pipelined = psycopg_module().Pipeline.is_supported()  # libpq 14 or later (see write)
        self.raw = connect(url)
        self.con = cast(sqlite3.Connection, Connection(self.raw, self.where))
        try:
            self._prepare_pg(create)
        except BaseException:
            self.raw.close()
            raise

    def schema_version(self) -> int | None:
        """The version the database records, None if it holds no lineage schema."""
        with self.lock:
            # pg_tables, not to_regclass: the catalog cache can be stale right after a lock wait.
            found = "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename = %s"
            if not self.raw.execute(found, (VERSION_TABLE,)).fetchone()[0]:
                return None
            row = self.raw.execute(f"SELECT version FROM {VERSION_TABLE}").fetchone()
            return None if row is None else int(row[0])

    def _prepare_pg(self, create: bool) -> None:
        version = self.schema_version()
        if version == sqlite_db.SCHEMA_VERSION:
            return
        self._refuse(version, create)
        with self._unpipelined_write(durable=True):
            self.raw.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_KEY,))
            version = self.schema_version()  # another process may have made it meanwhile
            self._refuse(version, create)
            if version is None and self._holds_tables():
                raise SchemaVersionError(f"the database of {self.where} holds tables but is not a lineage store")
            if version is None:
                for statement in dialect.schema_statements():
                    self.raw.execute(statement)
                self.raw.execute(f"CREATE TABLE {VERSION_TABLE} (version BIGINT NOT NULL)")
                self.raw.execute(f"INSERT INTO {VERSION_TABLE} VALUES (%s)", (sqlite_db.SCHEMA_VERSION,))
            elif version < sqlite_db.SCHEMA_VERSION:
                for step in range(version, sqlite_db.SCHEMA_VERSION):
                    for statement in dialect.schema_statements(sqlite_db.MIGRATIONS[step]):
                        self.raw.execute(statement)
                self.raw.execute(f"UPDATE {VERSION_TABLE} SET version = %s", (sqlite_db.SCHEMA_VERSION,))

    def _refuse(self, version: int | None, create: bool) -> None:
        if version is not None and version > sqlite_db.SCHEMA_VERSION:
            raise SchemaVersionError(
                f"store {self.where} has schema version {version}, newer than this lineage's "
                f"{sqlite_db.SCHEMA_VERSION}: upgrade lineage to open it"
            )
        if version is None and not create:
            raise NotFoundError(
                f"no lineage store in {self.where}: run 'lineage init {self.where} --blobs FOLDER' first"
            )

    def _holds_tables(self) -> bool:
        sql = "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()"
        return bool(self.raw.execute(sql).fetchone()[0])

    @contextmanager
    def write(self, durable: bool = False) -> Iterator[sqlite3.Connection]:
        """One transaction, committed on success, else rolled back; one writer at a time.

        Pipelined (see the module docstring): ``BEGIN``, the writer lock and the statements
        go out as they come; the client waits where a result is read and for the commit.
        """
        if not self.pipelined:
            with self._unpipelined_write(durable):
                yield self.con
            return
        psycopg = psycopg_module()
        con = cast(Connection, self.con)
        with self.lock:
            try:
                with self.raw.pipeline() as pipeline:
                    con.pipeline = pipeline
                    try:
                        self.raw.execute("BEGIN")
                        # A statement of its own: the reads after it take their snapshot once it is held.
                        lock = f"SELECT pg_advisory_xact_lock({WRITE_KEY})"
                        self.raw.execute(lock if durable else lock + ", set_config('synchronous_commit', 'off', true)")
                        yield self.con
                        # Sent with the last statements; the pipeline's end waits for them all.
                        self.raw.execute("COMMIT")
                    except BaseException:
                        # Collect what is still coming (a refused statement aborted the rest),
                        # so the pipeline ends quietly; the first error is already on its way up.
                        with contextlib.suppress(psycopg.Error):
                            pipeline.sync()
                        raise
                    finally:
                        con.pipeline = None
            except BaseException as exc:
                self._roll_back()
                if isinstance(exc, psycopg.Error):
                    raise con.error(exc) from None
                raise

    @contextmanager
    def _unpipelined_write(self, durable: bool) -> Iterator[None]:
        """A write transaction outside pipeline mode: for schema scripts (several statements
        each, which a pipeline refuses) and where psycopg's libpq has no pipeline mode (before 14)."""
        with self.lock:
            try:
                # One round trip (no parameters: the simple protocol takes the three at once).
                begin = f"BEGIN; SELECT pg_advisory_xact_lock({WRITE_KEY})"
                self.raw.execute(begin if durable else begin + "; SET LOCAL synchronous_commit = off")
            except psycopg_module().Error as exc:
                raise cast(Connection, self.con).error(exc) from None
            try:
                yield
            except BaseException:
                self._roll_back()
                raise
            try:
                self.raw.execute("COMMIT")
            except psycopg_module().Error as exc:
                raise cast(Connection, self.con).error(exc) from None

    def _roll_back(self) -> None:
        """End a failed transaction, if one is open.

        psycopg's ``rollback()`` also forgets its prepared statements (and deallocates them):
        one first prepared in an aborted pipeline never reached the server.
        """
        if self.raw.closed or self.raw.info.transaction_status == 0:  # IDLE: none is open
            return
        with contextlib.suppress(psycopg_module().Error):  # a lost connection: the server rolls back
            self.raw.rollback()

    def read_only_rows(self, query: str, params: Sequence[Any] | dict[str, Any]) -> tuple[list[str], list[tuple]]:
        """(column names, rows) of one user statement in a read-only transaction (``store.sql``)."""
        psycopg = psycopg_module()
        with self.lock:
            self.raw.execute("BEGIN READ ONLY")
            try:
                self.raw.execute("SELECT 1")  # a snapshot is taken: the mode can no longer change
                # A prepared statement is exactly one statement: no "COMMIT; DELETE ...".
                cursor = psycopg.Cursor(self.raw)
                try:
                    cursor.execute(dialect.placeholders(query), params, prepare=True)
                except psycopg.Error as exc:
                    raise ValueError(" ".join(str(exc).split())) from None
                names = [d.name for d in cursor.description or ()]
                return names, cursor.fetchall() if cursor.description else []
            finally:
                if self.raw.info.transaction_status != 0:
                    self.raw.execute("ROLLBACK")

    def close(self) -> None:
        with self.lock:
            self.raw.close()
