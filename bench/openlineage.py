"""Live OpenLineage emission: what it costs a run, with the endpoint up, down and slow.

Each case logs --runs runs (each logs one small artifact) in a fresh process and store,
so the one-time import of the openlineage client (about 0.25 s) is counted; figures are
milliseconds per run, medians of --repeat processes, next to emission off in the same run.

    .venv/bin/python bench/openlineage.py                  # 200 runs, 3 repeats
    .venv/bin/python bench/openlineage.py --runs 50 --repeat 1
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHILD = """
import sys, tempfile, time, lineage
runs, store = int(sys.argv[1]), tempfile.mkdtemp()
began = time.perf_counter()
for i in range(runs):
    with lineage.init(project="bench", job_type="step", dir=store) as run:
        artifact = lineage.Artifact(f"a{i}", type="dataset")
        with artifact.new_file("x.txt") as f:
            f.write(str(i))
        run.log_artifact(artifact)
print((time.perf_counter() - began) / runs * 1000)
"""


def receiver(delay_s: float) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            self.rfile.read(int(self.headers["Content-Length"]))
            time.sleep(delay_s)
            self.send_response(201)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def dead_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def per_run_ms(runs: int, url: str | None) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENLINEAGE")}
    env.update(PYTHONPATH=str(ROOT), HOME=tempfile.mkdtemp())  # no ~/.openlineage/openlineage.yml
    if url:
        env["OPENLINEAGE_URL"] = url
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(runs)], env=env, cwd=tempfile.mkdtemp(), capture_output=True, text=True
    )
    if done.returncode:
        raise SystemExit(done.stderr)
    return float(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    up, slow = receiver(0.0), receiver(3.0)
    cases = {
        "emission off": None,
        "endpoint up (loopback)": f"http://127.0.0.1:{up.server_port}",
        "endpoint down (refused)": dead_url(),
        "endpoint slow (answers in 3 s)": f"http://127.0.0.1:{slow.server_port}",
    }
    print(f"{args.runs} runs per process, median of {args.repeat}; ms per run")
    for name, url in cases.items():
        figures = [per_run_ms(args.runs, url) for _ in range(args.repeat)]
        print(f"  {name:32s} {statistics.median(figures):7.2f}")
    up.shutdown()
    slow.shutdown()


if __name__ == "__main__":
    main()
