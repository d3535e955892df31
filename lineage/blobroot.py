"""The blob store of a blob root: where a store whose blobs are not beside it keeps them.

A store records its root in ``store_settings`` (``blob_root``). This version knows folder
roots (a shared folder path); ``s3://`` roots are the S3 blob store's.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from .blobs import BlobStore
from .errors import LineageError


def open_blob_root(
    root: str,
    recorded: Callable[[str], tuple[int, int] | None],
    recorded_many: Callable[[set[str]], dict[str, tuple[int, int]]],
) -> BlobStore:
    """The blob store for ``root``, a folder path (absolute: every client must find the same one)."""
    if not isinstance(root, str) or not root or "\0" in root or not Path(root).is_absolute():
        raise LineageError(
            f"the store records the blob root {root!r}, which is not an absolute folder path: "
            "record one with 'lineage init STORE --blobs FOLDER'"
        )
    return BlobStore(Path(root), recorded, recorded_many)
