"""An offline HTML report of a store: runs, artifacts, versions and their lineage graph.

``write_report(store, "lineage-report")`` writes a static site that a browser opens from
``file://`` with no server and no network::

    lineage-report/
      index.html            runs by job type, artifacts by type
      graph.html            W&B's type view; Explode shows one node per version and run
      runs/<run id>.html    config, summary, metric charts, images, files, inputs, outputs
      versions/<id>.html    metadata, description, files, aliases, logged by, used by
      artifacts/<id>.html   every version of one artifact
      media/<sha256>.png    logged images, copied from the blob store
      assets/               the stylesheet and the script of the Explode toggle

Graphs are laid out by Graphviz (layout.py) and charts drawn by matplotlib (charts.py),
both inlined as SVG; no page references anything outside the folder.
"""

from __future__ import annotations

import os
import shutil
from importlib import resources
from pathlib import Path

from ..errors import InvalidArgumentError, LineageError
from . import charts, model
from .graph_view import graph_page
from .html import GENERATOR
from .pages import artifact_page, index_page, run_page, version_page

DEFAULT_DIR = "lineage-report"
# What write_report owns inside its folder: replaced on every run, nothing else touched.
MANAGED = ("index.html", "graph.html", "runs", "versions", "artifacts", "media", "assets")
# Written first into every report folder: only a folder holding it (or the index.html of a
# report from before the mark existed) is ever cleared. Names alone prove nothing: a
# user's own ``runs/`` folder looks just like ours.
MARK = ".lineage-report"
MARK_TEXT = "This folder was written by 'lineage report'; its pages are replaced on the next report.\n"


def write_report(store, out_dir: str | os.PathLike = DEFAULT_DIR, ref: str | None = None, full: bool = False) -> Path:
    """Write the report of ``store`` into ``out_dir``; returns the path of its ``index.html``.

    With ``ref`` (``name:alias``, ``name:vN`` or ``run:<name or id>``) the graph page opens
    on that ref's ancestry and impact. A store of more than ``model.MAX_NODES`` runs and
    versions is drawn around one node (``ref``, else the newest version) unless ``full``.
    ``out_dir`` must be missing, empty, or an earlier report (whose pages are replaced).

    >>> write_report(lineage.Store(), "lineage-report")   # doctest: +SKIP
    PosixPath('lineage-report/index.html')
    """
    out = Path(out_dir)
    data = model.load(store)
    selection = model.select(store, data, ref, full)  # a bad ref fails before anything is written
    _prepare(out)
    _copy_assets(out / "assets")
    for sub in ("runs", "versions", "artifacts", "media"):
        (out / sub).mkdir()

    # The blob store validates every digest before it becomes a path: a forged one is
    # a LineageError here, and the page shows no content for it.
    def blob(sha256: str) -> bytes | None:
        try:
            with store.blobs.open(sha256) as f:
                return f.read()
        except (LineageError, OSError):
            return None

    copied: set[str] = set()

    def media(sha256: str) -> str | None:
        name = f"media/{sha256}.png"
        if sha256 not in copied:
            try:
                store.blobs.copy_to(sha256, None, out / name)
            except (LineageError, OSError):
                return None
            copied.add(sha256)
        return name

    runs = [(key, data.graph.nodes[key]["id"]) for key in data.runs()]
    jobs = ((f"run-{run_id}", charts.numeric_series(data.history.get(run_id, []))) for _, run_id in runs)
    for (key, run_id), chart in zip(runs, charts.render_many(jobs), strict=True):
        _write(out / "runs" / f"{model.slug(run_id)}.html", run_page(data, key, chart, media, blob))
    for art in data.artifacts:
        _write(out / "artifacts" / f"{model.slug(art.id)}.html", artifact_page(data, art))
        for key in art.versions:
            version_id = data.graph.nodes[key]["id"]
            _write(out / "versions" / f"{model.slug(version_id)}.html", version_page(data, key, art))
    _write(out / "graph.html", graph_page(data, selection, ref))
    _write(out / "index.html", index_page(data))  # last: its presence marks a finished report
    return out / "index.html"


def _prepare(out: Path) -> None:
    """Clear an earlier report's pages; refuse a folder that holds anything else."""
    if out.exists() and not out.is_dir():
        raise InvalidArgumentError(f"{out} is a file: choose a folder for the report")
    if out.is_dir() and any(out.iterdir()):
        if not _is_report(out):
            raise InvalidArgumentError(f"{out} is not empty and holds no lineage report: choose another folder")
        for name in MANAGED:
            path = out / name
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            elif path.exists() or path.is_symlink():
                path.unlink()
    out.mkdir(parents=True, exist_ok=True)
    mark = out / MARK
    if not mark.is_file() or mark.is_symlink():
        mark.unlink(missing_ok=True)
        mark.write_text(MARK_TEXT, encoding="utf-8")


def _is_report(out: Path) -> bool:
    """True for a folder a report of ours wrote: it holds our mark, or an index.html of ours."""
    mark = out / MARK
    if mark.is_file() and not mark.is_symlink():
        return mark.read_text(encoding="utf-8", errors="replace") == MARK_TEXT
    index = out / "index.html"
    if not index.is_file() or index.is_symlink():
        return False
    with open(index, encoding="utf-8", errors="replace") as f:
        return f'content="{GENERATOR}"' in f.read(600)


def _copy_assets(dest: Path) -> None:
    dest.mkdir()
    for item in resources.files(__name__).joinpath("static").iterdir():
        if item.is_file():
            (dest / item.name).write_bytes(item.read_bytes())


def _write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


__all__ = ["DEFAULT_DIR", "write_report"]
