"""Lineage queries: ancestry, impact, read-only SQL, DuckDB and Parquet export.

The ready-made SQL files live in ``queries/`` (shipped in the package as ``lineage/queries``)
and give the same rows in the sqlite3 shell, Python and DuckDB; ancestry and impact, with
depths and edges, come from ``lineage/walks.py``, which walks the same way. pyarrow and duckdb are imported inside
the functions that need them, so ``import lineage`` stays light.
"""

from __future__ import annotations

import os
import re
import sqlite3
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, cast

from .errors import InvalidArgumentError, NotFoundError
from .graphs import graph, node_key
from .refs import check_utf8
from .storage.db import DB_NAME, attach_duckdb, connect_read_only, select_all, table_names
from .storage.pg.database import PgDatabase
from .walks import Subgraph, ancestry, impact

_FILE_SAFE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

if TYPE_CHECKING:
    import duckdb
    import pyarrow

    from .store import StoreHandle as Store

__all__ = [
    "Subgraph",
    "ancestry",
    "duckdb_connection",
    "export",
    "graph",
    "impact",
    "node_key",
    "query_names",
    "read_query",
    "run_query_file",
    "sql",
]


def query_names() -> list[str]:
    """The ready-made queries shipped with lineage (``ancestry``, ``impact``, ...)."""
    folder = resources.files("lineage").joinpath("queries")
    return sorted(p.name[:-4] for p in folder.iterdir() if p.name.endswith(".sql"))


@cache
def _packaged(name: str) -> str:
    return resources.files("lineage").joinpath("queries", f"{name}.sql").read_text(encoding="utf-8")


def read_query(name_or_path: str | os.PathLike) -> str:
    """The text of a ready-made query (``"ancestry"``) or of a ``.sql`` file on disk."""
    text = os.fspath(name_or_path)
    if text in query_names():
        return _packaged(text)
    path = Path(text)
    if path.suffix == ".sql" and path.is_file():
        return path.read_text(encoding="utf-8")
    known = ", ".join(query_names())
    raise NotFoundError(f"no query named {text!r}: use one of {known}, or the path of a .sql file")


def _clean_params(params: tuple | list | dict | None) -> tuple | dict:
    # The files write $name; sqlite3 and DuckDB both take the bare name as the dict key.
    if params is None:
        return ()
    if isinstance(params, dict):
        return {str(k).lstrip("$:@"): v for k, v in params.items()}
    return tuple(params)


def run_query_file(
    store: Store, name_or_path: str | os.PathLike, params: tuple | list | dict | None = None
) -> pyarrow.Table:
    """Run a ready-made query or a ``.sql`` file on a read-only connection; a ``pyarrow.Table``.

    >>> run_query_file(store, "ancestry", {"ref": "trained-model:latest", "depth": -1})  # doctest: +SKIP
    """
    return sql(store, read_query(name_or_path), params)


# -- read-only SQL -------------------------------------------------------------------------
def _deny_attach(action: int, *args) -> int:
    # ATTACH could create a file outside the store; everything else is stopped by query_only.
    return sqlite3.SQLITE_DENY if action in (sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH) else sqlite3.SQLITE_OK


def _sql_error(exc: Exception) -> InvalidArgumentError:
    message = str(exc)
    if (isinstance(exc, sqlite3.ProgrammingError) and "one statement" in message) or "multiple commands" in message:
        return InvalidArgumentError("store.sql runs one statement at a time: split the script")
    if "readonly" in message or "read-only" in message or "not authorized" in message:
        return InvalidArgumentError(
            f"store.sql is read-only ({message}): change the store through the lineage API or CLI"
        )
    return InvalidArgumentError(f"SQL error: {message}")


PROGRESS_STEPS = 100_000  # SQLite virtual machine steps between two looks at Ctrl-C (well under 1 ms)


def _let_signals_in() -> int:
    return 0  # carry on: a pending Ctrl-C raises KeyboardInterrupt in here, which stops the query


