"""SQLModel classes mapping the tables of ``schema.sql``, for users who prefer an ORM.

``schema.sql`` stays the one definition: these classes follow it, and
``tests/test_schema.py`` proves a database created from them has the same tables,
columns, types, keys and indexes. Importing this module imports SQLModel and SQLAlchemy,
so ``import lineage`` does not.

>>> from sqlmodel import Session, create_engine, select          # doctest: +SKIP
>>> engine = create_engine("sqlite:///.lineage/lineage.db")       # doctest: +SKIP
>>> Session(engine).exec(select(Run).where(Run.state == "failed")).all()  # doctest: +SKIP
"""

from __future__ import annotations

from sqlalchemy import REAL, CheckConstraint, Column, ForeignKey, Index, Integer, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

NO_ROWID = {"sqlite_with_rowid": False}


def _text(primary_key: bool = False, nullable: bool = False, fk: str | None = None, default: str | None = None):
    args = [ForeignKey(fk)] if fk else []
    return Field(
        sa_column=Column(Text, *args, primary_key=primary_key, nullable=nullable, server_default=default),
        default=None,
    )


def _int(primary_key: bool = False, nullable: bool = False, fk: str | None = None):
    args = [ForeignKey(fk)] if fk else []
    return Field(sa_column=Column(Integer, *args, primary_key=primary_key, nullable=nullable), default=None)


def _real():
    return Field(sa_column=Column(REAL, nullable=True), default=None)


class Run(SQLModel, table=True):
    """A run: one step of a pipeline, its config and state."""

    __tablename__ = "runs"
    __table_args__ = (
        CheckConstraint("state IN ('running', 'finished', 'failed', 'crashed')"),
        Index("runs_by_project_name", "project", "name"),
        Index("runs_running", "host", sqlite_where=text("state = 'running'")),
        Index("runs_by_name", "name"),
    )
    id: str = _text(primary_key=True)
    project: str = _text()
    name: str = _text()
    job_type: str | None = _text(nullable=True)
    state: str = _text()
    error: str | None = _text(nullable=True)
    config: str = _text(default="{}")
    notes: str | None = _text(nullable=True)
    started_at: str = _text()
    ended_at: str | None = _text(nullable=True)
    host: str = _text()
    pid: int = _int()
    pid_started: int | None = _int(nullable=True)
    group_name: str | None = _text(nullable=True)
    tags: str = _text(default="[]")


class History(SQLModel, table=True):
    """One logged metric value of a run at a step."""

    __tablename__ = "history"
    __table_args__ = (NO_ROWID,)
    run_id: str = _text(primary_key=True, fk="runs.id")
    step: int = _int(primary_key=True)
    key: str = _text(primary_key=True)
    value: float | None = _real()
    data: str | None = _text(nullable=True)


class Summary(SQLModel, table=True):
    """One key of a run's summary."""

    __tablename__ = "summary"
    __table_args__ = (NO_ROWID,)
    run_id: str = _text(primary_key=True, fk="runs.id")
    key: str = _text(primary_key=True)
    value: float | None = _real()
    data: str | None = _text(nullable=True)


class Blob(SQLModel, table=True):
    """One distinct file content kept under blobs/."""

    __tablename__ = "blobs"
    __table_args__ = (NO_ROWID,)
    sha256: str = _text(primary_key=True)
    size: int = _int()
    mtime_ns: int = _int()


class RunFile(SQLModel, table=True):
    """A file kept with a run (run.save, logged images)."""

    __tablename__ = "run_files"
    __table_args__ = (Index("run_files_by_blob", "sha256"), NO_ROWID)
    run_id: str = _text(primary_key=True, fk="runs.id")
    path: str = _text(primary_key=True)
    sha256: str = _text(fk="blobs.sha256")
    size: int = _int()


class Artifact(SQLModel, table=True):
    """An artifact name in a project, with its one type."""

    __tablename__ = "artifacts"
    __table_args__ = (UniqueConstraint("project", "name"), Index("artifacts_by_name", "name"))
    id: int = _int(primary_key=True)
    project: str = _text()
    name: str = _text()
    type: str = _text()
    created_at: str = _text()


class Version(SQLModel, table=True):
    """A committed version of an artifact."""

    __tablename__ = "versions"
    __table_args__ = (
        UniqueConstraint("artifact_id", "number"),
        Index("versions_by_digest", "artifact_id", "digest"),
        Index("versions_by_creator", "created_by"),
    )
    id: int = _int(primary_key=True)
    artifact_id: int = _int(fk="artifacts.id")
    number: int = _int()
    digest: str = _text()
    size: int = _int()
    file_count: int = _int()
    description: str | None = _text(nullable=True)
    metadata_: str = Field(sa_column=Column("metadata", Text, nullable=False, server_default="{}"), default=None)
    created_at: str = _text()
    created_by: str | None = _text(nullable=True, fk="runs.id")
    deleted_at: str | None = _text(nullable=True)
    tags: str = _text(default="[]")
    expires_at: str | None = _text(nullable=True)


class Alias(SQLModel, table=True):
    """A name for one version of an artifact."""

    __tablename__ = "aliases"
    __table_args__ = (Index("aliases_by_version", "version_id"), NO_ROWID)
    artifact_id: int = _int(primary_key=True, fk="artifacts.id")
    alias: str = _text(primary_key=True)
    version_id: int = _int(fk="versions.id")


