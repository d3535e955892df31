"""Reference entries: manifest entries that name a URI instead of holding a blob.

``artifact.add_reference(uri, name=None, checksum=True)`` records where content lives,
as W&B does. For ``file://`` with ``checksum=True`` the file is hashed when added (a
folder gives one entry per file under it), so ``download()`` can copy it back and check
it and ``verify()`` can check it. Any other scheme (``s3://``, ``gs://``, ``https://``,
``postgres://db:5432/public.orders``...), and ``file://`` with ``checksum=False``, is
recorded by its URI only: offline, lineage fetches nothing, so ``download()`` skips such
entries and says so in its result; a ``file://`` one is copied when the path exists.

In the version digest (SPEC section 3) a reference is one line
``<path>\\t<sha256 hex or ->\\t<uri>\\n``, sorted with the stored files' two-field lines;
paths and URIs hold no tab (no control characters), so the two line forms cannot be
confused, and a version of stored files only keeps exactly the digest it always had.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

from .blobs import hash_file
from .errors import InvalidArgumentError, PathNotFoundError, VerifyError
from .files import copy_new, replace_with
from .folders import walk_folder
from .refs import check_path

URI_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^\x00-\x1f\x7f]*")
MAX_URI = 4096
DEFAULT_MAX_OBJECTS = 10_000  # W&B's default limit on a referenced folder's files


@dataclass(frozen=True)
class ReferenceEntry:
    """A manifest entry recorded by URI: ``sha256``/``size`` are None when not checked."""

    path: str
    uri: str
    sha256: str | None = None
    size: int | None = None

    def digest_line(self) -> str:
        return f"{self.path}\t{self.sha256 or '-'}\t{self.uri}\n"


def check_uri(uri: object) -> str:
    """Return ``uri`` if it is ``scheme://...`` text without control characters, else raise."""
    if isinstance(uri, os.PathLike):
        uri = os.fspath(uri)
    if not isinstance(uri, str) or len(uri) > MAX_URI or not URI_RE.fullmatch(uri):
        raise InvalidArgumentError(
            f"invalid reference {uri!r}: use a URI like 'file:///data/train.csv' or 's3://bucket/key' "
            "(scheme://..., no control characters)"
        )
    return uri


def local_path(uri: str) -> str | None:
    """The absolute local path a ``file://`` URI names, or None for other schemes."""
    parsed = urlparse(uri)
    if parsed.scheme.lower() != "file":
        return None
    if parsed.netloc not in ("", "localhost"):
        raise InvalidArgumentError(
            f"invalid reference {uri!r}: a file URI needs an absolute path, as in 'file:///data/x.csv'"
        )
    return unquote(parsed.path)


def default_name(uri: str) -> str:
    """W&B's entry name for a URI: its last path part (else its host)."""
    parsed = urlparse(uri)
    parts = [p for p in unquote(parsed.path).split("/") if p]
    return parts[-1] if parts else parsed.netloc


def expand(uri: object, name: str | None, checksum: bool, max_objects: int | None) -> list[ReferenceEntry]:
    """The entries ``add_reference`` adds for a URI (one, or one per file of a folder)."""
    uri = check_uri(uri)
    if name is not None:
        name = check_path(str(name).rstrip("/") if isinstance(name, (str, os.PathLike)) else name)
    path = local_path(uri)
    if path is None or not checksum:
        entry_name = name if name is not None else default_name(uri)
        if not entry_name:
            raise InvalidArgumentError(f"reference {uri!r} has no path to name its entry: pass name=")
        return [ReferenceEntry(check_path(entry_name), uri)]
    if os.path.isfile(path):
        entry_name = name if name is not None else os.path.basename(path)
        return [ReferenceEntry(check_path(entry_name), uri, hash_file(path), os.path.getsize(path))]
    if not os.path.isdir(path):
        raise PathNotFoundError(f"reference {uri!r}: no file or folder at {path!r}")
    limit = DEFAULT_MAX_OBJECTS if max_objects is None else max_objects
    files = walk_folder(Path(path))
    if len(files) > limit:
        raise InvalidArgumentError(
            f"reference {uri!r} holds {len(files)} files, more than max_objects={limit}: raise max_objects"
        )
    base = uri.rstrip("/")
    prefix = f"{name}/" if name else ""
    return [
        ReferenceEntry(check_path(prefix + rel), f"{base}/{rel}", hash_file(source), os.path.getsize(source))
        for rel, source in files
    ]


def materialise(entry: ReferenceEntry, target: str) -> bool:
    """Copy a ``file://`` reference to ``target``; False when it cannot be fetched offline.

    A checked entry whose source changed since it was added raises ``VerifyError``.
    """
    source = local_path(entry.uri)
    if source is None:
        return False
    if entry.sha256 is None and os.path.isdir(source):
        _copy_folder(source, target)
        return True
    if not os.path.isfile(source):
        if entry.sha256 is None:
            return False
        raise VerifyError(f"reference {entry.path!r}: {entry.uri} is gone: log a new version of the artifact")
    exists = entry.sha256 is not None and os.path.isfile(target) and not os.path.islink(target)
    if exists and hash_file(target) == entry.sha256:
        return True

    def copy_checked(tmp: str) -> None:
        copy_new(source, tmp, follow=True)
        # Checked on the copy: the source may change between a check and a copy.
        if entry.sha256 is not None and hash_file(tmp) != entry.sha256:
            os.unlink(tmp)
            raise VerifyError(
                f"reference {entry.path!r}: {entry.uri} changed since it was logged: log a new version of the artifact"
            )

    # A new file under an unpredictable name, renamed over the target: never written through a link.
    replace_with(target, copy_checked)
    return True


def _copy_folder(source: str, target: str) -> None:
    """Copy the files under ``source`` into ``target``, each through :func:`replace_with`."""
    real_target = os.path.realpath(target)
    for folder, _, names in os.walk(source):
        rel = os.path.relpath(folder, source)
        here = target if rel == "." else os.path.join(target, rel)
        os.makedirs(here, exist_ok=True)
        if os.path.commonpath([real_target, os.path.realpath(here)]) != real_target:
            raise InvalidArgumentError(f"{here!r} leads out of the download folder (through a link): remove the link")
        for name in names:
            src = os.path.join(folder, name)
            if os.path.isfile(src):
                replace_with(os.path.join(here, name), functools.partial(copy_new, src, follow=True))
