"""What W&B lets a user change on a logged version, and the calls around it (mixed into LoggedArtifact).

``description``, ``metadata``, ``aliases`` (a list: ``aliases.append("best")``),
``tags`` and ``ttl`` may be set on a logged version; ``save()`` writes them in one
transaction, as W&B's ``artifact.save()`` does (the version's digest does not change:
none of them is content). Also: ``wait()``, ``file()``, ``delete()``, ``new_draft()``,
``manifest``, ``get_entry()`` / ``get_path()``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from . import active
from .entries import Manifest, ManifestEntry, find_entry, parent_folders
from .errors import InvalidArgumentError
from .refs import LATEST, check_alias, check_tags
from .storage import versions
from .values import clean_object, dump_object

if TYPE_CHECKING:
    from .artifact import Artifact
    from .store import StoreHandle as Store

_UNSET = object()


class VersionEdits:
    """Editable fields and W&B's extra calls of a logged version."""

    _store: Store
    _row: versions.VersionRow
    _edits: dict[str, Any]
    _alias_list: list[str] | None
    _alias_seen: list[str]

    if TYPE_CHECKING:  # provided by logged.LoggedArtifact
        download: Callable[..., str]

        @property
        def id(self) -> int: ...
        @property
        def qualified_name(self) -> str: ...
        def files(self) -> list[Any]: ...
        def open(self, path: str) -> Any: ...

    # -- editable fields ---------------------------------------------------------------
    @property
    def description(self) -> str | None:
        return self._edits.get("description", self._row.description)

    @description.setter
    def description(self, value: str | None) -> None:
        if value is not None and not isinstance(value, str):
            raise InvalidArgumentError("artifact description must be text")
        self._edits["description"] = value

    @property
    def metadata(self) -> dict[str, Any]:
        if "metadata" not in self._edits:
            self._edits["metadata"] = json.loads(self._row.metadata)
            self._edits["metadata_loaded"] = True
        return self._edits["metadata"]

    @metadata.setter
    def metadata(self, value: dict[str, Any] | None) -> None:
        self._edits["metadata"] = clean_object(value, "artifact metadata")
        self._edits.pop("metadata_loaded", None)

    @property
    def aliases(self) -> list[str]:
        """The aliases naming this version: read fresh (aliases move) until edited, then kept for save()."""
        if self._alias_list is None or self._alias_list == self._alias_seen:
            fresh = versions.version_aliases(self._store.db, self.id)
            if self._alias_list is None:
                self._alias_list = fresh
            else:
                self._alias_list[:] = fresh
            self._alias_seen = list(fresh)
        return self._alias_list

    @aliases.setter
    def aliases(self, value: list[str]) -> None:
        self.aliases  # noqa: B018 (loads what the store holds, to compare with on save)
        self._alias_list = list(value)

    @property
    def tags(self) -> list[str]:
        if "tags" not in self._edits:
            self._edits["tags"] = versions.version_extras(self._store.db, self.id)[0]
            self._edits["tags_loaded"] = list(self._edits["tags"])
        return self._edits["tags"]

    @tags.setter
    def tags(self, value: list[str]) -> None:
        self._edits["tags"] = check_tags(value)
        self._edits.pop("tags_loaded", None)

    @property
    def ttl(self) -> timedelta | None:
        """How long after its creation the version expires (``lineage gc`` deletes it then); None: never."""
        if "ttl" in self._edits:
            return self._edits["ttl"]
        expires_at = versions.version_extras(self._store.db, self.id)[1]
        if expires_at is None:
            return None
        return _parse(expires_at) - _parse(self._row.created_at)

    @ttl.setter
    def ttl(self, value: timedelta | None) -> None:
        self._edits["ttl"] = check_ttl(value)

    # -- W&B's calls -------------------------------------------------------------------
    def save(self) -> None:
        """Write changed description, metadata, aliases, tags and ttl (W&B's ``artifact.save()``)."""
        edits = self._edits
        metadata = edits.get("metadata")
        tags = edits.get("tags")
        if tags is not None and edits.get("tags_loaded") == tags:
            tags = None
        wanted = self._alias_list if self._alias_list is not None else None
        add: tuple[str, ...] = ()
        remove: tuple[str, ...] = ()
        if wanted is not None and wanted != self._alias_seen:
            add = tuple(a for a in dict.fromkeys(wanted) if a not in self._alias_seen and a != LATEST)
            for alias in add:
                check_alias(alias, settable=True)
            remove = tuple(a for a in self._alias_seen if a not in wanted and a != LATEST)
        has_ttl = "ttl" in edits
        edit = versions.VersionEdit(
            description=edits.get("description"),
            clear_description="description" in edits and edits["description"] is None,
            metadata=None if metadata is None else dump_object(clean_object(metadata, "artifact metadata")),
            tags=tags,
            set_expiry=has_ttl,
            expires_at=None
            if not has_ttl or edits["ttl"] is None
            else versions.expiry(self._row.created_at, edits["ttl"].total_seconds()),
            add_aliases=add,
            remove_aliases=remove,
        )
        versions.edit_version(self._store.db, self.id, edit)
        self._row = versions.version_row(self._store.db, self.id)
        self._edits = {}
        self._alias_list = None

    def wait(self, timeout: int | None = None) -> VersionEdits:
        """W&B's ``wait()``: a logged version is committed already; returns it."""
        return self

    def is_draft(self) -> bool:
        return False

    def delete(self, delete_aliases: bool = False) -> None:
        """Delete this version, keeping it in the lineage graph (``store.delete``)."""
        deleted = versions.delete_version(
            self._store.db,
            versions.Ref(name=self._row.name, selector=f"v{self._row.number}", project=self._row.project),
            delete_aliases=delete_aliases,
        )
        self._row = versions.version_row(self._store.db, deleted.id)

    def file(self, root: str | os.PathLike | None = None) -> str:
        """Download the version's one file and return its path (an error if it has several)."""
        paths = [f.path for f in self.files()]
        if len(paths) != 1:
            raise InvalidArgumentError(
                f"{self.qualified_name} has {len(paths)} files, not one: use download() or get_entry(name).download()"
            )
        return os.path.join(self.download(root), paths[0])

    @property
    def manifest(self) -> Manifest:
        """The version's entries by path (W&B's ``artifact.manifest.entries``)."""
        birth = f"{self._row.project}/{self._row.name}:v{self._row.number}"
        entries = {
            f.path: ManifestEntry(
                f.path,
                f.digest,
                f.size,
                ref=f.ref,
                birth_artifact_id=birth,
                local_path=None if f.ref is not None else _local(self._store.blobs.local_path(f.digest)),
                _artifact=self,
            )
            for f in self.files()
        }
        return Manifest(entries)

    def get_entry(self, name: str | os.PathLike) -> ManifestEntry:
        """The entry at path ``name`` (W&B's ``get_entry``); ``.download()`` fetches it alone."""
        return find_entry(self.manifest, os.fspath(name), self.qualified_name)

    def get_path(self, name: str | os.PathLike) -> ManifestEntry:
        """W&B's older name for :meth:`get_entry`."""
        return self.get_entry(name)

    def get(self, name: str) -> Any:
        """The Table or Image stored as ``name`` by ``artifact.add`` (W&B's ``get``)."""
        from .wbobjects import find_object_path, read_object

        paths = {f.path for f in self.files()}
        path = find_object_path(paths, name)

        def read(p: str) -> bytes:
            with self.open(p) as handle:
                return handle.read()

        return read_object(path, read)

    def link(self, target_path: str, aliases: list[str] | None = None) -> VersionEdits:
        """Link this version into a registry collection (W&B's ``artifact.link``)."""
        from .storage import registry

        registry.link(self._store.db, self.id, target_path, versions.clean_aliases(aliases), active.active_run_id())
        return self

    def linked(self) -> list:
        """The registry links of this version (``model-registry/<name>:vN`` and their aliases)."""
        from .storage.registry import links_of_version

        return links_of_version(self._store.db, self.id)

    def new_draft(self) -> Artifact:
        """A new, unlogged Artifact holding this version's entries, metadata and description."""
        from .artifact import Artifact
        from .blobs import BlobInfo
        from .references import ReferenceEntry

        draft = Artifact(self._row.name, self._row.type, self.description, self.metadata)
        store = self._store
        store.staging.acquire()  # as for any draft: gc keeps its blobs until it is logged
        draft._adopt_store(store)
        for path, sha, size, mtime in versions.file_blobs(store.db, self.id):
            draft._add(path, BlobInfo(sha, size, mtime))
        for row in versions.reference_rows(store.db, self.id):
            entry = ReferenceEntry(*row)
            draft._references[entry.path] = entry
            draft._folders.update(parent_folders(entry.path))
        return draft


def check_ttl(value: Any) -> timedelta | None:
    """W&B's ttl: a ``timedelta`` (positive) or None (never expires)."""
    if value is None:
        return None
    if not isinstance(value, timedelta) or value.total_seconds() <= 0:
        raise InvalidArgumentError(f"invalid ttl {value!r}: use a positive datetime.timedelta, or None for no expiry")
    return value


def _parse(stamp: str) -> datetime:
    return datetime.strptime(stamp, versions.STAMP_FORMAT).replace(tzinfo=UTC)


def _local(path: os.PathLike | None) -> str | None:
    return None if path is None else str(path)
