"""Lineage query speed on pipeline-shaped stores of 10k, 100k and 1M versions.

    .venv/bin/python bench/query.py                      # 10k, 100k, 1M (about 3 minutes to build)
    .venv/bin/python bench/query.py --sizes 10000 --starts 50

For each size: build the store with bulk inserts (bench/pipeline_store.py), run ANALYZE
(as ``PRAGMA optimize`` may), pick 200 random versions, and time side by side, per start
the median of --repeat runs:
- plain: a recursive CTE over the edge indexes that returns node ids only (no depth,
  no labels): the floor any lineage query pays;
- queries/ancestry.sql and queries/impact.sql, unlimited and depth-limited: ids, labels
  and depths, as ``store.sql`` / the sqlite3 shell get them;
- store.ancestry / store.impact: the Python API, with the subgraph's edges.
Then ``lineage ancestry REF`` end to end in a subprocess. Figures are p50/p95 in ms;
the goals at 1M: ancestry p50 <= 1 ms, p95 <= 5 ms; impact p50 <= 1 ms, p95 <= 20 ms;
depth-limited p95 <= 2x unlimited; the CLI under 0.3 s.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import pipeline_store  # noqa: E402

import lineage  # noqa: E402
from lineage import query  # noqa: E402

# Reachable node ids only, the cheapest possible walk (for comparison, not shipped).
# Upstream, a version's producers and a run's inputs; downstream, consumers and outputs.
PLAIN_WALK = """
WITH RECURSIVE walk(rid, vid) AS (
    SELECT NULL, :vid
    UNION
    SELECT p.run_id, c.version_id FROM walk w
    LEFT JOIN {to_run} p ON p.version_id = w.vid
    LEFT JOIN {to_version} c ON c.run_id = w.rid
    WHERE p.run_id IS NOT NULL OR c.version_id IS NOT NULL
) SELECT * FROM walk"""
PLAIN = {
    "ancestry": PLAIN_WALK.format(to_run="produced", to_version="consumed"),
    "impact": PLAIN_WALK.format(to_run="consumed", to_version="produced"),
}


def timed(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1e3


def bench_size(root: Path, size: int, starts: int, repeat: int, depths: list[int]) -> dict:
    folder = root / f"store-{size}"
    t = time.perf_counter()
    if not (folder / "lineage.db").exists():
        pipeline_store.build(folder, size)
    built = time.perf_counter() - t
    store = lineage.Store(folder)
    store.db.con.execute("ANALYZE")
    con = store.db.con
    rng = random.Random(size)
    top = con.execute("SELECT max(id) FROM versions").fetchone()[0]
    picks = [rng.randint(1, top) for _ in range(starts)]
    refs = {
        vid: f"{name}:v{number}"
        for vid, name, number in con.execute(
            "SELECT v.id, a.name, v.number FROM versions v JOIN artifacts a ON a.id = v.artifact_id "
            "WHERE v.id IN (SELECT value FROM json_each(?))",
            (str(picks),),
        )
    }
    print(f"\n== {size:,} versions (built in {built:.0f} s; {len(picks)} random starts, median of {repeat}) ==")
    header = f"{'query':38s} {'p50 ms':>9s} {'p95 ms':>9s} {'max ms':>9s} {'nodes p50':>9s} {'p95':>6s} {'max':>6s}"
    print(header)
    results = {}
    for direction in ("ancestry", "impact"):
        text = query.read_query(direction)
        api = getattr(store, direction)
        plain = PLAIN[direction]
        variants = {"plain CTE, ids only": lambda v, r, q=plain: con.execute(q, {"vid": v}).fetchall()}
        for depth in [-1, *depths]:
            variants[f"{direction}.sql depth={depth}"] = lambda v, r, q=text, d=depth: con.execute(
                q, {"ref": r, "depth": d}
            ).fetchall()
        variants[f"store.{direction} (with edges)"] = lambda v, r, walk=api: walk(r).nodes
        times = {name: [] for name in variants}
        sizes = {name: [] for name in variants}
        for vid in picks:
            for name, fn in variants.items():
                took, out = timed(lambda fn=fn, v=vid: fn(v, refs[v]), repeat)
                times[name].append(took)
                sizes[name].append(len(out))
        for name in variants:
            n = sorted(sizes[name])
            print(
                f"{direction + ': ' + name:38s} {pct(times[name], 0.5):9.3f} {pct(times[name], 0.95):9.3f} "
                f"{max(times[name]) * 1e3:9.2f} {n[len(n) // 2]:9d} {n[int(0.95 * len(n))]:6d} {n[-1]:6d}"
            )
        unlimited = pct(times[f"{direction}.sql depth=-1"], 0.95)
        for depth in depths:
            ratio = pct(times[f"{direction}.sql depth={depth}"], 0.95) / unlimited
            print(f"{'':38s} depth={depth} / unlimited at p95: {ratio:.2f}x")
        results[direction] = {name: (pct(v, 0.5), pct(v, 0.95)) for name, v in times.items()}
    deepest = con.execute(
        "SELECT a.name || ':v' || max(v.number) FROM versions v JOIN artifacts a ON a.id = v.artifact_id "
        "WHERE a.name = 'chain-0'"
    ).fetchone()[0]
    results["cli"] = bench_cli(folder, deepest, repeat=max(3, repeat))
    store.close()
    return results


def bench_cli(folder: Path, ref: str, repeat: int) -> float:
    exe = shutil.which("lineage", path=str(Path(sys.executable).parent))
    command = [exe, "--store", str(folder), "ancestry", ref] if exe else None
    if command is None:
        code = f"import lineage; lineage.Store({str(folder)!r}).ancestry({ref!r})"
        command = [sys.executable, "-c", code]
    took, out = timed(lambda: subprocess.run(command, capture_output=True, text=True, check=True), repeat)
    print(f"CLI end to end: {' '.join(command[-3:])!s}: median {took:.3f} s ({out.stdout.count(chr(10))} lines)")
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--starts", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--depths", type=int, nargs="+", default=[4, 100])
    parser.add_argument("--dir", type=Path, help="keep (and re-use) the built stores here")
    args = parser.parse_args()
    root = args.dir or Path(tempfile.mkdtemp(prefix="lineage-bench-"))
    try:
        for size in args.sizes:
            bench_size(root, size, args.starts, args.repeat, args.depths)
    finally:
        if args.dir is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
