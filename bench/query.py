"""Lineage query speed on pipeline-shaped stores of 10k, 100k and 1M versions, and on a deep chain.

    .venv/bin/python bench/query.py                      # 10k, 100k, 1M (about 3 minutes to build)
    .venv/bin/python bench/query.py --sizes 10000 --starts 50
    .venv/bin/python bench/query.py --dir /tmp/q --sizes 1000000 --runs 3   # build once, re-use, medians of 3

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
and 4x the plain CTE. Each goal's figure is printed with the goal beside it; with --runs N the
whole measurement runs N times and a last table gives each goal's median over the runs. With
--dir the built stores are kept there and re-used by later runs. --clock cpu times each query
by the thread's CPU time, for a machine whose other processes make the wall clock noisy. Then ``lineage ancestry REF``
end to end in a subprocess.
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


# What a query's time is read from: the wall clock (perf_counter), or with --clock cpu this
# thread's CPU time, which other processes' load on a shared machine does not inflate.
CLOCKS = {"wall": time.perf_counter, "cpu": time.thread_time}
clock = CLOCKS["wall"]


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
            t = clock()
            out[name] = fn()
            times[name].append(clock() - t)
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


# Issue 13's goals at 1M versions, as ratios to the plain CTE at p50, p95 and max.
GOALS = {"store.{direction} (with edges)": (2, 3, 3), "{direction}.sql depth=-1": (1.5, 1.5, 1.5)}
CHAIN_GOAL_MS, CHAIN_GOAL_RATIO = 5.0, 4.0


def mark(got: float, limit: float) -> str:
    return f"{got:.2f}x ({'ok' if got <= limit else 'OVER'}, goal {limit}x)"


def ratios(times: dict[str, list[float]], direction: str) -> dict[str, list[float]]:
    """Each goal variant's p50/p95/max over the plain CTE's, printed with the goals beside them."""
    floor = times["plain CTE, ids only"]
    out = {}
    for pattern, goal in GOALS.items():
        name = pattern.format(direction=direction)
        got = [pct(times[name], q) / pct(floor, q) for q in (0.5, 0.95, 1.0)]
        p50, p95, top = (mark(g, limit) for g, limit in zip(got, goal, strict=True))
        print(f"{'  ' + name + ' / plain':38s} p50 {p50}  p95 {p95}  max {top}")
        out[name] = got
    return out


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
        results[f"{direction} ratios"] = ratios(times, direction)
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


def chain_goals(out: dict) -> tuple[float, float]:
    """(the API's median ms, its ratio to the plain CTE) on the chain, printed with the goals beside them."""
    ms = out["store.ancestry (with edges)"][0]
    ratio = ms / out["plain CTE, ids only"][0]
    print(
        f"{'  store.ancestry on the chain':38s} {ms:.2f} ms ({'ok' if ms <= CHAIN_GOAL_MS else 'OVER'}, goal "
        f"{CHAIN_GOAL_MS} ms)  {mark(ratio, CHAIN_GOAL_RATIO)}"
    )
    return ms, ratio


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
    return out | {"goals": chain_goals(out)}


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
    parser.add_argument("--runs", type=int, default=1, help="measure everything this many times; goals as medians")
    parser.add_argument(
        "--clock", choices=sorted(CLOCKS), default="wall", help="time queries by the wall clock or by this thread's CPU"
    )
    args = parser.parse_args()
    global clock
    clock = CLOCKS[args.clock]
    root = args.dir or Path(tempfile.mkdtemp(prefix="lineage-bench-"))
    chains, sizes = [], {size: [] for size in args.sizes}
    try:
        for run in range(args.runs):
            if args.runs > 1:
                print(f"\n######## run {run + 1} of {args.runs} ########")
            if args.chain:
                chains.append(bench_chain(root, args.chain, repeat=max(21, args.repeat))["goals"])
            for size in args.sizes:
                sizes[size].append(bench_size(root, size, args.starts, args.repeat, args.depths))
    finally:
        if args.dir is None:
            shutil.rmtree(root, ignore_errors=True)
    if args.runs > 1:
        summary(chains, sizes)


def summary(chains: list[tuple[float, float]], sizes: dict[int, list[dict]]) -> None:
    """Each goal's figure as the median over the runs, the runs' figures beside it."""
    med = statistics.median
    print(f"\n== goals, median of {max(len(chains), *map(len, sizes.values()))} runs ==")
    if chains:
        ms, ratio = [c[0] for c in chains], [c[1] for c in chains]
        print(
            f"{'chain: store.ancestry':38s} {med(ms):.2f} ms ({'ok' if med(ms) <= CHAIN_GOAL_MS else 'OVER'}, goal "
            f"{CHAIN_GOAL_MS} ms)  {mark(med(ratio), CHAIN_GOAL_RATIO)}   runs: "
            + ", ".join(f"{m:.2f} ms {r:.2f}x" for m, r in zip(ms, ratio, strict=True))
        )
    for size, runs in sizes.items():
        for direction in ("ancestry", "impact"):
            for pattern, goal in GOALS.items():
                name = pattern.format(direction=direction)
                got = [[r[f"{direction} ratios"][name][i] for r in runs] for i in range(3)]
                print(
                    f"{f'{size:,}: ' + name:38s} p50 {mark(med(got[0]), goal[0])}  p95 {mark(med(got[1]), goal[1])}  "
                    f"max {mark(med(got[2]), goal[2])}   runs p50/p95/max: "
                    + ", ".join(f"{a:.2f}/{b:.2f}/{c:.2f}" for a, b, c in zip(*got, strict=True))
                )


if __name__ == "__main__":
    main()
