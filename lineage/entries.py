"""Manifest entries with W&B's names: ``artifact.manifest.entries``, ``get_entry``, ``get_path``.

An entry is one path of a version (or of a draft artifact): ``path``, ``digest`` (the
content's SHA-256 hex; W&B's is an MD5 in base64, lineage's manifest uses SHA-256),
``size``, ``ref`` (the URI of a reference entry, else None), ``birth_artifact_id``,
``extra``, ``local_path``; ``download(root=None)`` materialises just that file and
returns its path, ``ref_url()`` / ``ref_target()`` name a reference.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import InvalidArgumentError, PathNotFoundError

if TYPE_CHECKING:
    from .references import ReferenceEntry


@dataclass(frozen=True)
class ManifestEntry:
    """One entry of an artifact's manifest (W&B's ``ArtifactManifestEntry``)."""

    path: str
    digest: str | None
    size: int | None
    ref: str | None = None
    birth_artifact_id: str | None = None
    local_path: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    _artifact: Any = field(default=None, repr=False, hash=False, compare=False)

    @property
    def name(self) -> str:
        return self.path

    def download(self, root: str | os.PathLike | None = None, skip_cache: bool | None = None) -> str:
        """Download this entry alone (under the artifact's download folder, else ``root``); returns its path."""
        artifact = self._artifact
        if artifact is None or not hasattr(artifact, "download"):
            raise InvalidArgumentError(f"entry {self.path!r} belongs to an artifact not logged yet: log it first")
        folder = artifact.download(root, _paths=frozenset([self.path]))
        target = os.path.join(folder, self.path)
        if not os.path.exists(target):
            raise PathNotFoundError(f"entry {self.path!r} is a reference to {self.ref} that cannot be fetched offline")
        return target

    def ref_url(self) -> str:
        """The URI of a reference entry (W&B's ``ref_url``)."""
        if self.ref is None:
            raise InvalidArgumentError(f"entry {self.path!r} is stored in the artifact, not a reference")
        return self.ref

    def ref_target(self) -> str:
        """The reference target (the URI, as W&B returns for non-file references)."""
        return self.ref_url()


class Manifest:
    """An artifact's manifest (W&B's ``artifact.manifest``): ``entries`` by path."""

    def __init__(self, entries: dict[str, ManifestEntry]):
        self.entries = entries

    def __len__(self) -> int:
        return len(self.entries)

    def __repr__(self) -> str:
        return f"<Manifest {len(self.entries)} entries>"

    def get_entry_by_path(self, path: str) -> ManifestEntry | None:
        return self.entries.get(path)


def parent_folders(path: str) -> list[str]:
    """The folder prefixes of an entry's path: 'a/b/c' -> ['a', 'a/b']."""
    parts = path.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts))]


def find_entry(manifest: Manifest, name: str, where: str) -> ManifestEntry:
    """``get_entry``: the entry at ``name``, or a clear error listing a few that exist."""
    entry = manifest.entries.get(str(name))
    if entry is None:
        have = ", ".join(sorted(manifest.entries)[:5]) or "none"
        raise PathNotFoundError(f"no entry {str(name)!r} in {where} (entries: {have})")
    return entry


MANIFEST_HEADER = "lineage-manifest-v1\n"


def manifest_digest(entries: dict[str, str], references: Iterable[ReferenceEntry] = ()) -> str:
    """The version digest of SPEC section 3 from {path: file sha256} and reference entries.

    A reference adds a three-field line (see lineage/references.py); without references
    the digest is exactly SPEC section 3's.
    """
    refs = {ref.path: ref.digest_line() for ref in references}
    lines = {**entries, **refs} if refs else entries
    # UTF-8 byte order; for ASCII paths that is the order of the strings themselves.
    paths = sorted(lines) if "".join(lines).isascii() else sorted(lines, key=lambda p: p.encode("utf-8"))
    if not refs:  # files only: one "<path>\t<sha256>\n" line each, built in C
        # A folder's entries often come in that order already: then no look-up per path.
        pairs = entries.items() if paths == list(entries) else zip(paths, map(entries.__getitem__, paths), strict=True)
        try:
            body = "\n".join(map("\t".join, pairs)) + "\n" if paths else ""
        except TypeError:  # a digest that is no text (a damaged database): written as format() writes it
            body = "".join(map("{}\t{}\n".format, paths, map(entries.__getitem__, paths)))
    else:
        body = "".join(refs[p] if p in refs else f"{p}\t{entries[p]}\n" for p in paths)
    digest = hashlib.sha256(MANIFEST_HEADER.encode())
    digest.update(body.encode())
    return digest.hexdigest()
