"""lineage: track ML pipelines offline, with the Weights & Biases Artifacts API.

>>> import lineage as wandb                                         # doctest: +SKIP
>>> with wandb.init(project="mnist", job_type="load-data") as run:  # doctest: +SKIP
...     art = wandb.Artifact("mnist-raw", type="dataset")
...     art.add_file("train.pt")
...     run.log_artifact(art)
"""

from __future__ import annotations

from typing import Any

from .artifact import Artifact
from .errors import (
    ConflictError,
    CorruptBlobError,
    InvalidArgumentError,
    LineageError,
    NotFoundError,
    ReadOnlyStoreError,
    SchemaVersionError,
    StoreBusyError,
    StoreFullError,
    VerifyError,
)
from .logged import LoggedArtifact
from .media import Image
from .records import ArtifactFile, ArtifactInfo, RunInfo
from .store import Store
from .tracking import Run, _NoRun, active_run, init

__version__ = "0.1.0"

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


def log_artifact(artifact: Artifact, aliases: list[str] | None = None) -> LoggedArtifact:
    """``run.log_artifact`` on the active run."""
    return active_run().log_artifact(artifact, aliases=aliases)


def use_artifact(artifact_or_name: str | Artifact | LoggedArtifact, type: str | None = None) -> LoggedArtifact:
    """``run.use_artifact`` on the active run."""
    return active_run().use_artifact(artifact_or_name, type=type)


def finish(exit_code: int | None = None) -> None:
    """Finish the active run, if any."""
    if run is not None:
        run.finish(exit_code=exit_code)


__all__ = [
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
    "Run",
    "RunInfo",
    "SchemaVersionError",
    "Store",
    "ReadOnlyStoreError",
    "StoreBusyError",
    "StoreFullError",
    "VerifyError",
    "config",
    "finish",
    "init",
    "log",
    "log_artifact",
    "run",
    "save",
    "summary",
    "use_artifact",
]
