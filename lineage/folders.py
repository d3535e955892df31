"""Walking a folder a user adds: its files as (relative path, source), links kept inside it."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import NamedTuple

from .errors import InvalidArgumentError


def walk_folder(root: Path) -> list[tuple[str, str]]:
    """Every file under ``root`` as (relative '/' path, source), following links inside it.

    :func:`scan_folder`'s files, one list (a folder's files before its subfolders').
    Raises InvalidArgumentError for a link pointing out of ``root``.
    """
    return [(folder.prefix + name, f"{folder.source}/{name}") for folder in scan_folder(root) for name in folder.names]


class Folder(NamedTuple):
    """One folder of a walk and its files, as :func:`scan_folder` finds them.

    ``source``: the folder as walked (absolute, through the links inside the root);
    ``prefix``: its files' path prefix in the walk (``''`` or ``'sub/'``); ``names``: its
    files (and links to files), sorted; ``stats``: each one's stat (a link's: its target's).
    """

    source: str
    prefix: str
    names: list[str]
    stats: list[os.stat_result]


def scan_folder(root: Path) -> list[Folder]:
    """Every folder under ``root`` with its files and their stats, following links inside it.

    Every file under ``root``, grouped by folder, with one ``lstat`` per entry (the
    stat the re-log cache compares; a link's target is stat'ed once more): a folder's
    files come before its subfolders'. Raises InvalidArgumentError for a link pointing out
    of ``root`` and for an entry that cannot be read.
    """
    real_root = os.path.realpath(root)
    out: list[Folder] = []
    seen_dirs = {real_root}
    lstat = os.lstat

    def visit(folder: str, rel: str) -> None:
        try:
            fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
            try:
                names = sorted(os.listdir(fd))
                stats = [lstat(name, dir_fd=fd) for name in names]
            finally:
                os.close(fd)
        except OSError as exc:
            raise InvalidArgumentError(f"cannot add {exc.filename or folder!r}: {exc.strerror}") from None
        files: list[str] = []
        file_stats: list[os.stat_result] = []
        subfolders: list[tuple[str, str | None]] = []  # (name, the target of a link)
        for name, st in zip(names, stats, strict=True):
            kind = st.st_mode & 0o170000
            if kind == stat.S_IFREG:
                files.append(name)
                file_stats.append(st)
            elif kind == stat.S_IFDIR:
                subfolders.append((name, None))
            elif kind == stat.S_IFLNK:
                child = f"{folder}/{name}"
                target = os.path.realpath(child)
                if os.path.commonpath([real_root, target]) != real_root:
                    raise InvalidArgumentError(
                        f"link {child!r} points out of the added folder (to {target!r}): copy the file in instead"
                    )
                if os.path.isdir(target):
                    subfolders.append((name, target))
                elif os.path.isfile(target):
                    files.append(name)
                    file_stats.append(os.stat(child))
        out.append(Folder(folder, rel, files, file_stats))
        # Each subfolder in turn, in name order.
        for name, linked in subfolders:
            child = f"{folder}/{name}"
            if linked is None:
                seen_dirs.add(os.path.realpath(child))
            elif linked in seen_dirs:
                continue  # a link back up the tree: its files are added once
            else:
                seen_dirs.add(linked)
            visit(child, f"{rel}{name}/")

    visit(os.path.abspath(root), "")
    return out
