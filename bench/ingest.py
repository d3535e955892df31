"""Ingest benchmark: logging a large file, many small files, re-logging, download, many runs.

Each figure is the median of --repeat trials, each in a fresh folder, in a stable order,
printed beside its reference measured in the same trial on the same files, as a ratio:
first log / a bare Python loop reading and writing the same files; re-log / a loop that
only stats them; runs / a loop making one small file durable (write, fsync, fsync folder),
and / the same followed by a 14-page log write and fdatasync (a version's ordered flushes);
a large file / min(sha256, write+fsync). ``--vs-dvc`` also times ``dvc add``, re-add and
``dvc checkout`` (hard links) on the same files, with DVC from ``--dvc`` (default: the
``dvc`` on PATH; it is not a lineage dependency: ``python3 -m venv /tmp/dvcvenv &&
/tmp/dvcvenv/bin/pip install dvc==3.67.1``).
Nothing is deleted until the end: on this machine, creating files in the minute after
deleting many (or large) ones runs up to ten times slower, so the many-small-files part
goes first and all clean-up waits.

    .venv/bin/python bench/ingest.py                 # full size (1 GiB, 10,000 files, 1,000 runs)
    .venv/bin/python bench/ingest.py --big-mib 64 --files 1000 --runs 100 --repeat 1   # quick
    .venv/bin/python bench/ingest.py --vs-dvc --dvc /tmp/dvcvenv/bin/dvc
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
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
    print(f"  log_artifact            {lg:8,.0f} MB/s = {lg / limit:.2f}x min(sha256, write+fsync) (goal >= 0.8)")


def copy_loop(folder: Path, target: Path) -> float:
    """The bare reference: read every file of ``folder`` and write it to a new file in ``target``."""
    target.mkdir()
    start = time.perf_counter()
    for entry in os.scandir(folder):
        with open(entry.path, "rb", buffering=0) as src, open(target / entry.name, "xb", buffering=0) as dst:
            dst.write(src.read())
    return time.perf_counter() - start


def stat_loop(folder: Path) -> float:
    """The re-log floor: list the folder and stat every file."""
    start = time.perf_counter()
    for entry in os.scandir(folder):
        os.stat(entry.path)
    return time.perf_counter() - start


def write_files(folder: Path, payloads: list[bytes]) -> None:
    folder.mkdir(parents=True)
    for j, payload in enumerate(payloads):
        (folder / f"{j:05d}.bin").write_bytes(payload)


def dvc_trial(dvc: str, root: Path, payloads: list[bytes]) -> tuple[float, float, float]:
    """Seconds for ``dvc add`` of a folder, re-add unchanged, and ``dvc checkout`` (hard links)."""
    repo = root
    repo.mkdir()
    quiet = {"cwd": repo, "check": True, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    subprocess.run([dvc, "init", "--no-scm", "-q"], **quiet)
    subprocess.run([dvc, "config", "cache.type", "hardlink"], **quiet)
    write_files(repo / "data", payloads)
    time.sleep(0.05)
    times = []
    for _ in range(2):
        start = time.perf_counter()
        subprocess.run([dvc, "add", "-q", "data"], **quiet)
        times.append(time.perf_counter() - start)
    os.rename(repo / "data", repo / "data-old")  # checkout needs the folder gone; nothing deleted yet
    start = time.perf_counter()
    subprocess.run([dvc, "checkout", "-q"], **quiet)
    return times[0], times[1], time.perf_counter() - start


def ratio_line(label: str, rate: float, unit: str, ref_label: str, ref: float, goal: str) -> str:
    return f"  {label:<24}{rate:9,.0f} {unit} = {rate / ref:5.2f}x {ref_label} ({ref:,.0f}) {goal}"


def bench_many(root: Path, count: int, repeat: int, dvc: str | None) -> None:
    payloads = [os.urandom(4096) for _ in range(count)]
    fig: dict[str, list[float]] = {}

    def keep(name: str, seconds: float) -> None:
        fig.setdefault(name, []).append(count / seconds)

    written = []
    for i in range(repeat):
        folder = root / f"files{i}"
        write_files(folder, payloads)
        time.sleep(0.05)  # files written this instant are re-hashed, not remembered (racy mtime)
        keep("copy", copy_loop(folder, root / f"bare{i}"))
        store_dir = fresh_store(root, f"many{i}")
        keep("first", time_log(store_dir, "many", "add_dir", folder))
        keep("stat", stat_loop(folder))
        before = blob_bytes(store_dir)
        keep("relog", time_log(store_dir, "many", "add_dir", folder))
        written.append(blob_bytes(store_dir) - before)
        logged = lineage.Store(store_dir).artifact("many:latest")
        start = time.perf_counter()
        logged.download(root / f"down{i}", link=True)
        keep("down", time.perf_counter() - start)
        start = time.perf_counter()
        logged.download(root / f"copy{i}", link=False)
        keep("copies", time.perf_counter() - start)
        forget_stores()
        if dvc:
            first, again, checkout = dvc_trial(dvc, root / f"dvc{i}", payloads)
            keep("dvc add", first)
            keep("dvc re-add", again)
            keep("dvc checkout", checkout)
    m = {name: statistics.median(rates) for name, rates in fig.items()}
    print(f"{count:,} files of 4 KiB:")
    print(ratio_line("first log", m["first"], "files/s", "bare read+write loop", m["copy"], "(goal >= 0.8)"))
    print(ratio_line("re-log unchanged", m["relog"], "files/s", "stat loop", m["stat"], "(goal >= 0.5, >= 100,000/s)"))
    print(
        f"  {'':<24}re-log {m['relog'] / m['first']:.1f}x faster than the first log; "
        f"{max(written):,} bytes written to blobs/ (goal 0)"
    )
    print(ratio_line("download (hard links)", m["down"], "files/s", "bare read+write loop", m["copy"], ""))
    default = "copies: running as root" if os.geteuid() == 0 else "hard links"
    print(
        ratio_line(
            "download (copies)", m["copies"], "files/s", "bare read+write loop", m["copy"], f"(default here: {default})"
        )
    )
    if dvc:
        print(ratio_line("dvc add", m["dvc add"], "files/s", "lineage first log", m["first"], ""))
        print(ratio_line("dvc re-add unchanged", m["dvc re-add"], "files/s", "lineage re-log", m["relog"], ""))
        print(ratio_line("dvc checkout (links)", m["dvc checkout"], "files/s", "lineage download", m["down"], ""))
        print(
            f"  {'':<24}lineage: first log {m['first'] / m['dvc add']:.1f}x dvc add, re-log "
            f"{m['relog'] / m['dvc re-add']:.1f}x dvc re-add, "
            f"download {m['down'] / m['dvc checkout']:.1f}x dvc checkout "
            "(dvc timed as a command, its start-up included)"
        )


def durable_loop(folder: Path, count: int) -> float:
    """The reference for many runs: make ``count`` small files durable, one at a time."""
    folder.mkdir()
    dir_fd = os.open(folder, os.O_RDONLY)
    start = time.perf_counter()
    try:
        for j in range(count):
            fd = os.open(folder / f"{j}", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
            os.write(fd, str(j).encode())
            os.fsync(fd)
            os.close(fd)
            os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return time.perf_counter() - start


WAL_PAGES = 14  # pages a run's version commit writes to lineage.db-wal (4 KiB each, with 24-byte frame headers)


def flush_chain_loop(folder: Path, count: int) -> float:
    """The I/O floor of a durable version, ``count`` times: a small file made durable (write,
    then fsync it and its folder at once, as lineage does), and only then a commit record:
    WAL_PAGES frames overwritten in a preallocated log file and fdatasync'd. No lineage work."""
    folder.mkdir()
    dir_fd = os.open(folder, os.O_RDONLY)
    log_fd = os.open(folder / "log", os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
    frame = 24 + 4096
    os.write(log_fd, bytes(frame * WAL_PAGES * 64))
    os.fsync(log_fd)
    page = os.urandom(frame)
    other = ThreadPoolExecutor(1)
    start = time.perf_counter()
    try:
        for j in range(count):
            fd = os.open(folder / f"{j}", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
            os.write(fd, str(j).encode())
            entry = other.submit(os.fsync, dir_fd)
            os.fsync(fd)
            os.close(fd)
            entry.result()
            base = (j % 64) * WAL_PAGES * frame
            for k in range(WAL_PAGES):
                os.pwrite(log_fd, page, base + k * frame)
            os.fdatasync(log_fd)
        took = time.perf_counter() - start
    finally:
        other.shutdown()
        os.close(dir_fd)
        os.close(log_fd)
    return took


def bench_runs(root: Path, count: int, repeat: int) -> None:
    times, refs, chains = [], [], []
    for i in range(repeat):
        refs.append(durable_loop(root / f"durable{i}", count))
        chains.append(flush_chain_loop(root / f"chain{i}", count))
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
    rate, ref = count / statistics.median(times), count / statistics.median(refs)
    chain = count / statistics.median(chains)
    print(f"{count:,} runs, each logging one small artifact:")
    print(ratio_line("runs", rate, "runs/s", "durable small-file loop", ref, "(goal >= 1,000 runs/s)"))
    # A version is visible only once its blob is durable, and durable once its commit is:
    # two flushes, one after the other, that no run can go below.
    print(ratio_line("", rate, "runs/s", "ordered flush chain alone: blob, folder, then commit", chain, ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--big-mib", type=int, default=1024)
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dir", help="where to work (default: a temp folder on the same disk as /tmp)")
    parser.add_argument("--vs-dvc", action="store_true", help="also time dvc add / re-add / checkout")
    parser.add_argument("--dvc", default=shutil.which("dvc"), help="the dvc command (default: dvc on PATH)")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="lineage-bench-", dir=args.dir))
    try:
        dvc = None
        if args.vs_dvc:
            if not args.dvc or not os.path.exists(args.dvc):
                parser.error("--vs-dvc: no dvc command found; give --dvc PATH (pip install dvc==3.67.1 in a venv)")
            dvc = args.dvc
        print(f"median of {args.repeat} fresh-folder trials, in {root}")
        bench_many(root, args.files, args.repeat, dvc)
        bench_runs(root, args.runs, args.repeat)
        bench_big(root, args.big_mib << 20, args.repeat)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
