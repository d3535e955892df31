"""Graph layout: DOT text for lineage graphs, laid out by Graphviz as inline SVG.

Graphviz is the ``dot`` program when it is installed, else the Graphviz library bundled in
the ``pygraphviz`` wheel (so a fresh machine needs nothing but pip). The SVG is cleaned
for inlining in HTML5: no XML prolog, DOCTYPE, comments or namespace URLs, and plain
``href`` links, so a page references nothing on the network.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field

from ..errors import LineageError

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


def quote(text: str) -> str:
    """A DOT double-quoted string (backslashes kept literal, so ``\\n`` is no line break)."""
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def to_dot(graph: DotGraph, types: list[str]) -> str:
    """The DOT source of a graph: left to right as in W&B, every node a link to its page.

    ``types`` are the store's artifact types: each gets the same colour in every graph.
    """
    colours = {t: i for i, t in enumerate(types)}
    lines = [
        f"digraph {quote(graph.name)} {{",
        f'  graph [id={quote(graph.name)}, rankdir=LR, bgcolor="transparent", nodesep=0.18, ranksep=0.45, '
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
        lines.append(
            f"  {quote(node.key)} [id={quote(node.key)}, class={quote(node.kind + (' focus' if node.focus else ''))}, "
            f"label={quote(node.label)}, "
            f"URL={quote(node.href)}, tooltip={quote(node.tooltip or node.label)}, {style}];"
        )
    for src, dst, kind, tooltip in graph.edges:
        edge_id = f"{src}->{dst}"
        lines.append(
            f"  {quote(src)} -> {quote(dst)} [id={quote(edge_id)}, class={quote(kind)}, "
            f"tooltip={quote(tooltip or kind)}];"
        )
    lines.append("}")
    return "\n".join(lines) + "\n"


def render_svg(dot_source: str) -> str:
    """Lay out DOT source with Graphviz ``dot``; returns SVG cleaned for inlining in HTML."""
    program = shutil.which("dot")
    if program is not None:
        done = subprocess.run([program, "-Tsvg"], input=dot_source.encode(), capture_output=True, check=False)
        if done.returncode != 0:
            raise LineageError(f"graphviz 'dot' failed: {done.stderr.decode(errors='replace').strip()[:300]}")
        svg = done.stdout.decode("utf-8")
    else:
        svg = _render_with_pygraphviz(dot_source)
    return clean_svg(svg)


def _render_with_pygraphviz(dot_source: str) -> str:
    try:
        import pygraphviz
    except ImportError:
        raise LineageError(
            "no Graphviz: install the 'dot' program (apt-get install graphviz) or 'pip install pygraphviz'"
        ) from None
    graph = pygraphviz.AGraph(string=dot_source)
    with _quiet_fontconfig():
        return graph.draw(format="svg", prog="dot").decode("utf-8")


class _quiet_fontconfig:
    """Hide the bundled fontconfig's complaints about the system's newer config files.

    The library writes them to file descriptor 2 directly, so sys.stderr cannot catch
    them; anything else it writes there is passed on.
    """

    def __enter__(self):
        sys.stderr.flush()
        self._saved = os.dup(2)
        self._tmp = tempfile.TemporaryFile()
        os.dup2(self._tmp.fileno(), 2)
        return self

    def __exit__(self, *exc) -> None:
        os.dup2(self._saved, 2)
        os.close(self._saved)
        self._tmp.seek(0)
        text = self._tmp.read().decode(errors="replace")
        self._tmp.close()
        rest = [line for line in text.splitlines() if line.strip() and not line.startswith("Fontconfig warning")]
        if rest:
            print("\n".join(rest), file=sys.stderr)


_PROLOG_RE = re.compile(r"\A.*?(?=<svg\b)", re.S)
_COMMENT_RE = re.compile(r"<!--.*?-->", re.S)
_METADATA_RE = re.compile(r"<metadata>.*?</metadata>\s*", re.S)
_XMLNS_RE = re.compile(r'\s+xmlns(?::\w+)?="[^"]*"')
_XLINK_TITLE_RE = re.compile(r'\s+xlink:title="[^"]*"')


def clean_svg(svg: str) -> str:
    """SVG text ready to inline in HTML5: no prolog, DOCTYPE, comments, metadata or xmlns URLs."""
    svg = _PROLOG_RE.sub("", svg, count=1)
    svg = _COMMENT_RE.sub("", svg)
    svg = _METADATA_RE.sub("", svg)
    svg = _XMLNS_RE.sub("", svg)
    svg = _XLINK_TITLE_RE.sub("", svg)
    return svg.replace("xlink:href=", "href=").strip()
