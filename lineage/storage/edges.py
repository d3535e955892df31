"""Statements on the lineage graph: the walks, the refs table, node attributes and edges.

The walks are ``queries/ancestry.sql`` and ``impact.sql``'s recursive CTE from a known
start; the whole-store edges run ``queries/exploded_edges.sql`` and ``type_graph.sql``.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from .db import Database, chunks, marks

# The walk of queries/ancestry.sql and impact.sql, from the nodes the refs table maps :ref to,
# in one statement, over the walks' tables upstream and downstream (schema.sql), where each
# step is one row with the neighbour's label. Node keys are the exploded graph's ('run:<id>',
# 'version:<id>'); the start's label is its refs row's. No rows when the ref names nothing; a
# ref naming several nodes (the files' HAVING count(*) = 1) is refused by Python, which sees several
# starts. A forged refs row may name a node that is not there: Python checks a start with no
# neighbours with node_exists (a start with neighbours is a node of the walks' tables).
START = """
    start(node, label) AS (SELECT r.kind || ':' || r.id, r.label FROM refs r WHERE r.ref = :ref)"""
# With no limit: one row per edge the walk takes, (the node it starts from, the node it
# reaches, that node's label), and (start, start, its label) for the start. UNION expands
# each such row once, so the edges come with the walk and no step is read twice.
WALK = """
WITH RECURSIVE{start},
    walk(prev, node, label) AS (
        SELECT node, node, label FROM start
        UNION
        SELECT w.node, s.next, s.next_label FROM walk w JOIN {steps} s ON s.node = w.node
    )
SELECT prev, node, label FROM walk
"""
# With a limit of :depth edges: one row per node reached and steps taken, then per node its
# neighbours one step on (NULL when none) and whether it is a start; the start may come twice
# (steps 0 and, on a cycle, more).
LIMITED_WALK = """
WITH RECURSIVE{start},
    walk(node, label, steps) AS (
        SELECT node, label, 0 FROM start
        UNION
        SELECT s.next, s.next_label, w.steps + 1 FROM walk w JOIN {steps} s ON s.node = w.node WHERE w.steps < :depth
    ),
    found(node, label, start) AS (SELECT DISTINCT node, label, steps = 0 FROM walk)
SELECT f.node, f.label, s.next, f.start FROM found f LEFT JOIN {steps} s ON s.node = f.node
"""
STEP_TABLES = {"ancestry": "upstream", "impact": "downstream"}
WALKS = {
    (direction, limited): (LIMITED_WALK if limited else WALK).format(start=START, steps=steps)
    for direction, steps in STEP_TABLES.items()
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


def node_exists(db: Database, kind: str, id: str) -> bool:
    """True if the store holds the run or version ``kind``, ``id`` (as the refs table names them)."""
    if kind == "run":
        return db.read_one("SELECT 1 FROM runs WHERE id = ?", (id,)) is not None
    if kind == "version" and id.isascii() and id.isdigit() and int(id) < 2**63:
        return db.read_one("SELECT 1 FROM versions WHERE id = ?", (int(id),)) is not None
    return False


def walk_rows(db: Database, direction: str, ref: str, depth: int) -> list[tuple]:
    """The rows of a walk from ``ref``: with ``depth`` < 0 (no limit) WALK's (from, node, label),
    else LIMITED_WALK's (node, label, neighbour, is start)."""
    if depth < 0:
        return db.read(WALKS[direction, False], {"ref": ref})
    return db.read(WALKS[direction, True], {"ref": ref, "depth": depth})


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
