"""Lineage queries: ancestry, impact, read-only SQL, DuckDB and Parquet export.

The lineage questions are answered by the ready-made SQL files in ``queries/`` (shipped in
the package as ``lineage/queries``); this module runs those very files, so the sqlite3
shell, DuckDB and Python give the same answers. pyarrow and duckdb are imported inside
the functions that need them, so ``import lineage`` stays light.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import versions
from .db import DB_NAME, connect_read_only
from .errors import InvalidArgumentError, NotFoundError
from .graphs import graph, node_key, run_attributes, version_attributes
from .refs import check_text, parse_ref, parse_run_ref

_FILE_SAFE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

if TYPE_CHECKING:
    import duckdb
    import networkx
    import pyarrow

    from .store import Store

__all__ = [
    "Subgraph",
    "ancestry",
    "duckdb_connection",
    "export",
    "graph",
    "impact",
    "query_names",
    "read_query",
    "run_query_file",
    "sql",
]

# The edges between the nodes of a subgraph: both ends must be in it.
SUBGRAPH_EDGES = """
SELECT 'produced', run_id, version_id FROM produced
WHERE run_id IN (SELECT value FROM json_each(:runs)) AND version_id IN (SELECT value FROM json_each(:versions))
UNION ALL
SELECT 'consumed', run_id, version_id FROM consumed
WHERE run_id IN (SELECT value FROM json_each(:runs)) AND version_id IN (SELECT value FROM json_each(:versions))
"""


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


@dataclass(frozen=True)
class Subgraph:
    """A lineage subgraph: the nodes reached from a start and the edges between them.

    ``nodes`` are dicts with kind ('run' | 'version'), id, label and depth (edges from the
    start); ``edges`` are dicts with kind ('produced' | 'consumed'), source and target node
    keys ('run:<id>', 'version:<id>'), pointing the way data flows.
    """

    store: Store = field(repr=False)
    start: str
    direction: str
    nodes: list[dict[str, Any]]
    edges: list[dict[str, str]]

    def __len__(self) -> int:
        return len(self.nodes)

    def to_networkx(self) -> networkx.DiGraph:
        """A ``networkx.DiGraph`` with the exploded graph's node keys and attributes (and depth)."""
        import networkx as nx

        g = nx.DiGraph()
        run_ids = [n["id"] for n in self.nodes if n["kind"] == "run"]
        version_ids = [int(n["id"]) for n in self.nodes if n["kind"] == "version"]
        attributes = {**run_attributes(self.store, run_ids), **version_attributes(self.store, version_ids)}
        for n in self.nodes:
            key = node_key(n["kind"], n["id"])
            g.add_node(key, **attributes[key], depth=n["depth"])
        for e in self.edges:
            g.add_edge(e["source"], e["target"], kind=e["kind"])
        return g

    def to_arrow(self) -> pyarrow.Table:
        """The nodes as a ``pyarrow.Table`` (kind, id, label, depth); edges in its metadata as JSON."""
        import pyarrow as pa

        table = pa.table(
            {
                "kind": pa.array([n["kind"] for n in self.nodes], pa.string()),
                "id": pa.array([n["id"] for n in self.nodes], pa.string()),
                "label": pa.array([n["label"] for n in self.nodes], pa.string()),
                "depth": pa.array([n["depth"] for n in self.nodes], pa.int64()),
            }
        )
        return table.replace_schema_metadata({"edges": json.dumps(self.edges), "start": self.start})

    def edges_to_arrow(self) -> pyarrow.Table:
        """The edges as a ``pyarrow.Table`` (kind, source, target)."""
        import pyarrow as pa

        return pa.table(
            {
                "kind": pa.array([e["kind"] for e in self.edges], pa.string()),
                "source": pa.array([e["source"] for e in self.edges], pa.string()),
                "target": pa.array([e["target"] for e in self.edges], pa.string()),
            }
        )


def _check_start(store: Store, ref: str) -> str:
    """Resolve ``ref`` with the core's rules, so a bad ref fails with the usual message."""
    run_key = parse_run_ref(ref)
    if run_key is not None:
        return f"run:{store.run(run_key).id}"
    row = versions.resolve(store.db, parse_ref(ref), allow_deleted=True)
    return f"version:{row.id}"


