"""A writer and reader for the concurrency tests: logs one shared file again and again.

    python tests/helpers/same_file.py STORE WORKER SECONDS GO_FILE SOURCE DOWNLOADS

Waits until GO_FILE exists, then for SECONDS logs an artifact holding SOURCE (the same
file in every process) and a file of its own, downloads each version it logged into a
fresh folder under DOWNLOADS and reads the shared file back. Prints one JSON line:
how many versions and downloads it made and every error it met (none is expected).
"""

from __future__ import annotations

import json
import os
import sys
import time

import lineage


def main() -> None:
    store, worker, seconds, go, source, downloads = sys.argv[1:7]
    while not os.path.exists(go):
        time.sleep(0.005)
    deadline = time.monotonic() + float(seconds)
    logged = done = 0
    errors: list[str] = []
    expected = open(source, "rb").read()
    with lineage.init(project="p", job_type="same-file", dir=store) as run:
        while time.monotonic() < deadline and len(errors) < 20:
            try:
                art = lineage.Artifact("same", type="dataset")
                art.add_file(source, name="shared.bin")
                with art.new_file("own.txt") as f:
                    f.write(f"worker {worker} item {logged}")
                version = run.log_artifact(art)
                logged += 1
                root = version.download(os.path.join(downloads, f"{worker}-{logged}"), link=True)
                with open(os.path.join(root, "shared.bin"), "rb") as f:
                    assert f.read() == expected, "downloaded bytes differ"
                with version.open("shared.bin") as f:
                    assert f.read() == expected, "served bytes differ"
                done += 1
            except Exception as exc:  # every failure is reported to the test, whatever it is
                errors.append(f"{type(exc).__name__}: {exc}")
    print(json.dumps({"logged": logged, "downloads": done, "errors": errors}), flush=True)


if __name__ == "__main__":
    main()
