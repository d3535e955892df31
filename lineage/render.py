"""The one graph renderer: text for people; dot, mermaid, JSON and GraphML for programs;
and the styled, linked DOT the HTML report lays out as SVG (:func:`styled_dot`).

Every format renders one small model, :class:`GraphView` (node keys with attribute
dicts, and edges), built from a query ``Subgraph`` or a ``networkx.DiGraph``; so the
text, dot and mermaid forms of ``lineage ancestry`` never import networkx.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .formats import plain_json
from .graphs import node_key

FORMATS = ("text", "dot", "mermaid", "json", "graphml")


@dataclass
class GraphView:
    """Nodes (key -> attributes, in order) and edges (source key, target key, attributes)."""

    nodes: dict[str, dict[str, Any]] = field(default_factory=dict)
    edges: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    root: str | None = None  # the node a subgraph was asked about
    upstream: bool = True  # ancestry walks edges backwards, impact forwards

    def label(self, key: str) -> str:
        return str(self.nodes.get(key, {}).get("label", key))


def _edge_triple(edge: Any) -> tuple[str, str, dict[str, Any]]:
    """One edge of a Subgraph as (source key, target key, attributes).

    Accepts the shapes the query layer may hand over: dicts with source/target keys (or
    src_kind/src_id/dst_kind/dst_id as in the ``edges`` view) and tuples.
    """
    if isinstance(edge, dict):
        attrs = dict(edge)
        for src, dst in (("source", "target"), ("src", "dst"), ("from", "to")):
            if src in attrs and dst in attrs:
                return str(attrs.pop(src)), str(attrs.pop(dst)), attrs
        if "src_kind" in attrs:
            src = node_key(attrs.pop("src_kind"), attrs.pop("src_id"))
            dst = node_key(attrs.pop("dst_kind"), attrs.pop("dst_id"))
            return src, dst, attrs
        raise ValueError(f"cannot read edge {edge!r}")
    if hasattr(edge, "_asdict"):
        return _edge_triple(edge._asdict())
    items = tuple(edge)
    if len(items) == 2:
        return str(items[0]), str(items[1]), {}
    if len(items) == 3 and isinstance(items[2], dict):
        return str(items[0]), str(items[1]), dict(items[2])
    if len(items) == 3:
        return str(items[0]), str(items[1]), {"kind": items[2]}
    raise ValueError(f"cannot read edge {edge!r}")


def from_subgraph(sub: Any, upstream: bool, full: bool = False) -> GraphView:
    """The view of an ancestry (``upstream``) or impact subgraph.

    ``full`` takes every node attribute from ``sub.to_networkx()`` (for JSON and GraphML,
    where programs want metadata, config and summary); otherwise only kind, id, label and
    depth, which needs no networkx.
    """
    view = GraphView(upstream=upstream)
    for node in sub.nodes:
        node = dict(node)
        key = node_key(node["kind"], node["id"])
        view.nodes[key] = node
        if node.get("depth") == 0 and view.root is None:
            view.root = key
    if full:
        graph = sub.to_networkx()
        for key, attrs in graph.nodes(data=True):
            view.nodes.setdefault(key, {}).update({k: v for k, v in attrs.items() if k != "depth"})
        view.edges = [(str(s), str(t), dict(a)) for s, t, a in graph.edges(data=True)]
    else:
        view.edges = [_edge_triple(e) for e in sub.edges]
    return view


def from_networkx(graph: Any) -> GraphView:
    """The view of a ``networkx.DiGraph`` (``store.graph()``)."""
    view = GraphView()
    view.nodes = {str(k): dict(a) for k, a in graph.nodes(data=True)}
    view.edges = [(str(s), str(t), dict(a)) for s, t, a in graph.edges(data=True)]
    return view


def render(view: GraphView, fmt: str, tree: bool) -> str:
    """The view in ``fmt``; ``text`` is a tree from the root when ``tree``, else an edge list."""
    if fmt == "text":
        return text_tree(view) if tree and view.root is not None else edge_list(view)
    return {"dot": to_dot, "mermaid": to_mermaid, "json": to_json, "graphml": to_graphml}[fmt](view)


# -- text ---------------------------------------------------------------------------------
def _node_text(view: GraphView, key: str) -> str:
    attrs = view.nodes.get(key, {})
    text = view.label(key)
    notes = []
    if attrs.get("kind") == "run" and attrs.get("state") not in (None, "finished"):
        notes.append(str(attrs["state"]))
    if attrs.get("deleted"):
        notes.append("deleted")
    aliases = attrs.get("aliases")
    if isinstance(aliases, str):
        aliases = [a for a in aliases.split(",") if a]
    if aliases:
        notes.append(", ".join(aliases))
    return f"{text} [{'; '.join(notes)}]" if notes else text


def text_tree(view: GraphView) -> str:
    """An indented tree from the root, following edges upstream or downstream.

    A node reached a second time (a diamond, or a cycle) is printed once more, marked, and
    not expanded again, so the output stays as small as the subgraph.
    """
    root = view.root
    assert root is not None  # render() draws a tree only from a root
    children: dict[str, list[str]] = {key: [] for key in view.nodes}
    for src, dst, _ in view.edges:
        parent, child = (dst, src) if view.upstream else (src, dst)
        children.setdefault(parent, []).append(child)
    for key in children:
        children[key].sort(key=view.label)
    lines = [_node_text(view, root)]
    expanded = {root}
    # An explicit stack, not recursion: chains of warm-started models run hundreds deep.
    stack: list[tuple[str, str, bool]] = []

    def push(parent: str, prefix: str) -> None:
        kids = children.get(parent, [])
        for i, kid in reversed(list(enumerate(kids))):
            stack.append((kid, prefix, i == len(kids) - 1))

    push(root, "")
    while stack:
        key, prefix, last = stack.pop()
        branch, more = ("└── ", "    ") if last else ("├── ", "│   ")
        if key in expanded:
            lines.append(f"{prefix}{branch}{_node_text(view, key)} (see above)")
            continue
        expanded.add(key)
        lines.append(f"{prefix}{branch}{_node_text(view, key)}")
        push(key, prefix + more)
    return "\n".join(lines)


def edge_list(view: GraphView) -> str:
    """``source -> target  (kind, count)`` lines, then nodes that have no edge."""
    if not view.nodes:
        return "(empty graph)"
    rows = []
    for src, dst, attrs in view.edges:
        detail = ", ".join(str(attrs[k]) for k in ("kind", "count") if attrs.get(k) is not None)
        rows.append((view.label(src), view.label(dst), f"({detail})" if detail else ""))
    rows.sort()
    width = max((len(s) for s, _, _ in rows), default=0)
    width2 = max((len(d) for _, d, _ in rows), default=0)
    lines = [f"{s:<{width}} -> {d:<{width2}}  {detail}".rstrip() for s, d, detail in rows]
    linked = {s for s, _, _ in view.edges} | {d for _, d, _ in view.edges}
    lines += [f"{view.label(k)}  (no edges)" for k in sorted(view.nodes, key=view.label) if k not in linked]
    return "\n".join(lines)


# -- dot and mermaid ----------------------------------------------------------------------
FONT = "Helvetica,Arial,sans-serif"
RUN_STYLE = 'shape=box, style="rounded,filled", fillcolor="#e3ecfa", color="#3b6fc4"'
JOB_STYLE = 'shape=box, style="rounded,filled,bold", fillcolor="#e3ecfa", color="#3b6fc4"'
# Artifact types get a colour each, in order of first appearance (dataset, model, ...).
PALETTE = ["#fdebd3", "#dff3e4", "#f3e1f5", "#fff6c8", "#dcf1f7", "#f6dede"]
PALETTE_BORDER = ["#d9822b", "#2f9a55", "#9b4fb0", "#b39b12", "#2a8fa8", "#c04848"]


@dataclass
class DotNode:
    """One node to draw: ``key`` is its graph key (``run:ab12cd34``, ``type:dataset``)."""

    key: str
    label: str
    kind: str  # run | version | job_type | artifact_type
    href: str
    tooltip: str = ""
    group: str = ""  # the artifact type, for its colour
    deleted: bool = False
    focus: bool = False


@dataclass
class DotGraph:
    """Nodes and edges to lay out; edges are (source key, target key, kind, tooltip)."""

    name: str
    nodes: list[DotNode] = field(default_factory=list)
    edges: list[tuple[str, str, str, str]] = field(default_factory=list)


def dot_quote(text: str, line_breaks: bool = False) -> str:
    """A DOT double-quoted string, backslashes kept literal (so ``\\n`` in a name is no line break).

    A newline in ``text`` becomes a space, or with ``line_breaks`` DOT's ``\\n`` line break.
    """
    newline = "\\n" if line_breaks else " "
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", newline) + '"'


def styled_dot(graph: DotGraph, types: list[str]) -> str:
    """The report's DOT source of a graph: left to right as in W&B, every node a link to its page.

    ``types`` are the store's artifact types: each gets the same colour in every graph.
    """
    colours = {t: i for i, t in enumerate(types)}
    lines = [
        f"digraph {dot_quote(graph.name)} {{",
        f'  graph [id={dot_quote(graph.name)}, rankdir=LR, bgcolor="transparent", nodesep=0.18, ranksep=0.45, '
        f'fontname="{FONT}"];',
        f'  node [fontname="{FONT}", fontsize=11, height=0.3, margin="0.12,0.05"];',
        '  edge [color="#7a869a", arrowsize=0.6];',
    ]
    for node in graph.nodes:
        if node.kind in ("run", "job_type"):
            style = RUN_STYLE if node.kind == "run" else JOB_STYLE
        else:
            i = colours.get(node.group, 0) % len(PALETTE)
            style = f'shape=box, style="filled", fillcolor="{PALETTE[i]}", color="{PALETTE_BORDER[i]}"'
        if node.deleted:
            style += ', style="filled,dashed", fontcolor="#777777"'
        if node.focus:
            style += ", penwidth=3"
        css_class = node.kind + (" focus" if node.focus else "")
        lines.append(
            f"  {dot_quote(node.key)} [id={dot_quote(node.key)}, class={dot_quote(css_class)}, "
            f"label={dot_quote(node.label)}, "
            f"URL={dot_quote(node.href)}, tooltip={dot_quote(node.tooltip or node.label)}, {style}];"
        )
    for src, dst, kind, tooltip in graph.edges:
        edge_id = f"{src}->{dst}"
        lines.append(
            f"  {dot_quote(src)} -> {dot_quote(dst)} [id={dot_quote(edge_id)}, class={dot_quote(kind)}, "
            f"tooltip={dot_quote(tooltip or kind)}];"
        )
    lines.append("}")
    return "\n".join(lines) + "\n"


def _is_process(attrs: dict[str, Any]) -> bool:
    return attrs.get("kind") in ("run", "job_type")


def to_dot(view: GraphView) -> str:
    """Graphviz: runs and job types as rounded boxes, versions and artifact types as boxes."""
    lines = ["digraph lineage {", "  rankdir=LR;", '  node [shape=box, fontname="Helvetica"];']
    for key, attrs in view.nodes.items():
        style = ', style="rounded,filled", fillcolor="#e8f0fe"' if _is_process(attrs) else ""
        if attrs.get("deleted"):
            style += ', color="gray", fontcolor="gray"'
        lines.append(f"  {dot_quote(key, True)} [label={dot_quote(view.label(key), True)}{style}];")
    for src, dst, attrs in view.edges:
        label = str(attrs.get("kind", ""))
        if attrs.get("count") is not None:
            label += f" ({attrs['count']})"
        extra = f" [label={dot_quote(label, True)}]" if label else ""
        lines.append(f"  {dot_quote(src, True)} -> {dot_quote(dst, True)}{extra};")
    lines.append("}")
    return "\n".join(lines)


def _mermaid_text(text: str) -> str:
    return text.replace('"', "#quot;")


def to_mermaid(view: GraphView) -> str:
    """A mermaid flowchart: runs and job types rounded, versions and artifact types square."""
    ids = {key: f"n{i}" for i, key in enumerate(view.nodes)}
    lines = ["flowchart LR"]
    for key, attrs in view.nodes.items():
        label = _mermaid_text(view.label(key))
        lines.append(f'  {ids[key]}("{label}")' if _is_process(attrs) else f'  {ids[key]}["{label}"]')
    for src, dst, attrs in view.edges:
        for key in (src, dst):
            if key not in ids:  # an edge to a node the view does not describe: still drawn
                ids[key] = f"n{len(ids)}"
                lines.append(f'  {ids[key]}["{_mermaid_text(key)}"]')
        kind = attrs.get("kind")
        arrow = f"-->|{_mermaid_text(str(kind))}|" if kind else "-->"
        lines.append(f"  {ids[src]} {arrow} {ids[dst]}")
    return "\n".join(lines)


# -- json and graphml ---------------------------------------------------------------------
def to_json(view: GraphView) -> str:
    """networkx's node-link form: ``node_link_graph(data, edges="edges")`` reads it back."""
    data = {
        "directed": True,
        "multigraph": False,
        "graph": {"root": view.root} if view.root else {},
        # "id" is the node key here (as node-link requires); the contract's id is part of it.
        "nodes": [{**attrs, "id": key} for key, attrs in view.nodes.items()],
        "edges": [{"source": s, "target": t, **attrs} for s, t, attrs in view.edges],
    }
    return json.dumps(plain_json(data), indent=2, ensure_ascii=False, allow_nan=False)


