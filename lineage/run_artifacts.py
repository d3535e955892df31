"""The artifact half of a run: ``log_artifact``, ``use_artifact`` (mixed into ``Run``)."""

from __future__ import annotations

import operator
import os
from pathlib import Path
from typing import TYPE_CHECKING

from .artifact import Artifact
from .blobs import BlobStore
from .errors import InvalidArgumentError, PathNotFoundError
from .logged import LoggedArtifact
from .references import URI_RE, default_name
from .refs import check_tags, parse_ref
from .storage import registry, runs, versions
from .values import clean_object, dump_object

if TYPE_CHECKING:
    from .facade import Store
    from .store import StoreHandle


class RunArtifacts:
    """``log_artifact`` / ``use_artifact`` of a run; expects ``store``, ``id``, ``project``."""

    store: Store
    id: str
    project: str

    if TYPE_CHECKING:  # provided by tracking.Run

        def _check_running(self) -> None: ...

    def log_artifact(
        self,
        artifact_or_path: Artifact | str | os.PathLike,
        name: str | None = None,
        type: str | None = None,
        aliases: list[str] | tuple[str, ...] | str | None = None,
        tags: list[str] | None = None,
    ) -> LoggedArtifact:
        """Commit an artifact as a version (or find the identical one) and record the edge.

        As in W&B, a path (file or folder) makes the artifact: named ``name``, else
        ``run-<run id>-<basename>``; of type ``type``, else ``unspecified``.
        """
        self._check_running()
        if isinstance(name, (list, tuple)) and aliases is None:
            name, aliases = None, name  # lineage's older log_artifact(artifact, aliases) order
        artifact = artifact_or_path
        if isinstance(artifact, (str, os.PathLike)):
            artifact = self._artifact_of_path(artifact if isinstance(artifact, str) else Path(artifact), name, type)
        if not isinstance(artifact, Artifact):
            raise InvalidArgumentError(f"log_artifact takes an Artifact or a path, not {_type_name(artifact)}")
        if artifact.logged is not None:
            raise InvalidArgumentError(f"artifact {artifact.name!r} was already logged: create a new Artifact")
        version_tags = tuple(check_tags([*artifact.tags, *(tags or [])]))
        clean = versions.clean_aliases(aliases)
        entries = dict(artifact._entries)
        staged_in = artifact._store if artifact._store is not None and artifact._store.dir != self.store.dir else None
        if staged_in is not None:
            # Held until the commit, so gc cannot free the copied blobs before a version uses them.
            self.store.staging.acquire()
        try:
            if staged_in is not None:
                entries = self._copy_blobs(staged_in, entries)
            new = versions.NewVersion(
                project=self.project,
                name=artifact.base_name,
                type=artifact.type,
                description=artifact.description,
                metadata=dump_object(clean_object(artifact.metadata, "artifact metadata")),
                digest=artifact.digest,
                # (path, sha256, size, mtime_ns), any order: (path,) + blob, built in C
                files=list(map(operator.add, zip(entries), entries.values())),
                aliases=clean,
                references=tuple((r.path, r.uri, r.sha256, r.size) for _, r in sorted(artifact.references().items())),
                tags=version_tags,
                ttl_seconds=None if artifact.ttl is None else artifact.ttl.total_seconds(),
            )
            # Blobs durable before the version becomes visible. A few blobs' fsyncs (started
            # as each was written) are waited for inside the transaction, just before COMMIT;
            # a syncfs of many runs first, so other writers do not wait on it.
            blobs = self.store.blobs
            if not blobs.syncs_early():
                blobs.sync()
            row = versions.commit(self.store.db, self.id, new, ready=blobs.sync)
        finally:
            if staged_in is not None:
                self.store.staging.release()
        logged = LoggedArtifact(self.store, row)
        artifact._logged_as(logged)  # releases its hold on the store it was staged in
        if staged_in is not None:
            # Its files were staged in another store (the default one, before init(dir=...)):
            # the copies there would be orphans that store may not even have a database for.
            staged_in.unstage([b.sha256 for b in artifact._entries.values()])
        return logged

    # -- the model registry (lineage/registry.py) ----------------------------------------
    def link_artifact(
        self, artifact: Artifact | LoggedArtifact, target_path: str, aliases: list[str] | None = None
    ) -> LoggedArtifact:
        """Link a version into a registry collection (``model-registry/<name>``), as W&B does.

        An artifact not logged yet is logged first. Returns the linked version.
        """
        self._check_running()
        if isinstance(artifact, Artifact):
            logged = artifact.logged if artifact.logged is not None else self.log_artifact(artifact)
            artifact = logged
        if not isinstance(artifact, LoggedArtifact):
            raise InvalidArgumentError(f"link_artifact takes an Artifact, not {_type_name(artifact)}")
        registry.link(self.store.db, artifact.id, target_path, versions.clean_aliases(aliases), self.id)
        return artifact

    def log_model(
        self, path: str | os.PathLike, name: str | None = None, aliases: list[str] | None = None
    ) -> LoggedArtifact:
        """Log a model file or folder as an artifact of type ``model`` (W&B's ``log_model``)."""
        return self.log_artifact(path, name=name, type="model", aliases=aliases)

    def link_model(
        self,
        path: str | os.PathLike,
        registered_model_name: str,
        name: str | None = None,
        aliases: list[str] | None = None,
    ) -> LoggedArtifact:
        """Log a model and link it to ``model-registry/<registered_model_name>`` (W&B's ``link_model``)."""
        model = self.log_model(path, name=name)
        return self.link_artifact(model, f"{registry.DEFAULT_REGISTRY}/{registered_model_name}", aliases=aliases)

    def use_model(self, name: str) -> str:
        """Use a model artifact (also through the registry) and download it; returns its folder."""
        model = self.use_artifact(name)
        if "model" not in model.type:
            raise InvalidArgumentError(f"{model.qualified_name} has type {model.type!r}: use_model takes a model")
        return model.download()

    def _artifact_of_path(self, path: Path | str, name: str | None, type: str | None) -> Artifact:
        if isinstance(path, str) and URI_RE.fullmatch(path):
            base = "".join(c if c.isalnum() or c in "_.-" else "_" for c in default_name(path)) or "ref"
            artifact = Artifact(name or f"run-{self.id}-{base}", type or "unspecified")
            artifact.add_reference(path)  # W&B logs an s3://... (or file://...) path as a reference
            return artifact
        path = Path(path)
        if not path.exists():
            raise PathNotFoundError(f"no file or folder at {str(path)!r} to log as an artifact")
        base = "".join(c if c.isalnum() or c in "_.-" else "_" for c in path.resolve().name) or "root"
        artifact = Artifact(name or f"run-{self.id}-{base}", type or "unspecified")
        if path.is_dir():
            artifact.add_dir(path)
        else:
            artifact.add_file(path)
        return artifact

    def _copy_blobs(self, source: StoreHandle, entries: dict) -> dict:
        # The caller holds this store's staging lock until the commit.
        mine = self.store.blobs
        if isinstance(source.blobs, BlobStore):
            return {path: mine.put_file(source.blobs.check(b.sha256)) for path, b in entries.items()}
        out = {}
        for path, b in entries.items():
            tmp = mine.new_temp()
            source.blobs.copy_to(b.sha256, b.size, tmp)
            out[path] = mine.adopt(tmp)
        return out

    def use_artifact(
        self,
        artifact_or_name: str | Artifact | LoggedArtifact,
        type: str | None = None,
        aliases: list[str] | None = None,
        use_as: str | None = None,
    ) -> LoggedArtifact:
        """Resolve a ref (bare name = this project's ``:latest``) and record the consume edge.

        An Artifact not logged yet is logged first, with ``aliases``, as W&B does; ``use_as``
        is accepted and ignored (W&B deprecated it).
        """
        self._check_running()
        if isinstance(artifact_or_name, Artifact):
            logged = artifact_or_name.logged
            if logged is None:
                logged = self.log_artifact(artifact_or_name, aliases=aliases)
            artifact_or_name = logged
        if isinstance(artifact_or_name, LoggedArtifact):
            row = artifact_or_name.row_in(self.store)
        else:
            row = versions.resolve(self.store.db, parse_ref(artifact_or_name, self.project))
        if type is not None and row.type != type:
            raise InvalidArgumentError(f"{row.name}:v{row.number} has type {row.type!r}, not {type!r}")
        runs.add_consumed(self.store.db, self.id, row.id)
        return LoggedArtifact(self.store, row)


def _type_name(value: object) -> str:
    return type(value).__name__
