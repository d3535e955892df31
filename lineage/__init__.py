"""lineage: track ML pipelines offline, with the Weights & Biases Artifacts API.

>>> import lineage as wandb                                         # doctest: +SKIP
>>> with wandb.init(project="mnist", job_type="load-data") as run:  # doctest: +SKIP
...     art = wandb.Artifact("mnist-raw", type="dataset")
...     art.add_file("train.pt")
...     run.log_artifact(art)
"""

from __future__ import annotations

from typing import Any

from . import util  # noqa: E402 (wandb.util.generate_id)
from .about import __version__ as __version__
from .api import Api
from .artifact import Artifact
from .compat import Settings, alert, define_metric, login, unwatch, watch
from .errors import (
    ConflictError,
    CorruptBlobError,
    InvalidArgumentError,
    LineageError,
    NotFoundError,
    ObjectStoreError,
    ReadOnlyStoreError,
    SchemaVersionError,
    StoreBusyError,
    StoreFullError,
    VerifyError,
)
from .facade import Store, copy
from .fsck import FsckReport, Problem
from .gc import GcItem, GcPlan
from .logged import LoggedArtifact
from .media import Image
from .references import ReferenceEntry
from .session import init
from .storage.records import ArtifactFile, ArtifactInfo, RunInfo, StoreContents, StoreStatus
from .storage.registry import Link
from .table import Table
from .tracking import Run, _NoRun, active_run
from .walks import Subgraph

# Rebound by init() and finish() to the active run's objects, as in W&B.
run: Run | None = None
config: Any = _NoRun("config")
summary: Any = _NoRun("summary")


def log(data: dict[str, Any], step: int | None = None, commit: bool | None = None) -> None:
    """``run.log`` on the active run."""
    active_run().log(data, step=step, commit=commit)


def save(glob_str: str, base_path: str | None = None, policy: str = "live") -> list[str]:
    """``run.save`` on the active run."""
    return active_run().save(glob_str, base_path=base_path, policy=policy)


def log_artifact(
    artifact_or_path: Artifact | str,
    name: str | None = None,
    type: str | None = None,
    aliases: list[str] | None = None,
    tags: list[str] | None = None,
) -> LoggedArtifact:
    """``run.log_artifact`` on the active run."""
    return active_run().log_artifact(artifact_or_path, name=name, type=type, aliases=aliases, tags=tags)


def use_artifact(
    artifact_or_name: str | Artifact | LoggedArtifact,
    type: str | None = None,
    aliases: list[str] | None = None,
    use_as: str | None = None,
) -> LoggedArtifact:
    """``run.use_artifact`` on the active run."""
    return active_run().use_artifact(artifact_or_name, type=type, aliases=aliases, use_as=use_as)


def link_artifact(artifact: Artifact | LoggedArtifact, target_path: str, aliases: list[str] | None = None):
    """``run.link_artifact`` on the active run."""
    return active_run().link_artifact(artifact, target_path, aliases=aliases)


def log_model(path: str, name: str | None = None, aliases: list[str] | None = None) -> LoggedArtifact:
    """``run.log_model`` on the active run."""
    return active_run().log_model(path, name=name, aliases=aliases)


def link_model(path: str, registered_model_name: str, name: str | None = None, aliases: list[str] | None = None):
    """``run.link_model`` on the active run."""
    return active_run().link_model(path, registered_model_name, name=name, aliases=aliases)


def use_model(name: str) -> str:
    """``run.use_model`` on the active run."""
    return active_run().use_model(name)


def finish(exit_code: int | None = None) -> None:
    """Finish the active run, if any."""
    if run is not None:
        run.finish(exit_code=exit_code)


__all__ = [
    "Api",
    "FsckReport",
    "GcItem",
    "GcPlan",
    "Link",
    "Problem",
    "ReferenceEntry",
    "StoreContents",
    "StoreStatus",
    "Subgraph",
    "Artifact",
    "ArtifactFile",
    "ArtifactInfo",
    "ConflictError",
    "CorruptBlobError",
    "Image",
    "InvalidArgumentError",
    "LineageError",
    "LoggedArtifact",
    "NotFoundError",
    "ObjectStoreError",
    "ReadOnlyStoreError",
    "Run",
    "RunInfo",
    "SchemaVersionError",
    "Settings",
    "Store",
    "copy",
    "Table",
    "StoreBusyError",
    "StoreFullError",
    "VerifyError",
    "alert",
    "config",
    "define_metric",
    "finish",
    "init",
    "link_artifact",
    "link_model",
    "log",
    "log_artifact",
    "log_model",
    "login",
    "run",
    "save",
    "summary",
    "unwatch",
    "use_artifact",
    "use_model",
    "util",
    "watch",
]
