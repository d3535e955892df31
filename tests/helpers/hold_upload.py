"""An upload that waits between adding its files and committing them (for the gc tests).

    python tests/helpers/hold_upload.py STORE

Adds two files to an artifact (new content, and content ``old`` whose blob the store may
already hold, unreferenced), prints ``added``, waits for a line on stdin, logs the
artifact and prints ``committed``.
"""

from __future__ import annotations

import sys

import lineage


def main() -> None:
    with lineage.init(project="p", job_type="upload", dir=sys.argv[1]) as run:
        art = lineage.Artifact("upload", type="dataset")
        for path, content in (("new", b"pending upload"), ("old", b"old")):
            with art.new_file(path, mode="wb") as f:
                f.write(content)
        print("added", flush=True)
        sys.stdin.readline()
        run.log_artifact(art)
        print("committed", flush=True)


if __name__ == "__main__":
    main()
