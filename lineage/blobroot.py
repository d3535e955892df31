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
from .errors import InvalidArgumentError, LineageError
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


# -- who owns a root ----------------------------------------------------------------------
# A recorded root belongs to one store: gc of a second store sharing it would free the
# first one's blobs (it records none of them). The root keeps the owner's id beside its
# blobs (a name no blob can have); a store refuses to take, or to gc, a root another owns.
OWNER_NAME = "lineage-store"
_ID_LENGTH = 32  # uuid4().hex


def root_owner(blobs: Blobs) -> str | None:
    """The id of the store that owns the blob root of ``blobs``, or None when none claimed it."""
    if isinstance(blobs, S3BlobStore):
        text = blobs.read_small(OWNER_NAME)
    else:
        try:
            fd = os.open(os.path.join(blobs.root, OWNER_NAME), os.O_RDONLY | os.O_NOFOLLOW)
        except FileNotFoundError:
            return None
        except OSError as exc:  # a link (never followed), a folder, no permission
            raise LineageError(f"cannot read the owner of blob root {blobs.root} ({exc.strerror})") from None
        with open(fd, "rb") as f:
            text = f.read(_ID_LENGTH + 1)
    if text is None:
        return None
    owner = text.decode("ascii", "replace").strip()
    if len(owner) != _ID_LENGTH or not all(c in "0123456789abcdef" for c in owner):
        raise LineageError(f"the blob root {blobs.root} names an owner {owner[:40]!r} that is no store id")
    return owner


def claim_root(blobs: Blobs, store_id: str) -> None:
    """Record ``store_id`` as the owner of the blob root of ``blobs`` (which no store owns yet)."""
    data = (store_id + "\n").encode("ascii")
    if isinstance(blobs, S3BlobStore):
        blobs.write_small(OWNER_NAME, data)
        return
    os.makedirs(blobs.root, exist_ok=True)
    path = os.path.join(blobs.root, OWNER_NAME)
    # Written in full beside it, then linked into place: a store reading the owner while
    # another claims the root never finds the file empty.
    tmp = blobs.new_temp()
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o444)
        try:
            os.link(tmp, path)
        except FileExistsError:
            return  # claimed meanwhile: the caller's next check reads the owner
    finally:
        os.unlink(tmp)
