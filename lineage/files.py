"""Plain file helpers for the blob store: hashing, durable writes, disk-full errors.

Nothing here knows about stores or digests' meaning; :mod:`lineage.blobs` builds on it.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import InvalidArgumentError, ReadOnlyStoreError, StoreFullError

CHUNK = 8 << 20  # large files stream through two buffers of this size
# Opening a blob never follows a link: a store handed over by someone else may hold one.
READ_NOFOLLOW = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)


def hash_file(path: str | os.PathLike, chunk: int = CHUNK, follow: bool = True) -> str:
    """SHA-256 of a file's content, streamed (``follow=False``: refuse a link)."""
    digest = hashlib.sha256()
    flags = os.O_RDONLY if follow else READ_NOFOLLOW
    with open(os.open(path, flags), "rb", buffering=0) as f:
        size = os.fstat(f.fileno()).st_size
        if size < chunk:  # one read; no big buffer to allocate for a small file
            digest.update(f.read())
            return digest.hexdigest()
        buf = bytearray(chunk)
        view = memoryview(buf)
        while n := f.readinto(buf):
            digest.update(view[:n])
    return digest.hexdigest()


def syncfs(path: Path) -> None:
    """Flush every dirty page of the file system holding ``path`` (Linux), else os.sync."""
    import ctypes  # only here: ctypes is slow to import and most writes never need it

    fd = os.open(path, os.O_RDONLY)
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if getattr(libc, "syncfs", None) is None or libc.syncfs(fd) != 0:
            os.sync()
    except OSError:
        os.sync()
    finally:
        os.close(fd)


_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


@contextmanager
def disk_errors(root: Path, permissions: bool = True) -> Iterator[None]:
    """Say a full disk (or, with ``permissions``, a read-only store) in one line, not a raw OSError."""
    try:
        yield
    except OSError as exc:
        if exc.errno in _FULL:
            raise StoreFullError(
                f"cannot write to {root}: {exc.strerror} (the disk is full, or a size limit was reached); "
                "free some space and try again"
            ) from None
        if permissions and exc.errno in (errno.EROFS, errno.EACCES):
            raise ReadOnlyStoreError(
                f"cannot write to {root}: {exc.strerror}; the store can be read here, not changed"
            ) from None
        raise


def write_all(fd: int, view: memoryview) -> None:
    """Write every byte of ``view`` to ``fd`` (``os.write`` may write fewer)."""
    while view:
        view = view[os.write(fd, view) :]


def fsync_path(path: str, missing_ok: bool = False) -> bool:
    """fsync a file or folder; False if it is gone and ``missing_ok``."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        if missing_ok:
            return False
        raise
    try:
        os.fsync(fd)
    except OSError as exc:  # some file systems refuse fsync on folders
        if exc.errno not in (errno.EINVAL, errno.EBADF):
            raise
    finally:
        os.close(fd)
    return True


def replace_with(target: str, make: Callable[[str], None]) -> None:
    """Make a new file with ``make(tmp)`` beside ``target`` and rename it over ``target``."""
    folder, name = os.path.split(target)
    for _ in range(100):
        tmp = f"{folder}/.{name[:100]}.lineage-{secrets.token_hex(8)}"
        try:
            make(tmp)
            break
        except FileExistsError:
            continue  # a name taken (or planted): draw another
    else:
        raise InvalidArgumentError(f"cannot download to {folder!r}: no free temporary name there")
    try:
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def copy_new(blob: str, tmp: str, follow: bool = False) -> None:
    """Copy a file (a blob: never through a link, unless ``follow``) into a new file ``tmp``.

    ``tmp`` is created here with O_EXCL, never through a link.

    A reflink (FICLONE) where the file system has them, else copy_file_range, else read
    and write.
    """
    src = os.open(blob, os.O_RDONLY if follow else READ_NOFOLLOW)
    try:
        dst = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o644)
        try:
            _copy_fd(src, dst)
        except BaseException:
            os.close(dst)
            os.unlink(tmp)
            raise
        os.close(dst)
    finally:
        os.close(src)


_FICLONE = 0x40049409  # linux/fs.h: _IOW(0x94, 9, int)


def _copy_fd(src: int, dst: int) -> None:
    try:
        fcntl.ioctl(dst, _FICLONE, src)
        return
    except OSError:
        pass
    if hasattr(os, "copy_file_range"):
        try:
            while os.copy_file_range(src, dst, 1 << 30):
                pass
            return
        except OSError as exc:
            if exc.errno not in (errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
                raise
            os.lseek(src, 0, os.SEEK_SET)
            os.lseek(dst, 0, os.SEEK_SET)
            os.ftruncate(dst, 0)
    while chunk := os.read(src, 8 << 20):
        write_all(dst, memoryview(chunk))
