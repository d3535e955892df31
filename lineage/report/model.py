"""What a report shows, read from a store in a few bulk queries.

Runs and versions with their attributes come from the exploded graph (``store.graph``,
the graph contract); files, metric history and run files from their tables, each in one
query, so a store of 10,000 versions costs a handful of statements, not one per page.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

# Above this many nodes the exploded graph is not drawn whole unless asked (--full):
# Graphviz takes seconds per thousand nodes and nobody reads a larger picture anyway.
MAX_NODES = 500

_SAFE_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")


def slug(key: object) -> str:
    """A file name for a run id or version id: itself when safe, else a digest of it."""
    text = str(key)
    if _SAFE_RE.fullmatch(text):
        return text
    return "x" + hashlib.sha1(text.encode()).hexdigest()[:16]


@dataclass
class ArtifactEntry:
    """An artifact and the graph keys of its versions, v0 first."""

    id: int
    project: str
    name: str
    type: str
    created_at: str
    versions: list[str] = field(default_factory=list)


@dataclass
class ReportData:
    """Everything the pages are made from."""

    store_dir: str
    graph: Any  # networkx.DiGraph, exploded
    types: Any  # networkx.DiGraph, W&B's type view
    artifacts: list[ArtifactEntry]
    files: dict[int, list[tuple[str, int, str]]]
    history: dict[str, list[tuple[int, str, float | None, str | None]]]
    run_files: dict[str, list[tuple[str, int, str]]]
    links: dict[int, list[str]] = field(default_factory=dict)  # version id -> registry links with aliases

    def runs(self) -> list[str]:
        """Run keys, oldest first."""
        keys = [k for k, a in self.graph.nodes(data=True) if a["kind"] == "run"]
        return sorted(keys, key=lambda k: (self.graph.nodes[k]["started_at"] or "", k))

    def versions(self) -> list[str]:
        return [k for k, a in self.graph.nodes(data=True) if a["kind"] == "version"]

    def producers(self, key: str) -> list[str]:
        return sorted(self.graph.predecessors(key), key=self._run_order)

    def consumers(self, key: str) -> list[str]:
        return sorted(self.graph.successors(key), key=self._run_order)

    def inputs(self, run_key: str) -> list[str]:
        return sorted(self.graph.predecessors(run_key), key=self._version_order)

    def outputs(self, run_key: str) -> list[str]:
        return sorted(self.graph.successors(run_key), key=self._version_order)

    def _run_order(self, key: str) -> tuple:
        return (self.graph.nodes[key].get("started_at") or "", key)

    def _version_order(self, key: str) -> tuple:
        a = self.graph.nodes[key]
        return (a["type"], a["name"], int(a["version"][1:]))


def load(store) -> ReportData:
    """Read a store's runs, versions, edges, files, history and run files."""
    contents = store.contents()
    graph, types = store.graph(explode=True), store.graph(explode=False)
    artifacts = {
        (project, name): ArtifactEntry(id, project, name, type_, created)
        for id, project, name, type_, created in contents.artifacts
    }
    for key, a in graph.nodes(data=True):
        if a["kind"] == "version":
            artifacts[(a["project"], a["name"])].versions.append(key)
    for entry in artifacts.values():
        entry.versions.sort(key=lambda k: int(graph.nodes[k]["version"][1:]))
    files: dict[int, list] = defaultdict(list)
    for version_id, path, size, sha256 in contents.files:
        files[version_id].append((path, size, sha256))
    history: dict[str, list] = defaultdict(list)
    for run_id, step, key, value, data in contents.history:
        history[run_id].append((step, key, value, data))
    run_files: dict[str, list] = defaultdict(list)
    for run_id, path, size, sha256 in contents.run_files:
        run_files[run_id].append((path, size, sha256))
    links: dict[int, list[str]] = defaultdict(list)
    for link in store.links():
        links[link.version_id].append(link.label)
    return ReportData(store.location, graph, types, list(artifacts.values()), files, history, run_files, dict(links))


@dataclass
class Selection:
    """The part of the exploded graph to draw, and why."""

    nodes: list[str]
    focus: str | None
    caption: str


def select(store, data: ReportData, ref: str | None, full: bool) -> Selection:
    """What the exploded view draws: the whole store, or one node's ancestry and impact.

    With a ``ref`` it is that ref's lineage; without one, a store over MAX_NODES nodes
    shows the lineage of its newest version unless ``full``. Lineage over MAX_NODES is
    cut to the nodes nearest the focus unless ``full``.
    """
    graph = data.graph
    total = graph.number_of_nodes()
    if ref is None:
        if full or total <= MAX_NODES:
            return Selection(list(graph.nodes), None, f"the whole store: {total} nodes")
        ref = _newest_ref(graph)
        if ref is None:
            return Selection(list(graph.nodes)[:MAX_NODES], None, f"the first {MAX_NODES} of {total} nodes")
    focus, depths = lineage_depths(store, ref)
    label = graph.nodes[focus]["label"]
    nodes = sorted(depths, key=lambda k: (depths[k], graph.nodes[k]["label"], k))
    caption = f"ancestry and impact of {label}: {len(nodes)} of {total} nodes"
    if not full and len(nodes) > MAX_NODES:
        nodes = nodes[:MAX_NODES]
        caption = (
            f"the {MAX_NODES} nodes nearest {label} in its ancestry and impact "
            f"({len(depths)} nodes, {total} in the store; 'lineage report --full' draws them all)"
        )
    return Selection(nodes, focus, caption)


def _newest_ref(graph) -> str | None:
    newest = None
    for _, a in graph.nodes(data=True):
        if a["kind"] != "version" or a["deleted"]:
            continue
        if newest is None or (a["created_at"], a["id"]) > (newest["created_at"], newest["id"]):
            newest = a
    if newest is not None:
        return f"{newest['project']}/{newest['ref']}"
    runs = [a for _, a in graph.nodes(data=True) if a["kind"] == "run"]
    return f"run:{max(runs, key=lambda a: a['started_at'])['id']}" if runs else None


def lineage_depths(store, ref: str) -> tuple[str, dict[str, int]]:
    """The node ``ref`` names, and node key -> edges from it over its ancestry and impact (SQL)."""
    out: dict[str, int] = {}
    ancestry, impact = store.ancestry(ref), store.impact(ref)
    for sub in (ancestry, impact):
        for node in sub.nodes:
            key = f"{node['kind']}:{node['id']}"
            out[key] = min(node["depth"], out.get(key, node["depth"]))
    return ancestry.start, out
