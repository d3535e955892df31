"""Metric history charts, drawn by matplotlib at report time as inline SVG.

One figure per run, one panel per numeric key (as W&B's run page shows them), x = step.
Text stays text (``svg.fonttype = none``) so the SVG is small and the browser's font
draws it; ids are salted per run so two charts on one page never share an id.
"""

from __future__ import annotations

import io
import math
import os
import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator

from .layout import clean_svg

MAX_PANELS = 12
# Below this many charts a pool of processes costs more to start than it saves.
POOL_FROM = 48
COLUMNS = 3
LINE = "#3b6fc4"


def numeric_series(rows: list[tuple[int, str, float | None, str | None]]) -> dict[str, tuple[list, list]]:
    """key -> (steps, values) for the numeric metrics of a run's history (NaN kept as gaps)."""
    from ..values import decode_metric

    out: dict[str, tuple[list, list]] = defaultdict(lambda: ([], []))
    for step, key, value, data in rows:
        if value is None:
            decoded = decode_metric(value, data)
            if not (isinstance(decoded, float) and math.isnan(decoded)):
                continue
            value = math.nan
        steps, values = out[key]
        steps.append(step)
        values.append(value)
    return dict(out)


def history_svg(salt: str, series: dict[str, tuple[list, list]]) -> str | None:
    """One SVG with a panel per metric (at most MAX_PANELS), or None when there is nothing to draw."""
    keys = sorted(series)[:MAX_PANELS]
    if not keys:
        return None
    with _LOCK:
        return _draw(salt, series, keys)


def _draw(salt: str, series: dict[str, tuple[list, list]], keys: list[str]) -> str:
    import matplotlib

    fig, axes, lines = _figure(len(keys))
    for ax, line, key in zip(axes, lines, keys, strict=False):
        steps, values = series[key]
        line.set_data(steps, values)
        line.set_marker("o" if len(steps) <= 20 else "None")
        ax.relim()
        ax.autoscale_view()
        # an explicit y spares matplotlib measuring every tick label to place the title
        ax.set_title(key, fontsize=10, loc="left", y=1.02)
    out = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": salt}):
        fig.savefig(out, format="svg", metadata={"Date": None})
    svg = clean_svg(out.getvalue())
    # matplotlib's global "*" rule would restyle every SVG on the page; its defaults suffice.
    return svg.replace('<style type="text/css">*{stroke-linejoin: round; stroke-linecap: butt}</style>', "")


def render_many(jobs: Iterable[tuple[str, dict[str, tuple[list, list]]]]) -> Iterator[str | None]:
    """``history_svg`` for each (salt, series), in order; on several cores, in a pool of processes.

    matplotlib draws a chart in about 0.1 s of one core, so a report of a thousand runs
    spends most of its time here. The pool forks (it never re-imports the caller's
    script), and only from a process with a single thread, where forking is safe.
    """
    import multiprocessing

    jobs = list(jobs)
    drawn = sum(1 for _, series in jobs if series)
    processes = workers()
    if drawn < POOL_FROM or processes < 2:
        yield from (history_svg(salt, series) for salt, series in jobs)
        return
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=processes, mp_context=multiprocessing.get_context("fork")) as pool:
        yield from pool.map(_render, jobs, chunksize=8)


def workers() -> int:
    """How many processes render_many may use: the usable cores (at most 8), or 1 where forking is unsafe."""
    import multiprocessing

    if "fork" not in multiprocessing.get_all_start_methods() or threading.active_count() > 1:
        return 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return min(cores, 8)


def _render(job: tuple[str, dict]) -> str | None:
    return history_svg(*job)


# Building a figure costs more than drawing it, and a report draws hundreds: one figure
# per panel count is kept and its lines are given each run's data.
_FIGURES: dict[int, tuple] = {}
_LOCK = threading.Lock()


def _figure(panels: int):
    if panels not in _FIGURES:
        import matplotlib
        from matplotlib.figure import Figure
        from matplotlib.ticker import MaxNLocator

        columns = min(COLUMNS, panels)
        rows = -(-panels // columns)
        height = 2.5 * rows
        with matplotlib.rc_context({"font.size": 9}):
            fig = Figure(figsize=(3.4 * columns, height))
            axes = fig.subplots(rows, columns, squeeze=False).ravel()
            lines = []
            for ax in axes[:panels]:
                (line,) = ax.plot([], [], color=LINE, linewidth=1.4, markersize=3)
                lines.append(line)
                # no axis label: measuring it costs a fifth of the drawing; the page says x is the step
                ax.xaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
                ax.yaxis.set_major_locator(MaxNLocator(nbins=4))
                ax.grid(True, color="#e5e5e5", linewidth=0.6)
                for side in ("top", "right"):
                    ax.spines[side].set_visible(False)
            for ax in axes[panels:]:
                ax.set_visible(False)
            fig.subplots_adjust(
                left=0.07, right=0.98, bottom=0.3 / height, top=1 - 0.35 / height, wspace=0.28, hspace=0.75
            )
        _FIGURES[panels] = (fig, axes[:panels], lines)
    return _FIGURES[panels]
