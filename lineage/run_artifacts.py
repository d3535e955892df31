"""The artifact half of a run: ``log_artifact``, ``use_artifact`` (mixed into ``Run``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import versions
from .artifact import Artifact
from .db import now
from .errors import InvalidArgumentError
from .logged import LoggedArtifact
from .refs import parse_ref
from .values import clean_object, dump_object

if TYPE_CHECKING:
    from .store import Store


class RunArtifacts:
    """``log_artifact`` / ``use_artifact`` of a run; expects ``store``, ``id``, ``project``."""

    store: Store
    id: str
    project: str

    def log_artifact(
        self, artifact: Artifact, aliases: list[str] | tuple[str, ...] | str | None = None
    ) -> LoggedArtifact:
        """Commit ``artifact`` as a version (or find the identical one) and record the edge."""
        self._check_running()
        if not isinstance(artifact, Artifact):
            raise InvalidArgumentError(f"log_artifact takes an Artifact, not {type(artifact).__name__}")
        if artifact.logged is not None:
            raise InvalidArgumentError(f"artifact {artifact.name!r} was already logged: create a new Artifact")
        clean = versions.clean_aliases(aliases)
        entries = artifact.manifest()
        copied = artifact._store is not None and artifact._store.dir != self.store.dir
        if copied:
            # Held until the commit, so gc cannot free the copied blobs before a version uses them.
            self.store.staging.acquire()
        try:
            if copied:
                entries = self._copy_blobs(artifact._store, entries)
            self.store.blobs.sync()  # blobs durable before the version becomes visible
            new = versions.NewVersion(
                project=self.project,
                name=artifact.base_name,
                type=artifact.type,
                description=artifact.description,
                metadata=dump_object(clean_object(artifact.metadata, "artifact metadata")),
                digest=artifact.digest,
                files=[(p, b.sha256, b.size, b.mtime_ns) for p, b in sorted(entries.items())],
                aliases=clean,
                references=tuple((r.path, r.uri, r.sha256, r.size) for _, r in sorted(artifact.references().items())),
            )
            version_id = versions.commit(self.store.db, self.id, new)
        finally:
            if copied:
                self.store.staging.release()
        logged = LoggedArtifact(self.store, versions.version_row(self.store.db, version_id))
        artifact._logged_as(logged)
        return logged

    def _copy_blobs(self, source: Store, entries: dict) -> dict:
        self.store.staging.acquire()
        try:
            return {path: self.store.blobs.put_file(source.blobs.check(b.sha256)) for path, b in entries.items()}
        finally:
            self.store.staging.release()

    def use_artifact(
        self, artifact_or_name: str | Artifact | LoggedArtifact, type: str | None = None
    ) -> LoggedArtifact:
        """Resolve a ref (bare name = this project's ``:latest``) and record the consume edge."""
        self._check_running()
        if isinstance(artifact_or_name, Artifact):
            if artifact_or_name.logged is None:
                raise InvalidArgumentError(f"artifact {artifact_or_name.name!r} is not logged yet: log it first")
            artifact_or_name = artifact_or_name.logged
        if isinstance(artifact_or_name, LoggedArtifact):
            row = versions.version_row(self.store.db, artifact_or_name.id)
            self.store.check_live(row)
        else:
            row = versions.resolve(self.store.db, parse_ref(artifact_or_name, self.project))
        if type is not None and row.type != type:
            raise InvalidArgumentError(f"{row.name}:v{row.number} has type {row.type!r}, not {type!r}")
        self._write(
            "INSERT OR IGNORE INTO consumed (run_id, version_id, created_at) VALUES (?, ?, ?)", (self.id, row.id, now())
        )
        return LoggedArtifact(self.store, row)