class File(SQLModel, table=True):
    """One file of a version's manifest."""

    __tablename__ = "files"
    __table_args__ = (Index("files_by_blob", "sha256"), NO_ROWID)
    version_id: int = _int(primary_key=True, fk="versions.id")
    path: str = _text(primary_key=True)
    sha256: str = _text(fk="blobs.sha256")
    size: int = _int()


class ReferenceFile(SQLModel, table=True):
    """One reference entry of a version's manifest: a URI, with its content's digest when checked."""

    __tablename__ = "reference_files"
    __table_args__ = (NO_ROWID,)
    version_id: int = _int(primary_key=True, fk="versions.id")
    path: str = _text(primary_key=True)
    uri: str = _text()
    sha256: str | None = _text(nullable=True)
    size: int | None = _int(nullable=True)


class RegistryLink(SQLModel, table=True):
    """A version linked into a registry collection (W&B's model registry), numbered per collection."""

    __tablename__ = "registry_links"
    __table_args__ = (
        UniqueConstraint("registry", "collection", "version_id"),
        Index("registry_links_by_version", "version_id"),
    )
    # "registry" is a reserved attribute of SQLAlchemy's declarative classes.
    registry_: str = Field(sa_column=Column("registry", Text, primary_key=True, nullable=False), default=None)
    collection: str = _text(primary_key=True)
    number: int = _int(primary_key=True)
    version_id: int = _int(fk="versions.id")
    created_at: str = _text()
    created_by: str | None = _text(nullable=True, fk="runs.id")


class RegistryAlias(SQLModel, table=True):
    """An alias inside a registry collection, naming one of its links."""

    __tablename__ = "registry_aliases"
    __table_args__ = (NO_ROWID,)
    registry_: str = Field(sa_column=Column("registry", Text, primary_key=True, nullable=False), default=None)
    collection: str = _text(primary_key=True)
    alias: str = _text(primary_key=True)
    number: int = _int()


class Consumed(SQLModel, table=True):
    """Edge version -> run: the run used the version."""

    __tablename__ = "consumed"
    __table_args__ = (Index("consumed_by_version", "version_id", "run_id"), NO_ROWID)
    run_id: str = _text(primary_key=True, fk="runs.id")
    version_id: int = _int(primary_key=True, fk="versions.id")
    created_at: str = _text()


class Produced(SQLModel, table=True):
    """Edge run -> version: the run logged the version."""

    __tablename__ = "produced"
    __table_args__ = (Index("produced_by_version", "version_id", "run_id"), NO_ROWID)
    run_id: str = _text(primary_key=True, fk="runs.id")
    version_id: int = _int(primary_key=True, fk="versions.id")
    created_at: str = _text()


class Upstream(SQLModel, table=True):
    """A walk's step upstream: from a node ('run:<id>', 'version:<id>') to a producer or input; kept by triggers."""

    __tablename__ = "upstream"
    __table_args__ = (NO_ROWID,)
    node: str = _text(primary_key=True)
    next: str = _text(primary_key=True)
    next_label: str = _text()


class Downstream(SQLModel, table=True):
    """A walk's step downstream: from a node to a consumer or output; kept by triggers."""

    __tablename__ = "downstream"
    __table_args__ = (NO_ROWID,)
    node: str = _text(primary_key=True)
    next: str = _text(primary_key=True)
    next_label: str = _text()


class FileState(SQLModel, table=True):
    """Hash cache: a source file's digest keyed by its (inode, ctime_ns, mtime_ns, size)."""

    __tablename__ = "file_state"
    __table_args__ = (NO_ROWID,)
    path: str = _text(primary_key=True)
    inode: int = _int()
    ctime_ns: int = _int()
    mtime_ns: int = _int()
    size: int = _int()
    sha256: str = _text()


class FolderState(SQLModel, table=True):
    """Re-log cache of a folder added whole: its files' names, stats, digests and blob mtimes, packed."""

    __tablename__ = "folder_state"
    folder: str = _text(primary_key=True)
    names: str = _text()
    stats: str = _text()
    digests: str = _text()
    blob_mtimes: str = _text()


class RunCounts(SQLModel, table=True):
    """How many runs a project holds (kept by a trigger on runs): a run's default name."""

    __tablename__ = "run_counts"
    __table_args__ = (NO_ROWID,)
    project: str = _text(primary_key=True)
    runs: int = _int()


class OpenLineageBacklog(SQLModel, table=True):
    """An OpenLineage event live emission could not deliver, kept until ``--send``."""

    __tablename__ = "openlineage_backlog"
    id: int = _int(primary_key=True)
    run_id: str = _text(fk="runs.id")
    event_type: str = _text()
    event: str = _text()
    created_at: str = _text()


class Ref(SQLModel, table=True):
    """One ref a version or run answers to ('mnist-raw:v0', 'run:sunny-smoke-1'); kept by triggers."""

    __tablename__ = "refs"
    __table_args__ = (NO_ROWID,)
    ref: str = _text(primary_key=True)
    kind: str = _text(primary_key=True)
    id: str = _text(primary_key=True)
    label: str = _text()


class StoreSetting(SQLModel, table=True):
    """One setting every client of the store agrees on (``blob_root``)."""

    __tablename__ = "store_settings"
    key: str = _text(primary_key=True)
    value: str = _text()
