"""``LoggedArtifact``: a committed version, read from the store.

``download`` hard-links files to the read-only blobs where that protects them (not as
root, who may write a read-only file; copies otherwise, or by choice), leaves correct
files alone, replaces wrong ones and never deletes extras.
Every blob is checked (size and mtime against what the store recorded, re-hashed when
they differ) before it is linked or served, so a corrupted blob is named, never served.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from .blobs import BlobStore, hash_file
from .errors import InvalidArgumentError, NotFoundError, PathNotFoundError, VerifyError
from .files import copy_new, replace_with
from .logged_edit import VersionEdits
from .references import ReferenceEntry, local_path, materialise
from .refs import check_path
from .storage import versions
from .storage.records import ArtifactFile, RunInfo, run_by_id, runs_consuming
from .storage.versions import VersionRow, find_by_digest, reference_rows, version_row

if TYPE_CHECKING:
    from .store import StoreHandle as Store

_LINK_FAILURES = (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP, errno.EACCES)


class LoggedArtifact(VersionEdits):
    """A committed artifact version (W&B's logged ``Artifact``)."""

    def __init__(self, store: Store, row: VersionRow):
        self._store = store
        self._row = row
        self._edits: dict[str, Any] = {}
        self._alias_list: list[str] | None = None
        self._alias_seen: list[str] = []

    # -- attributes --------------------------------------------------------------------
    @property
    def id(self) -> int:
        return self._row.id

    @property
    def name(self) -> str:
        """``mnist-raw:v3``, as W&B names a logged artifact."""
        return f"{self._row.name}:v{self._row.number}"

    @property
    def base_name(self) -> str:
        return self._row.name

    @property
    def project(self) -> str:
        return self._row.project

    @property
    def qualified_name(self) -> str:
        return f"{self._row.project}/{self.name}"

    @property
    def type(self) -> str:
        return self._row.type

    @property
    def version(self) -> str:
        return f"v{self._row.number}"

    @property
    def digest(self) -> str:
        return self._row.digest

    @property
    def size(self) -> int:
        return self._row.size

    @property
    def file_count(self) -> int:
        """How many entries (files and references) the version holds."""
        return self._row.file_count

    @property
    def created_by(self) -> str | None:
        """The id of the run that first logged this version (None if that run was not recorded)."""
        return self._row.created_by

    @property
    def created_by_name(self) -> str | None:
        """The name of the run that first logged this version, or None."""
        run = self.logged_by()
        return run.name if run else None

    @property
    def created_at(self) -> str:
        return self._row.created_at

    @property
    def deleted(self) -> bool:
        return self._row.deleted_at is not None

    def __repr__(self) -> str:
        return f"<LoggedArtifact {self.qualified_name} type={self.type!r}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LoggedArtifact) and other._store.dir == self._store.dir and other.id == self.id

    def __hash__(self) -> int:
        return hash((str(self._store.dir), self.id))

    def row_in(self, store: Store) -> VersionRow:
        """This version as ``store`` holds it: same project, name and digest (its identity).

        Never by numeric id alone: an id from another store names an unrelated version there.
        """
        theirs = self._row
        if _same_folder(self._store.dir, store.dir):
            row = version_row(store.db, theirs.id)
            if (row.project, row.name, row.digest) == (theirs.project, theirs.name, theirs.digest):
                store.check_live(row)
                return row
        found = find_by_digest(store.db, theirs.project, theirs.name, theirs.digest)
        if found is None:
            raise NotFoundError(
                f"{self.qualified_name} is from the store {self._store.location}, and the store {store.location} "
                "holds no version with its content: log it there first, or use a ref"
            )
        return found

    # -- files -------------------------------------------------------------------------
    def _file_rows(self) -> list[tuple[str, str, int, int | None, int | None]]:
        return versions.file_rows(self._store.db, self.id)

    def references(self) -> list[ReferenceEntry]:
        """The version's reference entries (``add_reference``), by path."""
        return [ReferenceEntry(*row) for row in reference_rows(self._store.db, self.id)]

    def files(self) -> list[ArtifactFile]:
        """Every entry of the version: path, content digest, size (and ``ref`` for references)."""
        stored = [ArtifactFile(path, sha, size) for path, sha, size, _, _ in self._file_rows()]
        refs = [ArtifactFile(r.path, r.sha256, r.size, r.uri) for r in self.references()]
        return sorted(stored + refs, key=lambda f: f.path) if refs else stored

    def open(self, path: str) -> IO[bytes]:
        """A file of the version opened for binary reading, straight from the blob store."""
        self._store.check_live(self._row)
        check_path(path)
        row = versions.file_row(self._store.db, self.id, path)
        if row is None:
            return self._open_reference(path)
        return self._store.blobs.open(row[0], row[1])

    def _open_reference(self, path: str) -> IO[bytes]:
        entry = next((r for r in self.references() if r.path == path), None)
        if entry is None:
            raise PathNotFoundError(f"no file {path!r} in {self.qualified_name}")
        source = local_path(entry.uri)
        if source is None or not os.path.isfile(source):
            raise PathNotFoundError(f"{path!r} in {self.qualified_name} is a reference to {entry.uri}: not readable")
        if entry.sha256 is not None and hash_file(source) != entry.sha256:
            raise VerifyError(f"reference {path!r} ({entry.uri}) changed since it was logged")
        return open(source, "rb")

    def default_root(self) -> Path:
        return Path.cwd() / "artifacts" / self.name

    def download(
        self,
        root: str | os.PathLike | None = None,
        progress: Callable[[str, int], None] | None = None,
        path_prefix: str | None = None,
        allow_missing_references: bool = False,
        skip_cache: bool | None = None,
        multipart: bool | None = None,
        link: bool | None = None,
        _paths: frozenset[str] | None = None,
    ) -> str:
        """Materialise the version's files under ``root`` and return its path.

        Default root: ``./artifacts/<name>:<version>``. ``progress(path, size)`` is called
        after each file (the CLI's progress bar). ``link``: True hard-links every file to
        its blob where the file system allows (then an edit of a downloaded file by root,
        who may write a read-only file, changes the store's blob: fsck and download notice
        and refuse it); False copies (a reflink where the file system has them); None, the
        default, links only where the link is protected (not as root, and only a
        read-only blob) and copies otherwise, so an edit never harms the store.
        Reference entries are copied from their ``file://`` source (checked against the
        digest recorded for them); references to any other scheme cannot be fetched
        offline and are skipped. ``path_prefix`` keeps only the entries whose path starts
        with it (W&B's); ``skip_cache``, ``multipart`` and ``allow_missing_references``
        are accepted and change nothing offline.
        """

        def wanted(path: str) -> bool:
            if _paths is not None:
                return path in _paths
            return path_prefix is None or path.startswith(path_prefix)

        self._store.check_live(self._row)
        target_root = Path(root) if root is not None else self.default_root()
        _make_folder(target_root)
        root_str = str(target_root)
        real_root = os.path.realpath(target_root)
        safe_dirs: set[str] = {root_str}
        blobs = self._store.blobs
        fetch: list[tuple[str, int, str]] = []
        as_root = os.geteuid() == 0 if hasattr(os, "geteuid") else False
        for path, sha, size, rec_size, rec_mtime in self._file_rows():
            if not wanted(path):
                continue
            # A value from the database becomes a path: one that could climb out is refused.
            # (The cheap test first: this loop runs for every file of every download.)
            wrapped = f"/{path}/"
            if "/../" in wrapped or "/./" in wrapped or "//" in wrapped:
                check_path(path)
            # Plain strings: at tens of thousands of files, pathlib costs more than the links.
            target = f"{root_str}/{path}"
            parent = os.path.dirname(target)
            if parent not in safe_dirs:
                # Check the nearest folder that exists before creating any below it: a link
                # there would lead the new folders out of the download folder.
                existing = parent
                while existing not in safe_dirs and not os.path.lexists(existing):
                    existing = os.path.dirname(existing)
                _refuse_outside(existing, real_root)
                _make_folder(parent)
                _refuse_outside(parent, real_root)
                safe_dirs.add(parent)
            if not isinstance(blobs, BlobStore):  # an object in S3: copied, in parallel, below
                fetch.append((sha, size, target))
                continue
            blob, blob_st = blobs.checked(
                sha, size, recorded=(rec_size, rec_mtime) if rec_size is not None and rec_mtime is not None else None
            )
            by_link = link if link is not None else not as_root and not blob_st.st_mode & 0o222
            _materialise(blob, blob_st, target, sha, size, by_link)
            if progress is not None:
                progress(path, size)
        if fetch:
            start = len(root_str) + 1
            blobs.fetch_many(fetch, None if progress is None else lambda target, size: progress(target[start:], size))
        for entry in self.references():
            if local_path(entry.uri) is None or not wanted(entry.path):
                continue
            target = f"{root_str}/{entry.path}"
            parent = os.path.dirname(target)
            _make_folder(parent)
            _refuse_outside(parent, real_root)
            materialise(entry, target)
            if progress is not None:
                progress(entry.path, entry.size or 0)
        return str(target_root)

    def verify(self, root: str | os.PathLike | None = None, progress: Callable[[str, int], None] | None = None) -> None:
        """Raise VerifyError listing every missing, extra or altered file under ``root``.

        ``progress(path, size)`` is called after each file is checked. A reference entry
        with a recorded digest is checked like a file; one recorded by URI only may be
        present or not.
        """
        folder = Path(root) if root is not None else self.default_root()
        expected: dict[str, tuple[str, int | None]] = {path: (sha, size) for path, sha, size, _, _ in self._file_rows()}
        unchecked = set()
        for entry in self.references():
            if entry.sha256 is not None:
                expected[entry.path] = (entry.sha256, entry.size)
            else:
                unchecked.add(entry.path)
        problems: list[str] = []
        if not folder.is_dir():
            raise VerifyError(f"cannot verify {self.qualified_name}: no folder {str(folder)!r}")
        present = set()
        for dirpath, _, names in os.walk(folder):
            for n in names:
                present.add(Path(dirpath, n).relative_to(folder).as_posix())
        for path, (sha, size) in sorted(expected.items()):
            if path not in present:
                problems.append(f"missing {path}")
            elif (size is not None and os.path.getsize(folder / path) != size) or hash_file(folder / path) != sha:
                problems.append(f"altered {path}")
            if progress is not None:
                progress(path, size or 0)
        extra = {p for p in present - expected.keys() if not any(p == u or p.startswith(u + "/") for u in unchecked)}
        problems += [f"extra {p}" for p in sorted(extra)]
        if problems:
            raise VerifyError(f"{folder} does not match {self.qualified_name}: " + "; ".join(problems))

    # -- lineage -----------------------------------------------------------------------
    def logged_by(self) -> RunInfo | None:
        """The run that first logged this version."""
        if self._row.created_by is None:
            return None
        return run_by_id(self._store.db, self._row.created_by)

    def used_by(self) -> list[RunInfo]:
        """Every run that consumed this version, oldest first."""
        return runs_consuming(self._store.db, self.id)


def _same_folder(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def _make_folder(folder: str | Path) -> None:
    try:
        os.makedirs(folder, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise InvalidArgumentError(f"cannot download to {str(folder)!r}: a file is in the way") from None


def _refuse_outside(folder: str, real_root: str) -> None:
    if os.path.commonpath([real_root, os.path.realpath(folder)]) != real_root:
        raise InvalidArgumentError(f"{folder!r} leads out of the download folder (through a link): remove the link")


def _materialise(blob: str, blob_st: os.stat_result, target: str, sha: str, size: int, link: bool) -> None:
    """Make ``target`` hold the blob's content: leave it, link it, or copy it.

    A file already there is never written through (it may be a link planted to lead the
    write elsewhere): a new file is made under an unpredictable name in the same folder
    and renamed over it, which also keeps concurrent downloads of one folder whole.
    """
    if link:
        try:
            os.link(blob, target, follow_symlinks=False)
            return
        except FileExistsError:
            pass
        except OSError as exc:
            if exc.errno not in _LINK_FAILURES:
                raise
            link = False
    try:
        st = os.lstat(target)
    except FileNotFoundError:
        st = None
    if st is not None:
        if stat.S_ISDIR(st.st_mode):
            raise InvalidArgumentError(f"cannot download to {target!r}: a folder is in the way")
        if (st.st_ino, st.st_dev) == (blob_st.st_ino, blob_st.st_dev):
            if link:
                return
        elif stat.S_ISREG(st.st_mode) and st.st_size == size and hash_file(target, follow=False) == sha:
            return
    if link:
        try:
            replace_with(target, lambda tmp: os.link(blob, tmp, follow_symlinks=False))
            return
        except OSError as exc:
            if exc.errno not in _LINK_FAILURES:
                raise
    replace_with(target, lambda tmp: copy_new(blob, tmp))
