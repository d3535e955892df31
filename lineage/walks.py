"""Ancestry and impact: the walks of ``queries/ancestry.sql`` and ``impact.sql`` as Subgraphs.

Python checks a ref's syntax; one statement (storage/edges.py WALK) then resolves it through
the store's ``refs`` table, as the SQL files do, and walks the files' recursive CTE from it
over the walks' ``upstream`` or ``downstream`` table, returning each node's label and the
edges it took, so the subgraph's edges come in the same query and depths (edges on a
shortest path) are counted here, breadth first. Only a
ref that names no single node costs more: the core's resolvers then say why.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import InvalidArgumentError, LineageError
from .graphs import node_key, run_attributes, version_attributes
from .refs import canonical_ref, parse_ref, parse_run_ref
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


def _key(ref: str) -> tuple[str, str | None]:
    """(the refs table's key for ``ref``, the run part of a ``run:`` ref): the syntax is checked here."""
    run_key = parse_run_ref(ref)
    if run_key is not None:
        return ref, run_key
    return canonical_ref(ref), None  # 'entity/p/a' -> 'p/a:latest'


def _explain(store: Store, ref: str, key: str, run_key: str | None) -> str:
    """Why the refs table maps ``key`` to no node or several, as the core's one-line errors say it;
    or, for a registry ref (model-registry/name:alias, not in the refs table), the key of its version."""
    rows = graph_rows.ref_targets(store.db, key)
    if len(rows) == 1:  # written since the walk looked
        return key
    if run_key is not None:
        store.run(run_key)
    else:
        row = versions.resolve(store.db, parse_ref(ref), allow_deleted=True)
        if not rows:
            return f"{row.project}/{row.name}:v{row.number}"
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
    key, run_key = _key(ref)
    walk = _subgraph(store, direction, key, graph_rows.walk_rows(store.db, direction, key, limit), limit >= 0)
    if walk is None:
        key = _explain(store, ref, key, run_key)
        walk = _subgraph(store, direction, key, graph_rows.walk_rows(store.db, direction, key, limit), limit >= 0)
        if walk is None:
            raise _damaged(store, f"ref {key!r} names no single node")
    return walk


def _subgraph(store: Store, direction: str, key: str, rows: list[tuple], limited: bool) -> Subgraph | None:
    """The Subgraph of a walk's rows (see storage/edges.py WALK and LIMITED_WALK); None unless
    the rows have exactly one start."""
    if not rows:
        return None
    labels: dict[str, str] = {}
    starts = set()
    if limited:
        steps: dict[str, list[str]] = defaultdict(list)
        for node, label, after, first in rows:
            labels[node] = label
            if first:
                starts.add(node)
            if after is not None:
                steps[node].append(after)
        # The start may come twice (steps 0 and, on a cycle, more): its neighbours too.
        for node in starts:
            steps[node] = list(dict.fromkeys(steps[node]))
        pairs = [(node, after) for node, afters in steps.items() for after in afters if after in labels]
    else:
        # One pass: the edges come in the rows' order, each once (a plain dict, no defaultdict).
        steps = {}
        pairs = []
        for before, node, label in rows:
            labels[node] = label
            if before == node:
                starts.add(node)
            else:
                pairs.append((before, node))
                if before in steps:
                    steps[before].append(node)
                else:
                    steps[before] = [node]
    if len(starts) != 1:
        return None
    (begin,) = starts
    # A start with neighbours is a node of the walks' tables; one without is looked up, so a
    # forged refs row naming nothing is not taken for a node.
    if labels[begin] is None or (not steps.get(begin) and not graph_rows.node_exists(store.db, *begin.split(":", 1))):
        raise _damaged(store, f"ref {key!r} names no run or version of this store")
    # Breadth first from the start, a level at a time: depth is the edge count of a shortest
    # path, and nodes come by depth, then key ('run:...' before 'version:...'). With a depth
    # limit, a neighbour not in labels lies past it; without one every neighbour was reached.
    nodes = []
    seen, level, depth = {begin}, [begin], 0
    empty: list[str] = []
    while level:
        level.sort()
        reached = []
        for node in level:
            kind, _, id = node.partition(":")
            nodes.append({"kind": kind, "id": id, "label": labels[node], "depth": depth})
            for after in steps.get(node, empty):
                if after not in seen and (not limited or after in labels):
                    seen.add(after)
                    reached.append(after)
        level = reached
        depth += 1
    # Edges point the way data flows: the upstream walk follows them backwards.
    if direction == "ancestry":
        pairs = [(target, source) for source, target in pairs]
    pairs.sort()
    edges = [{"kind": "produced" if s[0] == "r" else "consumed", "source": s, "target": t} for s, t in pairs]
    return Subgraph(store, begin, direction, nodes, edges)


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
