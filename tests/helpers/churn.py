"""A writer that logs and deletes versions in a loop (for the gc-under-load test).

    python tests/helpers/churn.py STORE WORKER COUNT GO_FILE

Each round logs a version of ``churn-WORKER`` holding a file every worker shares and a
file of its own, uses it, then deletes the round before's version, so gc in another
process always has blobs to free while blobs in use are being re-used.
"""

from __future__ import annotations

import os
import sys
import time

import lineage


def main() -> None:
    store, worker, count, go = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    while not os.path.exists(go):
        time.sleep(0.005)
    name = f"churn-{worker}"
    with lineage.init(project="p", job_type="churn", dir=store) as run:
        for i in range(count):
            art = lineage.Artifact(name, type="dataset")
            with art.new_file("common.txt") as f:
                f.write("every worker logs this file\n")
            with art.new_file("own.txt") as f:
                f.write(f"worker {worker} round {i}\n")
            logged = run.log_artifact(art)
            run.use_artifact(logged)
            if i:
                run.store.delete(f"{name}:v{i - 1}")
            print(logged.version, flush=True)


if __name__ == "__main__":
    main()
