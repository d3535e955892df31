"""A process that logs multi-file artifacts until it is killed (for the crash trials).

    python tests/helpers/crash_child.py STORE SEED REPORT SCRATCH

Each round logs a version of ``multi`` with small unique files, a file every version
shares, a 1.2 MB file (the streaming path), and a folder added with ``add_dir``; then, at
random, deletes an older version or runs gc, so a kill can land in any of those. After
each step it appends a JSON line to REPORT: ``["logged", version, digest]``,
``["deleted", version]`` or ``["gc"]``, so the parent knows what had finished.
"""

from __future__ import annotations

import json
import os
import random
import sys

import lineage
from lineage.gc import gc


def main(store: str, seed: int, report: str, scratch: str) -> None:
    rng = random.Random(seed)
    os.makedirs(os.path.join(scratch, "folder", "deeper"), exist_ok=True)
    big = os.path.join(scratch, "big.bin")
    with open(big, "wb") as f:
        f.write(rng.randbytes(1_200_000))
    with open(report, "a", buffering=1) as out, lineage.init(project="crash", job_type="log", dir=store) as run:
        for i in range(10_000):
            art = lineage.Artifact("multi", type="dataset", metadata={"seed": seed, "round": i})
            for j in range(4):
                with art.new_file(f"part-{j}.bin", mode="wb") as f:
                    f.write(rng.randbytes(rng.choice([10, 3_000, 70_000])))
            with art.new_file("constant.txt") as f:
                f.write("the same in every version\n")
            art.add_file(big)
            for name in ("folder/a.txt", "folder/deeper/b.txt"):
                with open(os.path.join(scratch, name), "w") as f:
                    f.write(f"{seed} {i} {name}\n")
            art.add_dir(os.path.join(scratch, "folder"), name="folder")
            logged = run.log_artifact(art, aliases=["newest"])
            out.write(json.dumps(["logged", logged.version, logged.digest]) + "\n")
            roll = rng.random()
            if roll < 0.25:
                live = [v for v in run.store.versions("crash/multi") if not v.deleted]
                victim = rng.choice(live)
                run.store.delete(victim.qualified_name, delete_aliases=True)
                out.write(json.dumps(["deleted", victim.version]) + "\n")
            elif roll < 0.4:
                gc(run.store)
                out.write(json.dumps(["gc"]) + "\n")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4])