def _depth(depth: int | None) -> int:
    if depth is None:
        return -1
    if isinstance(depth, bool) or not isinstance(depth, int) or not 0 <= depth < 2**63:
        raise InvalidArgumentError(
            f"invalid depth {str(depth)[:40]}: use a whole number of edges from 0 to 2**63 - 1, or None for no limit"
        )
    return depth


def _walk(store: Store, direction: str, ref: str, depth: int | None) -> Subgraph:
    limit = _depth(depth)
    start = _check_start(store, ref)
    rows = store.db.read(_packaged(direction), {"ref": ref, "depth": limit})
    nodes = [{"kind": kind, "id": id, "label": label, "depth": d} for kind, id, label, d in rows]
    runs = [n["id"] for n in nodes if n["kind"] == "run"]
    found = [int(n["id"]) for n in nodes if n["kind"] == "version"]
    edges = []
    if runs and found:
        params = {"runs": json.dumps(runs), "versions": json.dumps(found)}
        for kind, run_id, version_id in store.db.read(SUBGRAPH_EDGES, params):
            run, version = node_key("run", run_id), node_key("version", version_id)
            source, target = (run, version) if kind == "produced" else (version, run)
            edges.append({"kind": kind, "source": source, "target": target})
        edges.sort(key=lambda e: (e["source"], e["target"]))
    return Subgraph(store, start, direction, nodes, edges)


def ancestry(store: Store, ref: str, depth: int | None = None) -> Subgraph:
    """Everything ``ref`` came from: producing runs, their inputs, and so on (``queries/ancestry.sql``).

    ``ref`` is an artifact ref (``[project/]name[:alias|:vN]``, deleted versions included)
    or ``run:<name or id>``; ``depth`` counts edges, None for no limit.

    >>> [n["label"] for n in store.ancestry("trained-model:latest", depth=1).nodes]  # doctest: +SKIP
    ['model:trained-model:v0', 'train:sunny-smoke-4']
    """
    return _walk(store, "ancestry", ref, depth)


def impact(store: Store, ref: str, depth: int | None = None) -> Subgraph:
    """Everything that depends on ``ref``: consuming runs, what they produced, ... (``queries/impact.sql``)."""
    return _walk(store, "impact", ref, depth)


# -- read-only SQL -------------------------------------------------------------------------
def _deny_attach(action: int, *args) -> int:
    # ATTACH could create a file outside the store; everything else is stopped by query_only.
    return sqlite3.SQLITE_DENY if action in (sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH) else sqlite3.SQLITE_OK


def _sql_error(exc: sqlite3.Error) -> InvalidArgumentError:
    message = str(exc)
    if isinstance(exc, sqlite3.ProgrammingError) and "one statement" in message:
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
    check_text(query, "SQL statement")
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

    path = store.dir / DB_NAME
    if not path.exists():
        raise NotFoundError(f"no lineage store at {store.dir}: log a run or run 'lineage init' first")
    con = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    try:
        con.execute(f"LOAD '{_quote(str(sqlite_extension_path()))}'")
        con.execute(f"ATTACH '{_quote(str(path))}' AS lineage (TYPE sqlite, READ_ONLY)")
        con.execute("USE lineage")
        # DuckDB 1.5.5's common-subplan optimizer merges scans of two different SQLite tables
        # of the same shape (produced and consumed), returning one table's rows for both.
        con.execute("SET disabled_optimizers = 'common_subplan'")
    except Exception:
        con.close()
        raise
    return con


def _quote(text: str) -> str:
    return text.replace("'", "''")


# -- Parquet -------------------------------------------------------------------------------
def export(store: Store, dir: str | os.PathLike) -> list[Path]:
    """Write every table and view of the store as ``<name>.parquet`` under ``dir``; the paths."""
    import pyarrow.parquet as pq

    out = Path(dir)
    names = [
        row[0]
        for row in store.db.read(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    ]
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
        table = sql(store, f'SELECT * FROM "{name}"')
        path = out / f"{name}.parquet"
        pq.write_table(table, path)
        written.append(path)
    return written
