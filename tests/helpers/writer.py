"""A writer process for the concurrency tests: logs versions into a shared store.

    python tests/helpers/writer.py STORE WORKER COUNT GO_FILE

Waits until GO_FILE exists (so every writer starts at once, also on a store that does
not exist yet), then logs COUNT distinct versions of the shared artifact ``shared`` and
COUNT of its own artifact ``own-WORKER``, alternating, and uses each shared version it
logged. Prints one JSON line per logged version: artifact, version, digest.
"""

from __future__ import annotations

import json
import os
import sys
import time

import lineage


def main() -> None:
    store, worker, count, go = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    while not os.path.exists(go):
        time.sleep(0.005)
    with lineage.init(project="p", job_type="writer", dir=store, config={"worker": worker}) as run:
        for i in range(count):
            for name in ("shared", f"own-{worker}"):
                art = lineage.Artifact(name, type="dataset", metadata={"worker": worker, "i": i})
                with art.new_file("data.txt") as f:
                    f.write(f"{name} from worker {worker}, item {i}\n")
                with art.new_file("common.txt") as f:
                    f.write("the same in every version\n")
                logged = run.log_artifact(art)
                if name == "shared":
                    run.use_artifact(logged)
                print(json.dumps({"artifact": name, "version": logged.version, "digest": logged.digest}), flush=True)


if __name__ == "__main__":
    main()
