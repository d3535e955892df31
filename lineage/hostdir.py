"""This user's private folder on this host, for the local files of stores that have no folder.

A team store (PostgreSQL) has no folder of its own, and an S3 blob root writes a file in
place before uploading it: those files go under ``$TMPDIR/lineage-<uid>/``, made on first
use with mode 0700. A shared temp folder lets any user make that name first, so it is
taken only when it is a real folder (not a link) owned by this user and closed to others;
anything else is refused with one line, never used or followed.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from .errors import LineageError


def private_root() -> Path:
    """Where this user's private folder is (it may not exist yet)."""
    return Path(tempfile.gettempdir()) / f"lineage-{os.getuid()}"


def private_folder(*parts: str) -> Path:
    """``private_root() / parts``, made if missing; the root is checked to be this user's alone."""
    root = private_root()
    try:
        os.mkdir(root, 0o700)
    except FileExistsError:
        pass
    except OSError as exc:
        raise LineageError(f"cannot make the private folder {root}: {exc.strerror}") from None
    info = os.lstat(root)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        raise LineageError(f"{root} is not a folder of this user (a link, or made by another user): remove it")
    if info.st_mode & 0o077:
        os.chmod(root, 0o700)  # ours but opened up by someone: close it before it holds anything
    folder = root.joinpath(*parts)
    folder.mkdir(parents=True, exist_ok=True)
    return folder
