"""The PostgreSQL store against the folder store, in the same run: lineage walks and small logs.

    .venv/bin/python bench/postgres.py                       # 1M versions, 1,000 runs
    .venv/bin/python bench/postgres.py --sizes 100000 --starts 50 --runs 300

Starts its own PostgreSQL server (initdb/pg_ctl in a temp folder, unix socket only, fsync
on: the server's defaults), or uses --url (an empty database). For each size, the same
pipeline-shaped store (bench/pipeline_store.py, same seed: same rows and ids) is built in a
folder and in PostgreSQL (COPY, then ANALYZE), and ``store.ancestry``/``store.impact``
are timed from the same random starts as bench/query.py (``random.Random(size)``), per
start the median of --repeat rounds, as p50/p95/max and as the ratio PostgreSQL / SQLite.
Goals (issue 15): p50 <= 2 ms, p95 <= 10 ms. Then --runs runs each logging one small
artifact into each store: runs/s and the ratio (goal >= 300 runs/s on PostgreSQL).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(ROOT))

import pipeline_store  # noqa: E402

import lineage  # noqa: E402
from tests.helpers.postgres import PostgresServer  # noqa: E402

COPIES = [
    ("runs", "id, project, name, job_type, state, config, started_at, ended_at, host, pid", "runs"),
    ("artifacts", "id, project, name, type, created_at", "artifacts"),
    ("versions", "id, artifact_id, number, digest, size, file_count, created_at, created_by", "versions"),
    ("aliases", "artifact_id, alias, version_id", "latest"),
    ("produced", "run_id, version_id, created_at", "produced"),
    ("consumed", "run_id, version_id, created_at", "consumed"),
]


def builder(size: int) -> pipeline_store.Builder:
    """pipeline_store.build's rows for ``size`` versions, without saving them."""
    rows: dict = {}
    original = pipeline_store.Builder.save
    pipeline_store.Builder.save = lambda self, dir: rows.setdefault("b", self)  # type: ignore[method-assign]
    try:
        pipeline_store.build(Path("unused"), size)
    finally:
        pipeline_store.Builder.save = original  # type: ignore[method-assign]
    return rows["b"]


def build_postgres(url: str, blobs: Path, size: int) -> float:
    import psycopg

    t = time.perf_counter()
    b = builder(size)
    lineage.Store(url).create(blobs=blobs).close()
    data = {
        "runs": b.runs,
        "artifacts": [
            (aid, pipeline_store.PROJECT, n, ty, "2026-01-01T00:00:00Z") for n, (aid, ty) in b.artifacts.items()
        ],
        "versions": b.versions,
        "latest": [(a, "latest", v) for a, v in b.latest.items()],
        "produced": b.produced,
        "consumed": sorted(set(b.consumed)),
    }
    with psycopg.connect(url) as con:
        for table, columns, key in COPIES:
            with con.cursor().copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in data[key]:
                    copy.write_row(row)
        for table in ("artifacts", "versions"):
            con.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    with psycopg.connect(url, autocommit=True) as con:
        con.execute("VACUUM ANALYZE")
    return time.perf_counter() - t


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1e3


def walks(folder: Path, url: str, size: int, starts: int, repeat: int) -> None:
    sqlite_store, pg_store = lineage.Store(folder), lineage.Store(url)
    sqlite_store.db.con.execute("ANALYZE")
    rng = random.Random(size)  # bench/query.py's starts
    top = sqlite_store.db.read_one("SELECT max(id) FROM versions")[0]
    picks = [rng.randint(1, top) for _ in range(starts)]
    refs = [
        sqlite_store.db.read_one(
            "SELECT a.name || ':v' || v.number FROM versions v JOIN artifacts a ON a.id = v.artifact_id WHERE v.id = ?",
            (vid,),
        )[0]
        for vid in picks
    ]
    print(f"{'walk':28s} {'p50 ms':>8s} {'p95 ms':>8s} {'max ms':>8s}   (PostgreSQL / SQLite at p50, p95)")
    for direction in ("ancestry", "impact"):
        times: dict[str, list[float]] = {"sqlite": [], "postgres": []}
        for ref in refs:
            for name, store in (("sqlite", sqlite_store), ("postgres", pg_store)):
                walk = getattr(store, direction)
                walk(ref)  # warm-up
                rounds = []
                for _ in range(repeat):
                    t = time.perf_counter()
                    walk(ref)
                    rounds.append(time.perf_counter() - t)
                times[name].append(statistics.median(rounds))
            assert {n["id"] for n in getattr(sqlite_store, direction)(ref).nodes} == {
                n["id"] for n in getattr(pg_store, direction)(ref).nodes
            }
        for name, values in times.items():
            label = f"{direction} {name}"
            line = f"{label:28s} {pct(values, 0.5):8.3f} {pct(values, 0.95):8.3f} {max(values) * 1e3:8.2f}"
            if name == "postgres":
                ratio = [pct(values, q) / pct(times["sqlite"], q) for q in (0.5, 0.95)]
                goals = "ok" if pct(values, 0.5) <= 2 and pct(values, 0.95) <= 10 else "OVER"
                line += f"   {ratio[0]:.2f}x, {ratio[1]:.2f}x (goal p50 <= 2 ms, p95 <= 10 ms: {goals})"
            print(line)
    sqlite_store.close()
    pg_store.close()


def small_runs(where: str | Path, runs: int, scratch: Path) -> float:
    """Runs per second, each logging one small artifact."""
    t = time.perf_counter()
    for i in range(runs):
        with lineage.init(project="bench", job_type="log", dir=where) as run:
            art = lineage.Artifact("small", "dataset")
            with art.new_file("x.txt") as f:
                f.write(f"item {i}\n")
            run.log_artifact(art)
    return runs / (time.perf_counter() - t)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--starts", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--url", help="an empty PostgreSQL database to use (default: start a server)")
    args = parser.parse_args()
    server = None
    if args.url is None:
        server = PostgresServer(fsync=True)
        server.start()
    try:
        with tempfile.TemporaryDirectory(prefix="lineage-bench-pg-") as tmp:
            root = Path(tmp)

            def database() -> str:
                return server.new_database() if server is not None else args.url

            for size in args.sizes:
                t = time.perf_counter()
                pipeline_store.build(root / f"folder-{size}", size).close()
                folder_s = time.perf_counter() - t
                url = database()
                pg_s = build_postgres(url, root / f"blobs-{size}", size)
                print(f"\n== {size:,} versions (built in {folder_s:.0f} s as a folder, {pg_s:.0f} s in PostgreSQL) ==")
                walks(root / f"folder-{size}", url, size, args.starts, args.repeat)
            print(f"\n== {args.runs:,} runs, each logging one small artifact ==")
            url = database()
            lineage.Store(url).create(blobs=root / "small-blobs").close()
            folder_rate = small_runs(root / "small-folder", args.runs, root)
            pg_rate = small_runs(url, args.runs, root)
            print(f"folder store      {folder_rate:8.0f} runs/s")
            goal = "ok" if pg_rate >= 300 else "UNDER"
            print(
                f"PostgreSQL store  {pg_rate:8.0f} runs/s   {pg_rate / folder_rate:.2f}x the folder store "
                f"(goal >= 300: {goal})"
            )
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
