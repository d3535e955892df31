"""``lineage copy SRC DST``: move a store's lineage into another store, ids kept, idempotent.

Runs (with config, history, summary and saved files), artifacts, versions (with their
files and reference entries), aliases, consume/produce edges, the model registry's links
and aliases, and the blobs of every live version and run file. A second copy adds nothing.
Blobs are copied first, into the destination's blob store (a folder, or S3: uploaded in
parallel), under its staging lock, and every blob is checked against its digest on the
way; then one transaction writes the rows, so the destination never shows a version
whose blobs are not there. Rows go through ``lineage.storage.transfer``, which any
backend's ``Database`` can run.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from .blobs import BlobInfo, BlobStore, check_digest
from .errors import CorruptBlobError, InvalidArgumentError
from .refs import check_path
from .storage import transfer, upkeep


def copy(src, dst, progress: Callable[[int, int], None] | None = None) -> dict[str, int]:
    """Copy the lineage of store ``src`` into store ``dst`` (both ``StoreHandle``s); returns the new rows.

    ``progress(done, total)`` is called with the bytes of blobs copied so far and in all.

    >>> lineage.copy("./.lineage", "./team")  # doctest: +SKIP
    {'runs': 6, 'artifacts': 4, 'versions': 4, 'aliases': 8, 'edges': 10, 'files': 12, 'blobs': 12, 'links': 1}
    """
    if os.path.realpath(src.dir) == os.path.realpath(dst.dir):
        raise InvalidArgumentError(f"cannot copy the store {src.dir} into itself")
    src.open()
    dump = transfer.read_dump(src.db)
    for _, path, sha256, *_ in (*dump["files"], *dump["run_files"]):
        check_digest(sha256)  # a store handed over is untrusted: no forged digest goes further
        check_path(path)
    dst.create()
    live = upkeep.live_blobs(src.db)
    sizes = {sha: size for sha, size, _ in dump["blobs"]}
    dst.staging.acquire()  # gc in the destination keeps off blobs not committed yet
    try:
        have = transfer.recorded_digests(dst.db)
        todo = sorted(sha for sha in live if sha not in have)
        copied = _copy_blobs(src.blobs, dst, todo, sizes, progress)
        dst.blobs.sync()
        return transfer.write_dump(dst.db, dump, {sha: (b.size, b.mtime_ns) for sha, b in copied.items()})
    finally:
        dst.staging.release()


def _copy_blobs(source, dst, todo: list[str], sizes: dict[str, int], progress) -> dict[str, BlobInfo]:
    out: dict[str, BlobInfo] = {}
    total = sum(sizes.get(sha, 0) for sha in todo)
    done = 0
    if isinstance(source, BlobStore):
        # Local blobs are read in place, in batches: put_files hashes and uploads in parallel.
        paths = [(source.check(sha, sizes.get(sha)), sizes.get(sha, 0)) for sha in todo]
        for start in range(0, len(todo), 2048):
            chunk = todo[start : start + 2048]
            for sha, blob in zip(chunk, dst.blobs.put_files(paths[start : start + 2048]), strict=True):
                out[sha] = _checked(sha, blob)
                done += blob.size
            if progress is not None:
                progress(done, total)
        return out
    for sha in todo:
        tmp = dst.blobs.new_temp()
        source.copy_to(sha, sizes.get(sha), tmp)  # checked against its digest while fetched
        out[sha] = _checked(sha, dst.blobs.adopt(tmp))
        done += out[sha].size
        if progress is not None:
            progress(done, total)
    return out


def _checked(sha256: str, blob: BlobInfo) -> BlobInfo:
    if blob.sha256 != sha256:
        raise CorruptBlobError(f"blob {sha256} changed while it was copied (it now hashes to {blob.sha256})")
    return blob
