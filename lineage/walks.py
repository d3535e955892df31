"""Ancestry and impact: the walks of ``queries/ancestry.sql`` and ``impact.sql`` as Subgraphs.

A ref is resolved through the store's ``refs`` table, as the SQL files resolve it; the walk
is the files' recursive CTE, from the start node, returning each node's label and the edges
one step on, so depths (edges on a shortest path) are counted here, breadth first.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import InvalidArgumentError, LineageError
from .graphs import node_key, run_attributes, version_attributes
from .refs import parse_ref, parse_run_ref
from .storage import edges as graph_rows
from .storage import versions
from .storage.edges import WALKS

if TYPE_CHECKING:
    import networkx
    import pyarrow

    from .store import StoreHandle as Store

__all__ = ["WALKS", "Subgraph", "ancestry", "impact"]


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


def _start(store: Store, ref: str) -> tuple[str, str]:
    """(kind, id) of the node ``ref`` names, found in the refs table as the SQL files find it.

    The syntax is checked first; a ref that names nothing or several things is explained by
    the core's resolvers (the usual one-line errors).
    """
    run_key = parse_run_ref(ref)
    parsed = parse_ref(ref) if run_key is None else None
    key = ref if parsed is None else str(parsed)  # 'entity/p/a' -> 'p/a:latest'
    rows = graph_rows.ref_targets(store.db, key)
    if len(rows) == 1:
        kind, id = rows[0]
        if kind == "run" or (kind == "version" and id.isascii() and id.isdigit()):
            return kind, id
        raise _damaged(store, f"ref {key!r} names {kind} {id!r}")
    if run_key is not None:
        store.run(run_key)
    elif parsed is not None:
        # A registry ref (model-registry/name:alias) is not in the refs table: the core resolves it.
        row = versions.resolve(store.db, parsed, allow_deleted=True)
        if not rows:
            return "version", str(row.id)
    raise InvalidArgumentError(f"ref {ref!r} names {len(rows)} nodes: use run:<id> or a project/name ref")


def _damaged(store: Store, what: str) -> LineageError:
    return LineageError(f"the refs table of store {store.location} is damaged ({what}): run 'lineage fsck'")


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
    kind, id = _start(store, ref)
    # A node is its run id (text) or its version id (a number): the two never collide.
    start = id if kind == "run" else int(id)
    params = {"run_id": id if kind == "run" else None, "version_id": None if kind == "run" else start}
    rows = graph_rows.walk_rows(store.db, direction, params, limit)
    # Each row: a node reached, its label, and one neighbour a step on (or NULL).
    labels: dict[str | int, str] = {}
    steps: dict[str | int, list[str | int]] = {}
    for run_id, version_id, label, after in rows:
        node = version_id if run_id is None else run_id
        if node not in labels:
            labels[node] = label
            steps[node] = []
        if after is not None:
            steps[node].append(after)
    if labels.get(start) is None:
        raise _damaged(store, f"ref {ref!r} names a {kind} that does not exist")
    # Breadth first from the start: depth is the edge count of a shortest path.
    depths, frontier, level = {start: 0}, [start], 0
    while frontier:
        level += 1
        reached = []
        for node in frontier:
            for after in steps[node]:
                if after not in depths and after in labels:
                    depths[after] = level
                    reached.append(after)
        frontier = reached
    keys = {node: node_key("run" if isinstance(node, str) else "version", node) for node in labels}
    ordered = sorted((d, isinstance(node, int), str(node), node) for node, d in depths.items())
    nodes = [
        {"kind": "version" if is_version else "run", "id": id, "label": labels[node], "depth": d}
        for d, is_version, id, node in ordered
    ]
    # Edges point the way data flows: the upstream walk follows them backwards.
    pairs = []
    for node, afters in steps.items():
        here = keys[node]
        for after in afters:
            there = keys.get(after)
            if there is not None:
                pairs.append((there, here) if direction == "ancestry" else (here, there))
    pairs.sort()
    edges = [{"kind": "produced" if s[0] == "r" else "consumed", "source": s, "target": t} for s, t in pairs]
    return Subgraph(store, keys[start], direction, nodes, edges)


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
