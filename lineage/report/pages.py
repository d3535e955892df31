"""The report's pages: the index, one per artifact, one per run, one per version."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable

from ..formats import job_label
from . import charts
from .html import (
    anchor,
    artifact_href,
    e,
    fmt_duration,
    fmt_size,
    fmt_time,
    fmt_value,
    kv_table,
    page,
    run_href,
    state_badge,
    table,
    version_href,
)
from .model import ArtifactEntry, ReportData

SUMMARY_KEYS_ON_INDEX = 3
IMAGES_PER_KEY = 12
TABLE_ROWS = 200


def run_link(data: ReportData, key: str, root: str) -> str:
    a = data.graph.nodes[key]
    return f'<a href="{run_href(a["id"], root)}">{e(a["label"])}</a>'


def version_link(data: ReportData, key: str, root: str, label: bool = True) -> str:
    a = data.graph.nodes[key]
    text = a["label"] if label else a["version"]
    cls = ' class="deleted"' if a["deleted"] else ""
    return f'<a{cls} href="{version_href(a["id"], root)}">{e(text)}</a>'


def _key_summary(summary: dict) -> str:
    shown = [
        (k, v)
        for k, v in sorted(summary.items())
        if not k.startswith("_") and isinstance(v, (int, float)) and not isinstance(v, bool)
    ]
    return " ".join(
        f'<span class="metric">{e(k)} <b>{e(fmt_value(v))}</b></span>' for k, v in shown[:SUMMARY_KEYS_ON_INDEX]
    )


def index_page(data: ReportData) -> str:
    """Runs by job type and artifacts by type, each linking to its page."""
    g = data.graph
    runs = data.runs()
    runs_by_job: dict[str, list[str]] = defaultdict(list)
    for key in runs:
        # a run without a job type is labelled "run" in the graphs (run_labels); grouped the same here
        runs_by_job[job_label(g.nodes[key]["job_type"])].append(key)
    parts = [
        "<h1>Runs and artifacts</h1>",
        f'<p class="meta">store <code>{e(data.store_dir)}</code> · {len(runs)} runs · '
        f"{len(data.artifacts)} artifacts · {len(data.versions())} versions · "
        '<a href="graph.html">graph view</a></p>',
        "<h2>Runs</h2>",
    ]
    if not runs_by_job:
        parts.append('<p class="empty">No runs yet.</p>')
    for job_type in sorted(runs_by_job):
        keys = runs_by_job[job_type]
        rows = [
            [
                run_link(data, k, ""),
                state_badge(g.nodes[k]["state"]),
                e(fmt_time(g.nodes[k]["started_at"])),
                e(fmt_duration(g.nodes[k]["started_at"], g.nodes[k]["ended_at"])),
                _key_summary(g.nodes[k]["summary"]),
            ]
            for k in keys
        ]
        title = e(job_type)
        parts.append(
            f'<h3 id="{anchor("job", job_type)}">{title} <span class="count">{len(keys)}</span></h3>'
            + table(["run", "state", "started", "duration", "summary"], rows, "")
        )
    parts.append("<h2>Artifacts</h2>")
    if not data.artifacts:
        parts.append('<p class="empty">No artifacts yet.</p>')
    by_type: dict[str, list[ArtifactEntry]] = defaultdict(list)
    for art in data.artifacts:
        by_type[art.type].append(art)
    for type_ in sorted(by_type):
        rows = [_artifact_row(data, art) for art in by_type[type_]]
        parts.append(
            f'<h3 id="{anchor("type", type_)}">{e(type_)} <span class="count">{len(by_type[type_])}</span></h3>'
            + table(["artifact", "project", "versions", "aliases"], rows, "")
        )
    return page("Runs and artifacts", "", "\n".join(parts))


def _artifact_row(data: ReportData, art: ArtifactEntry) -> list[str]:
    aliases = []
    for key in art.versions:
        a = data.graph.nodes[key]
        for alias in a["aliases"]:
            aliases.append(f'<a class="alias" href="{version_href(a["id"], "")}">{e(alias)}: {e(a["version"])}</a>')
    return [
        f'<a href="{artifact_href(art.id, "")}">{e(art.name)}</a>',
        e(art.project),
        str(len(art.versions)),
        " ".join(aliases),
    ]


def artifact_page(data: ReportData, art: ArtifactEntry) -> str:
    """Every version of one artifact, newest first."""
    g = data.graph
    rows = []
    for key in reversed(art.versions):
        a = g.nodes[key]
        producers = data.producers(key)
        rows.append(
            [
                version_link(data, key, "../", label=False) + (' <span class="tag">deleted</span>' * a["deleted"]),
                " ".join(f'<span class="alias">{e(x)}</span>' for x in a["aliases"]),
                e(fmt_time(a["created_at"])),
                e(fmt_size(a["size"])),
                str(a["file_count"]),
                run_link(data, producers[0], "../") if producers else "",
            ]
        )
    body = (
        f'<h1><span class="kind">{e(art.type)}</span> {e(art.name)}</h1>'
        f'<p class="meta">project {e(art.project)} · created {e(fmt_time(art.created_at))}</p>'
        "<h2>Versions</h2>" + table(["version", "aliases", "created", "size", "files", "logged by"], rows, "")
    )
    return page(art.name, "../", body)


def run_page(
    data: ReportData,
    key: str,
    chart: str | None,
    media: Callable[[str], str | None],
    blob: Callable[[str], bytes | None] | None = None,
) -> str:
    """A run: config, summary, charts of its metric history, images, files, inputs and outputs.

    ``chart`` is the SVG of its metric history (``charts.history_svg``); ``media(sha256)``
    copies a blob into the report and returns its path from the report root (None when
    the blob is gone); ``blob(sha256)`` reads a kept file (tables logged as W&B's table files).
    """
    a = data.graph.nodes[key]
    history = data.history.get(a["id"], [])
    parts = [
        f'<h1><span class="kind">{e(job_label(a["job_type"]))}</span> {e(a["name"])} {state_badge(a["state"])}</h1>',
        f'<p class="meta">id <code>{e(a["id"])}</code> · project {e(a["project"])} · started '
        f"{e(fmt_time(a['started_at']))}"
        + (
            f" · ended {e(fmt_time(a['ended_at']))} ({e(fmt_duration(a['started_at'], a['ended_at']))})"
            if a["ended_at"]
            else ""
        )
        + "</p>",
    ]
    if a.get("error"):
        parts.append(f'<p class="error">{e(a["error"])}</p>')
    parts.append('<div class="columns"><section><h2>Config</h2>' + kv_table(a["config"], "No config."))
    parts.append("</section><section><h2>Summary</h2>" + kv_table(a["summary"], "No summary.") + "</section></div>")
    parts.append("<h2>Charts</h2>")
    if chart:
        more = len({k for _, k, v, _ in history if v is not None}) - charts.MAX_PANELS
        parts.append(f'<figure class="chart">{chart}<figcaption>x axis: step</figcaption></figure>')
        if more > 0:
            parts.append(f'<p class="empty">{more} more metrics are not charted.</p>')
    else:
        parts.append('<p class="empty">No metric history.</p>')
    parts.append("<h2>Images</h2>" + _images(history, a["summary"], media))
    tables = _tables(history, a["summary"], blob)
    if tables:
        parts.append("<h2>Tables</h2>" + tables)
    files = data.run_files.get(a["id"], [])
    rows = [[f"<code>{e(p)}</code>", e(fmt_size(s)), f'<code class="digest">{e(d)}</code>'] for p, s, d in files]
    parts.append("<h2>Files</h2>" + table(["path", "size", "sha256"], rows, "No files saved."))
    parts.append('<div class="columns"><section><h2>Input artifacts</h2>' + _version_list(data, data.inputs(key)))
    parts.append("</section><section><h2>Output artifacts</h2>" + _version_list(data, data.outputs(key)))
    parts.append("</section></div>")
    return page(a["label"], "../", "\n".join(parts))


def _version_list(data: ReportData, keys: list[str]) -> str:
    if not keys:
        return '<p class="empty">None.</p>'
    items = "".join(
        f"<li>{version_link(data, k, '../')}"
        + "".join(f' <span class="alias">{e(x)}</span>' for x in data.graph.nodes[k]["aliases"])
        + "</li>"
        for k in keys
    )
    return f'<ul class="links">{items}</ul>'


def image_items(value: object) -> list[dict] | None:
    """The images a logged value refers to: one ``{"_type": "image", ...}`` or ``{"_type": "images", "items"}``."""
    if not isinstance(value, dict):
        return None
    if value.get("_type") == "image":
        return [value]
    if value.get("_type") == "images":
        return list(value.get("items", []))
    return None


def _images(history: list, summary: dict, media: Callable[[str], str | None]) -> str:
    """Logged images by key, newest step first (then summary images not in the history)."""
    by_key: dict[str, list[tuple[object, list]]] = defaultdict(list)
    for step, key, _value, raw in history:
        items = image_items(json.loads(raw) if raw and raw.startswith("{") else None)
        if items is not None:
            by_key[key].append((step, items))
    for key, value in summary.items():
        items = image_items(value)
        if key not in by_key and items is not None:
            by_key[key].append(("summary", items))
    if not by_key:
        return '<p class="empty">No images.</p>'
    out = []
    for key in sorted(by_key):
        steps = by_key[key][::-1][:IMAGES_PER_KEY]
        figures = []
        for step, items in steps:
            for item in items:
                src = media(item.get("sha256", ""))
                caption = item.get("caption") or ""
                label = f"step {step}" if step != "summary" else "summary"
                if src is None:
                    figures.append(
                        f'<figure class="missing"><figcaption>{e(item.get("path"))}: blob missing</figcaption></figure>'
                    )
                    continue
                figures.append(
                    f'<figure><img src="../{e(src)}" alt="{e(caption or key)}" loading="lazy">'
                    f'<figcaption>{e(caption)} <span class="step">{e(label)}</span></figcaption></figure>'
                )
        out.append(f'<h3>{e(key)}</h3><div class="images">{"".join(figures)}</div>')
    return "".join(out)


def _tables(history: list, summary: dict, blob: Callable[[str], bytes | None] | None = None) -> str:
    """Logged tables (``{"_type": "table", "columns", "data"}``, or a W&B table file), the last per key."""

    def as_table(value: object) -> dict | None:
        if not isinstance(value, dict):
            return None
        if value.get("_type") == "table":
            return value
        if value.get("_type") == "table-file" and blob is not None:
            body = blob(str(value.get("sha256", "")))
            try:
                loaded = json.loads(body) if body is not None else None
            except ValueError:
                return None
            return loaded if isinstance(loaded, dict) and loaded.get("_type") == "table" else None
        return None

    latest: dict[str, dict] = {}
    for _step, key, _value, raw in history:
        if raw and '"table' in raw:
            found = as_table(json.loads(raw))
            if found is not None:
                latest[key] = found
    for key, value in summary.items():
        found = as_table(value) if key not in latest else None
        if found is not None:
            latest[key] = found
    out = []
    for key in sorted(latest):
        columns = [e(c) for c in latest[key].get("columns", [])]
        data = latest[key].get("data", [])
        rows = [[e(fmt_value(cell)) for cell in row] for row in data[:TABLE_ROWS]]
        more = f'<p class="empty">{len(data) - TABLE_ROWS} more rows.</p>' if len(data) > TABLE_ROWS else ""
        out.append(f"<h3>{e(key)}</h3>" + table(columns, rows, "Empty table.") + more)
    return "".join(out)


def version_page(data: ReportData, key: str, artifact: ArtifactEntry) -> str:
    """A version: metadata, description, files with sizes and digests, aliases, who logged and used it."""
    a = data.graph.nodes[key]
    producers = data.producers(key)
    consumers = data.consumers(key)
    parts = [
        f'<h1><span class="kind">{e(a["type"])}</span> {e(a["name"])}:{e(a["version"])}'
        + "".join(f' <span class="alias">{e(x)}</span>' for x in a["aliases"])
        + (' <span class="tag">deleted</span>' if a["deleted"] else "")
        + "</h1>",
        f'<p class="meta">project {e(a["project"])} · <a href="{artifact_href(artifact.id, "../")}">all '
        f"{len(artifact.versions)} versions of {e(a['name'])}</a> · created {e(fmt_time(a['created_at']))}</p>",
        '<table class="kv">'
        f"<tr><th>label</th><td><code>{e(a['label'])}</code></td></tr>"
        f'<tr><th>digest</th><td><code class="digest">{e(a["digest"])}</code></td></tr>'
        f"<tr><th>size</th><td>{e(fmt_size(a['size']))} in {a['file_count']} files</td></tr>"
        + "".join(f"<tr><th>linked</th><td><code>{e(x)}</code></td></tr>" for x in data.links.get(a["id"], []))
        + "</table>",
        "<h2>Description</h2>"
        + (f'<p class="description">{e(a["description"])}</p>' if a["description"] else '<p class="empty">None.</p>'),
        "<h2>Metadata</h2>" + kv_table(a["metadata"], "No metadata."),
        '<div class="columns"><section><h2>Logged by</h2>' + _run_list(data, producers),
        "</section><section><h2>Used by</h2>" + _run_list(data, consumers) + "</section></div>",
    ]
    files = data.files.get(a["id"], [])
    rows = [[f"<code>{e(p)}</code>", e(fmt_size(s)), f'<code class="digest">{e(d)}</code>'] for p, s, d in files]
    parts.append("<h2>Files</h2>" + table(["path", "size", "sha256"], rows, "No files."))
    return page(a["label"], "../", "\n".join(parts))


def _run_list(data: ReportData, keys: list[str]) -> str:
    if not keys:
        return '<p class="empty">None.</p>'
    items = "".join(f"<li>{run_link(data, k, '../')} {state_badge(data.graph.nodes[k]['state'])}</li>" for k in keys)
    return f'<ul class="links">{items}</ul>'
