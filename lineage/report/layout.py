"""Graph layout: the report's DOT (from :mod:`lineage.render`) laid out by Graphviz as inline SVG.

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

from ..errors import LineageError


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
