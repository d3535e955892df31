"""Ingest benchmark: logging a large file, many small files, re-logging, download, many runs.

Each figure is the median of --repeat runs, each in a fresh folder, in a stable order;
the limits a figure is compared with are measured in the same run on the same data.
Nothing is deleted until the end: on this machine, creating files in the minute after
deleting many (or large) ones runs up to ten times slower, so the many-small-files part
goes first and all clean-up waits.

    .venv/bin/python bench/ingest.py                 # full size (1 GiB, 10,000 files, 1,000 runs)
    .venv/bin/python bench/ingest.py --big-mib 64 --files 1000 --runs 100 --repeat 1   # quick
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import lineage  # noqa: E402
from lineage import tracking  # noqa: E402

MB = 1_000_000


def fresh_store(root: Path, name: str) -> Path:
    path = root / name
    shutil.rmtree(path, ignore_errors=True)
    return path


def forget_stores() -> None:
    for store in tracking._stores.values():
        store.close()
    tracking._stores.clear()


def make_big_file(path: Path, size: int) -> None:
    block = os.urandom(8 << 20)
    with open(path, "wb") as f:
        left = size
        while left > 0:
            f.write(block[: min(left, len(block))])
            left -= len(block)


def time_hash(path: Path) -> float:
    start = time.perf_counter()
    digest = hashlib.sha256()
    buf = bytearray(8 << 20)
    with open(path, "rb", buffering=0) as f:
        while n := f.readinto(buf):
            digest.update(memoryview(buf)[:n])
    return time.perf_counter() - start


def time_write_fsync(path: Path, target: Path) -> float:
    start = time.perf_counter()
    buf = bytearray(8 << 20)
    with open(path, "rb", buffering=0) as src, open(target, "wb", buffering=0) as dst:
        while n := src.readinto(buf):
            dst.write(memoryview(buf)[:n])
        os.fsync(dst.fileno())
    return time.perf_counter() - start


def time_log(store_dir: Path, name: str, add: str, source: Path) -> float:
    """Seconds for one run logging ``source`` through ``Artifact.<add>`` (add_file or add_dir)."""
    start = time.perf_counter()
    with lineage.init(project="bench", job_type="ingest", dir=store_dir) as run:
        art = lineage.Artifact(name, type="dataset")
        getattr(art, add)(source)
        run.log_artifact(art)
    return time.perf_counter() - start


def blob_bytes(store_dir: Path) -> int:
    return sum(p.stat().st_size for p in (store_dir / "blobs").rglob("*") if p.is_file())


def bench_big(root: Path, size: int, repeat: int) -> None:
    src = root / "big.bin"
    make_big_file(src, size)
    hashes, writes, logs = [], [], []
    for i in range(repeat):
        hashes.append(time_hash(src))
        writes.append(time_write_fsync(src, root / f"copy{i}.bin"))
        logs.append(time_log(fresh_store(root, f"big{i}"), "big", "add_file", src))
        forget_stores()
    h, w, lg = (size / MB / statistics.median(t) for t in (hashes, writes, logs))
    limit = min(h, w)
    print(f"1 file of {size / MB:,.0f} MB:")
    print(f"  sha256 alone            {h:8,.0f} MB/s")
    print(f"  write + fsync alone     {w:8,.0f} MB/s")
    print(f"  log_artifact            {lg:8,.0f} MB/s  = {lg / limit:.2f} x the slower limit (goal >= 0.8)")


def bench_many(root: Path, count: int, repeat: int) -> None:
    payloads = [os.urandom(4096) for _ in range(count)]
    creates, firsts, relogs, downloads, copies, written = [], [], [], [], [], []
    for i in range(repeat):
        folder = root / f"files{i}"
        folder.mkdir()
        start = time.perf_counter()
        for j, payload in enumerate(payloads):
            (folder / f"{j:05d}.bin").write_bytes(payload)
        creates.append(time.perf_counter() - start)
        time.sleep(0.05)  # files written this instant are re-hashed, not remembered (racy mtime)
        store_dir = fresh_store(root, f"many{i}")
        firsts.append(time_log(store_dir, "many", "add_dir", folder))
        before = blob_bytes(store_dir)
        relogs.append(time_log(store_dir, "many", "add_dir", folder))
        written.append(blob_bytes(store_dir) - before)
        logged = lineage.Store(store_dir).artifact("many:latest")
        start = time.perf_counter()
        logged.download(root / f"down{i}", link=True)
        downloads.append(time.perf_counter() - start)
        start = time.perf_counter()
        logged.download(root / f"copy{i}", link=False)
        copies.append(time.perf_counter() - start)
        forget_stores()
    create, first, relog, down, copy = (statistics.median(t) for t in (creates, firsts, relogs, downloads, copies))
    print(f"{count:,} files of 4 KiB:")
    print(f"  bare loop creating them {count / create:8,.0f} files/s (this disk's pace, for scale)")
    print(f"  first log               {count / first:8,.0f} files/s = {create / first:.2f}x bare (goal >= 5,000)")
    print(f"  re-log unchanged        {count / relog:8,.0f} files/s = {first / relog:.1f}x faster (goal >= 10x),")
    print(f"                          {max(written):,} bytes written to blobs/ (goal 0)")
    print(f"  download (hard links)   {count / down:8,.0f} files/s (goal >= 20,000; link=True, a user's default)")
    default = "copies: running as root" if os.geteuid() == 0 else "hard links"
    print(f"  download (copies)       {count / copy:8,.0f} files/s (link=False; the default here: {default})")


def bench_runs(root: Path, count: int, repeat: int) -> None:
    times = []
    for i in range(repeat):
        store_dir = fresh_store(root, f"runs{i}")
        lineage.Store(store_dir).create()
        start = time.perf_counter()
        for j in range(count):
            with lineage.init(project="bench", job_type="step", dir=store_dir) as run:
                art = lineage.Artifact("small", type="dataset")
                with art.new_file("value.txt") as f:
                    f.write(str(j))
                run.log_artifact(art)
        times.append(time.perf_counter() - start)
        forget_stores()
    print(f"{count:,} runs, each logging one small artifact:")
    print(f"  {count / statistics.median(times):8,.0f} runs/s (goal >= 300)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--big-mib", type=int, default=1024)
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dir", help="where to work (default: a temp folder on the same disk as /tmp)")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="lineage-bench-", dir=args.dir))
    try:
        print(f"median of {args.repeat} runs, in {root}")
        bench_many(root, args.files, args.repeat)
        bench_runs(root, args.runs, args.repeat)
        bench_big(root, args.big_mib << 20, args.repeat)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
