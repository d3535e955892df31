"""Lineage query speed on pipeline-shaped stores of 10k, 100k and 1M versions, and on a deep chain.

    .venv/bin/python bench/query.py                      # 10k, 100k, 1M (about 3 minutes to build)
    .venv/bin/python bench/query.py --sizes 10000 --starts 50

For each size: build the store with bulk inserts (bench/pipeline_store.py), run ANALYZE
(as ``PRAGMA optimize`` may), pick --starts random versions plus the deepest version of the
longest warm-start chain, and time side by side, per start the median of --repeat rounds
(each round runs every variant once, after a warm-up round, so load hits all alike):
- plain: a recursive CTE over the edge indexes that returns node ids only (no ref, no
  depth, no labels): the floor any lineage query pays;
- queries/ancestry.sql and queries/impact.sql, unlimited and depth-limited: ids and labels,
  as ``store.sql`` / the sqlite3 shell get them;
- store.ancestry / store.impact: the Python API, with depths and the subgraph's edges.
Each is printed as p50/p95/max in ms and as a ratio to the plain CTE measured in the same
run. Goals (issue 13): at 1M, the API within 2x the plain CTE at p50, 3x at p95 and max,
the SQL files within 1.5x; on the 400-run chain (--chain), the API's median at most 5 ms
and 4x the plain CTE. Then ``lineage ancestry REF`` end to end in a subprocess.
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


def timed_together(fns: dict, repeat: int) -> dict[str, tuple[float, object]]:
    """name -> (median seconds, last result): the fns run in turn, once per round after a
    warm-up round, so a load spike on the machine hits all of them alike."""
    for fn in fns.values():
        fn()
    times = {name: [] for name in fns}
    out = {}
    for _ in range(repeat):
        for name, fn in fns.items():
            t = time.perf_counter()
            out[name] = fn()
            times[name].append(time.perf_counter() - t)
    return {name: (statistics.median(times[name]), out[name]) for name in fns}


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1e3


def variants(con, store, direction: str, depths: list[int]) -> dict:
    """name -> fn(version id, ref) for the plain CTE, the SQL file at each depth and the API."""
    text, plain, api = query.read_query(direction), PLAIN[direction], getattr(store, direction)
    out = {"plain CTE, ids only": lambda v, r: con.execute(plain, {"vid": v}).fetchall()}
    for depth in [-1, *depths]:
        out[f"{direction}.sql depth={depth}"] = lambda v, r, d=depth: con.execute(
            text, {"ref": r, "depth": d}
        ).fetchall()
    out[f"store.{direction} (with edges)"] = lambda v, r: api(r).nodes
    return out


def ratios(times: dict[str, list[float]], direction: str) -> None:
    """Each variant's p50/p95/max over the plain CTE's, the goals beside them."""
    floor = times["plain CTE, ids only"]
    goals = {f"store.{direction} (with edges)": (2, 3, 3), f"{direction}.sql depth=-1": (1.5, 1.5, 1.5)}
    for name, values in times.items():
        if name in goals:
            got = [pct(values, q) / pct(floor, q) for q in (0.5, 0.95, 1.0)]
            goal = goals[name]
            marks = ["ok" if g <= limit else "OVER" for g, limit in zip(got, goal, strict=True)]
            print(
                f"{'  ' + name + ' / plain':38s} p50 {got[0]:.2f}x ({marks[0]}, goal {goal[0]}x)  "
                f"p95 {got[1]:.2f}x ({marks[1]}, {goal[1]}x)  max {got[2]:.2f}x ({marks[2]}, {goal[2]}x)"
            )


def table(times: dict, sizes: dict, label: str) -> None:
    for name in times:
        n = sorted(sizes[name])
        print(
            f"{label + name:38s} {pct(times[name], 0.5):9.3f} {pct(times[name], 0.95):9.3f} "
            f"{max(times[name]) * 1e3:9.2f} {n[len(n) // 2]:9d} {n[int(0.95 * len(n))]:6d} {n[-1]:6d}"
        )


HEADER = f"{'query':38s} {'p50 ms':>9s} {'p95 ms':>9s} {'max ms':>9s} {'nodes p50':>9s} {'p95':>6s} {'max':>6s}"


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
    deepest = con.execute(
        "SELECT v.id FROM versions v JOIN artifacts a ON a.id = v.artifact_id WHERE a.name = 'chain-0' "
        "ORDER BY v.number DESC LIMIT 1"
    ).fetchone()[0]
    refs = {
        vid: f"{name}:v{number}"
        for vid, name, number in con.execute(
            "SELECT v.id, a.name, v.number FROM versions v JOIN artifacts a ON a.id = v.artifact_id "
            "WHERE v.id IN (SELECT value FROM json_each(?))",
            (str([*picks, deepest]),),
        )
    }
    print(f"\n== {size:,} versions (built in {built:.0f} s; {len(picks)} random starts, median of {repeat}) ==")
    print(HEADER)
    results = {}
    for direction in ("ancestry", "impact"):
        walks = variants(con, store, direction, depths)
        times = {name: [] for name in walks}
        sizes = {name: [] for name in walks}
        for vid in picks:
            fns = {name: (lambda fn=fn, v=vid: fn(v, refs[v])) for name, fn in walks.items()}
            for name, (took, out) in timed_together(fns, repeat).items():
                times[name].append(took)
                sizes[name].append(len(out))
        table(times, sizes, direction + ": ")
        ratios(times, direction)
        unlimited = pct(times[f"{direction}.sql depth=-1"], 0.95)
        for depth in depths:
            ratio = pct(times[f"{direction}.sql depth={depth}"], 0.95) / unlimited
            print(f"{'':38s} depth={depth} / unlimited at p95: {ratio:.2f}x")
        results[direction] = {name: (pct(v, 0.5), pct(v, 0.95), max(v) * 1e3) for name, v in times.items()}
    deep = bench_deep(
        con, store, deepest, refs[deepest], repeat=max(11, repeat), label=f"deepest of chain-0 ({size:,})"
    )
    results["deep"] = deep
    results["cli"] = bench_cli(folder, refs[deepest], repeat=max(3, repeat))
    store.close()
    return results


def bench_deep(con, store, vid: int, ref: str, repeat: int, label: str) -> dict:
    """One deep start, ancestry only (impact of a chain's end is the end itself): medians and ratios."""
    walks = variants(con, store, "ancestry", [])
    fns = {name: (lambda fn=fn: fn(vid, ref)) for name, fn in walks.items()}
    out = {name: (took * 1e3, len(nodes)) for name, (took, nodes) in timed_together(fns, repeat).items()}
    floor = out["plain CTE, ids only"][0]
    print(f"-- deep chain: ancestry of {ref}, {label}, median of {repeat} --")
    for name, (ms, n) in out.items():
        print(f"{'  ' + name:38s} {ms:9.3f} ms {n:7d} nodes  {ms / floor:5.2f}x plain")
    return out


def bench_chain(root: Path, runs: int, repeat: int) -> dict:
    folder = root / f"chain-{runs}"
    if not (folder / "lineage.db").exists():
        pipeline_store.chain(folder, runs)
    store = lineage.Store(folder)
    store.db.con.execute("ANALYZE")
    vid, ref = store.db.read_one(
        "SELECT v.id, a.name || ':v' || v.number FROM versions v JOIN artifacts a ON a.id = v.artifact_id "
        "ORDER BY v.id DESC LIMIT 1"
    )
    print(f"\n== a chain of {runs} training runs (goal: store.ancestry median <= 5 ms and <= 4x plain) ==")
    out = bench_deep(store.db.con, store, vid, ref, repeat, f"{runs}-run chain")
    store.close()
    return out


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
    parser.add_argument("--chain", type=int, default=400, help="training runs in the deep-chain store (0: none)")
    parser.add_argument("--dir", type=Path, help="keep (and re-use) the built stores here")
    args = parser.parse_args()
    root = args.dir or Path(tempfile.mkdtemp(prefix="lineage-bench-"))
    try:
        if args.chain:
            bench_chain(root, args.chain, repeat=max(21, args.repeat))
        for size in args.sizes:
            bench_size(root, size, args.starts, args.repeat, args.depths)
    finally:
        if args.dir is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
