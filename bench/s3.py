"""S3 benchmark: 10,000 x 4 KiB files logged to S3 against a bare boto3 upload loop.

A moto S3 server (``ThreadedMotoServer``) runs on 127.0.0.1 in a process of its own, so it
does not share this process's interpreter lock. Each trial, in a fresh bucket each:

- bare: one boto3 client, ``put_object`` of every file in a plain loop (read, upload);
- lineage: ``log_artifact`` of an artifact made with ``add_dir`` of the same folder, into a
  fresh folder store whose blobs are in S3 (hashing, the existence checks, the database).

Prints the medians of ``--repeat`` trials and the ratio bare / lineage (goal >= 1x: the
parallel uploads pay for the bookkeeping).

    .venv/bin/python bench/s3.py                       # 10,000 files, 3 trials
    .venv/bin/python bench/s3.py --files 1000 --repeat 1   # quick
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import lineage  # noqa: E402
from lineage import tracking  # noqa: E402

SERVER = """
import logging, sys, threading
from moto.server import ThreadedMotoServer
logging.getLogger("werkzeug").setLevel(logging.ERROR)
server = ThreadedMotoServer(ip_address="127.0.0.1", port=int(sys.argv[1]), verbose=False)
server.start()
print("ready", flush=True)
threading.Event().wait()
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server() -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", SERVER, str(port)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    return proc, f"http://127.0.0.1:{port}"


def make_files(folder: Path, n: int, size: int) -> list[Path]:
    folder.mkdir(parents=True)
    paths = []
    for i in range(n):
        path = folder / f"{i // 1000:02}" / f"f{i:05}.bin"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(os.urandom(size))
        paths.append(path)
    return paths


def bare_loop(client, bucket: str, paths: list[Path], root: Path) -> float:
    start = time.perf_counter()
    for path in paths:
        with open(path, "rb") as f:
            client.put_object(Bucket=bucket, Key=f"bare/{path.relative_to(root).as_posix()}", Body=f.read())
    return time.perf_counter() - start


def lineage_log(store: Path, root_url: str, folder: Path) -> float:
    lineage.Store(store).create(blobs=root_url).close()
    start = time.perf_counter()
    with lineage.init(project="bench", job_type="log", dir=store) as run:
        art = lineage.Artifact("small-files", type="dataset")
        art.add_dir(folder)
        run.log_artifact(art)
    elapsed = time.perf_counter() - start
    for handle in tracking._stores.values():
        handle.close()
    tracking._stores.clear()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--size", type=int, default=4096)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    proc, endpoint = start_server()
    os.environ.update(
        AWS_ENDPOINT_URL_S3=endpoint,
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_DEFAULT_REGION="us-east-1",
    )
    import boto3

    from lineage.objectstore import make_client

    try:
        client = make_client()  # the same client settings lineage uses (no bare-loop handicap)
        with tempfile.TemporaryDirectory(prefix="lineage-bench-s3-") as tmp:
            work = Path(tmp)
            folder = work / "files"
            paths = make_files(folder, args.files, args.size)
            bare, ours = [], []
            for trial in range(args.repeat):
                for name in (f"bare-{trial}", f"lineage-{trial}"):
                    client.create_bucket(Bucket=name)
                bare.append(bare_loop(client, f"bare-{trial}", paths, folder))
                ours.append(lineage_log(work / f"store-{trial}", f"s3://lineage-{trial}/blobs", folder))
                print(f"trial {trial}: bare loop {bare[-1]:.2f} s, lineage {ours[-1]:.2f} s", flush=True)
            b, o = statistics.median(bare), statistics.median(ours)
            print(
                f"{args.files} x {args.size} B to S3 (moto, 127.0.0.1), median of {args.repeat}: "
                f"bare boto3 loop {b:.2f} s ({args.files / b:,.0f} files/s), "
                f"lineage log_artifact {o:.2f} s ({args.files / o:,.0f} files/s): ratio {b / o:.2f}x (goal >= 1x)"
            )
        del boto3
    finally:
        proc.terminate()
        proc.wait()


if __name__ == "__main__":
    main()