def sql(store: Store, query: str, params: tuple | list | dict | None = ()) -> pyarrow.Table:
    """Run one SQL statement on a read-only connection to the store; a ``pyarrow.Table``.

    >>> store.sql("SELECT name, job_type FROM runs WHERE state = ?", ("finished",))  # doctest: +SKIP
    """
    if not isinstance(query, str):
        raise InvalidArgumentError(f"store.sql takes a SQL statement as text, not {type(query).__name__}")
    check_utf8(query, "SQL statement")
    if store.url is not None:
        db = cast(PgDatabase, store.db)
        try:
            names, rows = db.read_only_rows(query, _clean_params(params))
        except ValueError as exc:
            raise _sql_error(exc) from None
        return _arrow_table(names, rows)
    con = connect_read_only(store.dir / DB_NAME)
    try:
        con.set_authorizer(_deny_attach)
        # SQLite runs a query without returning to Python: this callback lets Python see
        # Ctrl-C now and then, and its KeyboardInterrupt stops the query.
        con.set_progress_handler(_let_signals_in, PROGRESS_STEPS)
        try:
            cursor = con.execute(query, _clean_params(params))
            rows = cursor.fetchall()
        except sqlite3.OperationalError as exc:
            if str(exc) == "interrupted":
                raise KeyboardInterrupt from None
            raise _sql_error(exc) from None
        except sqlite3.Error as exc:
            raise _sql_error(exc) from None
        names = [d[0] for d in cursor.description or ()]
    finally:
        con.close()
    return _arrow_table(names, rows)


def _arrow_table(names: list[str], rows: list[tuple]) -> pyarrow.Table:
    import pyarrow as pa

    arrays = []
    for i in range(len(names)):
        values = [row[i] for row in rows]
        try:
            arrays.append(pa.array(values))
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            # SQLite lets one column hold numbers and text; Arrow cannot, so mixed ones become text.
            arrays.append(pa.array([None if v is None else str(v) for v in values], pa.string()))
    return pa.Table.from_arrays(arrays, names=names)


# -- DuckDB --------------------------------------------------------------------------------
def sqlite_extension_path() -> Path:
    """The sqlite extension file shipped in the PyPI package ``duckdb-extension-sqlite-scanner``."""
    import duckdb

    try:
        import duckdb_extension_sqlite_scanner as package
    except ImportError:
        raise NotFoundError(
            "DuckDB's sqlite extension is not installed: "
            f"pip install duckdb-extension-sqlite-scanner=={duckdb.__version__}"
        ) from None
    found = sorted(Path(package.__file__).parent.rglob("*.duckdb_extension"))
    if not found:
        raise NotFoundError(f"no .duckdb_extension file inside {Path(package.__file__).parent}: reinstall the package")
    return found[-1]


def duckdb_connection(store: Store) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with the store attached read-only as ``lineage`` (and in use).

    The sqlite extension is loaded from its PyPI package's file; nothing is downloaded.

    >>> store.duckdb().sql("SELECT job_type, count(*) FROM lineage.runs GROUP BY 1")  # doctest: +SKIP
    """
    import duckdb

    if store.url is not None:
        raise InvalidArgumentError(
            f"store.duckdb() reads a folder store's SQLite file; {store.location} is a PostgreSQL store: "
            "use store.sql, or DuckDB's postgres extension"
        )
    path = store.dir / DB_NAME
    if not path.exists():
        raise NotFoundError(f"no lineage store at {store.dir}: log a run or run 'lineage init' first")
    con = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    try:
        attach_duckdb(con, sqlite_extension_path(), path)
    except Exception:
        con.close()
        raise
    return con


# -- Parquet -------------------------------------------------------------------------------
def export(store: Store, dir: str | os.PathLike) -> list[Path]:
    """Write every table and view of the store as ``<name>.parquet`` under ``dir``; the paths."""
    import pyarrow.parquet as pq

    out = Path(dir)
    names = table_names(store.db)
    # Each name becomes a file name: a store from someone else may hold a view named
    # '../../x'. Refused before anything is written.
    bad = [name for name in names if not _FILE_SAFE_NAME.fullmatch(name)]
    if bad:
        raise InvalidArgumentError(
            f"cannot export: the store has a table or view named {bad[0]!r}, which is not a plain name "
            "(letters, digits, _): drop or rename it"
        )
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name in names:
        table = sql(store, select_all(name))
        path = out / f"{name}.parquet"
        pq.write_table(table, path)
        written.append(path)
    return written