def _graphml_type(values: Iterable[Any]) -> str:
    kinds = {type(v) for v in values if v is not None}
    if kinds == {bool}:
        return "boolean"
    if kinds == {int}:
        return "long"
    if kinds and kinds <= {int, float}:
        return "double"
    return "string"


def _graphml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list | tuple):
        return json.dumps(plain_json(value), ensure_ascii=False, allow_nan=False)
    return str(value)


def to_graphml(view: GraphView) -> str:
    """GraphML (Gephi, yEd, ``networkx.read_graphml``); dicts and lists are JSON text."""
    import xml.etree.ElementTree as ET

    root = ET.Element("graphml", xmlns="http://graphml.graphdrawing.org/xmlns")
    keys: dict[tuple[str, str], str] = {}
    for domain, items in (("node", list(view.nodes.values())), ("edge", [a for _, _, a in view.edges])):
        names = sorted({name for attrs in items for name in attrs})
        for name in names:
            key_id = f"d{len(keys)}"
            keys[(domain, name)] = key_id
            kind = _graphml_type(attrs.get(name) for attrs in items)
            ET.SubElement(root, "key", {"id": key_id, "for": domain, "attr.name": name, "attr.type": kind})
    graph = ET.SubElement(root, "graph", edgedefault="directed")
    for key, attrs in view.nodes.items():
        node = ET.SubElement(graph, "node", id=key)
        for name, value in attrs.items():
            if value is not None:
                ET.SubElement(node, "data", key=keys[("node", name)]).text = _graphml_value(value)
    for src, dst, attrs in view.edges:
        edge = ET.SubElement(graph, "edge", source=src, target=dst)
        for name, value in attrs.items():
            if value is not None:
                ET.SubElement(edge, "data", key=keys[("edge", name)]).text = _graphml_value(value)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")
