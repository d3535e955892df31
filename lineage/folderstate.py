"""The re-log cache of folders added whole (folder_state): one row per folder walked.

A row keeps the folder's file names, each file's (inode, ctime_ns, mtime_ns, size, mode)
packed as unsigned 64-bit little-endian integers in hex, their digests and their blobs'
mtimes. A folder whose stats pack to the remembered text costs one string comparison;
otherwise each file is compared alone. A file too fresh to trust (the racy rule) or with a
time that cannot be packed is remembered as zeros, which no real stat matches. A damaged
or forged row remembers nothing, and a forged digest is never trusted.
"""

from __future__ import annotations

import itertools
import operator
import os
import sys
from array import array

from .blobs import DIGEST_RE, BlobInfo, all_digests
from .folders import Folder

STAT_KEY = operator.attrgetter("st_ino", "st_ctime_ns", "st_mtime_ns", "st_size", "st_mode")
NO_KEY = b"\xff" * 40  # a stat that cannot be packed (a time before 1970): never matches a remembered one


def to_hex(values: array) -> str:
    """Unsigned 64-bit integers as folder_state packs them: little-endian, in hex."""
    if sys.byteorder != "little":
        values = array("Q", values)
        values.byteswap()
    return values.tobytes().hex()


def from_hex(text: str) -> array | None:
    """:func:`to_hex` read back; None if the text is no such packing (a damaged or forged row)."""
    try:
        values = array("Q", bytes.fromhex(text))
    except (ValueError, TypeError):
        return None
    if sys.byteorder != "little":
        values.byteswap()
    return values


def packed_stats(stats: list[os.stat_result]) -> array:
    """The (inode, ctime_ns, mtime_ns, size, mode) of each stat, packed as folder_state keeps them."""
    try:
        return array("Q", itertools.chain.from_iterable(map(STAT_KEY, stats)))
    except OverflowError:  # a negative time: that file is never remembered
        parts = []
        for st in stats:
            try:
                parts.append(array("Q", STAT_KEY(st)).tobytes())
            except OverflowError:
                parts.append(NO_KEY)
        return array("Q", b"".join(parts))


def cached_blobs(row: tuple[str, str, str, str], keys: array) -> list[BlobInfo] | None:
    """The blobs of a folder whose files all match its folder_state row; None if the row is damaged."""
    digests = row[2].split("\n") if row[2] else []
    mtimes = from_hex(row[3])
    if mtimes is None or not (len(digests) == len(mtimes) == len(keys) // 5):
        return None
    if not all_digests(digests):  # type: ignore[arg-type]
        return None
    fields = zip(digests, keys[3::5], mtimes, strict=True)
    return list(map(tuple.__new__, itertools.repeat(BlobInfo), fields))  # type: ignore[arg-type]  # BlobInfos, in C


def some_cached_blobs(row: tuple[str, str, str, str] | None, names: list[str], keys: array) -> list[BlobInfo | None]:
    """Each file's blob if its stat is the one its folder's row remembers, else None (copy it).

    A damaged or forged row remembers nothing; a forged digest in it is never trusted.
    """
    if row is None:
        return [None] * len(names)
    old_names = row[0].split("/") if row[0] else []
    old_keys, mtimes = from_hex(row[1]), from_hex(row[3])
    digests = row[2].split("\n") if row[2] else []
    if (
        old_keys is None
        or mtimes is None
        or not (len(old_names) == len(digests) == len(mtimes) == len(old_keys) // 5)
        or len(old_keys) % 5
    ):
        return [None] * len(names)
    where = {name: i for i, name in enumerate(old_names)}
    out: list[BlobInfo | None] = []
    for j, name in enumerate(names):
        i = where.get(name)
        if i is not None and old_keys[5 * i : 5 * i + 5] == keys[5 * j : 5 * j + 5] and DIGEST_RE.fullmatch(digests[i]):
            out.append(BlobInfo(digests[i], keys[5 * j + 3], mtimes[i]))
        else:
            out.append(None)
    return out


def row(folder: Folder, blobs: list[BlobInfo], stats: str, fresh: set[int]) -> tuple[str, str, str, str, str]:
    """The folder_state row remembering ``folder`` as logged now: its stats packed (``stats``),
    with zeros for each file whose stat is in ``fresh`` (by ``id``) or could not be packed."""
    if fresh or NO_KEY.hex() in stats:
        packed = bytearray.fromhex(stats)
        for i, st in enumerate(folder.stats):
            if id(st) in fresh or packed[40 * i : 40 * i + 40] == NO_KEY:
                packed[40 * i : 40 * i + 40] = bytes(40)
        stats = packed.hex()
    mtimes = array("Q", [b.mtime_ns for b in blobs])
    return folder.source, "/".join(folder.names), stats, "\n".join(b.sha256 for b in blobs), to_hex(mtimes)
