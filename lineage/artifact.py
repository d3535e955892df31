"""``Artifact``: a version being assembled, before ``log_artifact`` commits it.

Content is captured when it is added: each file is copied into the store's blobs right
away (or written there directly by ``new_file``), so changing or deleting the source
afterwards changes nothing, and the store never links to a user's own file.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import weakref
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from .blobs import BlobInfo, disk_errors
from .errors import InvalidArgumentError, LineageError, PathNotFoundError
from .refs import check_name, check_path, check_text, check_type
from .values import clean_object

if TYPE_CHECKING:
    from .logged import LoggedArtifact
    from .store import Store

MANIFEST_HEADER = "lineage-manifest-v1\n"


def manifest_digest(entries: dict[str, str]) -> str:
    """The version digest of SPEC section 3 from {path: file sha256}."""
    digest = hashlib.sha256(MANIFEST_HEADER.encode())
    for path in sorted(entries, key=lambda p: p.encode("utf-8")):
        digest.update(f"{path}\t{entries[path]}\n".encode())
    return digest.hexdigest()


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
            check_text(description, "artifact description")
        self.description = description
        self.metadata = clean_object(metadata, "artifact metadata")
        self._entries: dict[str, BlobInfo] = {}
        self._folders: Counter[str] = Counter()  # folder prefix -> files under it
        self._store: Store | None = None
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
        return manifest_digest({p: b.sha256 for p, b in self._entries.items()})

    @property
    def version(self) -> str | None:
        return self.logged.version if self.logged is not None else None

    def manifest(self) -> dict[str, BlobInfo]:
        """{path: blob} of every file added so far."""
        return dict(self._entries)

    def __repr__(self) -> str:
        return f"<Artifact {self.name!r} type={self.type!r} files={len(self._entries)}>"

    # -- adding content ----------------------------------------------------------------
    def _writable_store(self) -> Store:
        if self.logged is not None:
            raise LineageError(f"artifact {self.name!r} was logged and is read-only: create a new Artifact")
        if self._store is None:
            from .tracking import current_store

            store = current_store()
            store.check_folder()
            store.staging.acquire()
            self._store = store
            self._release = weakref.finalize(self, store.staging.release)
        return self._store

    def _add(self, path: str, blob: BlobInfo) -> None:
        old = self._entries.get(path)
        if old is not None and old.sha256 != blob.sha256:
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
        parents = _parents(path)
        clash = next((p for p in parents if p in self._entries), None)
        if clash is None and self._folders[path]:
            clash = next(p for p in self._entries if p.startswith(path + "/"))
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
        pairs = [(prefix + rel, source) for rel, source in walk_folder(root)]
        for path, _ in pairs:
            check_path(path)
            self._refuse_clash(path)
        store = self._writable_store()
        blobs = store.ingest(pairs)
        for path, _ in pairs:
            self._add(path, blobs[path])
        return [path for path, _ in pairs]

    def remove(self, path: str) -> None:
        """Remove a file, or every file under a folder prefix."""
        if self.logged is not None:
            raise LineageError(f"artifact {self.name!r} was logged and is read-only")
        path = path.rstrip("/") if isinstance(path, str) else path
        check_path(path)
        doomed = [p for p in self._entries if p == path or p.startswith(path + "/")]
        if not doomed:
            raise PathNotFoundError(f"no file or folder {path!r} in artifact {self._name!r}")
        for p in doomed:
            del self._entries[p]
            self._folders.subtract(_parents(p))

    def _logged_as(self, logged: LoggedArtifact) -> None:
        self.logged = logged
        if self._release is not None:
            self._release()


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


def _parents(path: str) -> list[str]:
    """The folder prefixes of a path: 'a/b/c' -> ['a', 'a/b']."""
    parts = path.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts))]
