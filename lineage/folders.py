"""Walking a folder a user adds: its files as (relative path, source), links kept inside it."""

from __future__ import annotations

import os
from pathlib import Path

from .errors import InvalidArgumentError


def walk_folder(root: Path) -> list[tuple[str, str]]:
    """Every file under ``root`` as (relative '/' path, source), following links inside it.

    Raises InvalidArgumentError for a link pointing out of ``root``.
    """
    real_root = os.path.realpath(root)
    out: list[tuple[str, str]] = []
    seen_dirs = {real_root}

    def visit(folder: str, rel: str) -> None:
        with os.scandir(folder) as entries:
            for entry in sorted(entries, key=lambda e: e.name):
                child_rel = f"{rel}{entry.name}"
                child = entry.path
                if entry.is_symlink():
                    target = os.path.realpath(child)
                    if os.path.commonpath([real_root, target]) != real_root:
                        raise InvalidArgumentError(
                            f"link {child!r} points out of the added folder (to {target!r}): copy the file in instead"
                        )
                    if os.path.isdir(target):
                        if target in seen_dirs:
                            continue  # a link back up the tree: its files are added once
                        seen_dirs.add(target)
                        visit(child, child_rel + "/")
                    elif os.path.isfile(target):
                        out.append((child_rel, child))
                elif entry.is_dir():
                    seen_dirs.add(os.path.realpath(child))
                    visit(child, child_rel + "/")
                elif entry.is_file():
                    out.append((child_rel, child))

    visit(os.path.abspath(root), "")
    return out
