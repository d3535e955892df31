"""The graph page: W&B's type view, and the Explode toggle to one node per version and run."""

from __future__ import annotations

from ..render import DotGraph, DotNode, styled_dot
from .html import anchor, e, page, run_href, version_href
from .layout import render_svg
from .model import ReportData, Selection

FIT_NODES = 60


def type_view(data: ReportData, types: list[str]) -> str:
    """The type view as SVG: artifact types and job types, each linking to its index section."""
    t = data.types
    graph = DotGraph("graph-types")
    for key, a in sorted(t.nodes(data=True)):
        is_job = a["kind"] == "job_type"
        label = a["label"] if a["label"] is not None else "run"
        what = "run" if is_job else "version"
        count = a.get("count", 0)
        graph.nodes.append(
            DotNode(
                key=key,
                label=label,
                kind=a["kind"],
                href=f"index.html#{anchor('job' if is_job else 'type', label)}",
                tooltip=f"{label}: {count} {what}{'s' * (count != 1)}",
                group=label,
            )
        )
    for src, dst, a in sorted(t.edges(data=True)):
        graph.edges.append((src, dst, a["kind"], f"{a['kind']} x{a.get('count', 1)}"))
    return render_svg(styled_dot(graph, types))


def exploded_view(data: ReportData, selection: Selection, types: list[str]) -> str:
    """The instance view as SVG: the selected runs and versions, labelled per the graph contract."""
    g = data.graph
    chosen = set(selection.nodes)
    graph = DotGraph("graph-explode")
    for key in selection.nodes:
        a = g.nodes[key]
        if a["kind"] == "run":
            href = run_href(a["id"], "")
            tooltip = f"{a['label']} ({a['state']}, started {a['started_at'][:19]})"
            group = ""
        else:
            href = version_href(a["id"], "")
            aliases = ", ".join(a["aliases"])
            tooltip = f"{a['project']}/{a['ref']}" + (f" [{aliases}]" if aliases else "")
            group = a["type"]
        graph.nodes.append(
            DotNode(
                key=key,
                label=a["label"],
                kind=a["kind"],
                href=href,
                tooltip=tooltip,
                group=group,
                deleted=bool(a.get("deleted")),
                focus=key == selection.focus,
            )
        )
    for key in selection.nodes:
        for dst in g.successors(key):
            if dst in chosen:
                kind = g.edges[key, dst]["kind"]
                graph.edges.append((key, dst, kind, kind))
    return render_svg(styled_dot(graph, types))


def graph_page(data: ReportData, selection: Selection, ref: str | None) -> str:
    """The page; it opens on the type view, or on the exploded lineage of ``ref`` when given."""
    types = sorted({a["type"] for _, a in data.graph.nodes(data=True) if a["kind"] == "version"})
    if data.graph.number_of_nodes() == 0:
        body = '<h1>Graph</h1><p class="empty">Nothing logged yet: the graph is empty.</p>'
        return page("Graph", "", body)
    legend = "".join(
        f'<span class="swatch" style="background:{c}"></span>{e(t)} '
        for t, c in zip(types, _fills(len(types)), strict=True)
    )
    # A small graph is shrunk to the page width; a big one keeps its size and scrolls.
    fit = " fit" if len(selection.nodes) <= FIT_NODES else ""
    body = (
        "<h1>Graph</h1>"
        '<div class="toolbar"><button id="explode" type="button" aria-pressed="false">Explode</button>'
        '<span class="hint">Every node links to its page.</span>'
        f'<span class="legend"><span class="swatch run"></span>runs / job types {legend}</span></div>'
        '<section class="view" id="view-types">'
        '<p class="caption">Type view: artifact types and job types of the whole store.</p>'
        f'<div class="canvas fit">{type_view(data, types)}</div></section>'
        '<section class="view" id="view-explode" hidden>'
        f'<p class="caption">Exploded: {e(selection.caption)}.</p>'
        f'<div class="canvas{fit}">{exploded_view(data, selection, types)}</div></section>'
    )
    start = ' data-start="explode"' if ref is not None else ""
    return page("Graph", "", body, body_attrs=start)


def _fills(n: int) -> list[str]:
    from ..render import PALETTE

    return [PALETTE[i % len(PALETTE)] for i in range(n)]
