"""Statements on the lineage graph: the walks, the refs table, node attributes and edges.

The walks are ``queries/ancestry.sql`` and ``impact.sql``'s recursive CTE from a known
start; the whole-store edges run ``queries/exploded_edges.sql`` and ``type_graph.sql``.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from .db import Database, chunks, marks

# The walk of queries/ancestry.sql and impact.sql, from the nodes the refs table maps :ref to,
# in one statement: one row per node reached and neighbour one step on: the node's key
# ('run:<id>' or 'version:<id>'), its label, the neighbour's key (NULL when none) and whether
# the node is a start; so Python gets the subgraph's edges with its nodes and counts depths on
# them. No rows when the ref names nothing; a ref naming several nodes (the file's HAVING
# count(*) = 1) is refused by Python, which sees several starts. With no depth limit every
# node but the start has steps 1 (one row per node, no DISTINCT needed; the start may come
# twice, as 0 and, on a cycle, 1) and :depth is 2. The anchor's casts give PostgreSQL the
# recursive term's types (a version id is BIGINT there; a run id's text is never cast), and
# only digits are cast: a forged refs row is no start (Python calls the store damaged) on
# both backends, where PostgreSQL would fail the cast.
WALK = """
WITH RECURSIVE
    start(kind, id) AS (SELECT kind, id FROM refs WHERE ref = :ref),
    walk(run_id, version_id, steps) AS (
        SELECT CASE WHEN kind = 'run' THEN id END,
               CASE WHEN kind = 'version' AND length(id) BETWEEN 1 AND 18 AND trim(id, '0123456789') = '' THEN
                   CASE WHEN CAST(CAST(id AS BIGINT) AS TEXT) = id THEN CAST(id AS BIGINT) END
               END,
               0
        FROM start
        UNION
        SELECT to_run.run_id, to_version.version_id, {next_steps}
        FROM walk w
        LEFT JOIN {to_run} to_run ON to_run.version_id = w.version_id
        LEFT JOIN {to_version} to_version ON to_version.run_id = w.run_id
        WHERE (to_run.run_id IS NOT NULL OR to_version.version_id IS NOT NULL) AND w.steps < :depth
    ),
    found(run_id, version_id, start) AS (SELECT {distinct} run_id, version_id, steps = 0 FROM walk)
SELECT coalesce('run:' || f.run_id, 'version:' || f.version_id),
       coalesce(coalesce(r.job_type, 'run') || ':' || r.name, a.type || ':' || a.name || ':v' || v.number),
       coalesce('run:' || to_run.run_id, 'version:' || to_version.version_id),
       f.start
FROM found f
LEFT JOIN runs r ON r.id = f.run_id
LEFT JOIN versions v ON v.id = f.version_id
LEFT JOIN artifacts a ON a.id = v.artifact_id
LEFT JOIN {to_run} to_run ON to_run.version_id = f.version_id
LEFT JOIN {to_version} to_version ON to_version.run_id = f.run_id
"""
EDGE_TABLES = {"ancestry": ("produced", "consumed"), "impact": ("consumed", "produced")}
WALKS = {
    (direction, limited): WALK.format(
        to_run=to_run,
        to_version=to_version,
        next_steps="w.steps + 1" if limited else "1",
        distinct="DISTINCT" if limited else "",
    )
    for direction, (to_run, to_version) in EDGE_TABLES.items()
    for limited in (False, True)
}

# Version attributes, for all versions or for those listed in :ids (a JSON array).
VERSION_ATTRIBUTES = """
SELECT vr.version_id, vr.project, vr.name, vr.type, vr.version, vr.ref, vr.label, vr.digest, vr.size,
       vr.file_count, vr.aliases, v.metadata, v.description, vr.created_at, vr.deleted_at
FROM version_refs vr JOIN versions v ON v.id = vr.version_id
WHERE :ids IS NULL OR vr.version_id IN (SELECT value FROM json_each(:ids))
"""


@cache
def _query(name: str) -> str:
    return resources.files("lineage").joinpath("queries", f"{name}.sql").read_text(encoding="utf-8")


def ref_targets(db: Database, ref: str) -> list[tuple[str, str]]:
    """(kind, id) of every node the refs table maps ``ref`` to."""
    return db.read("SELECT kind, id FROM refs WHERE ref = ?", (ref,))


def walk_rows(db: Database, direction: str, ref: str, depth: int) -> list[tuple]:
    """(node, label, neighbour, is start) rows of a walk from ``ref`` (see WALK); ``depth`` < 0 for no limit."""
    return db.read(WALKS[direction, depth >= 0], {"ref": ref, "depth": depth if depth >= 0 else 2})


def version_attribute_rows(db: Database, ids: str | None) -> list[tuple]:
    """Rows of VERSION_ATTRIBUTES for the version ids in the JSON array ``ids`` (None: all)."""
    return db.read(VERSION_ATTRIBUTES, {"ids": ids})


def type_graph_rows(db: Database) -> list[tuple]:
    """(kind, source, target, label, count) rows of ``queries/type_graph.sql``."""
    return db.read(_query("type_graph"))


def exploded_edge_rows(db: Database) -> list[tuple]:
    """(kind, source, target, ...) rows of ``queries/exploded_edges.sql``."""
    return db.read(_query("exploded_edges"))


def version_marks(db: Database, version_ids: list[int]) -> list[tuple[int, str | None, int]]:
    """(version_id, aliases, deleted 0/1) of the given versions."""
    out: list[tuple[int, str | None, int]] = []
    for chunk in chunks(version_ids):
        out += db.read(
            "SELECT version_id, aliases, deleted_at IS NOT NULL FROM version_refs "
            f"WHERE version_id IN ({marks(chunk)})",
            tuple(chunk),
        )
    return out


def run_states(db: Database, run_ids: list[str]) -> list[tuple[str, str]]:
    """(id, state) of the given runs."""
    out: list[tuple[str, str]] = []
    for chunk in chunks(run_ids):
        out += db.read(f"SELECT id, state FROM runs WHERE id IN ({marks(chunk)})", tuple(chunk))
    return out


def run_io_rows(db: Database, run_id: str) -> list[tuple]:
    """Rows of ``queries/run_io.sql`` for a run: direction ('input' | 'output'), version_id, ref, ..."""
    return db.read(_query("run_io"), {"run": run_id})
