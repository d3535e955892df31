"""The storage layer: the one place in lineage that holds SQL and talks to the database.

Everything above it (the store handle, tracking, artifacts, query, gc, fsck, the CLI, the
report, the pipeline) calls the named functions below and writes no SQL text; the only
other SQL is ``lineage/schema.sql``, the user-facing ``lineage/queries/*.sql`` files and
what a user passes to ``store.sql``. ``tests/test_layers.py`` fails when a module outside
this package holds a statement.

The interface
-------------
A backend is a ``Database`` handle plus the statement modules, each a set of functions
that take the handle (or, for ``*_in``/``upsert_*`` helpers, the connection of a
transaction the caller opened with ``db.write()``) and return plain tuples or the frozen
records of ``records.py``:

``db``
    ``Database(path, create)``: the connection, its lock, the transaction policy
    (``write(durable=False)``: ``BEGIN IMMEDIATE`` with a busy timeout, committed or rolled
    back as a whole; ``durable=True`` waits for an fsync), ``read``/``read_one``, schema
    creation and forward ``MIGRATIONS``, the storage errors (``storage_error``). Also
    ``connect_read_only`` (for ``store.sql``), ``attach_duckdb``, ``table_names``,
    ``select_all``, and the ``chunks``/``marks`` helpers for ``IN (?, ...)`` lists.
``runs``
    runs and what hangs off them: insert, resume bookkeeping, config, settable columns,
    end, crash marking, history and summary rows, run files, ``consumed`` edges.
``records``
    the frozen records the API returns (``RunInfo``, ``ArtifactInfo``, ``ArtifactFile``,
    ``StoreStatus``, ``StoreContents``) and the run reads that build them (``run_infos``, ``runs_matching``,
    ``run_by_id``, ``runs_consuming``, ``resume_run``, imported runs).
``versions``
    artifacts, versions, aliases, tags, ttl, files and reference entries of a version:
    resolve, commit (one transaction per logged version), edit, alias moves, delete,
    run edges (``produced``/``consumed``), listings.
``registry``
    the model registry's links and aliases.
``blobs``
    the ``blobs`` rows (one upsert, batched reads) and the re-log caches: ``file_state``
    for files added one by one (read joined with the blobs it names), ``folder_state`` for
    folders added whole (one packed row per folder, one range read per walk); gc drops the
    entries naming the blobs it frees.
``edges``
    the lineage graph: the ancestry/impact walks (the recursive CTE of
    ``queries/ancestry.sql``), the ``refs`` table, node attributes and marks, whole-store
    edges, a run's inputs and outputs (``queries/run_io.sql``).
``listing``
    whole-store reads in one pass each (the report).
``upkeep``
    maintenance reads and writes: gc's live and unused blobs, fsck's comparisons,
    SQLite's own checks, status counts.
``backlog``
    the OpenLineage events live emission could not deliver.

The second backend, PostgreSQL (``pg/``: a ``postgresql://`` store), is a ``Database``
twin (``pg.database.PgDatabase``) with the same ``write``/``read``/``read_one`` contract:
its connection translates each statement once (``pg.dialect``: placeholders, ``INSERT OR
REPLACE``/``OR IGNORE`` spelled ``ON CONFLICT``, ``group_concat``, ``json_each``, ``RETURNING
id`` for ``lastrowid``), and the few reads SQLite alone can answer (``PRAGMA``,
``sqlite_master``) look at ``db.dialect``; the callers above do not change. The blob files themselves
are not here: ``lineage/blobs.py`` (``BlobStore``) owns the ``blobs/`` folder, and an
object-store twin of it is the blob half of that backend.

Above this package: ``lineage/store.py`` (``StoreHandle``: folder, database, blob store,
staging lock, ingest) and ``lineage/facade.py`` (``Store``, the user API). The layering is
the import-linter contracts of ``pyproject.toml`` (``lint-imports``).
"""
