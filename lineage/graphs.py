"""The whole store as a ``networkx.DiGraph``: W&B's type view, or exploded (one node per run and version).

Edges come from ``queries/exploded_edges.sql`` and ``queries/type_graph.sql``; node
attributes from the runs, summary and version tables. networkx is imported inside the
functions that need it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .storage import edges as graph_rows
from .storage.records import run_infos, runs_by_ids

if TYPE_CHECKING:
    import networkx

    from .store import StoreHandle as Store


def node_key(kind: str, id: object) -> str:
    """The graph node key of a run or version: ``run:<id>`` or ``version:<id>``."""
    return f"{kind}:{id}"


def run_attributes(store: Store, ids: Iterable[str] | None = None) -> dict[str, dict[str, Any]]:
    """Node attributes of runs (all, or those with the given ids), keyed by node key."""
    out = {}
    infos = run_infos(store.db) if ids is None else runs_by_ids(store.db, list(ids))
    for r in infos:
        out[node_key("run", r.id)] = {
            "kind": "run",
            "label": r.label,
            "id": r.id,
            "name": r.name,
            "project": r.project,
            "job_type": r.job_type,
            "state": r.state,
            "started_at": r.started_at,
            "ended_at": r.ended_at,
            "config": r.config,
            "summary": r.summary,
        }
    return out


def version_attributes(store: Store, ids: Iterable[int] | None = None) -> dict[str, dict[str, Any]]:
    """Node attributes of versions (all, or those with the given ids), keyed by node key."""
    wanted = None if ids is None else json.dumps([int(i) for i in ids])
    out = {}
    for row in graph_rows.version_attribute_rows(store.db, wanted):
        (vid, project, name, type_, version, ref, label, digest, size, file_count, aliases, metadata) = row[:12]
        description, created_at, deleted_at = row[12:]
        out[node_key("version", vid)] = {
            "kind": "version",
            "label": label,
            "id": vid,
            "project": project,
            "name": name,
            "type": type_,
            "version": version,
            "ref": ref,
            "digest": digest,
            "size": size,
            "file_count": file_count,
            "aliases": aliases.split(",") if aliases else [],
            "metadata": json.loads(metadata),
            "description": description,
            "created_at": created_at,
            "deleted": deleted_at is not None,
        }
    return out


def graph(store: Store, explode: bool = False) -> networkx.DiGraph:
    """The store as a ``networkx.DiGraph``.

    ``explode=False`` (W&B's graph view): nodes ``type:<artifact type>`` and ``job:<job type>``
    with kind, label and count; edges job -> type (produced) and type -> job (consumed) with
    kind and count. ``explode=True``: one node per run (``run:<id>``) and per version
    (``version:<id>``) with their attributes; edges producing run -> version -> consuming run.

    >>> sorted(store.graph().nodes)  # doctest: +SKIP
    ['job:load-data', ..., 'type:dataset', 'type:model']
    """
    import networkx as nx

    g = nx.DiGraph()
    if not explode:
        for kind, source, target, label, count in graph_rows.type_graph_rows(store.db):
            if target is None:
                g.add_node(source, kind=kind, label=label, count=count)
            else:
                g.add_edge(source, target, kind=kind, count=count)
        return g
    for key, attributes in run_attributes(store).items():
        g.add_node(key, **attributes)
    for key, attributes in version_attributes(store).items():
        g.add_node(key, **attributes)
    for kind, source, target, *_ in graph_rows.exploded_edge_rows(store.db):
        g.add_edge(source, target, kind=kind)
    return g


def node_marks(store: Store, version_ids: list[int], run_ids: list[str]) -> dict[str, dict[str, Any]]:
    """What a text tree marks on nodes, by node key: versions' aliases and deletion, runs' states."""
    marks: dict[str, dict[str, Any]] = {}
    for vid, aliases, deleted in graph_rows.version_marks(store.db, version_ids):
        marks[node_key("version", vid)] = {"aliases": aliases or "", "deleted": bool(deleted)}
    for run_id, state in graph_rows.run_states(store.db, run_ids):
        marks[node_key("run", run_id)] = {"state": state}
    return marks
