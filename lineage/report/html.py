"""Small HTML helpers shared by the report's pages: escaping, formatting, the page shell.

Every value from the store passes ``e()`` before it reaches a page. Links are relative
(``root`` is ``""`` for top-level pages and ``"../"`` for those in a subfolder), so the
folder can be moved or zipped and still works from ``file://``.
"""

from __future__ import annotations

import json
import math
from html import escape
from typing import Any

from ..formats import format_size, format_time
from .model import slug

GENERATOR = "lineage report"


def e(value: object) -> str:
    """Escape text for HTML content and attribute values."""
    return escape(str(value), quote=True)


def run_href(run_id: str, root: str) -> str:
    return f"{root}runs/{slug(run_id)}.html"


def version_href(version_id: int, root: str) -> str:
    return f"{root}versions/{slug(version_id)}.html"


def artifact_href(artifact_id: int, root: str) -> str:
    return f"{root}artifacts/{slug(artifact_id)}.html"


def anchor(kind: str, label: object) -> str:
    """The id of an index section, e.g. ``job-train`` or ``type-dataset`` (type-view nodes link there)."""
    return f"{kind}-{slug(label)}"


fmt_time = format_time  # the report's names for the one size and time rule (lineage/formats.py)
fmt_size = format_size


def fmt_duration(start: str | None, end: str | None) -> str:
    if not start or not end:
        return ""
    from datetime import datetime

    seconds = (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, seconds = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m {seconds:02d}s"


def fmt_value(value: Any) -> str:
    """A config/summary/metadata value as short text: numbers to 6 significant digits, rest as JSON."""
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, float):
        return str(value) if not math.isfinite(value) else f"{value:.6g}"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and value.get("_type") == "image":
        return "1 image"
    if isinstance(value, dict) and value.get("_type") == "table":
        return f"table of {len(value.get('data', []))} rows"
    if isinstance(value, dict) and value.get("_type") == "images":
        count = len(value.get("items", []))
        return f"{count} image{'s' * (count != 1)}"
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def kv_table(values: dict[str, Any], empty: str) -> str:
    """A two-column table of a dict (config, summary, metadata)."""
    if not values:
        return f'<p class="empty">{e(empty)}</p>'
    rows = "".join(
        f"<tr><th>{e(k)}</th><td><code>{e(fmt_value(v))}</code></td></tr>" for k, v in sorted(values.items())
    )
    return f'<table class="kv">{rows}</table>'


def table(headers: list[str], rows: list[list[str]], empty: str, cls: str = "") -> str:
    """A table whose cells are already HTML."""
    if not rows:
        return f'<p class="empty">{e(empty)}</p>'
    head = "".join(f"<th>{h}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def state_badge(state: str) -> str:
    return f'<span class="state {e(state)}">{e(state)}</span>'


def page(title: str, root: str, body: str, *, body_attrs: str = "") -> str:
    """A whole page: the shared stylesheet and script from ``assets/``, a header with the site's links."""
    return (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta name="generator" content="{GENERATOR}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{e(title)} · lineage</title>"
        f'<link rel="stylesheet" href="{root}assets/report.css">'
        f"</head><body{body_attrs}>"
        f'<header><a class="brand" href="{root}index.html">lineage</a>'
        f'<nav><a href="{root}index.html">Runs &amp; artifacts</a><a href="{root}graph.html">Graph</a></nav></header>'
        f"<main>{body}</main>"
        f'<script src="{root}assets/report.js"></script>'
        "</body></html>\n"
    )
