"""``Artifact``: a version being assembled, before ``log_artifact`` commits it.

Content is captured when it is added: each file is copied into the store's blobs right
away (or written there directly by ``new_file``), so changing or deleting the source
afterwards changes nothing, and the store never links to a user's own file.
"""

from __future__ import annotations

import contextlib
import io
import operator
import os
import weakref
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from . import active
from .blobs import BlobInfo, disk_errors
from .entries import (
    Manifest,
    ManifestEntry,
    find_entry,
    manifest_digest,  # the digest's one home: entries.py (fsck imports it there)
    parent_folders,
)
from .errors import InvalidArgumentError, LineageError, PathNotFoundError
from .folders import scan_folder
from .references import ReferenceEntry, expand
from .refs import check_name, check_path, check_paths, check_type, check_utf8
from .values import clean_object

if TYPE_CHECKING:
    from .blobroot import Blobs
    from .logged import LoggedArtifact
    from .store import StoreHandle as Store


_SHA256 = operator.itemgetter(0)  # a BlobInfo's sha256


class Artifact:
    """A new artifact version under construction (the W&B ``Artifact``).

    >>> art = Artifact("mnist-raw", type="dataset", metadata={"source": "torchvision"})
    >>> with art.new_file("labels.txt") as f:   # doctest: +SKIP
    ...     f.write("0 1 2")
    """

    def __init__(
        self,
        name: str,
        type: str,
        description: str | None = None,
        metadata: dict[str, Any] | None = None,
    ):
        self._name = check_name(name, "artifact name")
        self.type = check_type(type)
        if description is not None and not isinstance(description, str):
            raise InvalidArgumentError("artifact description must be text")
        if description is not None:
            check_utf8(description, "artifact description")
        self.description = description
        self.metadata = clean_object(metadata, "artifact metadata")
        self._entries: dict[str, BlobInfo] = {}
        self._references: dict[str, ReferenceEntry] = {}
        self._folders: Counter[str] = Counter()  # folder prefix -> files under it
        self._store: Store | None = None
        self.ttl: timedelta | None = None
        self.tags: list[str] = []
        self._release: weakref.finalize | None = None
        self.logged: LoggedArtifact | None = None

    # -- identity ----------------------------------------------------------------------
    @property
    def name(self) -> str:
        """The artifact's name; ``name:vN`` once logged, as in W&B."""
        return self.logged.name if self.logged is not None else self._name

    @property
    def base_name(self) -> str:
        return self._name

    @property
    def digest(self) -> str:
        """The digest the version will have (SPEC section 3)."""
        shas = dict(zip(self._entries, map(_SHA256, self._entries.values()), strict=True))  # {path: sha256}, in C
        return manifest_digest(shas, self._references.values())

    @property
    def version(self) -> str | None:
        return self.logged.version if self.logged is not None else None

    @property
    def manifest(self) -> Manifest:
        """Every entry added so far, by path (W&B's ``artifact.manifest.entries``)."""
        entries = {
            path: ManifestEntry(path, blob.sha256, blob.size, local_path=self._staged_path(blob.sha256))
            for path, blob in self._entries.items()
        }
        for path, ref in self._references.items():
            entries[path] = ManifestEntry(path, ref.sha256, ref.size, ref=ref.uri)
        return Manifest(dict(sorted(entries.items())))

    def get_entry(self, name: str | os.PathLike) -> ManifestEntry:
        """The entry at path ``name`` (W&B's ``get_entry``)."""
        return find_entry(self.manifest, os.fspath(name), f"artifact {self._name!r}")

    def get_path(self, name: str | os.PathLike) -> ManifestEntry:
        """W&B's older name for :meth:`get_entry`."""
        return self.get_entry(name)

    def is_draft(self) -> bool:
        return self.logged is None

    def wait(self, timeout: int | None = None) -> LoggedArtifact:
        """W&B's ``wait()``: the logged version (logging commits at once offline)."""
        if self.logged is None:
            raise LineageError(f"artifact {self._name!r} is not logged yet: call run.log_artifact() first")
        return self.logged

    def save(self, project: str | None = None, settings: Any = None) -> LoggedArtifact:
        """Log the artifact (W&B's ``save()``): with the active run, else through a run of type ``auto``."""
        if self.logged is not None:
            return self.logged
        return active.save(self, project, self._store.target if self._store is not None else None)

    def _adopt_store(self, store: Store) -> None:
        """Write into ``store`` (whose staging lock the caller took for this artifact)."""
        self._store = store
        self._release = weakref.finalize(self, store.staging.release)

    def references(self) -> dict[str, ReferenceEntry]:
        """{path: reference entry} of every reference added so far."""
        return dict(self._references)

    def __getattr__(self, attribute: str) -> Any:
        # W&B's Artifact is one object before and after logging: once logged, what the
        # draft lacks (aliases, files(), download(), ...) comes from the logged version.
        logged = self.__dict__.get("logged")
        if logged is not None and not attribute.startswith("_") and hasattr(logged, attribute):
            return getattr(logged, attribute)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {attribute!r}")

    def __repr__(self) -> str:
        return f"<Artifact {self.name!r} type={self.type!r} files={len(self._entries) + len(self._references)}>"

    # -- adding content ----------------------------------------------------------------
    def _staged_path(self, sha256: str) -> str | None:
        """Where a staged entry's bytes are (None in an object store); entries come through _writable_store."""
        path = self._staged_blobs().local_path(sha256)
        return None if path is None else str(path)

    def _staged_blobs(self) -> Blobs:
        if self._store is None:
            raise LineageError(f"artifact {self._name!r} holds no staged files")
        return self._store.blobs

    def _writable_store(self) -> Store:
        if self.logged is not None:
            raise LineageError(f"artifact {self.name!r} was logged and is read-only: create a new Artifact")
        if self._store is None:
            store = active.current_store()
            store.check_folder()
            store.staging.acquire()
            self._store = store
            self._release = weakref.finalize(self, store.staging.release)
        return self._store

    def _add(self, path: str, blob: BlobInfo) -> None:
        old = self._entries.get(path)
        if path in self._references or (old is not None and old.sha256 != blob.sha256):
            raise InvalidArgumentError(
                f"path {path!r} is already in artifact {self._name!r} with other content: remove it first"
            )
        parents = self._refuse_clash(path)
        if old is None:
            self._folders.update(parents)
        self._entries[path] = blob

    def _refuse_clash(self, path: str) -> list[str]:
        """Refuse a path that would be both a file and a folder; returns its parents.

        Also called before any bytes are written, so a refused path leaves no blob behind.
        """
        parents = parent_folders(path)
        clash = next((p for p in parents if p in self._entries or p in self._references), None)
        if clash is None and self._folders[path]:
            clash = next(p for p in (*self._entries, *self._references) if p.startswith(path + "/"))
        if clash is not None:
            raise InvalidArgumentError(
                f"path {path!r} clashes with {clash!r}: one path cannot be both a file and a folder"
            )
        return parents

    @contextmanager
    def new_file(self, name: str, mode: str = "x", encoding: str | None = None) -> Iterator[IO]:
        """Open a new file inside the artifact; it is added when the block closes.

        Text unless ``mode`` has ``b``, as in W&B. ``x`` (the default) refuses a path
        already added.
        """
        path = check_path(name)
        if not isinstance(mode, str) or mode.replace("b", "").replace("+", "") not in ("w", "x"):
            raise InvalidArgumentError(f"invalid mode {mode!r} for new_file: use 'w', 'x', 'wb' or 'xb'")
        if "x" in mode and path in self._entries:
            raise InvalidArgumentError(f"file {path!r} already exists in artifact {self._name!r}")
        self._refuse_clash(path)
        store = self._writable_store()
        tmp = store.blobs.new_temp()
        with disk_errors(store.blobs.root):
            raw = open(tmp, "xb")  # noqa: SIM115 (closed below, also on error)
        handle: IO = raw if "b" in mode else io.TextIOWrapper(raw, encoding=encoding or "utf-8", newline="")
        try:
            with disk_errors(store.blobs.root, permissions=False):  # the caller's own errors pass
                yield handle
                handle.close()
            blob = store.blobs.adopt(tmp)
        except BaseException:
            with contextlib.suppress(OSError):  # closing flushes: on a full disk that fails again
                handle.close()
            tmp.unlink(missing_ok=True)
            raise
        self._add(path, blob)

    def add(self, obj: Any, name: str) -> str:
        """Add a Table (``name.table.json``) or an Image (``name.image-file.json``), as W&B's ``add``.

        Image files go beside them under ``media/images/``. Returns the JSON file's path.
        """
        from .wbobjects import object_files

        files = object_files(obj, name)
        for path, _ in files:
            self._refuse_clash(path)
        store = self._writable_store()
        for path, body in files:
            self._add(path, store.blobs.put_bytes(body))
        return files[-1][0]

    def get(self, name: str) -> Any:
        """The Table or Image added as ``name`` (W&B's ``get``)."""
        from .wbobjects import find_object_path, read_object

        path = find_object_path(self._entries, name)
        return read_object(path, lambda p: _read_blob(self._staged_blobs(), self._entries[p].sha256))

    def add_file(self, local_path: str | os.PathLike, name: str | None = None) -> str:
        """Copy a file into the artifact, named by its basename unless ``name`` is given."""
        source = Path(local_path)
        path = check_path(name if name is not None else source.name)
        if not source.is_file():
            raise PathNotFoundError(f"no file at {str(source)!r} to add to artifact {self._name!r}")
        self._refuse_clash(path)
        store = self._writable_store()
        self._add(path, store.ingest([(path, source)])[path])
        return path

    def add_dir(self, local_path: str | os.PathLike, name: str | None = None) -> list[str]:
        """Copy a folder's files in, keeping relative paths (under ``name/`` if given).

        Links inside the folder are followed; a link pointing out of it is refused.
        """
        root = Path(local_path)
        if not root.is_dir():
            raise PathNotFoundError(f"no folder at {str(root)!r} to add to artifact {self._name!r}")
        prefix = check_path(name) + "/" if name else ""
        folders = scan_folder(root)
        groups = [
            folder.names if not prefix + folder.prefix else [prefix + folder.prefix + n for n in folder.names]
            for folder in folders
        ]
        paths = [path for group in groups for path in group]
        check_paths(paths)
        # A folder walk yields each path once and never a file where another has a folder,
        # so only an artifact that holds entries already needs the clash checks.
        fresh = not self._entries and not self._references
        if not fresh:
            for path in paths:
                self._refuse_clash(path)
        store = self._writable_store()
        blobs = store.ingest_folders(folders)
        if fresh:
            for group, found in zip(groups, blobs, strict=True):
                self._entries.update(zip(group, found, strict=True))
                if group and "/" in group[0]:  # a folder's files share their parent folders
                    for parent in parent_folders(group[0]):
                        self._folders[parent] += len(group)
        else:
            for group, found in zip(groups, blobs, strict=True):
                for path, blob in zip(group, found, strict=True):
                    self._add(path, blob)
        return paths

    def add_reference(
        self, uri: str, name: str | None = None, checksum: bool = True, max_objects: int | None = None
    ) -> list[ManifestEntry]:
        """Record a URI as an entry without storing its bytes (W&B's ``add_reference``).

        ``file://`` with ``checksum=True`` hashes the file (a folder: one entry per file,
        under ``name/`` if given), so ``download()`` copies it back and checks it. Any other
        scheme, or ``checksum=False``, is recorded by URI only (``download()`` skips it
        unless it is a ``file://`` path that exists). The entry is named ``name``, else the
        URI's last path part. Returns the entries added (``path``, ``ref``, ``digest``, ``size``).
        """
        if self.logged is not None:
            raise LineageError(f"artifact {self.name!r} was logged and is read-only: create a new Artifact")
        entries = expand(uri, name, bool(checksum), max_objects)
        for entry in entries:
            old = self._references.get(entry.path)
            if entry.path in self._entries or (old is not None and old != entry):
                raise InvalidArgumentError(
                    f"path {entry.path!r} is already in artifact {self._name!r} with other content: remove it first"
                )
            self._refuse_clash(entry.path)
        for entry in entries:
            if entry.path not in self._references:
                self._folders.update(parent_folders(entry.path))
            self._references[entry.path] = entry
        return [ManifestEntry(e.path, e.sha256, e.size, ref=e.uri) for e in entries]

    def remove(self, path: str | os.PathLike) -> None:
        """Remove a file or reference, or every entry under a folder prefix."""
        if self.logged is not None:
            raise LineageError(f"artifact {self.name!r} was logged and is read-only")
        if isinstance(path, os.PathLike):
            path = Path(path).as_posix()
        path = path.rstrip("/") if isinstance(path, str) else path
        check_path(path)
        doomed = [p for p in (*self._entries, *self._references) if p == path or p.startswith(path + "/")]
        if not doomed:
            raise PathNotFoundError(f"no file or folder {path!r} in artifact {self._name!r}")
        for p in doomed:
            self._entries.pop(p, None)
            self._references.pop(p, None)
            self._folders.subtract(parent_folders(p))

    def _logged_as(self, logged: LoggedArtifact) -> None:
        self.logged = logged
        if self._release is not None:
            self._release()


def _read_blob(blobs: Blobs, sha256: str) -> bytes:
    with blobs.open(sha256) as f:
        return f.read()
