"""Where a store's blobs live: the ``blobs/`` folder beside it, another folder, or S3.

A store whose blobs are not in ``blobs/`` beside its database records their root in
``store_settings`` (``blob_root``): a folder path or an ``s3://bucket/prefix`` URL, so every
client finds the same blobs. :func:`open_blob_root` turns a root into its blob store;
:class:`Blobs` is what both kinds offer the rest of lineage (mypy checks they do).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, Protocol

from .blobs import BlobInfo, BlobStore, StoredObject
from .errors import InvalidArgumentError
from .objectstore import S3BlobStore, parse_s3_url


class Blobs(Protocol):
    """A content-addressed blob store: the local ``BlobStore`` or the ``S3BlobStore``."""

    #: Unreferenced blobs younger than this many seconds are left by gc.
    grace_s: float

    @property
    def root(self) -> Path | str: ...
    def where(self, sha256: str) -> str: ...
    def local_path(self, sha256: str) -> Path | None: ...
    def put_bytes(self, data: bytes | memoryview) -> BlobInfo: ...
    def put_file(self, source: str | os.PathLike, size: int | None = None) -> BlobInfo: ...
    def put_files(self, sources: list[tuple[str, int]]) -> list[BlobInfo]: ...
    def new_temp(self) -> Path: ...
    def adopt(self, tmp: Path) -> BlobInfo: ...
    def syncs_early(self) -> bool: ...
    def sync(self) -> None: ...
    def open(self, sha256: str, size: int | None = None) -> IO[bytes]: ...
    def copy_to(self, sha256: str, size: int | None, target: str | os.PathLike) -> None: ...
    def fetch_many(
        self, items: list[tuple[str, int, str]], progress: Callable[[str, int], None] | None = None
    ) -> None: ...
    def listing(self) -> Iterable[StoredObject]: ...
    def stray_temps(self, grace_s: float | None = None) -> list[tuple[str, int]]: ...
    def remove_temp(self, where: str) -> None: ...
    def remove(self, sha256: str) -> int: ...
    def inspect(self, sha256: str, size: int, recorded: tuple | None, quick: bool) -> str | None: ...
    def links(self) -> list[Path]: ...


def check_root(root: str) -> str:
    """Return ``root`` normalised (an absolute folder path or an s3:// URL), or raise InvalidArgumentError."""
    if not isinstance(root, str) or not root or "\x00" in root:
        raise InvalidArgumentError(f"{str(root)[:200]!r} is no blob root: use a folder path or s3://bucket/prefix")
    if root.startswith("s3://"):
        bucket, prefix = parse_s3_url(root)
        return f"s3://{bucket}/{prefix}" if prefix else f"s3://{bucket}"
    if "://" in root:
        raise InvalidArgumentError(f"{root[:200]!r} is no blob root: only folder paths and s3:// URLs are supported")
    return os.path.abspath(os.path.expanduser(root))


def open_blob_root(
    root: str,
    recorded: Callable[[str], tuple[int, int] | None],
    recorded_many: Callable[[set[str]], dict[str, tuple[int, int]]],
    scratch: Path | None = None,
) -> Blobs:
    """The blob store for ``root``: a folder path gives a ``BlobStore``, ``s3://...`` an ``S3BlobStore``.

    ``root`` may come from a store handed over by someone else: it is validated here. A
    folder root must be absolute (a relative one would depend on the working folder).
    ``scratch``: a local folder for files written in place before they are uploaded.
    """
    if isinstance(root, str) and root.startswith("s3://"):
        return S3BlobStore(root, recorded, recorded_many, scratch=scratch)
    normal = check_root(root)
    if not os.path.isabs(root) or os.path.normpath(root) != root:
        raise InvalidArgumentError(f"the store's blob root {root[:200]!r} is no absolute, normalised folder path")
    return BlobStore(Path(normal), recorded, recorded_many)
